/**
 * The one path from "a completed audit" to "a Step Functions execution", shared by the planner (audit
 * notifications) and the sweep (lost notifications, operator re-runs): load the policy, read the
 * runtime switch, plan, start. Idempotent by name: a second start of the same plan is a counted no-op.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Audit } from '#domain/audit';
import { formatIssue } from '#domain/json-schema';
import { planRemediation } from '#domain/plan';
import { type PolicyParseResult, parsePolicy } from '#domain/policy';
import type { RuntimeSwitch } from '#domain/switch';
import defaultPolicyDocument from '../../config/default-policy.json' with { type: 'json' };
import { awsClient, DEFAULT_RETRIES } from './clients.ts';
import { logger, metrics } from './observability.ts';

export const sfn = awsClient(SFNClient, DEFAULT_RETRIES);
export const ssm = awsClient(SSMClient, DEFAULT_RETRIES);

/** A start whose startDate is older than this before our call was an earlier delivery's. */
const CLOCK_SKEW_MS = 1_000;
/** How long a policy read from SSM is cached (Powertools Parameters). */
const POLICY_CACHE_SECONDS = 60;

export type RemediationOutcome =
  | {
      readonly outcome: 'started';
      readonly executionName: string;
      readonly executionArn: string;
      readonly mode: string;
    }
  | { readonly outcome: 'duplicate'; readonly executionName: string }
  | { readonly outcome: 'nothing-to-do'; readonly reason: string; readonly detail: string }
  | { readonly outcome: 'policy-invalid'; readonly errors: readonly string[] };

/** What the remediation path is configured with: the planner's and the sweep's environment. */
export interface RemediationConfig {
  readonly stateMachineArn: string;
  readonly switchParameterName: string;
  /** Unset: the policy bundled at build time. */
  readonly policyParameterName: string | undefined;
  /** The stack's mitigation actions are `<prefix>-<action>`; unset: the policy's names as they are. */
  readonly actionNamePrefix: string | undefined;
}

/** The policy: JSON from the SSM parameter when one is configured, else the bundled default. */
export async function loadPolicy(parameterName: string | undefined): Promise<PolicyParseResult> {
  if (parameterName === undefined) return parsePolicy(defaultPolicyDocument);
  const text = await getParameter(parameterName, { maxAge: POLICY_CACHE_SECONDS });
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
  return {
    value: Parameter?.Value ?? '',
    lastModified: Parameter?.LastModifiedDate?.getTime() ?? Number.NaN,
    version: Parameter?.Version ?? 0,
  };
}

export type Remediate = (audit: Audit, options?: { rerun?: number }) => Promise<RemediationOutcome>;

/** The remediation path of a function configured so. */
export function remediation(config: RemediationConfig): Remediate {
  return (audit, options = {}) => remediate(config, audit, options);
}

async function remediate(
  config: RemediationConfig,
  audit: Audit,
  options: { rerun?: number },
): Promise<RemediationOutcome> {
  const [policy, runtimeSwitch] = await Promise.all([
    loadPolicy(config.policyParameterName),
    readRuntimeSwitch(config.switchParameterName),
  ]);
  if (!policy.ok) {
    const errors = policy.issues.map(formatIssue);
    logger.error('The remediation policy is invalid: nothing is started', { errors });
    metrics.addMetric('PolicyInvalid', MetricUnit.Count, 1);
    return { outcome: 'policy-invalid', errors };
  }

  const { actionNamePrefix } = config;
  const plan = planRemediation(audit, policy.policy, runtimeSwitch, {
    ...options,
    ...(actionNamePrefix ? { actionNamePrefix } : {}),
  });
  const heldBack = plan.decisions.filter((d) => d.outcome === 'hold-back');
  if (heldBack.length > 0) {
    metrics.addMetric('ChecksHeldBack', MetricUnit.Count, heldBack.length);
    logger.warn('Checks held back by their caps', {
      heldBack: heldBack.map((d) => `${d.checkName}: ${d.detail}`),
    });
  }
  if (plan.kind === 'nothing-to-do') {
    if (plan.reason === 'paused') metrics.addMetric('Paused', MetricUnit.Count, 1);
    logger.info('Nothing to do', { reason: plan.reason, detail: plan.detail });
    return { outcome: 'nothing-to-do', reason: plan.reason, detail: plan.detail };
  }

  const executionName = plan.names.executionName;
  const callStartedAt = Date.now();
  try {
    const { executionArn, startDate } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: config.stateMachineArn,
        name: executionName,
        input: JSON.stringify(plan),
      }),
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
    });
    return { outcome: 'started', executionName, executionArn: executionArn ?? '', mode: plan.mode.effective };
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists) return duplicate(executionName);
    throw error;
  }
}

function duplicate(executionName: string): RemediationOutcome {
  metrics.addMetric('Duplicates', MetricUnit.Count, 1);
  logger.info('Already handled: an execution of this name exists', { executionName });
  return { outcome: 'duplicate', executionName };
}
