/**
 * The plan a deployed stack would make for a real audit, previewed with read-only calls only:
 * IoT DescribeAuditTask, DescribeMitigationAction and ListAuditFindings (and the loop guard's
 * ListAuditMitigationActionsTasks and DescribeAuditMitigationActionsTask), and with a stack
 * CloudFormation DescribeStacks and SSM GetParameter. It plans as the planner does
 * (functions/aws/remediate.ts): the audit from DescribeAuditTask's answer, bounded in bytes; the
 * policy and the switch; the loop guard's history (functions/aws/loop-guard.ts); each action the plan
 * uses checked against DescribeMitigationAction. Nothing here writes, and nothing is started.
 */
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import {
  type AuditFinding,
  DescribeAuditTaskCommand,
  DescribeMitigationActionCommand,
  IoTClient,
  ListAuditFindingsCommand,
  type ResourceIdentifier,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { IOT_PACED_RETRIES } from '#aws/clients';
import { loopGuardIo, planWithLoopGuard } from '#aws/loop-guard';
import {
  actionsUsed,
  loadPolicy,
  parseAuditAnswer,
  policyFromParameter,
  runtimeSwitchFrom,
} from '#aws/remediate';
import { FINDINGS_PAGE_SIZE } from '#domain/failed-findings';
import { formatIssue } from '#domain/json-schema';
import type { NothingToDo, RemediationPlan } from '#domain/plan';
import type { Policy, PolicyParseResult } from '#domain/policy';
import { type DeployedAction, deployedActionIssues } from '#domain/policy-checks';
import { TooLargeError } from '#domain/sizes';
import type { RuntimeSwitch } from '#domain/switch';
import { verificationMarkerName, verificationMarkerPath } from '#domain/verification';
import { type Pace, type PaceClock, pacer, realTime } from './pacing.ts';

/**
 * The Device Defender quotas are per account and not adjustable (docs/aws-facts/iot-api.md):
 * ListAuditFindings 10 calls a second, DescribeMitigationAction 25. The preview takes at most half,
 * leaving the rest to the stack's own report function and other tools.
 */
export const LIST_FINDINGS_PER_SECOND = 5;
export const DESCRIBE_ACTIONS_PER_SECOND = 10;

/** The template's names (template.yaml): the policy parameter and the switch's output. */
const POLICY_PARAMETER_KEY = 'PolicyParameterName';
const SWITCH_OUTPUT_KEY = 'RuntimeSwitchName';

export interface PreviewClients {
  readonly iot: Pick<IoTClient, 'send' | 'config'>;
  readonly ssm: Pick<SSMClient, 'send'>;
  readonly cloudFormation: Pick<CloudFormationClient, 'send'>;
  /** The profile the clients were made with (`--profile`), to name it when it has no credentials. */
  readonly profile?: string;
}

/** Clients for the account and region of `--profile` and `--region` (else the SDK's default chain). */
export function previewClients(where: { readonly region?: string; readonly profile?: string }) {
  const config = {
    ...(where.region === undefined ? {} : { region: where.region }),
    ...(where.profile === undefined ? {} : { profile: where.profile }),
  };
  return {
    iot: new IoTClient({ ...config, ...IOT_PACED_RETRIES }),
    ssm: new SSMClient(config),
    cloudFormation: new CloudFormationClient(config),
    ...(where.profile === undefined ? {} : { profile: where.profile }),
  } satisfies PreviewClients;
}

/** A preview that cannot be made: one line, and the exit code (2: the caller can fix it; 1: AWS failed). */
export class PreviewFailure extends Error {
  override readonly name = 'PreviewFailure';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}

/** The policy comes from a file, from the defaults of this checkout, or from a deployed stack. */
export type PolicyChoice =
  | { readonly kind: 'given'; readonly policy: Policy; readonly source: string }
  | { readonly kind: 'stack'; readonly stackName: string };

export interface PreviewRequest {
  readonly auditTaskId: string;
  readonly policy: PolicyChoice;
  /** The switch to plan with; with a stack, the stack's own is read instead. */
  readonly runtimeSwitch: RuntimeSwitch;
  readonly actionNamePrefix?: string;
  readonly rerun?: number;
  /** List the resources of each check to mitigate, at most `max` a check. */
  readonly findings?: { readonly max: number };
}

export interface MitigationActionView {
  /** The policy's name, and the name it has in the account (`<stack>-<name>`). */
  readonly name: string;
  readonly deployedName: string;
  readonly exists: boolean;
  readonly type?: string;
  readonly roleArn?: string;
}

/** A resource a mitigation task would act on: its finding, and the resource as AWS names it. */
export interface TouchedResource {
  readonly findingId: string;
  readonly reasonCode: string;
  readonly resourceType: string;
  readonly resourceIdentifier: ResourceIdentifier;
}

export interface CheckResources {
  /** The findings the task would act on: the check's, not suppressed, with a reason code of the plan's filter. */
  readonly resources: readonly TouchedResource[];
  /** The listing stopped at `max`: the check may hold more. */
  readonly stoppedAtMax: boolean;
  readonly pages: number;
}

export interface AuditPreview {
  readonly auditTaskId: string;
  /** Which policy was used, in words. */
  readonly policy: string;
  readonly plan: RemediationPlan | NothingToDo;
  readonly mitigationActions: readonly MitigationActionView[];
  /** Why the deployed planner would start nothing for this plan (a missing or mistyped action). */
  readonly plannerWouldRefuse: readonly string[];
  readonly findings?: Readonly<Record<string, CheckResources>>;
}

export async function previewAudit(
  clients: PreviewClients,
  request: PreviewRequest,
  clock: PaceClock = realTime,
): Promise<AuditPreview> {
  await credentialsOf(clients);
  const settings =
    request.policy.kind === 'stack'
      ? await stackSettings(clients, request.policy.stackName)
      : { policy: request.policy.policy, source: request.policy.source, switch: request.runtimeSwitch };
  const audit = await describeAudit(clients.iot, request.auditTaskId);
  const verifiedBy =
    'switchParameterName' in settings && audit.taskType === 'ON_DEMAND_AUDIT_TASK'
      ? await verificationMarker(clients.ssm, settings.switchParameterName, audit.auditTaskId)
      : undefined;
  const prefix = request.policy.kind === 'stack' ? request.policy.stackName : request.actionNamePrefix;
  // The planner's loop guard reads the history of the stack's tasks; its suppressions are writes, so
  // the preview shows them as planned and creates none.
  const { readHistory } = loopGuardIo(clients.iot, { minIntervalMs: 1000 / LIST_FINDINGS_PER_SECOND });
  const plan = await planWithLoopGuard(
    { readHistory, suppress: async (_auditTaskId, _stackName, record) => record },
    audit,
    settings.policy,
    settings.switch,
    {
      ...(request.rerun === undefined ? {} : { rerun: request.rerun }),
      ...(prefix === undefined ? {} : { actionNamePrefix: prefix }),
    },
  );
  if (plan.kind === 'nothing-to-do' && plan.reason === 'invalid-rerun')
    throw new PreviewFailure(`--rerun: ${plan.detail}`);
  const preview = { auditTaskId: request.auditTaskId, policy: settings.source, plan };
  // The stack's planner never remediates an audit its state machine started to verify a fix.
  const verification =
    verifiedBy === undefined
      ? []
      : [
          `a verification audit: execution ${verifiedBy} of the stack started it, and the planner never remediates it`,
        ];
  if (plan.kind === 'nothing-to-do')
    return {
      ...preview,
      mitigationActions: [],
      plannerWouldRefuse: verification,
      ...(request.findings ? { findings: {} } : {}),
    };

  const resolve = (name: string) => (prefix === undefined ? name : `${prefix}-${name}`);
  const used = actionsUsed(settings.policy, plan);
  const describeAction = paced(pacer(DESCRIBE_ACTIONS_PER_SECOND, clock), (name: string) =>
    describeMitigationAction(clients.iot, name, resolve(name)),
  );
  const mitigationActions = await Promise.all(used.map(describeAction));
  const deployed = new Map(
    mitigationActions.map((a): [string, DeployedAction] => [
      a.name,
      a.exists ? { exists: true, type: a.type } : { exists: false },
    ]),
  );
  const refusals = deployedActionIssues(settings.policy, used, deployed, resolve).map(formatIssue);
  return {
    ...preview,
    mitigationActions,
    plannerWouldRefuse: [...verification, ...refusals],
    ...(request.findings
      ? { findings: await planResources(clients.iot, plan, request.findings.max, clock) }
      : {}),
  };
}

function paced<A, R>(pace: Pace, call: (arg: A) => Promise<R>): (arg: A) => Promise<R> {
  return async (arg) => {
    await pace();
    return call(arg);
  };
}

// --- The stack's policy and switch --------------------------------------------------------------

/** Where a deployed stack keeps its policy and switch, from DescribeStacks' answer. */
export interface StackPlaces {
  /** The stack's policy parameter; undefined: the bundled policy. */
  readonly policyParameterName: string | undefined;
  readonly switchParameterName: string;
  /** Which policy the stack uses, in words. */
  readonly policySource: string;
}

export function stackPlaces(stackName: string, stack: Stack): StackPlaces {
  const parameter = stack.Parameters?.find((p) => p.ParameterKey === POLICY_PARAMETER_KEY);
  const switchParameterName =
    stack.Outputs?.find((o) => o.OutputKey === SWITCH_OUTPUT_KEY)?.OutputValue ??
    `/${stackName}/runtime-switch`;
  const name = parameter?.ParameterValue ?? '';
  if (name !== '')
    return {
      policyParameterName: name,
      switchParameterName,
      policySource: `SSM parameter ${name} (${POLICY_PARAMETER_KEY} of stack ${stackName})`,
    };
  return {
    policyParameterName: undefined,
    switchParameterName,
    policySource:
      parameter === undefined
        ? `the bundled default policy (stack ${stackName} has no ${POLICY_PARAMETER_KEY} parameter)`
        : `the bundled default policy (${POLICY_PARAMETER_KEY} of stack ${stackName} is empty)`,
  };
}

async function stackSettings(clients: PreviewClients, stackName: string) {
  const stack = await call('CloudFormation DescribeStacks', async () => {
    try {
      const { Stacks } = await clients.cloudFormation.send(
        new DescribeStacksCommand({ StackName: stackName }),
      );
      return Stacks?.[0];
    } catch (error) {
      // "If the stack doesn't exist, a ValidationError is returned" (docs/aws-facts/iot-api.md).
      if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message))
        return undefined;
      throw error;
    }
  });
  if (!stack)
    throw new PreviewFailure(
      `--stack: CloudFormation has no stack ${stackName} in ${await regionOf(clients)}`,
    );
  const places = stackPlaces(stackName, stack);
  const { policyParameterName: name } = places;
  const policy =
    name === undefined
      ? await loadPolicy(undefined)
      : policyFromParameter(
          name,
          (await getParameter(clients.ssm, name, `the policy parameter of stack ${stackName}`))?.Value,
        );
  const valid = validPolicy(policy, places.policySource);
  const parameter = await getParameter(
    clients.ssm,
    places.switchParameterName,
    `the runtime switch of stack ${stackName}`,
  );
  return {
    policy: valid,
    source: places.policySource,
    switch: runtimeSwitchFrom(parameter),
    switchParameterName: places.switchParameterName,
  };
}

/** The execution that marked this audit as its verification audit, if the stack's state machine did. */
async function verificationMarker(
  ssm: PreviewClients['ssm'],
  switchParameterName: string,
  auditTaskId: string,
) {
  const name = verificationMarkerName(verificationMarkerPath(switchParameterName), auditTaskId);
  return call('SSM GetParameter', async () => {
    try {
      return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (error) {
      if (error instanceof ParameterNotFound) return undefined;
      throw error;
    }
  });
}

function validPolicy(result: PolicyParseResult, source: string): Policy {
  if (result.ok) return result.policy;
  const [first, ...more] = result.issues.map(formatIssue);
  throw new PreviewFailure(
    `${source} is not a valid policy: ${first}${more.length > 0 ? ` (and ${more.length} more)` : ''}`,
  );
}

async function getParameter(ssm: PreviewClients['ssm'], name: string, what: string) {
  return call('SSM GetParameter', async () => {
    try {
      return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter;
    } catch (error) {
      if (error instanceof ParameterNotFound)
        throw new PreviewFailure(`${what}, ${name}, does not exist (ParameterNotFound)`);
      throw error;
    }
  });
}

// --- The audit and the actions ------------------------------------------------------------------

async function describeAudit(iot: PreviewClients['iot'], auditTaskId: string) {
  const answer = await call('IoT DescribeAuditTask', async () => {
    try {
      const { $metadata: _, ...rest } = await iot.send(new DescribeAuditTaskCommand({ taskId: auditTaskId }));
      return rest;
    } catch (error) {
      if (error instanceof ResourceNotFoundException)
        throw new PreviewFailure(
          `--audit-task-id: DescribeAuditTask knows no audit ${auditTaskId} in ${await iot.config.region()}`,
        );
      throw error;
    }
  });
  const parsed = parseAuditAnswer(auditTaskId, answer);
  if (parsed instanceof TooLargeError) throw new PreviewFailure(parsed.message, 1);
  if (!parsed.ok)
    throw new PreviewFailure(
      `DescribeAuditTask answered an audit that cannot be planned: ${parsed.issues.map(formatIssue).join('; ')}`,
      1,
    );
  return parsed.audit;
}

async function describeMitigationAction(
  iot: PreviewClients['iot'],
  name: string,
  deployedName: string,
): Promise<MitigationActionView> {
  return call('IoT DescribeMitigationAction', async () => {
    try {
      const { actionType, roleArn } = await iot.send(
        new DescribeMitigationActionCommand({ actionName: deployedName }),
      );
      return {
        name,
        deployedName,
        exists: true,
        ...(actionType === undefined ? {} : { type: actionType }),
        ...(roleArn === undefined ? {} : { roleArn }),
      };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return { name, deployedName, exists: false };
      throw error;
    }
  });
}

// --- The resources each check would touch ----------------------------------------------------------

async function planResources(
  iot: PreviewClients['iot'],
  plan: RemediationPlan,
  max: number,
  clock: PaceClock,
): Promise<Record<string, CheckResources>> {
  const pace = pacer(LIST_FINDINGS_PER_SECOND, clock);
  const findings: Record<string, CheckResources> = {};
  for (const [checkName, reasonCodes] of Object.entries(plan.target.auditCheckToReasonCodeFilter)) {
    const pages = findingPages(iot, plan.auditTaskId, checkName, pace);
    findings[checkName] = await checkResources(pages, reasonCodes, max);
  }
  return findings;
}

/** One page of a check's findings a mitigation task could act on. */
export type FindingPages = (nextToken: string | undefined) => Promise<{
  readonly resources: readonly TouchedResource[];
  readonly nextToken?: string | undefined;
}>;

/**
 * ListAuditFindings of one check, 250 a page, paced. Suppressed findings are left out (a mitigation
 * task never acts on them); without `listSuppressedFindings` AWS would list both
 * (docs/aws-facts/iot-api.md, "ListAuditFindings").
 */
function findingPages(
  iot: PreviewClients['iot'],
  taskId: string,
  checkName: string,
  pace: Pace,
): FindingPages {
  return async (nextToken) => {
    await pace();
    const page = await call('IoT ListAuditFindings', () =>
      iot.send(
        new ListAuditFindingsCommand({
          taskId,
          checkName,
          maxResults: FINDINGS_PAGE_SIZE,
          listSuppressedFindings: false,
          ...(nextToken === undefined ? {} : { nextToken }),
        }),
      ),
    );
    const listed = (page.findings ?? []).filter((finding) => finding.isSuppressed !== true);
    return { resources: listed.map(touchedResource), nextToken: page.nextToken || undefined };
  };
}

function touchedResource(finding: AuditFinding): TouchedResource {
  return {
    findingId: finding.findingId ?? '',
    reasonCode: finding.reasonForNonComplianceCode ?? '',
    resourceType: finding.nonCompliantResource?.resourceType ?? 'UNKNOWN_RESOURCE',
    resourceIdentifier: finding.nonCompliantResource?.resourceIdentifier ?? {},
  };
}

/**
 * The resources of one check that a mitigation task filtered by `reasonCodes` would act on, page by
 * page, until `max` are listed.
 */
export async function checkResources(
  pages: FindingPages,
  reasonCodes: readonly string[],
  max: number,
): Promise<CheckResources> {
  const resources: TouchedResource[] = [];
  let pageCount = 0;
  let nextToken: string | undefined;
  do {
    if (resources.length >= max) return { resources, stoppedAtMax: true, pages: pageCount };
    const page = await pages(nextToken);
    pageCount += 1;
    for (const resource of page.resources) {
      if (!reasonCodes.includes(resource.reasonCode)) continue;
      if (resources.length >= max) return { resources, stoppedAtMax: true, pages: pageCount };
      resources.push(resource);
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return { resources, stoppedAtMax: false, pages: pageCount };
}

// --- Failures -----------------------------------------------------------------------------------

async function regionOf(clients: PreviewClients): Promise<string> {
  return clients.iot.config.region();
}

/** Credentials first: the SDK's chain, or the profile's (its own message does not name the profile). */
async function credentialsOf(clients: PreviewClients): Promise<void> {
  try {
    await clients.iot.config.credentials();
  } catch (error) {
    const text = firstLine((error as Error).message);
    throw new PreviewFailure(
      clients.profile === undefined
        ? `no AWS credentials (${text}); configure them or pass --profile`
        : `no AWS credentials for profile ${clients.profile} (${text}); check the profile in your AWS config and credentials files`,
    );
  }
}

const CREDENTIALS =
  /^(CredentialsProviderError|AccessDenied|AccessDeniedException|UnauthorizedException|UnrecognizedClientException|InvalidClientTokenId|ExpiredToken|ExpiredTokenException|InvalidSignatureException|SignatureDoesNotMatch)$/;
const NETWORK = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|TimeoutError)$/;
const THROTTLING = /^(ThrottlingException|Throttling|TooManyRequestsException|RequestLimitExceeded)$/;

/** Runs one AWS call; a failure becomes one line naming the call. */
async function call<T>(operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw callFailure(operation, error);
  }
}

/** One line for an AWS call that failed, and whose fault it is (2: yours to fix; 1: AWS's, try again). */
export function callFailure(operation: string, error: unknown): PreviewFailure {
  if (error instanceof PreviewFailure) return error;
  const { name, message, $fault, $metadata, code } = error as Error & {
    $fault?: string;
    $metadata?: { attempts?: number };
    code?: string;
  };
  const text = firstLine(message);
  if (name === 'CredentialsProviderError' || /could not (load|resolve) credentials/i.test(text))
    return new PreviewFailure(`${operation}: no AWS credentials (${text}); configure them or pass --profile`);
  if (/region is missing/i.test(text))
    return new PreviewFailure(
      `${operation}: no AWS region; pass --region, set AWS_REGION or give the profile one`,
    );
  if (CREDENTIALS.test(name)) return new PreviewFailure(`${operation}: access denied (${name}: ${text})`);
  if (THROTTLING.test(name))
    return new PreviewFailure(
      `${operation}: still throttled after ${$metadata?.attempts ?? 'several'} attempts (${name}); try again later`,
      1,
    );
  if ($fault === 'server')
    return new PreviewFailure(`${operation}: AWS failed (${name}: ${text}); try again later`, 1);
  if (NETWORK.test(code ?? name))
    return new PreviewFailure(`${operation}: could not reach AWS (${code ?? name}: ${text})`, 1);
  return new PreviewFailure(`${operation}: ${name}: ${text}`, $fault === 'client' ? 2 : 1);
}

function firstLine(text: string | undefined): string {
  const line = (text ?? '').split('\n')[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
