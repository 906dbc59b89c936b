/**
 * The sweep's pure parts: which window of audits to look at, and reading an operator's
 * "Audit Remediation Requested" event (detail: auditTaskId, rerun n).
 */
import { AUDIT_EVENT_SOURCE, AUDIT_TASK_ID_PATTERN } from './audit.js';
import { type JsonSchema, type ValidationIssue, validate } from './json-schema.js';
import { MAX_RERUN } from './names.js';

export const RERUN_DETAIL_TYPE = 'Audit Remediation Requested';
/** ListAuditTasks refuses a start more than 90 days back (reference 3.1). */
export const MAX_SWEEP_WINDOW_HOURS = 89 * 24;

export function sweepWindow(now: Date, windowHours: number): { startTime: Date; endTime: Date } {
  const hours = Number.isFinite(windowHours)
    ? Math.min(Math.max(windowHours, 1), MAX_SWEEP_WINDOW_HOURS)
    : 48;
  return { startTime: new Date(now.getTime() - hours * 3_600_000), endTime: now };
}

export type SweepRequest =
  | { readonly kind: 'schedule' }
  | { readonly kind: 'rerun'; readonly auditTaskId: string; readonly rerun: number }
  | { readonly kind: 'invalid'; readonly issues: readonly ValidationIssue[] };

const rerunDetailSchema: JsonSchema = {
  type: 'object',
  required: ['auditTaskId', 'rerun'],
  additionalProperties: false,
  properties: {
    auditTaskId: { type: 'string', pattern: AUDIT_TASK_ID_PATTERN },
    rerun: { type: 'integer', minimum: 1, maximum: MAX_RERUN },
    requestedBy: { type: 'string', maxLength: 256 },
  },
};

/** Anything that is not our re-run event is the schedule (EventBridge Scheduler sends its own input). */
export function parseRerunRequest(event: unknown): SweepRequest {
  const e = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  if (e['detail-type'] !== RERUN_DETAIL_TYPE) return { kind: 'schedule' };
  const issues: ValidationIssue[] = [];
  if (e.source !== AUDIT_EVENT_SOURCE)
    issues.push({
      path: 'source',
      message: `expected ${JSON.stringify(AUDIT_EVENT_SOURCE)}, got ${JSON.stringify(e.source)}`,
    });
  issues.push(...validate(rerunDetailSchema, e.detail, 'detail'));
  if (issues.length > 0) return { kind: 'invalid', issues };
  const detail = e.detail as { auditTaskId: string; rerun: number };
  return { kind: 'rerun', auditTaskId: detail.auditTaskId, rerun: detail.rerun };
}
