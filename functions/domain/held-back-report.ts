/**
 * The report of an audit whose every check to mitigate was held back by its cap: no execution starts,
 * so the state machine reports nothing, and the planner publishes this short report to the reports
 * topic instead. It names each held-back check and its cap. Check names come from DescribeAuditTask
 * and are escaped with the shared helper (text.ts) like every untrusted text; the rest is the
 * planner's own text (audit ids and action names are validated patterns).
 */
import type { Audit } from './audit.ts';
import type { CheckDecision, HeldBackBy, NothingToDo } from './plan.ts';
import { iso } from './switch.ts';
import { asciiJson, escapeText, formatCount, snsSubject } from './text.ts';

/** The most UTF-8 bytes of a check name in the report (escaped). */
const NAME_BYTES = 256;

export const HELD_BACK_REPORT_KIND = 'all-held-back';

export interface HeldBackCheck {
  readonly checkName: string;
  readonly cap: HeldBackBy;
  readonly nonCompliantResourcesCount: number;
  readonly totalResourcesCount: number;
  readonly actions: readonly string[];
  readonly detail: string;
}

export interface HeldBackSummary {
  readonly kind: typeof HELD_BACK_REPORT_KIND;
  readonly auditTaskId: string;
  readonly auditStartTime: string;
  readonly heldBack: readonly HeldBackCheck[];
  readonly policyDigest: string;
}

/** The held-back checks of a plan's decisions. */
export function heldBackChecks(decisions: readonly CheckDecision[]): HeldBackCheck[] {
  return decisions.flatMap((d) =>
    d.outcome === 'hold-back'
      ? [
          {
            checkName: d.checkName,
            cap: d.cap,
            nonCompliantResourcesCount: d.nonCompliantResourcesCount,
            totalResourcesCount: d.totalResourcesCount,
            actions: d.actions,
            detail: d.detail,
          },
        ]
      : [],
  );
}

/** Is this "nothing to do" an audit whose every check to mitigate was held back? */
export function everyCheckHeldBack(plan: NothingToDo): boolean {
  return plan.reason === 'no-check-to-mitigate' && plan.decisions.some((d) => d.outcome === 'hold-back');
}

export function heldBackReport(
  plan: NothingToDo,
  audit: Audit,
): { subject: string; message: string; report: string; summary: HeldBackSummary } {
  const heldBack = heldBackChecks(plan.decisions);
  const summary: HeldBackSummary = {
    kind: HELD_BACK_REPORT_KIND,
    auditTaskId: audit.auditTaskId,
    auditStartTime: iso(audit.taskStartTime),
    heldBack: heldBack.map((check) => ({ ...check, checkName: escapeText(check.checkName, NAME_BYTES) })),
    policyDigest: plan.policyDigest,
  };
  const lines = [
    `Device Defender remediation of audit ${audit.auditTaskId}: every check to mitigate was held back by its cap; nothing started`,
    '',
    `The audit (started ${summary.auditStartTime}) has non-compliant checks the policy mitigates, but each is above its cap, so it was held back, never trimmed. No mitigation task was started and nothing in the fleet changed.`,
    '',
    'Held back (above a cap, not mitigated):',
    ...heldBack.map(
      (check) =>
        `- ${escapeText(check.checkName, NAME_BYTES)}: ${formatCount(check.nonCompliantResourcesCount)} non-compliant of ${formatCount(check.totalResourcesCount)} resources, above ${check.cap.name} ${formatCount(check.cap.value)} (actions ${check.actions.join(', ')})`,
    ),
    '',
    `To act on them: look at the findings (aws iot list-audit-findings --task-id ${audit.auditTaskId}), raise the cap in the policy if that many changes are meant, then re-run the audit (npm run rerun -- --audit-task-id ${audit.auditTaskId} --rerun <n>).`,
  ];
  return {
    subject: snsSubject(`Device Defender remediation: audit ${audit.auditTaskId} held back by its caps`),
    message: lines.join('\n'),
    // For machines, apart from the text (a name cannot forge it): the message attribute `report`.
    report: asciiJson(summary),
    summary,
  };
}
