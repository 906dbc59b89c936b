/**
 * The audit-configuration custom resource's lifecycle, through the real handler: CloudFormation's
 * requests go in, the responses come back to a fake ResponseURL server on 127.0.0.1, and IoT is
 * aws-sdk-client-mock answering from the emulator's account state (the local cloud's AuditConfiguration:
 * checks used by a scheduled audit cannot be disabled, scheduled audits need enabled checks, names are
 * unique, five at most). IAM roles and SNS topics are a set of ARNs that exist, so "the audits work"
 * can be checked after every step: a role that exists, every check enabled, one scheduled audit that
 * can run, and no enabled notification target pointing at something deleted.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateScheduledAuditCommand,
  DescribeAccountAuditConfigurationCommand,
  DescribeScheduledAuditCommand,
  InternalFailureException,
  InvalidRequestException,
  IoTClient,
  LimitExceededException,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateAccountAuditConfigurationCommand,
  type UpdateAccountAuditConfigurationRequest,
  UpdateScheduledAuditCommand,
} from '@aws-sdk/client-iot';
import { AuditConfiguration, ServiceError } from '@device-defender-remediation/local-cloud';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CustomResourceResponse } from '#domain/audit-configuration';
import { CHECK_NAMES } from '#domain/catalogue';
import { handler, RESPONSE_MARGIN_MS } from '../../functions/audit-configuration/index.ts';
import { ACCOUNT, lambdaContext } from './support.ts';

const REGION = 'us-east-1';
const iot = mockClient(IoTClient);
const context = lambdaContext('audit-configuration');

// --- The fake ResponseURL -------------------------------------------------------------------------

interface Delivery {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const deliveries: Delivery[] = [];
/** HTTP statuses to answer the next PUTs with (then 200). */
const refusals: number[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    deliveries.push({ method: req.method ?? '', headers: req.headers, body });
    res.statusCode = refusals.shift() ?? 200;
    res.end();
  });
});
let responseUrl = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cloudformation-response`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// --- The account ----------------------------------------------------------------------------------

const SDK_ERRORS = {
  InvalidRequestException,
  ResourceNotFoundException,
  ResourceAlreadyExistsException,
  LimitExceededException,
} as const;

/** Runs an emulator call and turns its ServiceError into the SDK's exception, as the wire would. */
function answer<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    const Exception = SDK_ERRORS[error.type as keyof typeof SDK_ERRORS];
    if (!Exception) throw new Error(`unmapped emulator error ${error.type}`);
    throw new Exception({ message: error.message, $metadata: { httpStatusCode: 400 } });
  }
}

class Account {
  readonly configuration = new AuditConfiguration({ unconfigured: true });
  /** IAM roles and SNS topics that exist. */
  readonly roles = new Set<string>();
  readonly topics = new Set<string>();
  readonly updates: UpdateAccountAuditConfigurationRequest[] = [];
  #suffix = 0;

  unique(): string {
    this.#suffix += 1;
    return `X${this.#suffix.toString(36).toUpperCase().padStart(11, '0')}`;
  }

  role(name: string): string {
    const arn = `arn:aws:iam::${ACCOUNT}:role/${name}`;
    this.roles.add(arn);
    return arn;
  }

  topic(name: string): string {
    const arn = `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
    this.topics.add(arn);
    return arn;
  }

  /** Answers the function's IoT calls from this account. */
  serve(): void {
    iot
      .on(DescribeAccountAuditConfigurationCommand)
      .callsFake(() => answer(() => this.configuration.describe()));
    iot
      .on(UpdateAccountAuditConfigurationCommand)
      .callsFake((input: UpdateAccountAuditConfigurationRequest) =>
        answer(() => {
          this.updates.push(input);
          // IoT is handed these roles; one that does not exist cannot be used (an assumption of this fake).
          const sns = input.auditNotificationTargetConfigurations?.SNS;
          for (const arn of [input.roleArn, sns?.roleArn])
            if (arn !== undefined && !this.roles.has(arn))
              throw new ServiceError('InvalidRequestException', `role ${arn} does not exist`);
          this.configuration.update(input);
          return {};
        }),
      );
    iot.on(DescribeScheduledAuditCommand).callsFake((input) =>
      answer(() => {
        const { targetCheckNames, ...metadata } = this.configuration.scheduledAudit(input.scheduledAuditName);
        return { ...metadata, targetCheckNames: [...targetCheckNames] };
      }),
    );
    iot.on(CreateScheduledAuditCommand).callsFake((input) =>
      answer(() => {
        const arn = `arn:aws:iot:${REGION}:${ACCOUNT}:scheduledaudit/${input.scheduledAuditName}`;
        return { scheduledAuditArn: this.configuration.createScheduledAudit(input, arn).scheduledAuditArn };
      }),
    );
    iot.on(UpdateScheduledAuditCommand).callsFake((input) =>
      answer(() => ({
        scheduledAuditArn: this.configuration.updateScheduledAudit(input).scheduledAuditArn,
      })),
    );
  }

  scheduledAudits() {
    return this.configuration.listScheduledAudits({}).scheduledAudits ?? [];
  }

  /** What stops the account's audits from working (empty: they work). */
  auditProblems(): string[] {
    const problems: string[] = [];
    const {
      roleArn,
      auditCheckConfigurations = {},
      auditNotificationTargetConfigurations,
    } = this.configuration.describe();
    if (!roleArn || !this.roles.has(roleArn)) problems.push(`audit role ${roleArn} does not exist`);
    for (const name of CHECK_NAMES)
      if (!auditCheckConfigurations[name]?.enabled) problems.push(`${name} is disabled`);
    const audits = this.scheduledAudits();
    if (audits.length !== 1) problems.push(`${audits.length} scheduled audits`);
    for (const { scheduledAuditName } of audits)
      try {
        this.configuration.assertRunnable(
          this.configuration.scheduledAudit(scheduledAuditName!).targetCheckNames,
        );
      } catch (error) {
        problems.push(`${scheduledAuditName} cannot run: ${(error as Error).message}`);
      }
    const sns = auditNotificationTargetConfigurations?.SNS;
    if (sns?.enabled && !(this.topics.has(sns.targetArn ?? '') && this.roles.has(sns.roleArn ?? '')))
      problems.push(`notifications go to ${sns.targetArn} with ${sns.roleArn}, which do not exist`);
    return problems;
  }

  notifications() {
    return this.configuration.describe().auditNotificationTargetConfigurations?.SNS;
  }
}

// --- The stack, as CloudFormation drives it -------------------------------------------------------

class Stack {
  readonly stackId: string;
  /** Resources every deployment has: the notifications topic and its role. */
  topicArn = '';
  notificationRoleArn = '';
  /** Only with ManageAuditConfiguration=true; retained when removed. */
  auditRoleArn: string | undefined;
  physicalResourceId: string | undefined;
  properties: Record<string, unknown> | undefined;

  constructor(
    readonly account: Account,
    readonly name = 'ddr',
  ) {
    this.stackId = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/${randomUUID()}`;
  }

  resourceProperties(frequency = 'DAILY'): Record<string, unknown> {
    return {
      ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${this.name}-AuditConfigurationFunction-ABC`,
      ServiceTimeout: '600',
      AuditRoleArn: this.auditRoleArn,
      NotificationTopicArn: this.topicArn,
      NotificationRoleArn: this.notificationRoleArn,
      ScheduledAuditName: `${this.name}-audit`,
      Frequency: frequency,
      ...(frequency === 'WEEKLY' && { DayOfWeek: 'SUN' }),
      AuditChecks: [...CHECK_NAMES],
    };
  }

  async request(
    RequestType: 'Create' | 'Update' | 'Delete',
    ResourceProperties: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): Promise<CustomResourceResponse> {
    const RequestId = randomUUID();
    const event = {
      RequestType,
      RequestId,
      ResponseURL: `${responseUrl}?request=${RequestId}`,
      ResourceType: 'AWS::CloudFormation::CustomResource',
      LogicalResourceId: 'AuditConfiguration',
      StackId: this.stackId,
      ServiceToken: ResourceProperties.ServiceToken,
      ResourceProperties,
      ...(this.physicalResourceId &&
        RequestType !== 'Create' && { PhysicalResourceId: this.physicalResourceId }),
      ...extra,
    };
    const returned = await handler(event, context);
    // One response per request (repeated verbatim only when the URL refused it).
    const delivered = new Set(
      deliveries.filter((d) => JSON.parse(d.body).RequestId === RequestId).map((d) => d.body),
    );
    expect(delivered.size).toBe(1);
    const response = JSON.parse([...delivered][0]!) as CustomResourceResponse;
    expect(returned).toEqual(response);
    return response;
  }

  /** Stack create: the topic and its role, then (when managed) the audit role and the resource. */
  async deploy(managed = true, frequency = 'DAILY'): Promise<CustomResourceResponse | undefined> {
    const suffix = this.account.unique();
    this.topicArn = this.account.topic(`${this.name}-AuditNotificationsTopic-${suffix}`);
    this.notificationRoleArn = this.account.role(`${this.name}-AuditNotificationsRole-${suffix}`);
    return managed ? this.manage(frequency) : undefined;
  }

  /** ManageAuditConfiguration false -> true (or the managed part of a stack create). */
  async manage(frequency = 'DAILY'): Promise<CustomResourceResponse> {
    this.auditRoleArn = this.account.role(`${this.name}-AuditRole-${this.account.unique()}`);
    this.properties = this.resourceProperties(frequency);
    const response = await this.request('Create', this.properties);
    this.physicalResourceId = response.PhysicalResourceId;
    return response;
  }

  async update(frequency: string): Promise<CustomResourceResponse> {
    const old = this.properties!;
    this.properties = this.resourceProperties(frequency);
    return this.request('Update', this.properties, { OldResourceProperties: old });
  }

  /** ManageAuditConfiguration true -> false: the condition removes the resource; AuditRole is retained. */
  async unmanage(): Promise<CustomResourceResponse> {
    const response = await this.request('Delete', this.properties!);
    this.properties = undefined;
    this.physicalResourceId = undefined;
    return response;
  }

  /** Stack delete: the resource first (it refers to the rest), then everything not retained. */
  async delete(): Promise<CustomResourceResponse | undefined> {
    const response = this.properties ? await this.unmanage() : undefined;
    this.account.topics.delete(this.topicArn);
    this.account.roles.delete(this.notificationRoleArn);
    return response;
  }
}

let account: Account;
beforeEach(() => {
  iot.reset();
  deliveries.length = 0;
  refusals.length = 0;
  account = new Account();
  account.serve();
});
afterEach(() => {
  // Whatever happened, no request ever disabled a check.
  for (const update of account.updates)
    for (const [name, check] of Object.entries(update.auditCheckConfigurations ?? {}))
      expect(check.enabled, `${name} in ${JSON.stringify(update)}`).toBe(true);
});

const calls = (command: Parameters<typeof iot.commandCalls>[0]) => iot.commandCalls(command).length;

describe('audit-configuration: Create', () => {
  it('on an account with no audit configuration: the role, every check, notifications to the stack and a scheduled audit', async () => {
    const stack = new Stack(account);
    const response = await stack.deploy();
    expect(response).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'ddr-audit',
      StackId: stack.stackId,
      LogicalResourceId: 'AuditConfiguration',
      Data: { ScheduledAuditName: 'ddr-audit', AuditRoleArn: stack.auditRoleArn },
    });
    expect(account.auditProblems()).toEqual([]);
    expect(account.configuration.describe().roleArn).toBe(stack.auditRoleArn);
    expect(account.notifications()).toEqual({
      targetArn: stack.topicArn,
      roleArn: stack.notificationRoleArn,
      enabled: true,
    });
    expect(account.configuration.scheduledAudit('ddr-audit')).toMatchObject({
      frequency: 'DAILY',
      targetCheckNames: CHECK_NAMES,
    });
  });

  it('adopts another, quiet configuration: its role is replaced, each check keeps its own settings', async () => {
    account.configuration.update({
      roleArn: account.role('hand-made-audit-role'),
      auditCheckConfigurations: {
        DEVICE_CERTIFICATE_AGE_CHECK: { enabled: true, configuration: { CERT_AGE_THRESHOLD_IN_DAYS: '90' } },
        LOGGING_DISABLED_CHECK: { enabled: false },
      },
    });
    const stack = new Stack(account);
    expect((await stack.deploy())?.Status).toBe('SUCCESS');
    expect(account.auditProblems()).toEqual([]);
    expect(account.configuration.describe().roleArn).toBe(stack.auditRoleArn);
    expect(account.configuration.customConfiguration('DEVICE_CERTIFICATE_AGE_CHECK')).toEqual({
      CERT_AGE_THRESHOLD_IN_DAYS: '90',
    });
  });

  it("refuses, changing nothing, when the account's notifications go to another enabled topic, and says what to do", async () => {
    const other = new Stack(account, 'other');
    await other.deploy();
    const before = structuredClone(account.configuration.describe());
    const stack = new Stack(account);
    const response = await stack.deploy();
    expect(response?.Status).toBe('FAILED');
    expect(response?.Reason).toContain(`notifications go to ${other.topicArn}`);
    expect(response?.Reason).toContain('ManageAuditConfiguration=false');
    expect(response?.Reason).toContain(
      `aws iot update-account-audit-configuration --audit-notification-target-configurations '{"SNS":{"targetArn":"${other.topicArn}","roleArn":"${other.notificationRoleArn}","enabled":false}}'`,
    );
    expect(account.configuration.describe()).toEqual(before);
    expect(account.scheduledAudits().map((a) => a.scheduledAuditName)).toEqual(['other-audit']);

    // CloudFormation rolls the stack back: the Delete of the refused resource leaves the other alone.
    expect((await stack.delete())?.Status).toBe('SUCCESS');
    expect(account.configuration.describe()).toEqual(before);
    expect(account.auditProblems()).toEqual([]);
  });

  it('is idempotent: a repeated request answers SUCCESS again and creates nothing twice', async () => {
    const stack = new Stack(account);
    await stack.deploy();
    const again = await stack.request('Create', stack.properties!);
    expect(again).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'ddr-audit' });
    expect(calls(CreateScheduledAuditCommand)).toBe(1);
    expect(calls(UpdateAccountAuditConfigurationCommand)).toBe(1);
    expect(account.auditProblems()).toEqual([]);
  });

  it('treats a scheduled audit created by a concurrent attempt as its own', async () => {
    const stack = new Stack(account);
    await stack.deploy(false);
    // The describe misses it; the create then meets it.
    iot
      .on(DescribeScheduledAuditCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'not yet', $metadata: {} }));
    account.configuration.update({ auditCheckConfigurations: { LOGGING_DISABLED_CHECK: { enabled: true } } });
    account.configuration.createScheduledAudit(
      {
        scheduledAuditName: 'ddr-audit',
        frequency: 'WEEKLY',
        dayOfWeek: 'MON',
        targetCheckNames: ['LOGGING_DISABLED_CHECK'],
      },
      'arn',
    );
    expect((await stack.manage())?.Status).toBe('SUCCESS');
    expect(account.scheduledAudits()).toHaveLength(1);
    expect(account.configuration.scheduledAudit('ddr-audit')).toMatchObject({
      frequency: 'DAILY',
      targetCheckNames: CHECK_NAMES,
    });
  });

  it('fails with the commands that free a slot when the account has as many scheduled audits as allowed', async () => {
    account.configuration.update({ auditCheckConfigurations: { LOGGING_DISABLED_CHECK: { enabled: true } } });
    for (const n of [1, 2, 3, 4, 5])
      account.configuration.createScheduledAudit(
        { scheduledAuditName: `team-${n}`, frequency: 'DAILY', targetCheckNames: ['LOGGING_DISABLED_CHECK'] },
        `arn-${n}`,
      );
    const response = await new Stack(account).deploy();
    expect(response?.Status).toBe('FAILED');
    expect(response?.Reason).toMatch(
      /as many scheduled audits as AWS allows.*aws iot delete-scheduled-audit/,
    );
  });

  it('fails, without touching the account, on properties the function cannot use', async () => {
    const stack = new Stack(account);
    await stack.deploy(false);
    stack.auditRoleArn = account.role('audit');
    const response = await stack.request('Create', { ...stack.resourceProperties(), Frequency: 'HOURLY' });
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(
      /^The AuditConfiguration properties in template\.yaml are invalid: Frequency: .*HOURLY/,
    );
    expect(response.Reason).toContain('Nothing was changed; fix the template and deploy again.');
    expect(calls(DescribeAccountAuditConfigurationCommand)).toBe(0);
  });
});

describe('audit-configuration: Update', () => {
  it('changes the scheduled audit in place and keeps the physical id, so CloudFormation sends no Delete', async () => {
    const stack = new Stack(account);
    await stack.deploy();
    const response = await stack.update('WEEKLY');
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: stack.physicalResourceId });
    expect(account.configuration.scheduledAudit('ddr-audit')).toMatchObject({
      frequency: 'WEEKLY',
      dayOfWeek: 'SUN',
    });
    expect(calls(CreateScheduledAuditCommand)).toBe(1);
    expect(calls(UpdateScheduledAuditCommand)).toBe(1);
    expect(account.auditProblems()).toEqual([]);
  });

  it('follows a replaced topic: the old one, still enabled, is the stack’s own', async () => {
    const stack = new Stack(account);
    await stack.deploy();
    const oldTopic = stack.topicArn;
    stack.topicArn = account.topic(`ddr-AuditNotificationsTopic-${account.unique()}`);
    const response = await stack.update('DAILY');
    expect(response.Status).toBe('SUCCESS');
    account.topics.delete(oldTopic); // CloudFormation's clean-up after the update
    expect(account.notifications()).toMatchObject({ targetArn: stack.topicArn, enabled: true });
    expect(account.auditProblems()).toEqual([]);
  });
});

describe('audit-configuration: Delete', () => {
  it('leaves audits working: checks enabled, the retained role, the scheduled audit; notifications off', async () => {
    const stack = new Stack(account);
    await stack.deploy();
    const response = await stack.delete();
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'ddr-audit' });
    expect(account.auditProblems()).toEqual([]);
    expect(account.configuration.describe().roleArn).toBe(stack.auditRoleArn);
    expect(account.roles.has(stack.auditRoleArn!)).toBe(true);
    expect(account.notifications()).toMatchObject({ targetArn: stack.topicArn, enabled: false });
    expect(account.topics.has(stack.topicArn)).toBe(false);
  });

  it('then Create again: the new stack adopts the scheduled audit by name and audits keep working', async () => {
    const first = new Stack(account);
    await first.deploy();
    await first.delete();
    const second = new Stack(account);
    expect((await second.deploy())?.Status).toBe('SUCCESS');
    expect(account.scheduledAudits().map((a) => a.scheduledAuditName)).toEqual(['ddr-audit']);
    expect(calls(CreateScheduledAuditCommand)).toBe(1);
    expect(account.notifications()).toEqual({
      targetArn: second.topicArn,
      roleArn: second.notificationRoleArn,
      enabled: true,
    });
    expect(account.configuration.describe().roleArn).toBe(second.auditRoleArn);
    expect(account.auditProblems()).toEqual([]);
  });

  it('succeeds without touching the account when the properties cannot be read (after a refused Create)', async () => {
    const stack = new Stack(account);
    await stack.deploy(false);
    stack.physicalResourceId = 'ddr-AuditConfiguration';
    const response = await stack.request('Delete', { ...stack.resourceProperties(), Frequency: 'HOURLY' });
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'ddr-AuditConfiguration' });
    expect(calls(DescribeAccountAuditConfigurationCommand)).toBe(0);
  });

  it('fails with what to do when the notifications cannot be turned off', async () => {
    const stack = new Stack(account);
    await stack.deploy();
    iot
      .on(UpdateAccountAuditConfigurationCommand)
      .rejects(new InternalFailureException({ message: 'try later', $metadata: {} }));
    const response = await stack.request('Delete', stack.properties!);
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain(`Could not turn off the audit notifications to ${stack.topicArn}`);
    expect(response.Reason).toContain('--retain-resources AuditConfiguration');
    expect(response.Reason).toContain('"enabled":false');
  });
});

describe('audit-configuration: the legacy and toggled lifecycles', () => {
  it('ManageAuditConfiguration true -> false -> true: audits work at every step, one scheduled audit', async () => {
    const stack = new Stack(account);
    await stack.deploy();
    const firstRole = stack.auditRoleArn;
    expect((await stack.unmanage()).Status).toBe('SUCCESS');
    expect(account.auditProblems()).toEqual([]);
    expect(account.notifications()?.enabled).toBe(false);
    expect(account.configuration.describe().roleArn).toBe(firstRole);

    expect((await stack.manage()).Status).toBe('SUCCESS');
    expect(account.auditProblems()).toEqual([]);
    expect(account.notifications()).toMatchObject({ targetArn: stack.topicArn, enabled: true });
    expect(account.configuration.describe().roleArn).toBe(stack.auditRoleArn);
    expect(stack.auditRoleArn).not.toBe(firstRole);
    expect(account.scheduledAudits()).toHaveLength(1);
  });

  it('adopts what AWS::IoT::AccountAuditConfiguration of an earlier deployment of the stack left behind', async () => {
    // The defect: a retained configuration pointing at a deleted role and a deleted, still enabled topic.
    account.configuration.update({
      roleArn: `arn:aws:iam::${ACCOUNT}:role/ddr-AuditRole-DELETED`,
      auditCheckConfigurations: Object.fromEntries(CHECK_NAMES.map((name) => [name, { enabled: true }])),
      auditNotificationTargetConfigurations: {
        SNS: {
          targetArn: `arn:aws:sns:${REGION}:${ACCOUNT}:ddr-AuditNotificationsTopic-DELETED`,
          roleArn: `arn:aws:iam::${ACCOUNT}:role/ddr-AuditNotificationsRole-DELETED`,
          enabled: true,
        },
      },
    });
    const stack = new Stack(account);
    expect((await stack.deploy())?.Status).toBe('SUCCESS');
    expect(account.auditProblems()).toEqual([]);
  });
});

describe('audit-configuration: always answers CloudFormation', () => {
  it('PUTs the documented response with an empty content type, under 4096 bytes', async () => {
    const stack = new Stack(account);
    await stack.deploy();
    const [delivery] = deliveries;
    expect(delivery?.method).toBe('PUT');
    expect(delivery?.headers['content-type']).toBe('');
    expect(Buffer.byteLength(delivery!.body)).toBeLessThanOrEqual(4096);
    expect(Object.keys(JSON.parse(delivery!.body)).sort()).toEqual([
      'Data',
      'LogicalResourceId',
      'PhysicalResourceId',
      'RequestId',
      'StackId',
      'Status',
    ]);
  });

  it('answers FAILED, saying what to do, when IoT fails', async () => {
    iot
      .on(DescribeAccountAuditConfigurationCommand)
      .rejects(new InternalFailureException({ message: 'boom', $metadata: {} }));
    const response = await new Stack(account).deploy();
    expect(response?.Status).toBe('FAILED');
    expect(response?.Reason).toContain('Create failed with InternalFailureException: boom');
    expect(response?.Reason).toContain('No audit check was disabled');
    expect(response?.Reason).toContain(context.logGroupName);
    expect(response?.Reason).toContain('deploy again');
  });

  it('answers FAILED before its own timeout when IoT does not answer', async () => {
    const stack = new Stack(account);
    await stack.deploy(false);
    stack.auditRoleArn = account.role('audit');
    iot.on(DescribeAccountAuditConfigurationCommand).callsFake(() => new Promise(() => undefined));
    const RequestId = randomUUID();
    const response = await handler(
      {
        RequestType: 'Create',
        RequestId,
        ResponseURL: `${responseUrl}?request=${RequestId}`,
        LogicalResourceId: 'AuditConfiguration',
        StackId: stack.stackId,
        ResourceProperties: stack.resourceProperties(),
      },
      { ...context, getRemainingTimeInMillis: () => RESPONSE_MARGIN_MS + 20 },
    );
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(/did not answer before the function timed out.*Deploy again/);
    expect(deliveries.map((d) => JSON.parse(d.body).RequestId)).toContain(RequestId);
  });

  it('tries the response again when the URL refuses it, and fails the invocation when it never takes it', async () => {
    const stack = new Stack(account);
    refusals.push(503);
    await stack.deploy(false);
    expect((await stack.manage()).Status).toBe('SUCCESS');
    expect(deliveries).toHaveLength(2);

    refusals.push(503, 503, 503);
    await expect(stack.request('Delete', stack.properties!)).rejects.toThrow(
      'could not deliver the SUCCESS response to CloudFormation: HTTP 503',
    );
  });

  it('rejects what is not a custom resource request, having nobody to answer', async () => {
    await expect(handler({ RequestType: 'Create' }, context)).rejects.toThrow(
      /not a CloudFormation custom resource request: .*ResponseURL: is required/,
    );
    expect(deliveries).toEqual([]);
  });
});
