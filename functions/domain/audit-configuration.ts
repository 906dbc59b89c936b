/**
 * The pure parts of the audit-configuration custom resource (template.yaml, `AuditConfiguration`;
 * the handler is functions/audit-configuration): reading a CloudFormation request and the resource's
 * properties, deciding what a Create or Update sends to UpdateAccountAuditConfiguration (or why it
 * refuses), what a Delete changes, whether the scheduled audit needs creating or updating, and the
 * response CloudFormation expects. Every AWS behaviour these rules rely on is written down, with its
 * source, in docs/aws-facts/audit-configuration.md.
 *
 * Invariants: no request ever disables a check; a Delete only ever turns off the notification target
 * that points at this stack's topic; the role and the scheduled audit outlive the resource.
 */
import type {
  AuditCheckConfiguration,
  AuditFrequency,
  DayOfWeek,
  DescribeAccountAuditConfigurationResponse,
  DescribeScheduledAuditResponse,
  UpdateAccountAuditConfigurationRequest,
} from '@aws-sdk/client-iot';
import { CHECK_NAMES } from './catalogue.ts';
import { formatIssue, type JsonSchema, type ValidationIssue, validate } from './json-schema.ts';

// --- The CloudFormation request --------------------------------------------------------------------

export type RequestType = 'Create' | 'Update' | 'Delete';

/** The fields of a custom resource request the provider uses (Create, Update and Delete requests). */
export interface CustomResourceRequest {
  readonly RequestType: RequestType;
  readonly RequestId: string;
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
}

const requestSchema: JsonSchema = {
  type: 'object',
  required: ['RequestType', 'RequestId', 'ResponseURL', 'StackId', 'LogicalResourceId'],
  properties: {
    RequestType: { type: 'string', enum: ['Create', 'Update', 'Delete'] },
    RequestId: { type: 'string', minLength: 1 },
    ResponseURL: { type: 'string', pattern: '^https?://' },
    StackId: { type: 'string', pattern: '^arn:[a-z-]+:cloudformation:[a-z0-9-]+:\\d{12}:stack/[^/]+/' },
    LogicalResourceId: { type: 'string', minLength: 1 },
    PhysicalResourceId: { type: 'string', minLength: 1 },
  },
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A request that cannot be answered (no response URL) or read is the caller's error. */
export function parseRequest(
  event: unknown,
): { ok: true; request: CustomResourceRequest } | { ok: false; issues: readonly string[] } {
  const issues = validate(requestSchema, event);
  if (isRecord(event)) {
    if (!isRecord(event.ResourceProperties))
      issues.push({ path: 'ResourceProperties', message: 'is required and must be an object' });
    if (event.OldResourceProperties !== undefined && !isRecord(event.OldResourceProperties))
      issues.push({ path: 'OldResourceProperties', message: 'must be an object' });
    if (event.RequestType !== 'Create' && event.PhysicalResourceId === undefined)
      issues.push({
        path: 'PhysicalResourceId',
        message: `is required in a ${String(event.RequestType)} request`,
      });
  }
  if (issues.length > 0) return { ok: false, issues: issues.map(formatIssue) };
  return { ok: true, request: event as unknown as CustomResourceRequest };
}

/** `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID` */
export function stackOf(stackId: string): {
  partition: string;
  region: string;
  account: string;
  name: string;
} {
  const [, partition = '', , region = '', account = '', resource = ''] = stackId.split(':');
  return { partition, region, account, name: resource.split('/')[1] ?? '' };
}

// --- The resource's properties -----------------------------------------------------------------

export const FREQUENCIES = ['DAILY', 'WEEKLY', 'BIWEEKLY', 'MONTHLY'] as const;
export const DAYS_OF_WEEK = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
/** The API's limits on a scheduled audit's name (CreateScheduledAudit). */
export const SCHEDULED_AUDIT_NAME_PATTERN = '^[a-zA-Z0-9_-]{1,128}$';

/** What the template passes (besides ServiceToken and ServiceTimeout, which are CloudFormation's). */
export interface AuditConfigurationProperties {
  /** The role audits run with: the stack's retained AuditRole. */
  readonly auditRoleArn: string;
  /** The stack's AuditNotificationsTopic and the role Device Defender publishes to it with. */
  readonly notificationTopicArn: string;
  readonly notificationRoleArn: string;
  /** Derived from the stack name: a redeploy finds and adopts the audit it left running. */
  readonly scheduledAuditName: string;
  readonly frequency: AuditFrequency;
  readonly dayOfWeek?: DayOfWeek;
  readonly dayOfMonth?: string;
  /** The checks to enable and to run: every check the project knows. */
  readonly auditChecks: readonly string[];
}

const roleArn: JsonSchema = {
  type: 'string',
  pattern: '^arn:[a-z-]+:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$',
};

export const PROPERTIES_SCHEMA: JsonSchema = {
  type: 'object',
  required: [
    'AuditRoleArn',
    'NotificationTopicArn',
    'NotificationRoleArn',
    'ScheduledAuditName',
    'Frequency',
    'AuditChecks',
  ],
  additionalProperties: false,
  properties: {
    AuditRoleArn: roleArn,
    NotificationTopicArn: {
      type: 'string',
      pattern: '^arn:[a-z-]+:sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,256}$',
    },
    NotificationRoleArn: roleArn,
    ScheduledAuditName: { type: 'string', pattern: SCHEDULED_AUDIT_NAME_PATTERN },
    Frequency: { type: 'string', enum: FREQUENCIES },
    DayOfWeek: { type: 'string', enum: DAYS_OF_WEEK },
    DayOfMonth: { type: 'string', pattern: '^([1-9]|[12][0-9]|3[01]|LAST)$' },
    AuditChecks: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', enum: CHECK_NAMES },
    },
  },
};

/** CloudFormation's own properties, which it also passes to the provider. */
const CLOUDFORMATION_PROPERTIES = new Set(['ServiceToken', 'ServiceTimeout']);

export function parseProperties(
  raw: Readonly<Record<string, unknown>> | undefined,
): { ok: true; properties: AuditConfigurationProperties } | { ok: false; issues: readonly string[] } {
  const own = Object.fromEntries(
    Object.entries(raw ?? {}).filter(([key]) => !CLOUDFORMATION_PROPERTIES.has(key)),
  );
  const issues: ValidationIssue[] = validate(PROPERTIES_SCHEMA, own);
  const frequency = own.Frequency;
  if ((frequency === 'WEEKLY' || frequency === 'BIWEEKLY') && own.DayOfWeek === undefined)
    issues.push({ path: 'DayOfWeek', message: `is required with Frequency ${frequency}` });
  if (frequency === 'MONTHLY' && own.DayOfMonth === undefined)
    issues.push({ path: 'DayOfMonth', message: 'is required with Frequency MONTHLY' });
  if (issues.length > 0) return { ok: false, issues: issues.map(formatIssue) };
  const p = own as {
    AuditRoleArn: string;
    NotificationTopicArn: string;
    NotificationRoleArn: string;
    ScheduledAuditName: string;
    Frequency: string;
    DayOfWeek?: string;
    DayOfMonth?: string;
    AuditChecks: string[];
  };
  return {
    ok: true,
    properties: {
      auditRoleArn: p.AuditRoleArn,
      notificationTopicArn: p.NotificationTopicArn,
      notificationRoleArn: p.NotificationRoleArn,
      scheduledAuditName: p.ScheduledAuditName,
      frequency: p.Frequency as AuditFrequency,
      ...(p.DayOfWeek !== undefined && { dayOfWeek: p.DayOfWeek as DayOfWeek }),
      ...(p.DayOfMonth !== undefined && { dayOfMonth: p.DayOfMonth }),
      auditChecks: [...p.AuditChecks],
    },
  };
}

// --- Whose notification target is it? ------------------------------------------------------------

/**
 * The topic is this stack's: the one it passes now, the one it passed before an update, or one an
 * earlier deployment of the same stack name left behind (CloudFormation names a topic without a
 * TopicName `<stack name>-<logical id>-<suffix>`, in the stack's account and region).
 */
export function isOwnTopic(
  topicArn: string,
  stackId: string,
  properties: AuditConfigurationProperties,
  previous?: AuditConfigurationProperties,
): boolean {
  if (topicArn === properties.notificationTopicArn || topicArn === previous?.notificationTopicArn)
    return true;
  const stack = stackOf(stackId);
  const ownName = properties.notificationTopicArn.split(':')[5] ?? '';
  // `<stack name>-<logical id>-`: the generated name without its random suffix.
  const generatedPrefix = ownName.slice(0, ownName.lastIndexOf('-') + 1);
  if (!generatedPrefix.startsWith(`${stack.name}-`) || generatedPrefix.length <= stack.name.length + 2)
    return false;
  const [, partition, service, region, account, name = ''] = topicArn.split(':');
  return (
    partition === stack.partition &&
    service === 'sns' &&
    region === stack.region &&
    account === stack.account &&
    name.startsWith(generatedPrefix) &&
    !name.slice(generatedPrefix.length).includes('-')
  );
}

// --- Create and Update --------------------------------------------------------------------------

export type UpsertPlan =
  | { readonly kind: 'refuse'; readonly reason: string }
  | {
      readonly kind: 'apply';
      readonly request: UpdateAccountAuditConfigurationRequest;
      /** The audit role the account used before, when it was another (logged: it may be unused now). */
      readonly replacedRoleArn?: string;
      /** A notification target of an earlier deployment of this stack that is taken over. */
      readonly adoptedTopicArn?: string;
    };

export function disableNotificationsCommand(targetArn: string, roleArn: string | undefined): string {
  const target = JSON.stringify({ SNS: { targetArn, roleArn: roleArn ?? '<its role ARN>', enabled: false } });
  return `aws iot update-account-audit-configuration --audit-notification-target-configurations '${target}'`;
}

/**
 * Create and Update upsert: the stack's role, every check enabled (each keeps the settings the account
 * gave it), notifications to the stack's topic. Refused, before anything changes, when the account's
 * notifications go to an enabled topic that is not this stack's: another stack or a person manages
 * the configuration, and taking it over would silently stop their notifications.
 */
export function planUpsert(
  current: DescribeAccountAuditConfigurationResponse,
  properties: AuditConfigurationProperties,
  stackId: string,
  previous?: AuditConfigurationProperties,
): UpsertPlan {
  const target = current.auditNotificationTargetConfigurations?.SNS;
  const foreignTopic =
    target?.enabled === true &&
    target.targetArn !== undefined &&
    !isOwnTopic(target.targetArn, stackId, properties, previous)
      ? target.targetArn
      : undefined;
  if (foreignTopic !== undefined) {
    return {
      kind: 'refuse',
      reason:
        `The account's Device Defender audit notifications go to ${foreignTopic}, which is not this ` +
        "stack's topic: another stack or a person manages the account's audit configuration, and only one " +
        'may. Nothing was changed. Either deploy with ManageAuditConfiguration=false and connect the ' +
        'notifications yourself (output ConnectAuditNotificationsCommand), or, if nothing needs that topic ' +
        `any more, turn its notifications off and deploy again: ${disableNotificationsCommand(foreignTopic, target?.roleArn)}`,
    };
  }
  const existing = current.auditCheckConfigurations ?? {};
  const auditCheckConfigurations: Record<string, AuditCheckConfiguration> = {};
  for (const name of properties.auditChecks) {
    const configuration = existing[name]?.configuration;
    auditCheckConfigurations[name] = {
      enabled: true,
      ...(configuration && Object.keys(configuration).length > 0 && { configuration }),
    };
  }
  const replacedRoleArn =
    current.roleArn && current.roleArn !== properties.auditRoleArn ? current.roleArn : undefined;
  const adoptedTopicArn =
    target?.targetArn !== undefined && target.targetArn !== properties.notificationTopicArn
      ? target.targetArn
      : undefined;
  return {
    kind: 'apply',
    request: {
      roleArn: properties.auditRoleArn,
      auditCheckConfigurations,
      auditNotificationTargetConfigurations: {
        SNS: {
          targetArn: properties.notificationTopicArn,
          roleArn: properties.notificationRoleArn,
          enabled: true,
        },
      },
    },
    ...(replacedRoleArn && { replacedRoleArn }),
    ...(adoptedTopicArn && { adoptedTopicArn }),
  };
}

/** Does the account already have what the plan sets? Then a repeated request changes nothing. */
export function alreadyApplied(
  current: DescribeAccountAuditConfigurationResponse,
  request: UpdateAccountAuditConfigurationRequest,
): boolean {
  const target = current.auditNotificationTargetConfigurations?.SNS;
  const wanted = request.auditNotificationTargetConfigurations?.SNS;
  return (
    current.roleArn === request.roleArn &&
    target?.enabled === wanted?.enabled &&
    target?.targetArn === wanted?.targetArn &&
    target?.roleArn === wanted?.roleArn &&
    Object.entries(request.auditCheckConfigurations ?? {}).every(
      ([name, check]) => current.auditCheckConfigurations?.[name]?.enabled === check.enabled,
    )
  );
}

// --- Delete ---------------------------------------------------------------------------------------

/**
 * Delete leaves the account's audits working: the checks and the role (the retained AuditRole) stay
 * as they are, and so does the scheduled audit. Only the notification target is turned off, and only
 * when it points at this stack's topic, which is deleted after this resource: a target that points
 * elsewhere belongs to someone else (and a Create that was refused changed nothing).
 */
export function planRelease(
  current: DescribeAccountAuditConfigurationResponse,
  properties: AuditConfigurationProperties,
  stackId: string,
): UpdateAccountAuditConfigurationRequest | undefined {
  const target = current.auditNotificationTargetConfigurations?.SNS;
  if (target?.enabled !== true || target.targetArn === undefined) return undefined;
  if (!isOwnTopic(target.targetArn, stackId, properties)) return undefined;
  return {
    auditNotificationTargetConfigurations: {
      // The stack's own notification role: it exists until after this resource is deleted.
      SNS: { targetArn: target.targetArn, roleArn: properties.notificationRoleArn, enabled: false },
    },
  };
}

// --- The scheduled audit --------------------------------------------------------------------------

export interface ScheduledAuditRequest {
  readonly scheduledAuditName: string;
  readonly frequency: AuditFrequency;
  readonly dayOfWeek?: DayOfWeek;
  readonly dayOfMonth?: string;
  readonly targetCheckNames: string[];
}

export function scheduledAuditRequest(properties: AuditConfigurationProperties): ScheduledAuditRequest {
  return {
    scheduledAuditName: properties.scheduledAuditName,
    frequency: properties.frequency,
    ...(properties.dayOfWeek !== undefined && { dayOfWeek: properties.dayOfWeek }),
    ...(properties.dayOfMonth !== undefined && { dayOfMonth: properties.dayOfMonth }),
    targetCheckNames: [...properties.auditChecks],
  };
}

/** Create it when missing, update it when it differs in what matters for its frequency. */
export function scheduledAuditChange(
  existing: DescribeScheduledAuditResponse | undefined,
  wanted: ScheduledAuditRequest,
): 'create' | 'update' | 'unchanged' {
  if (!existing) return 'create';
  const weekly = wanted.frequency === 'WEEKLY' || wanted.frequency === 'BIWEEKLY';
  const same =
    existing.frequency === wanted.frequency &&
    (!weekly || existing.dayOfWeek === wanted.dayOfWeek) &&
    (wanted.frequency !== 'MONTHLY' || existing.dayOfMonth === wanted.dayOfMonth) &&
    sameSet(existing.targetCheckNames ?? [], wanted.targetCheckNames);
  return same ? 'unchanged' : 'update';
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  return left.size === new Set(b).size && b.every((item) => left.has(item));
}

// --- The response ---------------------------------------------------------------------------------

export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: Readonly<Record<string, string>>;
}

/** CloudFormation refuses a response body over 4096 bytes. */
export const MAX_RESPONSE_BYTES = 4096;

/**
 * The physical id never changes after Create: a new one would make CloudFormation treat an Update as
 * a replacement and send a Delete for the old id, which would turn the notifications off again.
 */
export function physicalResourceIdOf(request: CustomResourceRequest): string {
  if (request.PhysicalResourceId) return request.PhysicalResourceId;
  const name = request.ResourceProperties.ScheduledAuditName;
  return typeof name === 'string' && name !== ''
    ? name
    : `${stackOf(request.StackId).name}-${request.LogicalResourceId}`;
}

export function buildResponse(
  request: CustomResourceRequest,
  outcome:
    | { readonly status: 'SUCCESS'; readonly data?: Readonly<Record<string, string>> }
    | { readonly status: 'FAILED'; readonly reason: string },
): CustomResourceResponse {
  const base = {
    PhysicalResourceId: physicalResourceIdOf(request),
    StackId: request.StackId,
    RequestId: request.RequestId,
    LogicalResourceId: request.LogicalResourceId,
  };
  if (outcome.status === 'SUCCESS')
    return { Status: 'SUCCESS', ...base, ...(outcome.data && { Data: outcome.data }) };
  const room =
    MAX_RESPONSE_BYTES - Buffer.byteLength(JSON.stringify({ Status: 'FAILED', Reason: '', ...base }));
  return { Status: 'FAILED', Reason: truncateBytes(outcome.reason, room), ...base };
}

/** Cuts a text to at most `bytes` bytes of its JSON string form, marking the cut. */
export function truncateBytes(text: string, bytes: number): string {
  const size = (t: string) => Buffer.byteLength(JSON.stringify(t)) - 2;
  if (size(text) <= bytes) return text;
  const marker = ' […]';
  let end = Math.min(text.length, Math.max(0, bytes));
  while (end > 0 && size(text.slice(0, end)) + size(marker) > bytes) end -= 1;
  return `${text.slice(0, end)}${marker}`;
}
