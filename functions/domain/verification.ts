/**
 * Verification (docs/decisions/verification.md): after an enforced task COMPLETED, the state machine
 * starts an on-demand audit of the checks whose actions are meant to fix the finding, and the report
 * compares that audit with the remediated one, check by check. Pure: which checks are verified, how the
 * stack recognises the audits it started itself (markers in Parameter Store, read by the planner and
 * the sweep), and the before/after comparison by resource identifier (finding ids change per audit).
 */
import type { MitigationActionType } from './catalogue.ts';
import { isRunOfAudit } from './names.ts';
import type { Policy } from './policy.ts';

/**
 * The action types meant to fix a finding, so that a second audit should no longer find it. Publishing
 * and quarantine never lower a count: a published or quarantined resource is still non-compliant.
 */
export const FIXING_ACTION_TYPES: readonly MitigationActionType[] = [
  'UPDATE_DEVICE_CERTIFICATE',
  'UPDATE_CA_CERTIFICATE',
  'REPLACE_DEFAULT_POLICY_VERSION',
  'ENABLE_IOT_LOGGING',
];

/** The checks to verify: those mitigated with at least one fixing action (policy order). */
export function checksToVerify(policy: Policy, mitigatedChecks: readonly string[]): string[] {
  if (policy.verify === false) return [];
  const mitigated = new Set(mitigatedChecks);
  return policy.rules
    .filter((rule) => mitigated.has(rule.check))
    .filter((rule) =>
      rule.actions.some((name) => {
        const type = policy.actions[name]?.type;
        return type !== undefined && FIXING_ACTION_TYPES.includes(type);
      }),
    )
    .map((rule) => rule.check);
}

// --- Recognising the stack's own verification audits -------------------------------------------------

/**
 * Where the markers live: beside the runtime switch (`/<stack>/runtime-switch` ->
 * `/<stack>/verification-audits`), so the planner and the sweep need no setting of their own. The
 * template hands the state machine the same path (VerificationMarkerPath; tests/template checks both).
 */
export function verificationMarkerPath(switchParameterName: string): string {
  const parent = switchParameterName.slice(0, switchParameterName.lastIndexOf('/'));
  return `${parent}/verification-audits`;
}

/** The marker of one verification audit; its value is the execution that started it. */
export function verificationMarkerName(path: string, auditTaskId: string): string {
  return `${path}/${auditTaskId}`;
}

/**
 * Written just before every StartOnDemandAuditTask, so that the notification of an audit whose id is not
 * recorded yet is recognised as possibly ours. `_` is not in an audit id (`[a-zA-Z0-9-]+`): no audit's
 * marker can have this name.
 */
export function verificationStartingName(path: string): string {
  return `${path}/_starting`;
}

/**
 * How long after the starting marker an unmarked on-demand audit may still be a verification whose id
 * the state machine has not recorded: the state machine records it right after the start (retries
 * included, well under a minute). Past this, an unmarked audit is an operator's.
 */
export const VERIFICATION_PENDING_MS = 15 * 60_000;
/** Clock skew allowed between Parameter Store's LastModifiedDate and IoT's taskStartTime. */
export const VERIFICATION_CLOCK_SKEW_MS = 60_000;
/**
 * How long after the starting marker the state machine's StartOnDemandAuditTask may start its audit: the
 * call and its throttling retries (2 + 4 + 8 + 16 s at most) with room to spare. An audit that started
 * later is not the one this marker announced, so it is an operator's and is planned at once.
 */
export const VERIFICATION_START_WINDOW_MS = 2 * 60_000;

export type AuditOrigin =
  | { readonly kind: 'verification'; readonly startedBy: string }
  | { readonly kind: 'verification-pending'; readonly startingSince: number }
  | { readonly kind: 'other' };

/**
 * Is this audit one the state machine started to verify a remediation? Only on-demand audits can be
 * (StartOnDemandAuditTask makes ON_DEMAND_AUDIT_TASK audits). A marker says so for good. Without one,
 * an on-demand audit that started just after the last starting marker (within the start's window),
 * while that marker is recent, may be a verification whose marker is still being written: it is
 * neither remediated nor refused, and the sweep decides later.
 */
export function auditOrigin(
  audit: { readonly auditTaskId: string; readonly taskType: string; readonly taskStartTime: number },
  marker: string | undefined,
  lastStarting: number | undefined,
  now: number,
  startingBy?: string,
): AuditOrigin {
  if (audit.taskType !== 'ON_DEMAND_AUDIT_TASK') return { kind: 'other' };
  if (marker !== undefined) return { kind: 'verification', startedBy: marker };
  // The execution that wrote the starting marker remediates this very audit: it verifies with another.
  if (startingBy !== undefined && isRunOfAudit(startingBy, audit.auditTaskId)) return { kind: 'other' };
  if (
    lastStarting !== undefined &&
    now - lastStarting <= VERIFICATION_PENDING_MS &&
    audit.taskStartTime >= lastStarting - VERIFICATION_CLOCK_SKEW_MS &&
    audit.taskStartTime <= lastStarting + VERIFICATION_START_WINDOW_MS + VERIFICATION_CLOCK_SKEW_MS
  )
    return { kind: 'verification-pending', startingSince: lastStarting };
  return { kind: 'other' };
}

// --- Before and after --------------------------------------------------------------------------------

/** A non-compliant resource as ListAuditFindings names it. */
export interface NonCompliantResource {
  readonly resourceType?: string;
  readonly resourceIdentifier?: Readonly<Record<string, unknown>>;
}

/**
 * One resource's identity across audits: its type and identifier, keys sorted (finding ids change per
 * audit; an identifier's members come in no promised order).
 */
export function resourceKey(resource: NonCompliantResource): string {
  return `${resource.resourceType ?? 'UNKNOWN_RESOURCE'} ${canonical(resource.resourceIdentifier ?? {})}`;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** The resources of `before` still non-compliant in `after`, by resource identifier, in `before`'s order. */
export function unfixedResources<R extends NonCompliantResource>(
  before: readonly R[],
  after: readonly NonCompliantResource[],
): R[] {
  const still = new Set(after.map(resourceKey));
  const seen = new Set<string>();
  return before.filter((resource) => {
    const key = resourceKey(resource);
    if (!still.has(key) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** One verified check in the report. */
export interface CheckVerification {
  readonly checkName: string;
  /** Non-compliant resources (suppressed ones excluded) in the remediated audit and in the verification audit. */
  readonly before: number;
  /** Absent when the verification audit has no result for the check (it did not run it). */
  readonly after?: number;
  /** after < before. */
  readonly improved: boolean;
  /** Resources the mitigation targeted that the verification audit still finds, by identifier. */
  readonly unfixed?: {
    readonly count: number;
    /** The first few, readable. */
    readonly resources: readonly string[];
    /** false: a page budget stopped the comparison, so count is a lower bound. */
    readonly complete: boolean;
  };
}

export function improved(before: number, after: number | undefined): boolean {
  return after !== undefined && after < before;
}

// --- The comparison the report makes -----------------------------------------------------------------

/** One page of ListAuditFindings for an audit and check (suppressed findings left out). */
export interface AuditFindingsSource {
  page(request: {
    readonly auditTaskId: string;
    readonly checkName: string;
    readonly nextToken?: string;
  }): Promise<{
    readonly findings: readonly (NonCompliantResource & { readonly reasonCode?: string })[];
    readonly nextToken?: string;
  }>;
}

/** Step Functions' PascalCase copy of DescribeAuditTask's answer, as the state machine keeps it. */
export interface VerificationAuditAnswer {
  readonly TaskStatus?: string;
  readonly AuditDetails?: Readonly<
    Record<
      string,
      {
        readonly CheckRunStatus?: string;
        readonly NonCompliantResourcesCount?: number;
        readonly SuppressedNonCompliantResourcesCount?: number;
      }
    >
  >;
}

/** ListAuditFindings returns at most 250 findings a page; no check is mitigated above 10,000. */
export const FINDINGS_PAGE_SIZE = 250;
export const MAX_PAGES_PER_AUDIT = 40;
/** Resources not fixed, shown per check. */
export const UNFIXED_SAMPLE_SIZE = 10;

export interface CompareOptions {
  readonly maxPagesPerAudit?: number;
  readonly sampleSize?: number;
  /** A readable name for a resource (the report's: `DEVICE_CERTIFICATE deviceCertificateId=...`). */
  readonly describe: (resource: NonCompliantResource) => string;
}

/**
 * Each verified check, before and after: counts from the audits' own summaries (the plan's
 * DescribeAuditTask, the verification audit's), and which resources the mitigation targeted (the plan's
 * reason codes) the verification audit still finds, by resource identifier. Pages are read one at a time
 * (ListAuditFindings: 10 requests a second per account; the client's adaptive retries pace them), at
 * most `maxPagesPerAudit` per audit and check.
 */
export async function compareAudits(
  request: {
    readonly auditTaskId: string;
    readonly verificationAuditTaskId: string;
    readonly checks: readonly {
      readonly checkName: string;
      readonly before: number;
      readonly reasonCodes: readonly string[];
    }[];
    readonly verificationAudit: VerificationAuditAnswer;
  },
  source: AuditFindingsSource,
  options: CompareOptions,
): Promise<CheckVerification[]> {
  const maxPages = options.maxPagesPerAudit ?? MAX_PAGES_PER_AUDIT;
  const sampleSize = options.sampleSize ?? UNFIXED_SAMPLE_SIZE;
  const results: CheckVerification[] = [];
  for (const { checkName, before, reasonCodes } of request.checks) {
    const detail = request.verificationAudit.AuditDetails?.[checkName];
    const after =
      detail?.NonCompliantResourcesCount === undefined
        ? undefined
        : Math.max(0, detail.NonCompliantResourcesCount - (detail.SuppressedNonCompliantResourcesCount ?? 0));
    if (after === undefined) {
      results.push({ checkName, before, improved: false });
      continue;
    }
    if (after === 0) {
      results.push({
        checkName,
        before,
        after,
        improved: improved(before, after),
        unfixed: { count: 0, resources: [], complete: true },
      });
      continue;
    }
    const codes = new Set(reasonCodes);
    const targeted = await readFindings(source, request.auditTaskId, checkName, maxPages);
    const still = await readFindings(source, request.verificationAuditTaskId, checkName, maxPages);
    const unfixed = unfixedResources(
      targeted.findings.filter(
        (f) => f.reasonCode === undefined || codes.size === 0 || codes.has(f.reasonCode),
      ),
      still.findings,
    );
    results.push({
      checkName,
      before,
      after,
      improved: improved(before, after),
      unfixed: {
        count: unfixed.length,
        resources: unfixed.slice(0, sampleSize).map(options.describe),
        complete: targeted.complete && still.complete,
      },
    });
  }
  return results;
}

async function readFindings(
  source: AuditFindingsSource,
  auditTaskId: string,
  checkName: string,
  maxPages: number,
) {
  const findings: (NonCompliantResource & { readonly reasonCode?: string })[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const answer = await source.page({
      auditTaskId,
      checkName,
      ...(nextToken === undefined ? {} : { nextToken }),
    });
    findings.push(...answer.findings);
    nextToken = answer.nextToken;
    if (nextToken === undefined) return { findings, complete: true };
  }
  return { findings, complete: false };
}
