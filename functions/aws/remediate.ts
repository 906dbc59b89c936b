/**
 * The one path from "an event names an audit" to "a Step Functions execution", shared by the planner
 * (audit notifications) and the sweep (lost notifications, operator re-runs).
 *
 * An event only names the audit: anyone who may call PutEvents on the stack's bus can put one there,
 * and it carries no authenticated identity (docs/aws-facts/planner-inputs.md). So the audit's status,
 * start time and per-check counts are read from DescribeAuditTask in the function's own account and
 * region, and the plan is made from that answer: a forged event cannot change a plan, and an audit that
 * is not COMPLETED plans nothing (its notification, or the sweep, comes back once it is). Then: load
 * the policy, read the runtime switch, plan; check each mitigation action the plan uses against
 * DescribeMitigationAction (the policy cannot lie about an action's type); let the caller's last check
 * speak (the sweep's re-run budget); measure the plan in bytes against Step Functions' input limit;
 * start. Idempotent by name: a second start of the same plan is a counted no-op.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import {
  DescribeAuditTaskCommand,
  DescribeMitigationActionCommand,
  IoTClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, type Parameter, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import {
  type Audit,
  type AuditParseResult,
  auditDisagreements,
  auditFromDescribeAuditTask,
} from '#domain/audit';
import { everyCheckHeldBack, type HeldBackCheck, heldBackChecks } from '#domain/held-back-report';
import { formatIssue, type ValidationIssue } from '#domain/json-schema';
import type { LoopGuardRecord } from '#domain/loop-guard';
import { type NothingToDo, type PlanOptions, planRemediation, type RemediationPlan } from '#domain/plan';
import { type Policy, type PolicyParseResult, parsePolicy } from '#domain/policy';
import { type DeployedAction, deployedActionIssues } from '#domain/policy-checks';
import {
  assertWithin,
  EXECUTION_INPUT_LIMIT_BYTES,
  jsonBytes,
  MAX_AUDIT_ANSWER_BYTES,
  TooLargeError,
  utf8Bytes,
} from '#domain/sizes';
import type { RuntimeSwitch } from '#domain/switch';
import {
  type AuditOrigin,
  auditOrigin as classifyAudit,
  verificationMarkerName,
  verificationMarkerPath,
  verificationStartingName,
} from '#domain/verification';
import defaultPolicyDocument from '../../config/default-policy.json' with { type: 'json' };
import { awsClient, DEFAULT_RETRIES, IOT_RETRIES } from './clients.ts';
import { countRejection } from './handler.ts';
import { logger, metrics } from './observability.ts';

export const sfn = awsClient(SFNClient, DEFAULT_RETRIES);
export const ssm = awsClient(SSMClient, DEFAULT_RETRIES);
export const iot = awsClient(IoTClient, IOT_RETRIES);

/** A start whose startDate is older than this before our call was an earlier delivery's. */
const CLOCK_SKEW_MS = 1_000;
/** How long a policy read from SSM is cached (Powertools Parameters). */
const POLICY_CACHE_SECONDS = 60;
/**
 * DescribeMitigationAction calls in flight at once: the API allows 25 a second per account, shared
 * with the sweep and the operators' tools (docs/aws-facts/iot-api.md, "Request quotas").
 */
export const MAX_ACTIONS_DESCRIBED_AT_ONCE = 4;

export type RemediationOutcome =
  | {
      readonly outcome: 'started';
      readonly executionName: string;
      readonly executionArn: string;
      readonly mode: string;
    }
  | { readonly outcome: 'duplicate'; readonly executionName: string }
  | {
      readonly outcome: 'nothing-to-do';
      readonly reason: string;
      readonly detail: string;
      /** The checks held back by their caps, when every check to mitigate was. */
      readonly heldBack?: readonly HeldBackCheck[];
    }
  | { readonly outcome: 'policy-invalid'; readonly errors: readonly string[] }
  /** DescribeAuditTask's answer cannot be planned (each error names its field). */
  | { readonly outcome: 'audit-invalid'; readonly errors: readonly string[] }
  /** The audit is one the state machine started to verify a remediation: never remediated. */
  | {
      readonly outcome: 'verification-audit';
      readonly auditTaskId: string;
      readonly startedBy: string;
      readonly detail: string;
    }
  /** An unmarked on-demand audit that may be a verification whose marker is being written: the sweep decides. */
  | { readonly outcome: 'verification-pending'; readonly auditTaskId: string; readonly detail: string }
  /** DescribeAuditTask knows no such audit in this account and region. */
  | { readonly outcome: 'audit-not-found'; readonly auditTaskId: string }
  | TooLarge
  | RerunRefused;

/** Something measured in bytes was above its bound: nothing started. */
export interface TooLarge {
  readonly outcome: 'too-large';
  readonly what: TooLargeError['what'];
  readonly bytes: number;
  readonly limit: number;
  readonly error: string;
}

/** The re-run budget said no (functions/domain/rerun-budget.ts): nothing started. */
export interface RerunRefused {
  readonly outcome: 'rerun-refused';
  readonly reason: string;
  readonly detail: string;
}

/** What the remediation path is configured with: the planner's and the sweep's environment. */
export interface RemediationConfig {
  readonly stateMachineArn: string;
  readonly switchParameterName: string;
  /** Unset: the policy bundled at build time. */
  readonly policyParameterName: string | undefined;
  /** The stack's mitigation actions are `<prefix>-<action>`; unset: the policy's names as they are. */
  readonly actionNamePrefix: string | undefined;
}

/** An operator's re-run: its number, whether it lifts the daily limit, who asked (unauthenticated). */
export interface RerunRequest {
  readonly number: number;
  readonly force: boolean;
  readonly requestedBy?: string | undefined;
}

/** What an event says: which audit, in which account (already checked to be ours), re-run or not. */
export interface AuditRequest {
  readonly auditTaskId: string;
  readonly accountId?: string | undefined;
  readonly rerun?: RerunRequest | undefined;
  /** What the event claimed about the audit: never planned from, only compared with AWS's answer. */
  readonly claimed?: Audit | undefined;
}

/** The loop guard as the remediation path uses it (functions/aws/loop-guard.ts makes one). */
export interface LoopGuardHook {
  plan(
    audit: Audit,
    policy: Policy,
    runtimeSwitch: RuntimeSwitch,
    options: PlanOptions,
  ): Promise<RemediationPlan | NothingToDo>;
  suppress<P extends { readonly loopGuard?: LoopGuardRecord }>(
    plan: P,
    auditTaskId: string,
    stackName: string,
  ): Promise<P>;
}

/** What a caller adds to the path. */
export interface RemediationHooks {
  /** The last word before StartExecution (the sweep's re-run budget): a refusal starts nothing. */
  readonly beforeStart?: (plan: RemediationPlan, request: AuditRequest) => Promise<RerunRefused | undefined>;
  /** Every check to mitigate was held back by its cap (the planner publishes a report). */
  readonly everyCheckHeldBack?: (plan: NothingToDo, audit: Audit) => Promise<void>;
  /**
   * The loop guard (functions/aws/loop-guard.ts): plans with the history read, then creates the
   * suppressions. Passed in by the planner only, whose role holds its grants.
   */
  readonly loopGuard?: LoopGuardHook;
  /** Every check to mitigate was taken out by the loop guard (the planner publishes a report). */
  readonly everyCheckLoopGuarded?: (plan: NothingToDo, audit: Audit) => Promise<void>;
}

/** The policy: JSON from the SSM parameter when one is configured, else the bundled default. */
export async function loadPolicy(parameterName: string | undefined): Promise<PolicyParseResult> {
  if (parameterName === undefined) return parsePolicy(defaultPolicyDocument);
  return policyFromParameter(
    parameterName,
    await getParameter(parameterName, { maxAge: POLICY_CACHE_SECONDS }),
  );
}

/** The policy a parameter's value holds (JSON), each issue named by the parameter. */
export function policyFromParameter(parameterName: string, text: string | undefined): PolicyParseResult {
  if (text === undefined)
    return { ok: false, issues: [{ path: parameterName, message: 'the policy parameter is empty' }] };
  try {
    return parsePolicy(JSON.parse(text));
  } catch (error) {
    return {
      ok: false,
      issues: [
        { path: parameterName, message: `the policy is not valid JSON (${(error as Error).message})` },
      ],
    };
  }
}

/** The runtime switch, read fresh every time: its value and when it was last set. */
export async function readRuntimeSwitch(parameterName: string): Promise<RuntimeSwitch> {
  const { Parameter } = await ssm.send(new GetParameterCommand({ Name: parameterName }));
  return runtimeSwitchFrom(Parameter);
}

/** GetParameter's answer as the switch: anything missing reads as paused (value '') and never set. */
export function runtimeSwitchFrom(parameter: Parameter | undefined): RuntimeSwitch {
  return {
    value: parameter?.Value ?? '',
    lastModified: parameter?.LastModifiedDate?.getTime() ?? Number.NaN,
    version: parameter?.Version ?? 0,
  };
}

/**
 * The audit as AWS describes it, in this function's account and region: the only source a plan is
 * made from. Its answer is bounded in bytes before it is parsed.
 */
export async function describeAudit(
  auditTaskId: string,
): Promise<{ readonly audit: Audit } | Exclude<RemediationOutcome, { audit: Audit }>> {
  let response: object;
  try {
    const { $metadata: _, ...answer } = await iot.send(new DescribeAuditTaskCommand({ taskId: auditTaskId }));
    response = answer;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      countRejection('DescribeAuditTask knows no such audit: nothing is started', { auditTaskId });
      return { outcome: 'audit-not-found', auditTaskId };
    }
    throw error;
  }
  const parsed = parseAuditAnswer(auditTaskId, response);
  if (parsed instanceof TooLargeError) return tooLarge(parsed);
  if (!parsed.ok) {
    const errors = parsed.issues.map(formatIssue);
    countRejection('DescribeAuditTask answered an audit that cannot be planned: nothing is started', {
      auditTaskId,
      errors,
    });
    return { outcome: 'audit-invalid', errors };
  }
  for (const warning of parsed.warnings) logger.warn(warning, { auditTaskId });
  return { audit: parsed.audit };
}

/** DescribeAuditTask's answer (without `$metadata`), bounded in bytes before it is parsed. */
export function parseAuditAnswer(auditTaskId: string, answer: object): AuditParseResult | TooLargeError {
  const bytes = jsonBytes(answer);
  if (bytes > MAX_AUDIT_ANSWER_BYTES)
    return new TooLargeError('DescribeAuditTask answer', bytes, MAX_AUDIT_ANSWER_BYTES);
  return auditFromDescribeAuditTask(auditTaskId, answer);
}

/**
 * Where an on-demand audit comes from (functions/domain/verification.ts): its marker, and the last time
 * the state machine was about to start a verification audit. Scheduled audits cost no read.
 */
export async function auditOrigin(audit: Audit, markerPath: string): Promise<AuditOrigin> {
  if (audit.taskType !== 'ON_DEMAND_AUDIT_TASK') return { kind: 'other' };
  const [marker, starting] = await Promise.all([
    readMarker(verificationMarkerName(markerPath, audit.auditTaskId)),
    readMarker(verificationStartingName(markerPath)),
  ]);
  // Never earlier than the audit's own start (AWS's clock): the local stack's virtual clock runs ahead
  // of the functions' (as functions/aws/loop-guard.ts's loopGuardNow notes); in AWS this is the clock.
  const now = Math.max(Date.now(), audit.taskStartTime);
  return classifyAudit(audit, marker?.Value, starting?.LastModifiedDate?.getTime(), now, starting?.Value);
}

async function readMarker(name: string): Promise<Parameter | undefined> {
  try {
    return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter;
  } catch (error) {
    if (error instanceof ParameterNotFound) return undefined;
    throw error;
  }
}

/** A verification audit is refused, typed; one that may be one is left to the sweep. Nothing starts. */
function verificationAudit(
  auditTaskId: string,
  origin: Exclude<AuditOrigin, { kind: 'other' }>,
): RemediationOutcome {
  if (origin.kind === 'verification') {
    metrics.addMetric('VerificationAuditsIgnored', MetricUnit.Count, 1);
    const detail = `verification audit, not remediated: execution ${origin.startedBy} started it to verify its mitigation`;
    logger.info('Nothing to do: a verification audit', { auditTaskId, startedBy: origin.startedBy });
    return { outcome: 'verification-audit', auditTaskId, startedBy: origin.startedBy, detail };
  }
  metrics.addMetric('VerificationAuditsPending', MetricUnit.Count, 1);
  const detail = `an on-demand audit that started while the state machine was starting a verification audit (${new Date(origin.startingSince).toISOString()}) and is not marked yet: left to the sweep, which plans it unless it is a verification`;
  logger.info('Nothing to do yet: possibly a verification audit', { auditTaskId });
  return { outcome: 'verification-pending', auditTaskId, detail };
}

export type Remediate = (request: AuditRequest) => Promise<RemediationOutcome>;

/** The remediation path of a function configured so, with the caller's hooks. */
export function remediation(config: RemediationConfig, hooks: RemediationHooks = {}): Remediate {
  return (request) => remediate(config, hooks, request);
}

async function remediate(
  config: RemediationConfig,
  hooks: RemediationHooks,
  request: AuditRequest,
): Promise<RemediationOutcome> {
  const described = await describeAudit(request.auditTaskId);
  if (!('audit' in described)) return described;
  const audit: Audit =
    request.accountId === undefined ? described.audit : { ...described.audit, accountId: request.accountId };
  if (request.claimed) {
    const differences = auditDisagreements(request.claimed, audit);
    if (differences.length > 0) {
      // A forged or replayed event, or a notification ahead of the answer: planned from AWS's answer.
      metrics.addMetric('EventDisagreements', MetricUnit.Count, 1);
      logger.warn('The event disagrees with DescribeAuditTask; the plan follows DescribeAuditTask', {
        differences: differences.slice(0, 20),
      });
    }
  }
  if (audit.taskStatus !== 'COMPLETED') {
    // Not an error: an early (or forged) event. The notification, or the sweep, comes back once it is.
    metrics.addMetric('AuditsNotCompleted', MetricUnit.Count, 1);
    const detail = `DescribeAuditTask says the audit is ${audit.taskStatus}; only completed audits are remediated`;
    logger.info('Nothing to do: the audit has not completed', { taskStatus: audit.taskStatus });
    return { outcome: 'nothing-to-do', reason: 'audit-not-completed', detail };
  }
  // The markers, the policy and the switch depend on no answer but the audit's: read together, awaited
  // in the path's order, so the same error surfaces first and a verification audit still plans nothing.
  const origin = auditOrigin(audit, verificationMarkerPath(config.switchParameterName));
  const policyRead = settledLater(loadPolicy(config.policyParameterName));
  const switchRead = settledLater(readRuntimeSwitch(config.switchParameterName));
  // The state machine's own verification audits come back as completed audits: never remediated.
  const known = await origin;
  if (known.kind !== 'other') return verificationAudit(audit.auditTaskId, known);

  const policy = await policyRead;
  const runtimeSwitch = await switchRead;
  if (!policy.ok) return policyInvalid(policy.issues);

  const { actionNamePrefix } = config;
  const resolveName = (name: string) => (actionNamePrefix ? `${actionNamePrefix}-${name}` : name);
  const { rerun } = request;
  const options: PlanOptions = {
    ...(rerun === undefined
      ? {}
      : { rerun: rerun.number, rerunForced: rerun.force, requestedBy: rerun.requestedBy }),
    ...(actionNamePrefix ? { actionNamePrefix } : {}),
  };
  const plan = hooks.loopGuard
    ? await hooks.loopGuard.plan(audit, policy.policy, runtimeSwitch, options)
    : planRemediation(audit, policy.policy, runtimeSwitch, options);
  const stackName = actionNamePrefix ?? 'device-defender-remediation';
  const heldBack = heldBackChecks(plan.decisions);
  if (heldBack.length > 0) {
    metrics.addMetric('ChecksHeldBack', MetricUnit.Count, heldBack.length);
    logger.warn('Checks held back by their caps', {
      heldBack: heldBack.map((d) => `${d.checkName}: ${d.detail}`),
    });
  }
  if (plan.kind === 'nothing-to-do') {
    if (plan.reason === 'paused') metrics.addMetric('Paused', MetricUnit.Count, 1);
    logger.info('Nothing to do', { reason: plan.reason, detail: plan.detail });
    const allHeldBack = everyCheckHeldBack(plan);
    if (allHeldBack) await hooks.everyCheckHeldBack?.(plan, audit);
    if (plan.loopGuard && hooks.loopGuard)
      await hooks.everyCheckLoopGuarded?.(
        await hooks.loopGuard.suppress(plan, audit.auditTaskId, stackName),
        audit,
      );
    return {
      outcome: 'nothing-to-do',
      reason: plan.reason,
      detail: plan.detail,
      ...(allHeldBack ? { heldBack } : {}),
    };
  }

  // The policy cannot lie: every action the plan uses exists, with the type the policy declares.
  const actionIssues = await deployedActionTypes(policy.policy, plan, resolveName);
  if (actionIssues.length > 0) return policyInvalid(actionIssues);

  const refusal = await hooks.beforeStart?.(plan, request);
  if (refusal) {
    countRejection('The re-run was refused: nothing is started', {
      reason: refusal.reason,
      detail: refusal.detail,
    });
    return refusal;
  }

  // Suppressions are changes: made last, enforce only, and their outcome travels in the plan.
  const final = hooks.loopGuard ? await hooks.loopGuard.suppress(plan, audit.auditTaskId, stackName) : plan;
  const input = JSON.stringify(final);
  try {
    assertWithin('execution input', utf8Bytes(input), EXECUTION_INPUT_LIMIT_BYTES);
  } catch (error) {
    if (error instanceof TooLargeError) return tooLarge(error);
    throw error;
  }
  return start(config, final, input);
}

/** The policy action names the plan's mitigated checks use, and DescribeMitigationAction's answer for each. */
async function deployedActionTypes(
  policy: Policy,
  plan: RemediationPlan,
  resolve: (name: string) => string,
): Promise<ValidationIssue[]> {
  const used = actionsUsed(policy, plan);
  const answers = await mapConcurrently(
    used,
    MAX_ACTIONS_DESCRIBED_AT_ONCE,
    async (name): Promise<[string, DeployedAction]> => {
      try {
        const { actionType } = await iot.send(
          new DescribeMitigationActionCommand({ actionName: resolve(name) }),
        );
        return [name, { exists: true, type: actionType }];
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return [name, { exists: false }];
        throw error;
      }
    },
  );
  return deployedActionIssues(policy, used, new Map(answers), resolve);
}

/**
 * `fn` over `items`, at most `limit` at once, answers in the items' order; the first rejection rejects
 * (as Promise.all: calls already started finish unawaited, none is started after it).
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * A read started before the path knows it needs the answer: awaited later, or never when the path ends
 * first (then its failure is nobody's, and must not surface as an unhandled rejection).
 */
function settledLater<T>(read: Promise<T>): Promise<T> {
  read.catch(() => undefined);
  return read;
}

/** The policy's names of the actions the plan's mitigated checks use, each once. */
export function actionsUsed(policy: Policy, plan: RemediationPlan): string[] {
  const mitigated = new Set(Object.keys(plan.auditCheckToActionsMapping));
  return [
    ...new Set(policy.rules.filter((rule) => mitigated.has(rule.check)).flatMap((rule) => rule.actions)),
  ];
}

async function start(
  config: RemediationConfig,
  plan: RemediationPlan,
  input: string,
): Promise<RemediationOutcome> {
  const executionName = plan.names.executionName;
  const callStartedAt = Date.now();
  try {
    const { executionArn, startDate } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: config.stateMachineArn, name: executionName, input }),
    );
    // Step Functions answers 200 with the original startDate to a same-name, same-input start while
    // the first execution runs: that is an earlier delivery of this audit, not a new execution.
    if (startDate && startDate.getTime() < callStartedAt - CLOCK_SKEW_MS) return duplicate(executionName);
    metrics.addMetric('ExecutionsStarted', MetricUnit.Count, 1);
    logger.info('Remediation started', {
      executionName,
      executionArn,
      mode: plan.mode,
      summary: plan.summary,
      ...(plan.rerun === undefined
        ? {}
        : { rerun: plan.rerun, requestedBy: plan.requestedBy, rerunForced: plan.rerunForced ?? false }),
    });
    return { outcome: 'started', executionName, executionArn: executionArn ?? '', mode: plan.mode.effective };
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists) return duplicate(executionName);
    throw error;
  }
}

function policyInvalid(issues: readonly ValidationIssue[]): RemediationOutcome {
  const errors = issues.map(formatIssue);
  logger.error('The remediation policy is invalid: nothing is started', { errors });
  metrics.addMetric('PolicyInvalid', MetricUnit.Count, 1);
  return { outcome: 'policy-invalid', errors };
}

/** Refuses what is too large, naming its size and the limit: nothing is started. */
export function tooLarge(error: TooLargeError): TooLarge {
  countRejection(`Refused: ${error.message}; nothing is started`, {
    what: error.what,
    bytes: error.bytes,
    limit: error.limit,
  });
  return {
    outcome: 'too-large',
    what: error.what,
    bytes: error.bytes,
    limit: error.limit,
    error: error.message,
  };
}

function duplicate(executionName: string): RemediationOutcome {
  metrics.addMetric('Duplicates', MetricUnit.Count, 1);
  logger.info('Already handled: an execution of this name exists', { executionName });
  return { outcome: 'duplicate', executionName };
}
