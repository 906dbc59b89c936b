/**
 * "A completed audit", normalised from either of its two sources: the SNS audit notification
 * (bare, or as `detail.notification` of the stack's "Audit Completed" event) and
 * DescribeAuditTask's answer. Parsing never throws: it returns issues with paths.
 *
 * Only DescribeAuditTask's answer is planned from. An event is put on the bus by whoever may call
 * PutEvents and carries no authenticated identity, so it only names the audit (its id, and the
 * account it claims); the planner and the sweep read status, start time and counts from AWS
 * (functions/aws/remediate.ts). `auditDisagreements` says where an event's claims differ.
 */
import { resolveCheckName } from './catalogue.ts';
import { childPath, describeValue, type JsonSchema, type ValidationIssue, validate } from './json-schema.ts';

export const AUDIT_EVENT_SOURCE = 'custom.devicedefender';
export const AUDIT_COMPLETED_DETAIL_TYPE = 'Audit Completed';

export const AUDIT_TASK_STATUSES = ['IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELED'] as const;
export const AUDIT_TASK_TYPES = ['ON_DEMAND_AUDIT_TASK', 'SCHEDULED_AUDIT_TASK'] as const;
export const CHECK_RUN_STATUSES = [
  'IN_PROGRESS',
  'WAITING_FOR_DATA_COLLECTION',
  'CANCELED',
  'COMPLETED_COMPLIANT',
  'COMPLETED_NON_COMPLIANT',
  'FAILED',
] as const;
const CHECK_ERROR_CODES = ['INSUFFICIENT_PERMISSIONS', 'AUDIT_CHECK_DISABLED'];

export type AuditTaskStatus = (typeof AUDIT_TASK_STATUSES)[number];
export type AuditTaskType = (typeof AUDIT_TASK_TYPES)[number];
export type CheckRunStatus = (typeof CHECK_RUN_STATUSES)[number];

/** Audit task ids (https://docs.aws.amazon.com/iot/latest/apireference/API_DescribeAuditTask.html): no underscore, at most 40 characters. */
export const AUDIT_TASK_ID_PATTERN = '^[a-zA-Z0-9-]{1,40}$';

/**
 * The most checks an audit answer may hold: Device Defender has 17 audit checks (catalogue.ts); the
 * rest is room for checks AWS adds. An answer with more is refused, never planned.
 */
export const MAX_AUDIT_CHECKS = 100;

export interface AuditCheckResult {
  /** The API name; legacy aliases are already normalised. */
  readonly checkName: string;
  /** False for a name the catalogue does not know: kept, flagged, never acted on. */
  readonly known: boolean;
  readonly checkRunStatus: CheckRunStatus;
  readonly nonCompliantResourcesCount: number;
  readonly totalResourcesCount: number;
  readonly suppressedNonCompliantResourcesCount?: number;
  readonly errorCode?: string;
  readonly message?: string;
}

export interface Audit {
  readonly auditTaskId: string;
  /** Absent when the audit came from DescribeAuditTask, which does not say. */
  readonly accountId?: string;
  readonly taskStatus: AuditTaskStatus;
  readonly taskType: AuditTaskType;
  readonly scheduledAuditName?: string;
  /** Epoch milliseconds, whatever the source's unit. */
  readonly taskStartTime: number;
  readonly checks: readonly AuditCheckResult[];
}

export type AuditSource = 'notification' | 'describe-audit-task';

export type AuditParseResult =
  | {
      readonly ok: true;
      readonly audit: Audit;
      readonly source: AuditSource;
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

const count: JsonSchema = { type: 'integer', minimum: 0 };
// Epoch milliseconds from 2001 on: a value in seconds would otherwise date the audit to 1970.
const epochMillis: JsonSchema = {
  type: 'integer',
  minimum: 1_000_000_000_000,
  description: 'Epoch milliseconds',
};

/** The audit notification as Device Defender publishes it (docs/aws-facts/planner-inputs.md); extra fields are tolerated. */
export const auditNotificationSchema: JsonSchema = {
  type: 'object',
  required: [
    'accountId',
    'taskId',
    'taskStatus',
    'taskType',
    'failedChecksCount',
    'canceledChecksCount',
    'nonCompliantChecksCount',
    'compliantChecksCount',
    'totalChecksCount',
    'taskStartTime',
    'auditDetails',
  ],
  properties: {
    accountId: { type: 'string', pattern: '^[0-9]{12}$' },
    taskId: { type: 'string', pattern: AUDIT_TASK_ID_PATTERN },
    taskStatus: { type: 'string', enum: ['COMPLETED', 'FAILED', 'CANCELED'] },
    taskType: { type: 'string', enum: AUDIT_TASK_TYPES },
    scheduledAuditName: { type: 'string', minLength: 1, maxLength: 128 },
    failedChecksCount: count,
    canceledChecksCount: count,
    nonCompliantChecksCount: count,
    compliantChecksCount: count,
    totalChecksCount: count,
    taskStartTime: epochMillis,
    auditDetails: {
      type: 'array',
      items: {
        type: 'object',
        required: ['checkName', 'checkRunStatus', 'nonCompliantResourcesCount', 'totalResourcesCount'],
        properties: {
          checkName: { type: 'string', minLength: 1 },
          checkRunStatus: {
            type: 'string',
            enum: ['FAILED', 'CANCELED', 'COMPLETED_COMPLIANT', 'COMPLETED_NON_COMPLIANT'],
          },
          nonCompliantResourcesCount: count,
          totalResourcesCount: count,
          suppressedNonCompliantResourcesCount: count,
          message: { type: 'string' },
          errorCode: { type: 'string', enum: CHECK_ERROR_CODES },
        },
      },
    },
  },
};

/** DescribeAuditTask's answer as the SDK returns it (timestamps as Date) or as JSON (epoch seconds). */
const describeAuditTaskSchema: JsonSchema = {
  type: 'object',
  required: ['taskStatus', 'taskType', 'taskStartTime', 'auditDetails'],
  properties: {
    taskStatus: { type: 'string', enum: AUDIT_TASK_STATUSES },
    taskType: { type: 'string', enum: AUDIT_TASK_TYPES },
    scheduledAuditName: { type: 'string', minLength: 1, maxLength: 128 },
    auditDetails: {
      type: 'object',
      propertyNames: { type: 'string', minLength: 1 },
      additionalProperties: {
        type: 'object',
        required: ['checkRunStatus'],
        properties: {
          checkRunStatus: { type: 'string', enum: CHECK_RUN_STATUSES },
          checkCompliant: { type: 'boolean' },
          totalResourcesCount: count,
          nonCompliantResourcesCount: count,
          suppressedNonCompliantResourcesCount: count,
          errorCode: { type: 'string', enum: CHECK_ERROR_CODES },
          message: { type: 'string' },
        },
      },
    },
  },
};

type RawCheck = {
  checkName: string;
  checkRunStatus: CheckRunStatus;
  nonCompliantResourcesCount?: number;
  totalResourcesCount?: number;
  suppressedNonCompliantResourcesCount?: number;
  errorCode?: string;
  message?: string;
};

/** Normalises check names, flags unknown ones and rejects a check reported twice (e.g. under an alias). */
function normaliseChecks(
  raw: readonly { check: RawCheck; path: string }[],
  warnings: string[],
  issues: ValidationIssue[],
): AuditCheckResult[] {
  const seenAt = new Map<string, string>();
  const checks: AuditCheckResult[] = [];
  for (const { check, path } of raw) {
    const resolution = resolveCheckName(check.checkName);
    if (resolution.kind === 'legacy')
      warnings.push(`${path}: legacy check name ${resolution.legacyName} read as ${resolution.name}`);
    if (resolution.kind === 'unknown')
      warnings.push(`${path}: unknown check ${describeValue(check.checkName)} kept but never acted on`);
    const earlier = seenAt.get(resolution.name);
    if (earlier !== undefined) {
      issues.push({ path, message: `check ${resolution.name} is reported twice (also at ${earlier})` });
      continue;
    }
    seenAt.set(resolution.name, path);
    checks.push({
      checkName: resolution.name,
      known: resolution.kind !== 'unknown',
      checkRunStatus: check.checkRunStatus,
      nonCompliantResourcesCount: check.nonCompliantResourcesCount ?? 0,
      totalResourcesCount: check.totalResourcesCount ?? 0,
      ...(check.suppressedNonCompliantResourcesCount === undefined
        ? {}
        : { suppressedNonCompliantResourcesCount: check.suppressedNonCompliantResourcesCount }),
      ...(check.errorCode === undefined ? {} : { errorCode: check.errorCode }),
      ...(check.message === undefined ? {} : { message: check.message }),
    });
  }
  return checks;
}

/** Parses the bare audit notification object (or its JSON text). */
export function parseAuditNotification(input: unknown, path = ''): AuditParseResult {
  const decoded = decodeJsonText(input, path);
  if (!decoded.ok) return decoded;
  const notification = decoded.value;
  const issues = validate(auditNotificationSchema, notification, path);
  if (issues.length > 0) return { ok: false, issues };

  const n = notification as {
    accountId: string;
    taskId: string;
    taskStatus: AuditTaskStatus;
    taskType: AuditTaskType;
    scheduledAuditName?: string;
    taskStartTime: number;
    auditDetails: RawCheck[];
  };
  const warnings: string[] = [];
  const detailsPath = childPath(path, 'auditDetails');
  const checks = normaliseChecks(
    n.auditDetails.map((check, index) => ({ check, path: childPath(detailsPath, index) })),
    warnings,
    issues,
  );
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    source: 'notification',
    warnings,
    audit: {
      auditTaskId: n.taskId,
      accountId: n.accountId,
      taskStatus: n.taskStatus,
      taskType: n.taskType,
      ...(n.scheduledAuditName === undefined ? {} : { scheduledAuditName: n.scheduledAuditName }),
      taskStartTime: n.taskStartTime,
      checks,
    },
  };
}

/**
 * Parses the "Audit Completed" event as the stack's Pipe puts it on the bus: the SQS body (the
 * notification, raw delivery) wrapped as `{"notification": <$.body>}`, so `detail.notification` is the
 * notification object (docs/aws-facts/eventbridge.md: a bare `<$.body>` would fail delivery). No other
 * source invokes the planner, so no other shape is read; `parseAuditNotification` reads a bare one.
 */
export function parseAuditEvent(input: unknown): AuditParseResult {
  if (!isRecord(input))
    return { ok: false, issues: [{ path: '', message: `expected an object, got ${describeValue(input)}` }] };
  const issues: ValidationIssue[] = [];
  if (input.source !== AUDIT_EVENT_SOURCE)
    issues.push({
      path: 'source',
      message: `expected ${JSON.stringify(AUDIT_EVENT_SOURCE)}, got ${describeValue(input.source)}`,
    });
  if (input['detail-type'] !== AUDIT_COMPLETED_DETAIL_TYPE)
    issues.push({
      path: 'detail-type',
      message: `expected ${JSON.stringify(AUDIT_COMPLETED_DETAIL_TYPE)}, got ${describeValue(input['detail-type'])}`,
    });
  if (!isRecord(input.detail))
    issues.push({
      path: 'detail',
      message: `expected {"notification": <the audit notification>}, got ${describeValue(input.detail)}`,
    });
  else if (!('notification' in input.detail))
    issues.push({
      path: 'detail.notification',
      message: 'is required (the Pipe puts the notification there)',
    });
  if (issues.length > 0) return { ok: false, issues };
  const notification = (input.detail as Record<string, unknown>).notification;
  if (!isRecord(notification))
    return {
      ok: false,
      issues: [
        { path: 'detail.notification', message: `expected an object, got ${describeValue(notification)}` },
      ],
    };
  return parseAuditNotification(notification, 'detail.notification');
}

/** Builds the audit from DescribeAuditTask's answer (the sweep's source). */
export function auditFromDescribeAuditTask(auditTaskId: string, response: unknown): AuditParseResult {
  const issues: ValidationIssue[] = [];
  const idIssues = validate({ type: 'string', pattern: AUDIT_TASK_ID_PATTERN }, auditTaskId, 'taskId');
  if (!isRecord(response)) {
    return {
      ok: false,
      issues: [...idIssues, { path: '', message: `expected an object, got ${describeValue(response)}` }],
    };
  }
  const { taskStartTime, ...rest } = response;
  const startMillis = epochMillisFromApi(taskStartTime);
  issues.push(...idIssues, ...validate(describeAuditTaskSchema, { ...rest, taskStartTime: 0 }));
  if (startMillis === undefined)
    issues.push({
      path: 'taskStartTime',
      message: `expected a Date or epoch seconds, got ${describeValue(taskStartTime)}`,
    });
  if (issues.length > 0 || startMillis === undefined) return { ok: false, issues };

  const r = response as {
    taskStatus: AuditTaskStatus;
    taskType: AuditTaskType;
    scheduledAuditName?: string;
    auditDetails: Record<string, Omit<RawCheck, 'checkName'>>;
  };
  const checkCount = Object.keys(r.auditDetails).length;
  if (checkCount > MAX_AUDIT_CHECKS)
    return {
      ok: false,
      issues: [
        { path: 'auditDetails', message: `expected at most ${MAX_AUDIT_CHECKS} checks, got ${checkCount}` },
      ],
    };
  const warnings: string[] = [];
  const checks = normaliseChecks(
    Object.entries(r.auditDetails).map(([checkName, details]) => ({
      check: { ...details, checkName },
      path: childPath('auditDetails', checkName),
    })),
    warnings,
    issues,
  );
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    source: 'describe-audit-task',
    warnings,
    audit: {
      auditTaskId,
      taskStatus: r.taskStatus,
      taskType: r.taskType,
      ...(r.scheduledAuditName === undefined ? {} : { scheduledAuditName: r.scheduledAuditName }),
      taskStartTime: startMillis,
      checks,
    },
  };
}

/**
 * Where an event's claims about an audit differ from what DescribeAuditTask answered: its status,
 * start time and per-check counts. Nothing is planned from the claims; a difference is logged (a
 * forged or replayed event, or a notification sent before the counts settled).
 */
export function auditDisagreements(claimed: Audit, described: Audit): string[] {
  const differences: string[] = [];
  const differ = (what: string, claim: unknown, answer: unknown) => {
    if (claim !== answer)
      differences.push(`${what}: the event says ${JSON.stringify(claim)}, AWS ${JSON.stringify(answer)}`);
  };
  differ('taskStatus', claimed.taskStatus, described.taskStatus);
  differ('taskStartTime', claimed.taskStartTime, described.taskStartTime);
  const answered = new Map(described.checks.map((check) => [check.checkName, check]));
  for (const check of claimed.checks) {
    const answer = answered.get(check.checkName);
    if (!answer) {
      differences.push(`${check.checkName}: in the event, not in AWS's answer`);
      continue;
    }
    differ(`${check.checkName}.checkRunStatus`, check.checkRunStatus, answer.checkRunStatus);
    differ(
      `${check.checkName}.nonCompliantResourcesCount`,
      check.nonCompliantResourcesCount,
      answer.nonCompliantResourcesCount,
    );
    differ(`${check.checkName}.totalResourcesCount`, check.totalResourcesCount, answer.totalResourcesCount);
  }
  const claimedNames = new Set(claimed.checks.map((check) => check.checkName));
  for (const check of described.checks)
    if (!claimedNames.has(check.checkName))
      differences.push(`${check.checkName}: in AWS's answer, not in the event`);
  return differences;
}

/** API timestamps: a Date from the SDK, or epoch seconds (with a fraction) from raw JSON. */
function epochMillisFromApi(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.round(value * 1000);
  return undefined;
}

function decodeJsonText(
  input: unknown,
  path: string,
): { ok: true; value: unknown } | { ok: false; issues: ValidationIssue[] } {
  if (typeof input !== 'string') return { ok: true, value: input };
  try {
    return { ok: true, value: JSON.parse(input) };
  } catch (error) {
    return { ok: false, issues: [{ path, message: `not valid JSON (${(error as Error).message})` }] };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
