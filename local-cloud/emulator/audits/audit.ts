/**
 * Audits: an audit task with its checks and, per check, the findings, either listed or from a lazy
 * source. Fixtures declare them; on-demand and scheduled audits derive them from the fleet and stay
 * IN_PROGRESS until their end time, their results hidden until then.
 */
import type { AuditCheckRunStatus, AuditTaskStatus, AuditTaskType } from '@aws-sdk/client-iot';
import { auditCheck } from '../facts/audit-checks.ts';
import { type CheckFindings, findingsFromArray, type StoredFinding } from './findings.ts';

/** A finding as a fixture declares it; omitted fields are filled from the check's facts (facts/audit-checks.ts). */
export type FindingFixture = Partial<Omit<StoredFinding, 'nonCompliantResource'>> &
  Pick<StoredFinding, 'nonCompliantResource'>;

export interface CheckFixture {
  readonly findings?: readonly FindingFixture[] | CheckFindings;
  readonly totalResourcesCount?: number;
  /** Defaults to COMPLETED_NON_COMPLIANT with findings, COMPLETED_COMPLIANT without. */
  readonly checkRunStatus?: AuditCheckRunStatus;
  readonly errorCode?: 'INSUFFICIENT_PERMISSIONS' | 'AUDIT_CHECK_DISABLED';
  readonly message?: string;
}

export interface AuditFixture {
  readonly taskId: string;
  readonly taskType?: AuditTaskType;
  readonly taskStatus?: AuditTaskStatus;
  readonly scheduledAuditName?: string | undefined;
  /** Epoch ms; defaults to the clock's now when added. */
  readonly taskStartTime?: number;
  readonly checks: Readonly<Record<string, CheckFixture>>;
}

export interface AuditCheck {
  readonly checkName: string;
  readonly findings: CheckFindings;
  readonly totalResourcesCount: number;
  readonly checkRunStatus: AuditCheckRunStatus;
  readonly errorCode?: string;
  readonly message?: string;
}

export interface Audit {
  readonly taskId: string;
  readonly taskType: AuditTaskType;
  /** The status once the audit has ended (a fixture's declared status). */
  readonly taskStatus: AuditTaskStatus;
  readonly scheduledAuditName?: string;
  readonly taskStartTime: number;
  readonly checks: readonly AuditCheck[];
  /** Epoch ms when the audit ends. */
  readonly endMs: number;
  canceledAtMs?: number;
}

/** The audit's status at `nowMs`. */
export function auditStatus(audit: Audit, nowMs: number): AuditTaskStatus {
  if (audit.canceledAtMs !== undefined) return 'CANCELED';
  return nowMs < audit.endMs ? 'IN_PROGRESS' : audit.taskStatus;
}

/** A check's run status at `nowMs`: its result once the audit has ended. */
export function checkRunStatus(audit: Audit, check: AuditCheck, nowMs: number): AuditCheckRunStatus {
  if (audit.canceledAtMs !== undefined) return 'CANCELED';
  return nowMs < audit.endMs ? 'IN_PROGRESS' : check.checkRunStatus;
}

/** Findings and counts exist once the audit has ended, and never for a canceled one. */
export function resultsVisible(audit: Audit, nowMs: number): boolean {
  return audit.canceledAtMs === undefined && nowMs >= audit.endMs;
}

/**
 * When the audit reports its findings: its end. Suppressions in force then decide which of its findings
 * are suppressed, for good (suppressions.ts).
 */
export function reportedAt(audit: Audit): number {
  return audit.endMs;
}

/** `endMs` defaults to `nowMs`: a fixture has ended when it is added. */
export function auditFromFixture(fixture: AuditFixture, nowMs: number, endMs = nowMs): Audit {
  const checks = Object.entries(fixture.checks).map(([checkName, check]): AuditCheck => {
    const findings = isSource(check.findings)
      ? check.findings
      : findingsFromArray(
          (check.findings ?? []).map((f, i) => completeFinding(fixture.taskId, checkName, f, i)),
        );
    return {
      checkName,
      findings,
      totalResourcesCount: check.totalResourcesCount ?? Math.max(findings.count, 1),
      checkRunStatus:
        check.checkRunStatus ?? (findings.count > 0 ? 'COMPLETED_NON_COMPLIANT' : 'COMPLETED_COMPLIANT'),
      ...(check.errorCode && { errorCode: check.errorCode }),
      ...(check.message && { message: check.message }),
    };
  });
  return {
    taskId: fixture.taskId,
    taskType:
      fixture.taskType ?? (fixture.scheduledAuditName ? 'SCHEDULED_AUDIT_TASK' : 'ON_DEMAND_AUDIT_TASK'),
    taskStatus: fixture.taskStatus ?? 'COMPLETED',
    ...(fixture.scheduledAuditName && { scheduledAuditName: fixture.scheduledAuditName }),
    taskStartTime: fixture.taskStartTime ?? nowMs,
    checks,
    endMs,
  };
}

function isSource(findings: CheckFixture['findings']): findings is CheckFindings {
  return findings !== undefined && !Array.isArray(findings);
}

function completeFinding(
  auditId: string,
  checkName: string,
  fixture: FindingFixture,
  index: number,
): StoredFinding {
  const check = auditCheck(checkName);
  return {
    ...fixture,
    findingId: fixture.findingId ?? `${auditId}-${checkName.toLowerCase().replaceAll('_', '-')}-${index + 1}`,
    checkName,
    severity: fixture.severity ?? check?.severity ?? 'LOW',
    reasonForNonComplianceCode: fixture.reasonForNonComplianceCode ?? check?.reasonCodes[0] ?? 'UNKNOWN',
  };
}
