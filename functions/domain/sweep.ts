/**
 * The sweep's pure parts: which window of audits to look at, and reading what invoked the function:
 * the sweep schedule's own input, an operator's "Audit Remediation Requested" event (detail:
 * auditTaskId, rerun n, optional force and requestedBy), or anything else. Like every event, a re-run
 * request only names an audit: what is planned comes from DescribeAuditTask.
 */
import { AUDIT_EVENT_SOURCE, AUDIT_TASK_ID_PATTERN } from './audit.ts';
import { type JsonSchema, type ValidationIssue, validate } from './json-schema.ts';
import { MAX_RERUN } from './names.ts';

export const RERUN_DETAIL_TYPE = 'Audit Remediation Requested';
/**
 * The Input of the template's SweepSchedule, exactly: only this event is a scheduled sweep, the one
 * that emits SCHEDULED_SWEEP_METRIC (which ScheduledSweepMissedAlarm watches).
 */
export const SWEEP_SCHEDULE_INPUT = { trigger: 'sweep-schedule' } as const;
/** Emitted once per sweep the schedule triggered; its absence for two rates is an alarm. */
export const SCHEDULED_SWEEP_METRIC = 'ScheduledSweepRan';
/** ListAuditTasks refuses a start more than 90 days back (https://docs.aws.amazon.com/iot/latest/apireference/API_ListAuditTasks.html). */
export const MAX_SWEEP_WINDOW_HOURS = 89 * 24;

export function sweepWindow(now: Date, windowHours: number): { startTime: Date; endTime: Date } {
  const hours = Number.isFinite(windowHours)
    ? Math.min(Math.max(windowHours, 1), MAX_SWEEP_WINDOW_HOURS)
    : 48;
  return { startTime: new Date(now.getTime() - hours * 3_600_000), endTime: now };
}

export type SweepRequest =
  /** The sweep schedule's own input. */
  | { readonly kind: 'schedule' }
  /** Neither the schedule's input nor a re-run request: swept all the same, but not counted as scheduled. */
  | { readonly kind: 'sweep' }
  | {
      readonly kind: 'rerun';
      readonly auditTaskId: string;
      readonly rerun: number;
      /** Lift the limit of re-runs a day (rerun-budget.ts); the plan records it. */
      readonly force: boolean;
      /** Who asked, as the request says: not authenticated (CloudTrail's PutEvents entry is). */
      readonly requestedBy?: string;
    }
  | { readonly kind: 'invalid'; readonly issues: readonly ValidationIssue[] };

const rerunDetailSchema: JsonSchema = {
  type: 'object',
  required: ['auditTaskId', 'rerun'],
  additionalProperties: false,
  properties: {
    auditTaskId: { type: 'string', pattern: AUDIT_TASK_ID_PATTERN },
    rerun: { type: 'integer', minimum: 1, maximum: MAX_RERUN },
    // An IAM ARN is at most 2,048 characters
    // (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
    requestedBy: { type: 'string', maxLength: 2048 },
    force: { type: 'boolean' },
  },
};

/** Is the event exactly the schedule's Input (EventBridge Scheduler delivers it as the event)? */
export function isSweepScheduleInput(event: unknown): boolean {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
  const keys = Object.keys(event);
  return (
    keys.length === 1 &&
    keys[0] === 'trigger' &&
    (event as Record<string, unknown>).trigger === SWEEP_SCHEDULE_INPUT.trigger
  );
}

/**
 * The schedule's own input is a scheduled sweep; our re-run event is a re-run (or invalid); anything
 * else is still swept (a sweep is idempotent and harmless) but is not the schedule.
 */
export function parseRerunRequest(event: unknown): SweepRequest {
  if (isSweepScheduleInput(event)) return { kind: 'schedule' };
  const e = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  if (e['detail-type'] !== RERUN_DETAIL_TYPE) return { kind: 'sweep' };
  const issues: ValidationIssue[] = [];
  if (e.source !== AUDIT_EVENT_SOURCE)
    issues.push({
      path: 'source',
      message: `expected ${JSON.stringify(AUDIT_EVENT_SOURCE)}, got ${JSON.stringify(e.source)}`,
    });
  issues.push(...validate(rerunDetailSchema, e.detail, 'detail'));
  if (issues.length > 0) return { kind: 'invalid', issues };
  const detail = e.detail as { auditTaskId: string; rerun: number; force?: boolean; requestedBy?: string };
  return {
    kind: 'rerun',
    auditTaskId: detail.auditTaskId,
    rerun: detail.rerun,
    force: detail.force === true,
    ...(detail.requestedBy === undefined ? {} : { requestedBy: detail.requestedBy }),
  };
}
