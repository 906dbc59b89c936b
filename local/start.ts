/**
 * `npm start [-- --switch enforce|dry-run] [--policy FILE] [--preset demo|large]`
 * The whole remediation story locally, on the embedded emulator and the local Step Functions engine,
 * through the real planner, state machine and report code. Enforce by default here: the fleet is
 * emulated. The default policy file is local/samples/demo-policy.yaml.
 */
import { parseArgs } from 'node:util';
import { formatIssue } from '#domain/json-schema';
import { formatDuration, runDemo } from './demo.ts';
import { readPolicyFile } from './policy-file.ts';

const DEMO_POLICY = new URL('./samples/demo-policy.yaml', import.meta.url);

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

let args: { switch: string; policy?: string; preset: string };
try {
  ({ values: args } = parseArgs({
    options: {
      switch: { type: 'string', default: 'enforce' },
      policy: { type: 'string' },
      preset: { type: 'string', default: 'demo' },
    },
    strict: true,
  }));
} catch (error) {
  fail(
    `${(error as Error).message}\nusage: npm start -- [--switch enforce|dry-run] [--policy FILE] [--preset demo|large]`,
  );
}
if (!['enforce', 'dry-run', 'paused'].includes(args.switch))
  fail(`--switch: "${args.switch}" is not one of enforce, dry-run, paused`);
if (!['demo', 'large'].includes(args.preset)) fail(`--preset: "${args.preset}" is not one of demo, large`);
const policy = readPolicyFile(args.policy ?? DEMO_POLICY);
if (!policy.ok)
  fail(
    `${args.policy ?? DEMO_POLICY.pathname}:\n${policy.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
  );

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
