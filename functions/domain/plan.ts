/**
 * The remediation planner: a completed audit + the policy + the runtime switch -> one mitigation
 * plan, or a typed "nothing to do". Pure and deterministic; the plan's size depends on the number of
 * checks, never on the number of findings.
 */
import type { Audit, AuditCheckResult } from './audit.ts';
import { checkCatalogue } from './catalogue.ts';
import type { LoopGuardRecord } from './loop-guard.ts';
import { approvedTaskName, MAX_RERUN, type RunNames, runNames } from './names.ts';
import { effectiveCaps, type Policy, type PolicyMode, type PolicyRule, policyDigest } from './policy.ts';
import { decideMode, type EffectiveMode, iso, type RuntimeSwitch } from './switch.ts';
import { checksToVerify } from './verification.ts';

export type SkipReason =
  | 'unknown-check'
  | 'not-in-policy'
  | 'rule-disabled'
  | 'not-non-compliant'
  | 'no-findings'
  | 'all-suppressed'
  | 'loop-guard';
export type HoldReason = 'above-max-findings' | 'above-max-percent';

interface DecisionBase {
  readonly checkName: string;
  readonly nonCompliantResourcesCount: number;
  readonly totalResourcesCount: number;
  readonly suppressedNonCompliantResourcesCount?: number;
  /** Why, for a person reading the report. */
  readonly detail: string;
}

export type CheckDecision =
  // A mitigated check's reason codes and actions are in the plan's target and actions mapping.
  | (DecisionBase & { readonly outcome: 'mitigate' })
  | (DecisionBase & { readonly outcome: 'skip'; readonly reason: SkipReason })
  | (DecisionBase & {
      readonly outcome: 'hold-back';
      readonly reason: HoldReason;
      readonly actions: readonly string[];
      /** The cap the check is above. */
      readonly cap: HeldBackBy;
    });

/** The cap a held-back check is above, and its value. */
export interface HeldBackBy {
  readonly name: 'maxFindings' | 'maxPercent';
  readonly value: number;
}

export interface ModeRecord {
  readonly effective: EffectiveMode;
  readonly policy: PolicyMode;
  readonly switch: { readonly value: string; readonly lastModified: string; readonly version: number };
  readonly reason: string;
}

export interface MitigationTarget {
  readonly auditTaskId: string;
  readonly auditCheckToReasonCodeFilter: Readonly<Record<string, readonly string[]>>;
}

export interface RemediationPlan {
  readonly kind: 'plan';
  readonly auditTaskId: string;
  readonly accountId?: string;
  readonly auditStartTime: string;
  readonly mode: ModeRecord;
  readonly names: RunNames;
  readonly rerun?: number;
  /**
   * Who asked for the re-run, as the request says (npm run rerun: the caller's STS identity). An event
   * carries no authenticated identity: CloudTrail's PutEvents entry is the authoritative record.
   */
  readonly requestedBy?: string;
  /** The operator lifted the limit of re-runs a day (`--force`). */
  readonly rerunForced?: true;
  readonly target: MitigationTarget;
  readonly auditCheckToActionsMapping: Readonly<Record<string, readonly string[]>>;
  readonly decisions: readonly CheckDecision[];
  readonly policyDigest: string;
  /**
   * The checks the state machine audits again after an enforced task COMPLETED, to show what it fixed
   * (functions/domain/verification.ts); absent when the policy says `verify: false` or no mitigated
   * check has a fixing action.
   */
  readonly verification?: { readonly checks: readonly string[] };
  /** The loop guard's finding (functions/domain/loop-guard.ts); absent when it is off or did not run. */
  readonly loopGuard?: LoopGuardRecord;
  /**
   * Under enforce, the checks a cap held back, which an operator may approve (functions/domain/approval.ts):
   * the execution waits for the approval after its own task and runs the approved ones as task `taskId`.
   */
  readonly approval?: ApprovalSection;
  readonly summary: {
    readonly checksToMitigate: number;
    readonly findingsToMitigate: number;
    readonly checksHeldBack: number;
    readonly checksSkipped: number;
  };
}

/** What an approval may start: the held-back checks' reason codes and actions, as the task would take them. */
export interface ApprovalSection {
  readonly checks: readonly string[];
  readonly taskId: string;
  readonly auditCheckToReasonCodeFilter: Readonly<Record<string, readonly string[]>>;
  readonly auditCheckToActionsMapping: Readonly<Record<string, readonly string[]>>;
}

export type NothingToDoReason = 'audit-not-completed' | 'paused' | 'no-check-to-mitigate' | 'invalid-rerun';

export interface NothingToDo {
  readonly kind: 'nothing-to-do';
  readonly auditTaskId: string;
  readonly reason: NothingToDoReason;
  readonly detail: string;
  readonly decisions: readonly CheckDecision[];
  readonly policyDigest: string;
  /** The loop guard's finding, when it took every check to mitigate out of the task. */
  readonly loopGuard?: LoopGuardRecord;
}

export interface PlanOptions {
  /** An operator's re-run number (1, 2, ...): a new name, and enforcement regardless of the audit's age. */
  readonly rerun?: number | undefined;
  /** Who asked for the re-run (as the request says); written in the plan. */
  readonly requestedBy?: string | undefined;
  /** The re-run lifts the limit of re-runs a day; written in the plan as `rerunForced: true`. */
  readonly rerunForced?: boolean | undefined;
  /** Prefix of the deployed mitigation action names (the stack name): `<prefix>-<policy name>`. */
  readonly actionNamePrefix?: string;
  /** The loop guard's finding: its guarded checks are taken out of the task (functions/domain/loop-guard.ts). */
  readonly loopGuard?: LoopGuardRecord | undefined;
}

export function planRemediation(
  audit: Audit,
  policy: Policy,
  runtimeSwitch: RuntimeSwitch,
  options: PlanOptions = {},
): RemediationPlan | NothingToDo {
  const digest = policyDigest(policy);
  const nothing = (
    reason: NothingToDoReason,
    detail: string,
    decisions: readonly CheckDecision[] = [],
  ): NothingToDo => ({
    kind: 'nothing-to-do',
    auditTaskId: audit.auditTaskId,
    reason,
    detail,
    decisions,
    policyDigest: digest,
  });

  const { rerun } = options;
  if (rerun !== undefined && !(Number.isSafeInteger(rerun) && rerun >= 1 && rerun <= MAX_RERUN))
    return nothing(
      'invalid-rerun',
      `the re-run number must be an integer from 1 to ${MAX_RERUN}, got ${rerun}`,
    );
  if (audit.taskStatus !== 'COMPLETED')
    return nothing(
      'audit-not-completed',
      `the audit ended ${audit.taskStatus}; only completed audits are remediated`,
    );

  const policyMode = policy.mode ?? 'dry-run';
  const mode = decideMode(policyMode, runtimeSwitch, audit.taskStartTime, rerun !== undefined);
  if (mode.paused) return nothing('paused', `${mode.reason}; nothing is planned`);

  const resolveName = (name: string) =>
    options.actionNamePrefix ? `${options.actionNamePrefix}-${name}` : name;
  const { loopGuard } = options;
  const decisions = audit.checks.map((check) =>
    loopGuarded(decide(check, policy, resolveName), loopGuard, mode.effective),
  );
  const toMitigate = decisions.filter((d) => d.outcome === 'mitigate');
  const heldBack = decisions.filter((d) => d.outcome === 'hold-back');
  // Under enforce, an audit whose every check to act on was held back still gets an execution: it
  // waits for an operator's approval (README "Approve what a cap held back").
  if (toMitigate.length === 0 && !(mode.effective === 'enforce' && heldBack.length > 0))
    return {
      ...nothing('no-check-to-mitigate', 'no check of this audit is to be mitigated', decisions),
      ...(loopGuard && decisions.some((d) => d.outcome === 'skip' && d.reason === 'loop-guard')
        ? { loopGuard }
        : {}),
    };
  // Every mitigated or held-back check has exactly one rule: decide() found it.
  const ruleFor = (checkName: string) => policy.rules.find((rule) => rule.check === checkName)!;
  const reasonCodesOf = (checkName: string) =>
    ruleFor(checkName).reasonCodes ?? checkCatalogue.get(checkName)!.reasonCodes;
  const names = runNames(mode.effective, audit.auditTaskId, rerun);

  return {
    kind: 'plan',
    auditTaskId: audit.auditTaskId,
    ...(audit.accountId === undefined ? {} : { accountId: audit.accountId }),
    auditStartTime: iso(audit.taskStartTime),
    mode: {
      effective: mode.effective,
      policy: policyMode,
      switch: {
        value: runtimeSwitch.value,
        lastModified: iso(runtimeSwitch.lastModified),
        version: runtimeSwitch.version,
      },
      reason: mode.reason,
    },
    names,
    ...(rerun === undefined ? {} : { rerun }),
    ...(rerun === undefined || options.requestedBy === undefined ? {} : { requestedBy: options.requestedBy }),
    ...(rerun !== undefined && options.rerunForced === true ? { rerunForced: true as const } : {}),
    target: {
      auditTaskId: audit.auditTaskId,
      auditCheckToReasonCodeFilter: Object.fromEntries(
        toMitigate.map((d) => [d.checkName, reasonCodesOf(d.checkName)]),
      ),
    },
    auditCheckToActionsMapping: Object.fromEntries(
      toMitigate.map((d) => [d.checkName, ruleFor(d.checkName).actions.map(resolveName)]),
    ),
    decisions,
    policyDigest: digest,
    ...verificationOf(policy, toMitigate),
    ...(loopGuard ? { loopGuard } : {}),
    ...(mode.effective === 'enforce' && heldBack.length > 0
      ? {
          approval: {
            checks: heldBack.map((d) => d.checkName),
            taskId: approvedTaskName(names.executionName),
            auditCheckToReasonCodeFilter: Object.fromEntries(
              heldBack.map((d) => [d.checkName, reasonCodesOf(d.checkName)]),
            ),
            auditCheckToActionsMapping: Object.fromEntries(
              heldBack.map((d) => [d.checkName, ruleFor(d.checkName).actions.map(resolveName)]),
            ),
          },
        }
      : {}),
    summary: {
      checksToMitigate: toMitigate.length,
      findingsToMitigate: toMitigate.reduce((sum, d) => sum + mitigable(d), 0),
      checksHeldBack: decisions.filter((d) => d.outcome === 'hold-back').length,
      checksSkipped: decisions.filter((d) => d.outcome === 'skip').length,
    },
  };
}

/**
 * A check whose resources loop (the loop guard found them) leaves this task whole: a reason-code
 * filter cannot leave out single resources, and a suppression created now may not cover this audit's
 * findings (docs/decisions/loop-guard.md). Its other resources are mitigated at the next audit.
 */
function loopGuarded(
  decision: CheckDecision,
  loopGuard: LoopGuardRecord | undefined,
  mode: EffectiveMode,
): CheckDecision {
  if (decision.outcome !== 'mitigate' || loopGuard?.status !== 'checked') return decision;
  if (!loopGuard.guardedChecks.includes(decision.checkName)) return decision;
  const looping = loopGuard.suppressions.filter((s) => s.checkName === decision.checkName).length;
  const { checkName: _, outcome: __, ...base } = decision;
  return {
    ...base,
    checkName: decision.checkName,
    outcome: 'skip',
    reason: 'loop-guard',
    detail: `${looping} resource${looping === 1 ? '' : 's'} mitigated in each of the last ${loopGuard.afterAudits} remediated audits ${looping === 1 ? 'is' : 'are'} still non-compliant: ${mode === 'enforce' ? 'suppressed' : 'would be suppressed'} for ${loopGuard.suppressForDays} days, not mitigated again; the check's other resources are mitigated at the next audit`,
  };
}

/** The plan's `verification`, when the policy verifies and a mitigated check has a fixing action. */
function verificationOf(policy: Policy, toMitigate: readonly CheckDecision[]) {
  const checks = checksToVerify(
    policy,
    toMitigate.map((d) => d.checkName),
  );
  return checks.length === 0 ? {} : { verification: { checks } };
}

/** Non-compliant resources that are not suppressed: suppressed findings are never mitigated. */
function mitigable(check: Omit<DecisionBase, 'detail'>): number {
  return Math.max(0, check.nonCompliantResourcesCount - (check.suppressedNonCompliantResourcesCount ?? 0));
}

function decide(
  check: AuditCheckResult,
  policy: Policy,
  resolveName: (name: string) => string,
): CheckDecision {
  const base: Omit<DecisionBase, 'detail'> = {
    checkName: check.checkName,
    nonCompliantResourcesCount: check.nonCompliantResourcesCount,
    totalResourcesCount: check.totalResourcesCount,
    ...(check.suppressedNonCompliantResourcesCount === undefined
      ? {}
      : { suppressedNonCompliantResourcesCount: check.suppressedNonCompliantResourcesCount }),
  };
  const skip = (reason: SkipReason, detail: string): CheckDecision => ({
    ...base,
    outcome: 'skip',
    reason,
    detail,
  });

  const catalogued = checkCatalogue.get(check.checkName);
  if (!check.known || !catalogued)
    return skip('unknown-check', 'the check is not in the catalogue; never acted on');
  const rule: PolicyRule | undefined = policy.rules.find((r) => r.check === check.checkName);
  if (!rule) return skip('not-in-policy', 'the policy has no rule for this check');
  if (rule.enabled === false) return skip('rule-disabled', 'the rule is disabled');
  if (check.checkRunStatus !== 'COMPLETED_NON_COMPLIANT')
    return skip('not-non-compliant', `the check ran ${check.checkRunStatus}`);
  if (check.nonCompliantResourcesCount === 0) return skip('no-findings', 'no non-compliant resources');
  if (mitigable(check) === 0) return skip('all-suppressed', 'every non-compliant resource is suppressed');

  const actions = rule.actions.map(resolveName);
  const caps = effectiveCaps(policy, rule);
  // Caps count every non-compliant resource, suppressed or not: holding back is the safe side.
  const count = check.nonCompliantResourcesCount;
  if (caps.maxFindings !== undefined && count > caps.maxFindings)
    return {
      ...base,
      outcome: 'hold-back',
      reason: 'above-max-findings',
      actions,
      cap: { name: 'maxFindings', value: caps.maxFindings },
      detail: `${count} non-compliant resources exceed maxFindings ${caps.maxFindings}`,
    };
  if (caps.maxPercent !== undefined && count * 100 > caps.maxPercent * check.totalResourcesCount) {
    const percent =
      check.totalResourcesCount > 0 ? ((count * 100) / check.totalResourcesCount).toFixed(2) : 'all';
    return {
      ...base,
      outcome: 'hold-back',
      reason: 'above-max-percent',
      actions,
      cap: { name: 'maxPercent', value: caps.maxPercent },
      detail: `${count} of ${check.totalResourcesCount} resources (${percent} %) exceed maxPercent ${caps.maxPercent}`,
    };
  }
  return { ...base, outcome: 'mitigate', detail: `${mitigable(check)} non-compliant resources to mitigate` };
}
