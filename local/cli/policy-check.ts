/** `npm run policy:check -- FILE`: validates a policy (YAML or JSON); exit 0 when valid, 2 otherwise. */
import { formatIssue } from '#domain/json-schema';
import { policyDigest } from '#domain/policy';
import { readPolicyFile } from '../policy-file.ts';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: npm run policy:check -- FILE [FILE ...]');
  process.exit(2);
}
let invalid = 0;
for (const file of files) {
  const result = readPolicyFile(file);
  if (result.ok) {
    console.log(
      `${file}: valid (${result.policy.rules.length} rules, mode ${result.policy.mode ?? 'dry-run'}, ${policyDigest(result.policy)})`,
    );
  } else {
    invalid += 1;
    console.error(`${file}: ${result.issues.length} error${result.issues.length === 1 ? '' : 's'}`);
    for (const issue of result.issues) console.error(`  ${formatIssue(issue)}`);
  }
}
process.exit(invalid > 0 ? 2 : 0);
