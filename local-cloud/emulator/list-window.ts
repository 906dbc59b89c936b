/**
 * The `startTime` / `endTime` window of ListAuditTasks, ListAuditFindings and
 * ListAuditMitigationActionsTasks. "Audit information is retained for a limited time (90 days).
 * Requesting a start time prior to what is retained results in an 'InvalidRequestException'":
 * https://docs.aws.amazon.com/iot/latest/apireference/API_ListAuditTasks.html
 */
import { invalidRequest } from './errors.ts';

const RETENTION_MS = 90 * 24 * 3600 * 1000;

/** Refuses a window that starts before the retention or ends before it starts. */
export function checkWindow(startTime: Date, endTime: Date, nowMs: number): void {
  if (startTime.getTime() < nowMs - RETENTION_MS) {
    throw invalidRequest('startTime must be within the last 90 days');
  }
  if (endTime.getTime() < startTime.getTime()) throw invalidRequest('endTime must not be before startTime');
}

export function inWindow(ms: number, start: Date, end: Date): boolean {
  return ms >= start.getTime() && ms <= end.getTime();
}
