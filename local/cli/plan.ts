/**
 * `npm run plan -- --notification FILE [--policy FILE] [--switch enforce] [--switch-set-at ISO] [--rerun N]
 *   [--action-prefix STACK]`
 * Prints the plan (or the typed "nothing to do") as JSON on stdout and exits 0, or prints every error
 * and exits 2. No AWS is needed.
 *
 * `npm run plan -- --audit-task-id ID [--region R] [--profile P] [--policy FILE | --stack NAME]
 *   [--findings [--max N]] ...`
 * Previews the plan of a real audit in your account with read-only calls only (local/cli/audit-preview.ts):
 * the preview as JSON on stdout (exit 0), a summary on stderr; or one line and exit 2 (yours to fix)
 * or 1 (AWS failed).
 */
import { readFileSync, statSync } from 'node:fs';
import { parseAuditEvent, parseAuditNotification } from '#domain/audit';
import { handOverLines, planHandOver } from '#domain/hand-over';
import { formatIssue } from '#domain/json-schema';
import { MAX_RERUN } from '#domain/names';
import { planRemediation } from '#domain/plan';
import { isSwitchValue, type RuntimeSwitch } from '#domain/switch';
import { formatCount } from '#domain/text';
import { DEFAULT_POLICY_YAML, readPolicyFile } from '../policy-file.ts';
import { HELP_OPTION, parseCommandLine, refuse } from './args.ts';
import type { AuditPreview, PolicyChoice } from './audit-preview.ts';

/** Resources `--findings` lists per check unless `--max` says otherwise. */
const DEFAULT_MAX_RESOURCES = 1_000;
/** 400 pages of 250: 80 seconds of ListAuditFindings for one check at the preview's pace. */
const MAX_RESOURCES_LIMIT = 100_000;

const USAGE = [
  'usage: npm run plan -- --notification FILE [--policy FILE] [--switch dry-run|enforce|paused] ' +
    '[--switch-set-at ISO-TIME] [--rerun N] [--action-prefix STACK-NAME]',
  '       npm run plan -- --audit-task-id ID [--region R] [--profile P] [--policy FILE | --stack NAME] ' +
    '[--switch ...] [--switch-set-at ...] [--rerun N] [--action-prefix STACK-NAME] [--findings [--max N]]',
].join('\n');

const command = {
  name: 'npm run plan',
  usage: [
    USAGE,
    'Prints the plan for an audit notification as JSON (exit 0), or every error (exit 2). No AWS is needed.',
    'With --audit-task-id: previews the plan the stack would make for a real audit in your account, with',
    'read-only calls only (IoT Describe*/List*; with --stack, CloudFormation DescribeStacks and SSM',
    'GetParameter), as JSON on stdout and a summary on stderr (exit 0); a problem is one line (exit 2: yours',
    'to fix; 1: AWS failed).',
    '  --policy FILE          the policy (default: config/default-policy.yaml)',
    "  --stack NAME           the deployed stack's policy (PolicyParameterName, or the bundled one), its",
    '                         runtime switch and its mitigation actions (<NAME>-<action>)',
    '  --switch VALUE         dry-run (default), enforce or paused; not with --stack',
    '  --switch-set-at TIME   when the switch was set (default 1970-01-01T00:00:00Z); not with --stack',
    '  --findings             list, per check to mitigate, the resources the task would act on',
    `  --max N                at most N resources a check (default ${formatCount(DEFAULT_MAX_RESOURCES)}, at most ${formatCount(MAX_RESOURCES_LIMIT)})`,
    '  --region R, --profile P   where and as whom (default: the AWS SDK default chain)',
  ].join('\n'),
  options: {
    ...HELP_OPTION,
    notification: { type: 'string' },
    'audit-task-id': { type: 'string' },
    policy: { type: 'string' },
    stack: { type: 'string' },
    switch: { type: 'string' },
    'switch-set-at': { type: 'string' },
    rerun: { type: 'string' },
    'action-prefix': { type: 'string' },
    findings: { type: 'boolean' },
    max: { type: 'string' },
    region: { type: 'string' },
    profile: { type: 'string' },
  },
} as const;

type Values = NonNullable<ReturnType<typeof parseCommandLine<typeof command.options>>>['values'];

/** A notification is a few KB per check; this bounds a mistaken file far above any real one. */
const MAX_NOTIFICATION_BYTES = 1_048_576;
/** Action names are `[a-zA-Z0-9_-]+` (IoT CreateMitigationAction), so a prefix is too. */
const ACTION_PREFIX = /^[A-Za-z0-9_-]{1,64}$/;
/** DescribeAuditTask's taskId (https://docs.aws.amazon.com/iot/latest/apireference/API_DescribeAuditTask.html). */
const AUDIT_TASK_ID = /^[a-zA-Z0-9-]{1,40}$/;
/** A CloudFormation stack name (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html). */
const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;
/** Options of one mode only. */
const AUDIT_ONLY = ['stack', 'findings', 'max', 'region', 'profile'] as const;
const NOT_WITH_STACK = ['switch', 'switch-set-at', 'action-prefix'] as const;

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

/** The options both modes share, checked: the switch, the re-run, the action prefix. */
function commonOptions(args: Values) {
  const errors: string[] = [];
  const value = args.switch ?? 'dry-run';
  if (!isSwitchValue(value)) errors.push(`--switch: "${value}" is not one of dry-run, enforce, paused`);
  const setAt = args['switch-set-at'] ?? '1970-01-01T00:00:00Z';
  const switchSetAt = Date.parse(setAt);
  if (Number.isNaN(switchSetAt)) errors.push(`--switch-set-at: "${setAt}" is not a date-time`);
  const rerun = args.rerun === undefined ? undefined : Number(args.rerun);
  if (rerun !== undefined && !Number.isSafeInteger(rerun))
    errors.push(`--rerun: "${args.rerun}" is not an integer`);
  const prefix = args['action-prefix'];
  if (prefix !== undefined && !ACTION_PREFIX.test(prefix))
    errors.push(`--action-prefix: ${JSON.stringify(prefix)} must be 1 to 64 of A-Z a-z 0-9 _ -`);
  const runtimeSwitch: RuntimeSwitch = { value, lastModified: switchSetAt, version: 1 };
  return { errors, runtimeSwitch, rerun, prefix };
}

function planNotification(args: Values & { notification: string }) {
  const { errors, runtimeSwitch, rerun, prefix } = commonOptions(args);
  if (errors.length > 0) return fail(errors);

  let notification: unknown;
  try {
    const { size } = statSync(args.notification);
    if (size > MAX_NOTIFICATION_BYTES)
      return fail([
        `${args.notification}: ${size.toLocaleString('en-US')} bytes; a notification file may be at most ${MAX_NOTIFICATION_BYTES.toLocaleString('en-US')} bytes`,
      ]);
    notification = JSON.parse(readFileSync(args.notification, 'utf8'));
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
  const plan = planRemediation(audit.audit, policy.policy, runtimeSwitch, {
    ...(rerun === undefined ? {} : { rerun }),
    ...(prefix ? { actionNamePrefix: prefix } : {}),
  });
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

async function planAudit(args: Values & { 'audit-task-id': string }): Promise<undefined> {
  const auditTaskId = args['audit-task-id'];
  if (!AUDIT_TASK_ID.test(auditTaskId))
    return refuse(
      command,
      `--audit-task-id: ${JSON.stringify(auditTaskId)} is not an audit id (1 to 40 of A-Z a-z 0-9 -)`,
    );
  const stack = args.stack;
  if (stack !== undefined) {
    if (args.policy !== undefined)
      return refuse(command, '--policy and --stack: give one (--stack plans with the policy the stack uses)');
    const given = NOT_WITH_STACK.find((option) => args[option] !== undefined);
    if (given) return refuse(command, `--${given} goes without --stack (--stack plans with the stack's own)`);
    if (!STACK_NAME.test(stack))
      return refuse(
        command,
        `--stack: ${JSON.stringify(stack)} is not a stack name (a letter, then A-Z a-z 0-9 -)`,
      );
  }
  if (args.max !== undefined && !args.findings) return refuse(command, '--max goes with --findings');
  const max = args.max === undefined ? DEFAULT_MAX_RESOURCES : Number(args.max);
  if (!(Number.isSafeInteger(max) && max >= 1 && max <= MAX_RESOURCES_LIMIT))
    return refuse(
      command,
      `--max: "${args.max}" is not a whole number from 1 to ${formatCount(MAX_RESOURCES_LIMIT)}`,
    );
  const { errors, runtimeSwitch, rerun, prefix } = commonOptions(args);
  if (errors.length > 0) return refuse(command, errors[0]!);
  if (rerun !== undefined && !(rerun >= 1 && rerun <= MAX_RERUN))
    return refuse(
      command,
      `--rerun: the re-run number must be an integer from 1 to ${MAX_RERUN}, got ${rerun}`,
    );

  // The policy first, so that a typo costs no AWS call.
  let policy: PolicyChoice;
  if (stack !== undefined) policy = { kind: 'stack', stackName: stack };
  else {
    const path = args.policy ?? DEFAULT_POLICY_YAML;
    const read = readPolicyFile(path);
    if (!read.ok) return fail(read.issues.map((issue) => `policy: ${formatIssue(issue)}`));
    policy = {
      kind: 'given',
      policy: read.policy,
      source: `file ${args.policy ?? 'config/default-policy.yaml'}`,
    };
  }
  // The planner's pieces log and count as a Lambda function does, in JSON on stdout: silent here, where
  // stdout is the preview (its record is in the plan). Set before they load: loaded only here, since
  // the notification mode needs no SDK client.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const { PreviewFailure, previewAudit, previewClients } = await import('./audit-preview.ts');
  const clients = previewClients({
    ...(args.region === undefined ? {} : { region: args.region }),
    ...(args.profile === undefined ? {} : { profile: args.profile }),
  });
  let preview: AuditPreview;
  try {
    preview = await previewAudit(clients, {
      auditTaskId,
      policy,
      runtimeSwitch,
      ...(prefix === undefined ? {} : { actionNamePrefix: prefix }),
      ...(rerun === undefined ? {} : { rerun }),
      ...(args.findings ? { findings: { max } } : {}),
    });
  } catch (error) {
    if (!(error instanceof PreviewFailure)) throw error;
    console.error(`${command.name}: ${error.message}`);
    process.exitCode = error.exitCode;
    return undefined;
  }
  for (const line of summary(preview, max)) console.error(line);
  printHandOver(preview.plan);
  console.log(JSON.stringify(preview, null, 2));
  return undefined;
}

/** What a person reads on stderr: the policy and switch used, the plan in numbers, each check's resources. */
function summary(preview: AuditPreview, max: number): string[] {
  const { plan } = preview;
  const lines = [`audit ${preview.auditTaskId}; policy: ${preview.policy}`];
  if (plan.kind === 'nothing-to-do') return [...lines, `nothing to do (${plan.reason}): ${plan.detail}`];
  const s = plan.summary;
  lines.push(
    `plan ${plan.names.executionName}: ${plan.mode.effective} (${plan.mode.reason}); ` +
      `${formatCount(s.checksToMitigate)} checks to mitigate (${formatCount(s.findingsToMitigate)} findings), ` +
      `${formatCount(s.checksHeldBack)} held back, ${formatCount(s.checksSkipped)} skipped`,
  );
  for (const [check, actions] of Object.entries(plan.auditCheckToActionsMapping)) {
    const listed = preview.findings?.[check];
    const resources =
      listed === undefined
        ? ''
        : `: ${formatCount(listed.resources.length)} resource${listed.resources.length === 1 ? '' : 's'}${listed.stoppedAtMax ? ` (stopped at --max ${formatCount(max)}; there may be more)` : ''}`;
    lines.push(`  ${check} -> ${actions.join(', ')}${resources}`);
  }
  for (const refusal of preview.plannerWouldRefuse)
    lines.push(`the stack's planner would start nothing: ${refusal}`);
  return lines;
}

async function main() {
  const parsed = parseCommandLine(command);
  if (!parsed) return;
  const args = parsed.values;
  const { notification, 'audit-task-id': auditTaskId } = args;
  if (notification !== undefined && auditTaskId !== undefined)
    return refuse(
      command,
      '--notification and --audit-task-id: give one (a notification file, or an audit in your account)',
    );
  if (auditTaskId !== undefined) return planAudit({ ...args, 'audit-task-id': auditTaskId });
  if (notification === undefined)
    return refuse(
      command,
      '--notification is required, or --audit-task-id for an audit in your account (see npm run plan -- --help)',
    );
  const audit = AUDIT_ONLY.find((option) => args[option] !== undefined);
  if (audit) return refuse(command, `--${audit} goes with --audit-task-id, not --notification`);
  return planNotification({ ...args, notification });
}

main().catch((error: Error) => {
  console.error(`${command.name}: ${error.message.split('\n')[0]}`);
  process.exitCode = 1;
});
