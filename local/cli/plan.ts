/**
 * `npm run plan -- --notification FILE [--policy FILE] [--switch enforce] [--switch-set-at ISO] [--rerun N]
 *   [--action-prefix STACK]`
 * Prints the plan (or the typed "nothing to do") as JSON on stdout and exits 0, or prints every error
 * and exits 2. No AWS is needed.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseAuditEvent, parseAuditNotification } from '#domain/audit';
import { formatIssue } from '#domain/json-schema';
import { planRemediation } from '#domain/plan';
import { isSwitchValue } from '#domain/switch';
import { DEFAULT_POLICY_YAML, readPolicyFile } from '../policy-file.ts';

const USAGE =
  'usage: npm run plan -- --notification FILE [--policy FILE] [--switch dry-run|enforce|paused] ' +
  '[--switch-set-at ISO-TIME] [--rerun N] [--action-prefix STACK-NAME]';

function fail(errors: string[]): never {
  for (const error of errors) console.error(error);
  process.exit(2);
}

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        notification: { type: 'string' },
        policy: { type: 'string' },
        switch: { type: 'string', default: 'dry-run' },
        'switch-set-at': { type: 'string', default: '1970-01-01T00:00:00Z' },
        rerun: { type: 'string' },
        'action-prefix': { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (error) {
    return fail([(error as Error).message, USAGE]);
  }
}

const args = parseCommandLine();
const errors: string[] = [];
if (!args.notification) errors.push(`--notification is required\n${USAGE}`);
if (!isSwitchValue(args.switch))
  errors.push(`--switch: "${args.switch}" is not one of dry-run, enforce, paused`);
const switchSetAt = Date.parse(args['switch-set-at']);
if (Number.isNaN(switchSetAt)) errors.push(`--switch-set-at: "${args['switch-set-at']}" is not a date-time`);
const rerun = args.rerun === undefined ? undefined : Number(args.rerun);
if (rerun !== undefined && !Number.isSafeInteger(rerun))
  errors.push(`--rerun: "${args.rerun}" is not an integer`);
if (errors.length > 0) fail(errors);

let notification: unknown;
try {
  notification = JSON.parse(readFileSync(args.notification!, 'utf8'));
} catch (error) {
  fail([`${args.notification}: ${(error as Error).message}`]);
}
// The notification as IoT publishes it, or the "Audit Completed" event the planner receives.
const audit =
  typeof notification === 'object' && notification !== null && 'detail-type' in notification
    ? parseAuditEvent(notification)
    : parseAuditNotification(notification);
const policy = readPolicyFile(args.policy ?? DEFAULT_POLICY_YAML);
if (!audit.ok) errors.push(...audit.issues.map((issue) => `notification: ${formatIssue(issue)}`));
if (!policy.ok) errors.push(...policy.issues.map((issue) => `policy: ${formatIssue(issue)}`));
if (!audit.ok || !policy.ok) fail(errors);

for (const warning of audit.warnings) console.error(`warning: ${warning}`);
const plan = planRemediation(
  audit.audit,
  policy.policy,
  { value: args.switch, lastModified: switchSetAt, version: 1 },
  {
    ...(rerun === undefined ? {} : { rerun }),
    ...(args['action-prefix'] ? { actionNamePrefix: args['action-prefix'] } : {}),
  },
);
if (plan.kind === 'nothing-to-do' && plan.reason === 'invalid-rerun') fail([`--rerun: ${plan.detail}`]);
console.log(JSON.stringify(plan, null, 2));
