/**
 * The loop guard: a resource that the same check's fixing actions mitigated in the last N audits the
 * stack remediated, and that is still non-compliant, is not mitigated again; it is suppressed for a
 * while instead (an audit suppression that expires by itself) and the report says so. Pure: the
 * history comes in as plain data (functions/aws/loop-guard.ts reads it), the decision goes out.
 * Design and the AWS facts it rests on: docs/decisions/loop-guard.md, docs/aws-facts/audit-suppressions.md.
 *
 * Resources are compared by resource identifier, never by finding id: every audit gives its findings
 * new ids.
 */
import { createHash } from 'node:crypto';
import type { Audit } from './audit.ts';
import type { MitigationActionType } from './catalogue.ts';
import { runName } from './names.ts';
import type { NothingToDo, RemediationPlan } from './plan.ts';
import { effectiveCaps, LOOP_GUARD_LIMITS, MAX_FINDINGS_CEILING, type Policy } from './policy.ts';
import { iso } from './switch.ts';
import { asciiJson, safe, snsSubject } from './text.ts';

/**
 * The action types meant to fix what a check found. Publishing a finding or quarantining a device
 * never makes the resource compliant, so repeating them is not a loop.
 */
export const FIXING_ACTION_TYPES: readonly MitigationActionType[] = [
  'UPDATE_DEVICE_CERTIFICATE',
  'UPDATE_CA_CERTIFICATE',
  'REPLACE_DEFAULT_POLICY_VERSION',
  'ENABLE_IOT_LOGGING',
];

/** Audit findings are kept 90 days (https://docs.aws.amazon.com/general/latest/gr/iot_device_defender.html): older history cannot be compared. */
export const LOOKBACK_DAYS = 90;
/** At most this many suppressions are created per audit; the report counts the looping resources left. */
export const MAX_SUPPRESSIONS_PER_AUDIT = 50;
/** CreateAuditSuppression's description: at most 1,000 characters of `[\p{Graph}\x20]*`. */
export const MAX_DESCRIPTION_CHARS = 1_000;

export interface LoopGuardSettings {
  readonly enabled: boolean;
  readonly afterAudits: number;
  readonly suppressForDays: number;
}

/** The policy's loop guard, its defaults filled in: on, after 3 audits, for 30 days. */
export function loopGuardSettings(policy: Policy): LoopGuardSettings {
  const setting = policy.loopGuard ?? {};
  return {
    enabled: setting.enabled ?? true,
    afterAudits: setting.afterAudits ?? LOOP_GUARD_LIMITS.afterAudits.default,
    suppressForDays: setting.suppressForDays ?? LOOP_GUARD_LIMITS.suppressForDays.default,
  };
}

/** A resource identifier as the service writes it (a subset of the SDK's ResourceIdentifier). */
export type ResourceIdentifier = Readonly<Record<string, unknown>>;

export interface FindingResource {
  readonly resourceType?: string;
  readonly resourceIdentifier: ResourceIdentifier;
}

/** One key per resource: members in a fixed order, absent members left out. */
export function resourceKey(identifier: ResourceIdentifier): string {
  return JSON.stringify(canonical(identifier));
}

function canonical(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(canonical);
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, canonical(v)]),
  );
}

/** The check's earlier remediations, newest first, as the history reader found them. */
export interface CheckRemediation {
  readonly auditTaskId: string;
  /**
   * Whether the stack's task for that audit mitigated the check with a fixing action and every finding
   * of the check succeeded (COMPLETED, no failed or canceled finding). Anything else ends the streak.
   */
  readonly mitigated: boolean;
  /** The check's unsuppressed findings in that audit, by resource key (read only when mitigated). */
  readonly resources?: ReadonlySet<string>;
}

/**
 * The resources of the current audit found, for this check, in each of the last `afterAudits`
 * remediations: the loop. Fewer remediations than that, or one that did not mitigate, means no loop.
 * Order: the current audit's.
 */
export function loopingResources<R extends FindingResource>(
  current: readonly R[],
  remediations: readonly CheckRemediation[],
  afterAudits: number,
): R[] {
  const streak = remediations.slice(0, afterAudits);
  if (streak.length < afterAudits || streak.some((r) => !r.mitigated || !r.resources)) return [];
  return current.filter((resource) => {
    const key = resourceKey(resource.resourceIdentifier);
    return streak.every((r) => r.resources!.has(key));
  });
}

/** A looping resource, with what the suppression says. */
export interface PlannedSuppression {
  readonly checkName: string;
  /** Readable, for the report: `DEVICE_CERTIFICATE deviceCertificateId=ab12...`. */
  readonly resource: string;
  readonly resourceIdentifier: ResourceIdentifier;
  /** The audits whose mitigation did not fix it, newest first. */
  readonly previousAudits: readonly string[];
  /** ISO 8601: when the suppression expires by itself. */
  readonly expiresAt: string;
  /**
   * `would-suppress` (dry run), `to-suppress` (enforce, before the call), then what CreateAuditSuppression
   * answered: `suppressed`, `already-suppressed` (ResourceAlreadyExistsException) or `failed`.
   */
  readonly status: 'would-suppress' | 'to-suppress' | 'suppressed' | 'already-suppressed' | 'failed';
  readonly error?: string;
}

/** What the loop guard found for one audit: in the plan, and in the report. */
export type LoopGuardRecord =
  | {
      readonly status: 'checked';
      readonly afterAudits: number;
      readonly suppressForDays: number;
      /** Checks the loop guard took out of this audit's task (their looping resources are suppressed). */
      readonly guardedChecks: readonly string[];
      readonly suppressions: readonly PlannedSuppression[];
      /** Looping resources beyond MAX_SUPPRESSIONS_PER_AUDIT: not suppressed this time. */
      readonly notSuppressed?: number;
    }
  | {
      /** The history could not be read (throttled, denied, above a bound): nothing suppressed, nothing held out. */
      readonly status: 'unreadable';
      readonly afterAudits: number;
      readonly suppressForDays: number;
      readonly detail: string;
    };

/** The looping resources of each check (checks without any are absent). */
export type LoopFindings = ReadonlyMap<
  string,
  {
    readonly resources: readonly (FindingResource & { readonly resource: string })[];
    readonly previousAudits: readonly string[];
  }
>;

/** The history reader's answer. */
export type LoopGuardHistory =
  | { readonly status: 'checked'; readonly loops: LoopFindings }
  | { readonly status: 'unreadable'; readonly detail: string };

/**
 * The record the plan carries: which checks are taken out of this task, and the suppressions (at most
 * MAX_SUPPRESSIONS_PER_AUDIT, in check then audit order) with their expiry.
 */
export function loopGuardRecord(
  history: LoopGuardHistory,
  settings: LoopGuardSettings,
  enforce: boolean,
  now: number,
): LoopGuardRecord {
  const { afterAudits, suppressForDays } = settings;
  if (history.status === 'unreadable')
    return { status: 'unreadable', afterAudits, suppressForDays, detail: history.detail };
  const expiresAt = new Date(now + suppressForDays * 86_400_000).toISOString();
  const all: PlannedSuppression[] = [...history.loops].flatMap(([checkName, loop]) =>
    loop.resources.map((r) => ({
      checkName,
      resource: r.resource,
      resourceIdentifier: r.resourceIdentifier,
      previousAudits: loop.previousAudits,
      expiresAt,
      status: enforce ? ('to-suppress' as const) : ('would-suppress' as const),
    })),
  );
  const suppressions = all.slice(0, MAX_SUPPRESSIONS_PER_AUDIT);
  return {
    status: 'checked',
    afterAudits,
    suppressForDays,
    guardedChecks: [...history.loops.keys()],
    suppressions,
    ...(all.length > suppressions.length ? { notSuppressed: all.length - suppressions.length } : {}),
  };
}

/**
 * The suppression's description: the stack, why, and what to do. Only printable ASCII and spaces, as
 * the API's pattern allows; cut to its 1,000 characters.
 */
export function suppressionDescription(stackName: string, suppression: PlannedSuppression): string {
  const text = `${stackName} loop guard: ${suppression.checkName} fixing actions mitigated this resource in audits ${suppression.previousAudits.join(', ')} and it is still non-compliant, so it is suppressed instead of mitigated again until ${suppression.expiresAt}. Fix the resource, then delete this suppression.`;
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_DESCRIPTION_CHARS);
}

/** One client request token per audit, check and resource (1-64 of `[a-zA-Z0-9-_]`): a retry meets its own. */
export function suppressionToken(auditTaskId: string, suppression: PlannedSuppression): string {
  const digest = createHash('sha256')
    .update(`${suppression.checkName}\n${resourceKey(suppression.resourceIdentifier)}`)
    .digest('hex')
    .slice(0, 16);
  return `lg-${auditTaskId}-${digest}`.slice(0, 64);
}

/** Is this mitigation task one of the stack's enforced runs of that audit (`enf-<id>` or `enf-<id>-r<n>`)? */
export function isStackEnforcedTask(taskId: string, auditTaskId: string): boolean {
  const base = runName('enforce', auditTaskId);
  return taskId === base || (taskId.startsWith(`${base}-r`) && /^\d+$/.test(taskId.slice(base.length + 2)));
}

/** A check the current plan mitigates with a fixing action: the loop guard reads its history. */
export interface GuardedCheck {
  readonly checkName: string;
  /** The deployed names of the rule's fixing actions (`<stack>-<name>`). */
  readonly fixingActions: readonly string[];
  /** The task's reason-code filter for the check: other findings are never mitigated. */
  readonly reasonCodes: readonly string[];
  /** The check's cap: no more findings are read per audit (MAX_FINDINGS_CEILING without one). */
  readonly maxFindings: number;
}

/** The plan's mitigated checks whose rule has at least one fixing action. */
export function guardedChecks(
  plan: RemediationPlan,
  policy: Policy,
  resolveName: (name: string) => string,
): GuardedCheck[] {
  return Object.keys(plan.auditCheckToActionsMapping).flatMap((checkName) => {
    const rule = policy.rules.find((r) => r.check === checkName);
    if (!rule) return [];
    const fixingActions = rule.actions
      .filter((name) => {
        const type = policy.actions[name]?.type;
        return type !== undefined && FIXING_ACTION_TYPES.includes(type);
      })
      .map(resolveName);
    if (fixingActions.length === 0) return [];
    return [
      {
        checkName,
        fixingActions,
        reasonCodes: plan.target.auditCheckToReasonCodeFilter[checkName] ?? [],
        maxFindings: effectiveCaps(policy, rule).maxFindings ?? MAX_FINDINGS_CEILING,
      },
    ];
  });
}

const STATUS_WORDS: Readonly<Record<PlannedSuppression['status'], string>> = {
  'would-suppress': 'would be suppressed (dry run)',
  'to-suppress': 'to be suppressed',
  suppressed: 'suppressed',
  'already-suppressed': 'already suppressed',
  failed: 'NOT suppressed',
};

/** The loop guard's part of a report, for a person: every resource escaped; empty when it found nothing. */
export function loopGuardLines(record: LoopGuardRecord | undefined): string[] {
  if (!record) return [];
  if (record.status === 'unreadable')
    return [
      '',
      safe`Loop guard: the history could not be read (${record.detail}); nothing was suppressed and every check was planned as usual.`,
    ];
  if (record.suppressions.length === 0) return [];
  const lines = [
    '',
    `Loop guard (resources mitigated in each of the last ${record.afterAudits} remediated audits and still non-compliant; not mitigated again, their checks left out of this task, suppressed for ${record.suppressForDays} days):`,
  ];
  for (const s of record.suppressions)
    lines.push(
      safe`- ${s.checkName}: ${s.resource} ${STATUS_WORDS[s.status]} until ${s.expiresAt}${{
        escaped: s.error === undefined ? '' : safe` (${s.error})`,
      }}; earlier audits ${s.previousAudits.join(', ')}`,
    );
  if (record.notSuppressed)
    lines.push(
      `  ${record.notSuppressed} more looping resources were not suppressed (at most ${MAX_SUPPRESSIONS_PER_AUDIT} per audit); their checks are left out of this task too.`,
    );
  return lines;
}

/** The report of an audit whose every check to mitigate the loop guard took out: no execution starts. */
export function loopGuardOnlyReport(
  plan: NothingToDo,
  audit: Audit,
): { subject: string; message: string; report: string } {
  const summary = {
    kind: 'all-loop-guarded',
    auditTaskId: audit.auditTaskId,
    auditStartTime: iso(audit.taskStartTime),
    loopGuard: plan.loopGuard,
    policyDigest: plan.policyDigest,
  };
  const lines = [
    `Device Defender remediation of audit ${audit.auditTaskId}: every check to mitigate was left out by the loop guard; no task started`,
    ...loopGuardLines(plan.loopGuard),
    '',
    'To act on them: fix the resources by hand (the mitigation does not), then delete their suppressions (aws iot delete-audit-suppression --check-name <check> --resource-identifier <identifier>).',
  ];
  return {
    subject: snsSubject(`Device Defender remediation: audit ${audit.auditTaskId} left out by the loop guard`),
    message: lines.join('\n'),
    report: asciiJson(summary),
  };
}
