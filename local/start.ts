/**
 * `npm start [-- --switch enforce|dry-run] [--policy FILE] [--preset demo|large]`
 * The whole remediation story locally, on the embedded emulator and the local Step Functions engine,
 * through the real planner, state machine and report code. Enforce by default here: the fleet is
 * emulated. The default policy file is local/samples/demo-policy.yaml.
 */
import { formatIssue } from '#domain/json-schema';
import { HELP_OPTION, parseCommandLine, refuse } from './cli/args.ts';
import { formatDuration, runDemo } from './demo.ts';
import { readPolicyFile } from './policy-file.ts';

const DEMO_POLICY = new URL('./samples/demo-policy.yaml', import.meta.url);

const command = {
  name: 'npm start',
  usage: [
    'usage: npm start -- [--switch enforce|dry-run|paused] [--policy FILE] [--preset demo|large]',
    'Runs the whole remediation story on the local stack (emulated fleet; enforce by default).',
  ].join('\n'),
  options: {
    ...HELP_OPTION,
    switch: { type: 'string', default: 'enforce' },
    policy: { type: 'string' },
    preset: { type: 'string', default: 'demo' },
  },
} as const;

async function main() {
  const parsed = parseCommandLine(command);
  if (!parsed) return;
  const args = parsed.values;
  if (!['enforce', 'dry-run', 'paused'].includes(args.switch))
    return refuse(command, `--switch: "${args.switch}" is not one of enforce, dry-run, paused`);
  if (!['demo', 'large'].includes(args.preset))
    return refuse(command, `--preset: "${args.preset}" is not one of demo, large`);
  const policy = readPolicyFile(args.policy ?? DEMO_POLICY);
  if (!policy.ok) {
    const file = args.policy ?? DEMO_POLICY.pathname;
    if (policy.issues.length === 1) return refuse(command, `${file}: ${formatIssue(policy.issues[0]!)}`);
    refuse(command, `${file}: ${policy.issues.length} errors`);
    for (const issue of policy.issues) console.error(`  ${formatIssue(issue)}`);
    return;
  }
  const result = await runDemo({
    preset: args.preset,
    switchValue: args.switch,
    policy: policy.policy,
    ...(args.preset === 'large' ? { findingsPerSecond: 2_000 } : {}),
    log: (line) => console.log(line),
  });
  console.log('');
  console.log(
    `Done: ${result.outcome?.status ?? result.planned.outcome} in ${formatDuration(result.virtualMs)} of virtual time, ` +
      `${(result.realMs / 1000).toFixed(1)} s of real time, peak memory ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB.`,
  );
}

await main();
