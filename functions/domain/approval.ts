/**
 * An operator's answer to a check a safety cap held back (README "Approve what a cap held back";
 * docs/decisions/approval.md). The request, a "Held-Back Check Approval Requested" event that only
 * operators may put on the stack's bus, names an execution that waits and the checks approved (or
 * rejected). The approve function checks it against the execution's own plan, then answers the
 * execution's waiting state with the task token it alone reads: the token is never shown to a person.
 *
 * Pure: parsing the request, and deciding from the plan what the waiting state is sent.
 */
import { AUDIT_EVENT_SOURCE } from './audit.ts';
import { type JsonSchema, type ValidationIssue, validate } from './json-schema.ts';
import { NAME_LIMITS } from './names.ts';
import type { ApprovalSection } from './plan.ts';

export const APPROVAL_DETAIL_TYPE = 'Held-Back Check Approval Requested';
/** The error the waiting state fails with when an operator rejects (SendTaskFailure's `error`). */
export const APPROVAL_REJECTED_ERROR = 'ApprovalRejected';

export type ApprovalDecision = 'approve' | 'reject';

export interface ApprovalRequest {
  readonly executionName: string;
  readonly checks: readonly string[];
  readonly decision: ApprovalDecision;
  /** Who asked, as the request says: not authenticated (CloudTrail's PutEvents entry is). */
  readonly requestedBy?: string;
}

const detailSchema: JsonSchema = {
  type: 'object',
  required: ['executionName', 'checks', 'decision'],
  additionalProperties: false,
  properties: {
    executionName: { type: 'string', pattern: NAME_LIMITS.executionName.pattern.source },
    checks: {
      type: 'array',
      minItems: 1,
      maxItems: 17,
      uniqueItems: true,
      // Audit check names: upper case words joined by underscores (the catalogue's 17).
      items: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{0,127}$' },
    },
    decision: { type: 'string', enum: ['approve', 'reject'] },
    requestedBy: { type: 'string', maxLength: 2048 },
  },
};

export type ParsedApproval =
  | { readonly ok: true; readonly request: ApprovalRequest }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/** Reads the event the rule delivers; every issue names its field (`source`, `detail.checks[0]`, ...). */
export function parseApprovalRequest(event: unknown): ParsedApproval {
  const e = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const issues: ValidationIssue[] = [];
  if (e.source !== AUDIT_EVENT_SOURCE)
    issues.push({
      path: 'source',
      message: `expected ${JSON.stringify(AUDIT_EVENT_SOURCE)}, got ${JSON.stringify(e.source)}`,
    });
  if (e['detail-type'] !== APPROVAL_DETAIL_TYPE)
    issues.push({
      path: 'detail-type',
      message: `expected ${JSON.stringify(APPROVAL_DETAIL_TYPE)}, got ${JSON.stringify(e['detail-type'])}`,
    });
  issues.push(...validate(detailSchema, e.detail, 'detail'));
  if (issues.length > 0) return { ok: false, issues };
  const detail = e.detail as ApprovalRequest;
  return {
    ok: true,
    request: {
      executionName: detail.executionName,
      checks: detail.checks,
      decision: detail.decision,
      ...(detail.requestedBy === undefined ? {} : { requestedBy: detail.requestedBy }),
    },
  };
}

/** Why a request cannot be answered: each names what is wrong, and nothing is sent or started. */
export type ApprovalRefusal =
  | { readonly reason: 'unknown-execution'; readonly detail: string }
  | { readonly reason: 'not-running'; readonly detail: string }
  | { readonly reason: 'nothing-held-back'; readonly detail: string }
  | { readonly reason: 'check-not-held-back'; readonly detail: string }
  | { readonly reason: 'not-waiting'; readonly detail: string }
  | { readonly reason: 'closed'; readonly detail: string };

/**
 * What the waiting state receives on SendTaskSuccess: the approved checks and exactly the plan's reason
 * codes and actions for them. The state machine checks them against its own plan again (a subset of
 * `plan.approval`), so this output cannot widen what the plan allowed.
 */
export interface ApprovalOutput {
  readonly checks: readonly string[];
  readonly auditCheckToReasonCodeFilter: Readonly<Record<string, readonly string[]>>;
  readonly auditCheckToActionsMapping: Readonly<Record<string, readonly string[]>>;
  readonly requestedBy: string;
}

/** The waiting execution's answer, or why there is none. `approval` is the plan's (its input). */
export function answerFor(
  request: ApprovalRequest,
  execution: { readonly status: string; readonly approval: ApprovalSection | undefined },
):
  | { readonly ok: true; readonly decision: 'approve'; readonly output: ApprovalOutput }
  | { readonly ok: true; readonly decision: 'reject'; readonly error: string; readonly cause: string }
  | { readonly ok: false; readonly refusal: ApprovalRefusal } {
  const name = request.executionName;
  if (execution.status !== 'RUNNING')
    return refuse('not-running', `execution ${name} is ${execution.status}: it waits for nothing`);
  const approval = execution.approval;
  if (approval === undefined || approval.checks.length === 0)
    return refuse('nothing-held-back', `no check of execution ${name} was held back by a cap`);
  const notHeld = request.checks.filter((check) => !approval.checks.includes(check));
  if (notHeld.length > 0)
    return refuse(
      'check-not-held-back',
      `checks: ${notHeld.join(', ')} ${notHeld.length === 1 ? 'was' : 'were'} not held back in execution ${name} (held back: ${approval.checks.join(', ')})`,
    );
  const requestedBy = request.requestedBy ?? 'unknown';
  if (request.decision === 'reject')
    return {
      ok: true,
      decision: 'reject',
      error: APPROVAL_REJECTED_ERROR,
      cause: `${request.checks.join(', ')} rejected by ${requestedBy}`,
    };
  const pick = (map: Readonly<Record<string, readonly string[]>>) =>
    Object.fromEntries(
      approval.checks.filter((c) => request.checks.includes(c)).map((c) => [c, map[c] ?? []]),
    );
  return {
    ok: true,
    decision: 'approve',
    output: {
      // In the plan's order, so that the state machine's subset check compares like with like.
      checks: approval.checks.filter((c) => request.checks.includes(c)),
      auditCheckToReasonCodeFilter: pick(approval.auditCheckToReasonCodeFilter),
      auditCheckToActionsMapping: pick(approval.auditCheckToActionsMapping),
      requestedBy,
    },
  };
}

/**
 * What a running execution's plan held back, from DescribeExecution's `input` (the plan, JSON): its
 * `approval` section, or undefined when the input has none or is not a plan (a member of the wrong
 * type counts as none: nothing can be approved from it).
 */
export function waitingApprovalOf(input: string | undefined): ApprovalSection | undefined {
  let plan: unknown;
  try {
    plan = JSON.parse(input ?? 'null');
  } catch {
    return undefined;
  }
  const approval = (plan as { approval?: unknown } | null)?.approval;
  return validate(approvalSectionSchema, approval, 'approval').length === 0
    ? (approval as ApprovalSection)
    : undefined;
}

const checkMap: JsonSchema = {
  type: 'object',
  additionalProperties: { type: 'array', items: { type: 'string' } },
};
const approvalSectionSchema: JsonSchema = {
  type: 'object',
  required: ['checks', 'taskId', 'auditCheckToReasonCodeFilter', 'auditCheckToActionsMapping'],
  properties: {
    checks: { type: 'array', items: { type: 'string' } },
    taskId: { type: 'string' },
    auditCheckToReasonCodeFilter: checkMap,
    auditCheckToActionsMapping: checkMap,
  },
};

function refuse(reason: ApprovalRefusal['reason'], detail: string) {
  return { ok: false as const, refusal: { reason, detail } as ApprovalRefusal };
}

/**
 * Where the waiting state keeps its token: `<prefix>/<execution name>`, a SecureString only the state
 * machine writes and only the approve function reads (docs/decisions/approval.md).
 */
export function approvalTokenParameter(prefix: string, executionName: string): string {
  return `${prefix}/${executionName}`;
}

/**
 * How an operator approves what a waiting execution held back: `npm run approve` and the AWS CLI call it
 * makes, with the names filled in (all plain `[A-Za-z0-9_-]`, safe inside single quotes).
 */
export function approvalCommands(
  executionName: string,
  checks: readonly string[],
  eventBusName: string,
): { readonly npm: string; readonly putEvents: string } {
  const detail = JSON.stringify({ executionName, checks, decision: 'approve' });
  const entry = JSON.stringify([
    {
      EventBusName: eventBusName,
      Source: AUDIT_EVENT_SOURCE,
      DetailType: APPROVAL_DETAIL_TYPE,
      Detail: detail,
    },
  ]);
  return {
    npm: `npm run approve -- --execution ${executionName} --check ${checks.join(',')} --event-bus ${eventBusName}`,
    putEvents: `aws events put-events --entries '${entry}'`,
  };
}
