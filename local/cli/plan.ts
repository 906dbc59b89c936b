/**
 * `npm run plan -- --notification FILE [--policy FILE] [--switch enforce] [--switch-set-at ISO] [--rerun N]
 *   [--action-prefix STACK]`
 * Prints the plan (or the typed "nothing to do") as JSON on stdout and exits 0, or prints every error
 * and exits 2. No AWS is needed.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseAuditEvent, parseAuditNotification } from '#domain/audit';
import { handOverLines, planHandOver } from '#domain/hand-over';
import { formatIssue } from '#domain/json-schema';
import { planRemediation } from '#domain/plan';
import { isSwitchValue } from '#domain/switch';
import { DEFAULT_POLICY_YAML, readPolicyFile } from '../policy-file.ts';
import { HELP_OPTION, parseCommandLine } from './args.ts';

const USAGE =
  'usage: npm run plan -- --notification FILE [--policy FILE] [--switch dry-run|enforce|paused] ' +
  '[--switch-set-at ISO-TIME] [--rerun N] [--action-prefix STACK-NAME]';

const command = {
  name: 'npm run plan',
  usage: `${USAGE}\nPrints the plan for an audit notification as JSON (exit 0), or every error (exit 2).`,
  options: {
    ...HELP_OPTION,
    notification: { type: 'string' },
    policy: { type: 'string' },
    switch: { type: 'string', default: 'dry-run' },
    'switch-set-at': { type: 'string', default: '1970-01-01T00:00:00Z' },
    rerun: { type: 'string' },
    'action-prefix': { type: 'string' },
  },
} as const;

/** A notification is a few KB per check; this bounds a mistaken file far above any real one. */
const MAX_NOTIFICATION_BYTES = 1_048_576;
/** Action names are `[a-zA-Z0-9_-]+` (IoT CreateMitigationAction), so a prefix is too. */
const ACTION_PREFIX = /^[A-Za-z0-9_-]{1,64}$/;

function fail(errors: string[]): undefined {
  for (const error of errors) console.error(error);
  process.exitCode = 2;
  return undefined;
}

/** A taskStartTime in seconds (10 digits) instead of milliseconds: say so rather than "minimum". */
function secondsInsteadOfMillis(notification: unknown): string | undefined {
  if (typeof notification !== 'object' || notification === null) return undefined;
  const body = 'detail' in notification ? (notification as { detail: unknown }).detail : notification;
  const start = (body as { taskStartTime?: unknown } | null)?.taskStartTime;
  if (typeof start === 'number' && start >= 1e8 && start < 1e11)
    return `notification: taskStartTime ${start} is in seconds; it must be epoch milliseconds (${start * 1000})`;
  return undefined;
}

function main() {
  const parsed = parseCommandLine(command);
  if (!parsed) return;
  const args = parsed.values;
  const errors: string[] = [];
  if (!args.notification)
    errors.push(`npm run plan: --notification is required (see npm run plan -- --help)`);
  if (!isSwitchValue(args.switch))
    errors.push(`--switch: "${args.switch}" is not one of dry-run, enforce, paused`);
  const switchSetAt = Date.parse(args['switch-set-at']);
  if (Number.isNaN(switchSetAt))
    errors.push(`--switch-set-at: "${args['switch-set-at']}" is not a date-time`);
  const rerun = args.rerun === undefined ? undefined : Number(args.rerun);
  if (rerun !== undefined && !Number.isSafeInteger(rerun))
    errors.push(`--rerun: "${args.rerun}" is not an integer`);
  const prefix = args['action-prefix'];
  if (prefix !== undefined && !ACTION_PREFIX.test(prefix))
    errors.push(`--action-prefix: ${JSON.stringify(prefix)} must be 1 to 64 of A-Z a-z 0-9 _ -`);
  if (errors.length > 0) return fail(errors);

  let notification: unknown;
  try {
    const { size } = statSync(args.notification!);
    if (size > MAX_NOTIFICATION_BYTES)
      return fail([
        `${args.notification}: ${size.toLocaleString('en-US')} bytes; a notification file may be at most ${MAX_NOTIFICATION_BYTES.toLocaleString('en-US')} bytes`,
      ]);
    notification = JSON.parse(readFileSync(args.notification!, 'utf8'));
  } catch (error) {
    return fail([`${args.notification}: ${(error as Error).message.split('\n')[0]}`]);
  }
  const inSeconds = secondsInsteadOfMillis(notification);
  if (inSeconds) return fail([inSeconds]);
  // The notification as IoT publishes it, or the "Audit Completed" event the planner receives.
  const audit =
    typeof notification === 'object' && notification !== null && 'detail-type' in notification
      ? parseAuditEvent(notification)
      : parseAuditNotification(notification);
  const policy = readPolicyFile(args.policy ?? DEFAULT_POLICY_YAML);
  if (!audit.ok) errors.push(...audit.issues.map((issue) => `notification: ${formatIssue(issue)}`));
  if (!policy.ok) errors.push(...policy.issues.map((issue) => `policy: ${formatIssue(issue)}`));
  if (!audit.ok || !policy.ok) return fail(errors);

  for (const warning of audit.warnings) console.error(`warning: ${warning}`);
  const plan = planRemediation(
    audit.audit,
    policy.policy,
    { value: args.switch, lastModified: switchSetAt, version: 1 },
    {
      ...(rerun === undefined ? {} : { rerun }),
      ...(prefix ? { actionNamePrefix: prefix } : {}),
    },
  );
  if (plan.kind === 'nothing-to-do' && plan.reason === 'invalid-rerun')
    return fail([`--rerun: ${plan.detail}`]);
  console.log(JSON.stringify(plan, null, 2));
  printHandOver(plan);
}

/** The plan's task as AWS CLI commands for a person, on stderr: stdout stays the plan alone. */
function printHandOver(plan: ReturnType<typeof planRemediation>): void {
  if (plan.kind !== 'plan') return;
  const result = planHandOver(plan);
  console.error(
    result.ok
      ? handOverLines(result.handOver).join('\n')
      : `no AWS CLI command for this plan: ${result.field}: ${result.error}`,
  );
}

main();
