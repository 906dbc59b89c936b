/**
 * `npm start [-- --switch enforce|dry-run] [--policy FILE] [--preset demo|large] [--audits N] [--approve] [--json FILE|-]`
 * The whole remediation story locally, on the embedded emulator and the local Step Functions engine,
 * through the real planner, state machine and report code. Enforce by default here: the fleet is
 * emulated. The default policy file is local/samples/demo-policy.yaml. `--json` writes the results as
 * JSON too (local/demo-document.ts). `--audits N` remediates the demo fleet's daily audit N days in a
 * row, showing the loop guard's suppressions (from the fourth with the default loopGuard). An execution
 * that waits for an operator's approval of what a cap held back (`--preset large`) shows the approve
 * command and times out after 24 hours of virtual time; `--approve` approves as the operator.
 */
import { formatIssue } from '#domain/json-schema';
import { HELP_OPTION, parseCommandLine, refuse } from './cli/args.ts';
import { JSON_OPTION_USAGE, jsonTargetProblem, STDOUT, writeJsonDocument } from './cli/json-output.ts';
import { formatDuration, runDemo } from './demo.ts';
import { demoOutcome, startDocument } from './demo-document.ts';
import { readPolicyFile } from './policy-file.ts';

const DEMO_POLICY = new URL('./samples/demo-policy.yaml', import.meta.url);
/** The most daily audits in a row (each takes about half a second of real time). */
const MAX_AUDITS = 30;

const command = {
  name: 'npm start',
  usage: [
    'usage: npm start -- [--switch enforce|dry-run|paused] [--policy FILE] [--preset demo|large] [--audits N] [--approve] [--json FILE|-]',
    'Runs the whole remediation story on the local stack (emulated fleet; enforce by default).',
    `--audits N: remediate the demo fleet's daily scheduled audit N days in a row (1-${MAX_AUDITS}, default 1: one`,
    '  on-demand audit); the last is shown in full, then the audit suppressions. The loop guard suppresses',
    '  the certificate its owner keeps re-activating at the 4th audit (policy loopGuard.afterAudits 3).',
    '--approve: approve, as the operator, the checks a cap held back when the execution waits for it (--preset',
    '  large: its one check, 1,000,000 findings); without it the execution waits 24 h of virtual time, then says so.',
    JSON_OPTION_USAGE,
  ].join('\n'),
  options: {
    ...HELP_OPTION,
    switch: { type: 'string', default: 'enforce' },
    policy: { type: 'string' },
    preset: { type: 'string', default: 'demo' },
    audits: { type: 'string', default: '1' },
    approve: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
} as const;

async function main() {
  const startedAt = new Date();
  const parsed = parseCommandLine(command);
  if (!parsed) return;
  const args = parsed.values;
  if (!['enforce', 'dry-run', 'paused'].includes(args.switch))
    return refuse(command, `--switch: "${args.switch}" is not one of enforce, dry-run, paused`);
  if (!['demo', 'large'].includes(args.preset))
    return refuse(command, `--preset: "${args.preset}" is not one of demo, large`);
  if (!/^\d+$/.test(args.audits) || Number(args.audits) < 1 || Number(args.audits) > MAX_AUDITS)
    return refuse(command, `--audits: "${args.audits}" is not a whole number from 1 to ${MAX_AUDITS}`);
  const audits = Number(args.audits);
  if (audits > 1 && args.preset !== 'demo')
    return refuse(command, `--audits: ${audits} audits need --preset demo (its daily scheduled audit)`);
  const jsonProblem = args.json === undefined ? undefined : jsonTargetProblem(args.json);
  if (jsonProblem) return refuse(command, jsonProblem);
  // With the JSON on stdout, the lines for people go to stderr.
  const say = args.json === STDOUT ? console.error : console.log;
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
    audits,
    approve: args.approve,
    log: (line) => say(line),
  });
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  say('');
  say(
    `Done: ${demoOutcome(result)} in ${formatDuration(result.virtualMs)} of virtual time, ` +
      `${(result.realMs / 1000).toFixed(1)} s of real time, peak memory ${peakRssMb} MB.`,
  );
  if (args.json !== undefined)
    writeJsonDocument(
      command.name,
      args.json,
      startDocument(result, {
        startedAt,
        preset: args.preset,
        switchValue: args.switch,
        policyFile: args.policy ?? DEMO_POLICY.pathname,
        peakRssMb,
      }),
    );
}

await main();
