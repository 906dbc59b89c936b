/**
 * `npm run policy:check -- FILE [FILE ...]`: validates policies (YAML or JSON); exit 0 when valid, 2 otherwise.
 * `npm run policy:check -- FILE --emit-json`: prints the validated policy as the JSON an SSM parameter takes.
 */
import { formatIssue } from '#domain/json-schema';
import { policyDigest } from '#domain/policy';
import { readPolicyFile } from '../policy-file.ts';
import { HELP_OPTION, parseCommandLine, refuse } from './args.ts';

const command = {
  name: 'npm run policy:check',
  usage: [
    'usage: npm run policy:check -- FILE [FILE ...]',
    '       npm run policy:check -- FILE --emit-json',
    'Validates each policy (YAML or JSON): exit 0 when all are valid, 2 otherwise.',
    '--emit-json prints the one validated policy as compact JSON on stdout (the SSM parameter value).',
  ].join('\n'),
  options: { ...HELP_OPTION, 'emit-json': { type: 'boolean' } },
  allowPositionals: true,
} as const;

function main() {
  const args = parseCommandLine(command);
  if (!args) return;
  const files = args.positionals;
  if (files.length === 0) return refuse(command, 'name a policy file (see npm run policy:check -- --help)');
  const emitJson = args.values['emit-json'] === true;
  if (emitJson && files.length !== 1) return refuse(command, '--emit-json takes exactly one policy file');
  let invalid = 0;
  for (const file of files) {
    const result = readPolicyFile(file);
    if (result.ok) {
      if (emitJson) console.log(JSON.stringify(result.policy));
      else
        console.log(
          `${file}: valid (${result.policy.rules.length} rule${result.policy.rules.length === 1 ? '' : 's'}, mode ${result.policy.mode ?? 'dry-run'}, ${policyDigest(result.policy)})`,
        );
    } else if (result.issues.length === 1) {
      invalid += 1;
      console.error(`${file}: ${formatIssue(result.issues[0]!)}`);
    } else {
      invalid += 1;
      console.error(`${file}: ${result.issues.length} errors`);
      for (const issue of result.issues) console.error(`  ${formatIssue(issue)}`);
    }
  }
  process.exitCode = invalid > 0 ? 2 : 0;
}

main();
