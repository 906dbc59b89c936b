/** The audit-configuration custom resource's rules (functions/domain/audit-configuration.ts), one by one. */
import { describe, expect, it } from 'vitest';
import {
  type AuditConfigurationProperties,
  alreadyApplied,
  buildResponse,
  type CustomResourceRequest,
  disableNotificationsCommand,
  isOwnTopic,
  MAX_RESPONSE_BYTES,
  parseProperties,
  parseRequest,
  physicalResourceIdOf,
  planRelease,
  planUpsert,
  scheduledAuditChange,
  scheduledAuditRequest,
  stackOf,
  truncateBytes,
} from '#domain/audit-configuration';
import { CHECK_NAMES } from '#domain/catalogue';

const ACCOUNT = '123456789012';
const STACK_ID = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/ddr/0b5e6a40-0000-4000-8000-000000000000`;
const topic = (name: string, region = 'us-east-1', account = ACCOUNT) =>
  `arn:aws:sns:${region}:${account}:${name}`;
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

const raw = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  ServiceToken: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:f`,
  ServiceTimeout: '600',
  AuditRoleArn: role('ddr-AuditRole-A1'),
  NotificationTopicArn: topic('ddr-AuditNotificationsTopic-T1'),
  NotificationRoleArn: role('ddr-AuditNotificationsRole-N1'),
  ScheduledAuditName: 'ddr-audit',
  Frequency: 'DAILY',
  AuditChecks: [...CHECK_NAMES],
  ...extra,
});
const props = (extra: Record<string, unknown> = {}): AuditConfigurationProperties => {
  const parsed = parseProperties(raw(extra));
  if (!parsed.ok) throw new Error(parsed.issues.join('; '));
  return parsed.properties;
};
const request = (extra: Partial<CustomResourceRequest> = {}): CustomResourceRequest => ({
  RequestType: 'Create',
  RequestId: 'r-1',
  ResponseURL: 'https://example.com/response',
  StackId: STACK_ID,
  LogicalResourceId: 'AuditConfiguration',
  ResourceProperties: raw(),
  ...extra,
});

describe('the request', () => {
  it('accepts the three request types and names what a malformed one lacks', () => {
    expect(parseRequest(request())).toEqual({ ok: true, request: request() });
    expect(parseRequest(request({ RequestType: 'Delete', PhysicalResourceId: 'ddr-audit' })).ok).toBe(true);
    expect(parseRequest(request({ RequestType: 'Update' }))).toEqual({
      ok: false,
      issues: ['PhysicalResourceId: is required in a Update request'],
    });
    expect(
      parseRequest({
        ...request(),
        ResourceProperties: 'x',
        OldResourceProperties: [],
        ResponseURL: 'ftp://x',
      }),
    ).toEqual({
      ok: false,
      issues: [
        expect.stringMatching(/^ResponseURL: /),
        'ResourceProperties: is required and must be an object',
        'OldResourceProperties: must be an object',
      ],
    });
    expect(parseRequest(null)).toMatchObject({ ok: false });
  });

  it('reads the stack from its id', () => {
    expect(stackOf(STACK_ID)).toEqual({
      partition: 'aws',
      region: 'us-east-1',
      account: ACCOUNT,
      name: 'ddr',
    });
    expect(stackOf('nonsense').name).toBe('');
  });
});

describe('the properties', () => {
  it("ignores CloudFormation's own and reads the rest", () => {
    expect(props({ Frequency: 'WEEKLY', DayOfWeek: 'SUN' })).toEqual({
      auditRoleArn: role('ddr-AuditRole-A1'),
      notificationTopicArn: topic('ddr-AuditNotificationsTopic-T1'),
      notificationRoleArn: role('ddr-AuditNotificationsRole-N1'),
      scheduledAuditName: 'ddr-audit',
      frequency: 'WEEKLY',
      dayOfWeek: 'SUN',
      auditChecks: CHECK_NAMES,
    });
    expect(props({ Frequency: 'MONTHLY', DayOfMonth: 'LAST' }).dayOfMonth).toBe('LAST');
  });

  it('names every problem', () => {
    const parsed = parseProperties({
      ...raw({ Frequency: 'BIWEEKLY', AuditChecks: ['NO_SUCH_CHECK', 'NO_SUCH_CHECK'], Extra: 'x' }),
      ScheduledAuditName: 'has spaces',
    });
    expect(parsed).toEqual({
      ok: false,
      issues: [
        expect.stringMatching(/^ScheduledAuditName: "has spaces" does not match/),
        expect.stringMatching(/^AuditChecks\[0\]: "NO_SUCH_CHECK" is not valid/),
        expect.stringMatching(/^AuditChecks\[1\]: "NO_SUCH_CHECK" is not valid/),
        'AuditChecks[1]: "NO_SUCH_CHECK" is listed twice',
        expect.stringMatching(/^Extra: unknown key/),
        'DayOfWeek: is required with Frequency BIWEEKLY',
      ],
    });
    expect(parseProperties(raw({ Frequency: 'MONTHLY' }))).toEqual({
      ok: false,
      issues: ['DayOfMonth: is required with Frequency MONTHLY'],
    });
    expect(parseProperties(undefined)).toMatchObject({ ok: false });
  });
});

describe('whose topic it is', () => {
  const p = props();

  it('the current one, the one before an update, one an earlier deployment of the stack left', () => {
    expect(isOwnTopic(p.notificationTopicArn, STACK_ID, p)).toBe(true);
    expect(isOwnTopic(topic('renamed'), STACK_ID, p, props({ NotificationTopicArn: topic('renamed') }))).toBe(
      true,
    );
    expect(isOwnTopic(topic('ddr-AuditNotificationsTopic-OLD'), STACK_ID, p)).toBe(true);
  });

  it("not another stack's, region's, account's or service's", () => {
    for (const other of [
      topic('other-AuditNotificationsTopic-OLD'),
      topic('ddr-FindingsTopic-OLD'),
      topic('ddr-AuditNotificationsTopic-OLD', 'eu-west-1'),
      topic('ddr-AuditNotificationsTopic-OLD', 'us-east-1', '210987654321'),
      topic('ddr-AuditNotificationsTopic-OLD-more'),
      `arn:aws:sqs:us-east-1:${ACCOUNT}:ddr-AuditNotificationsTopic-OLD`,
    ])
      expect(isOwnTopic(other, STACK_ID, p), other).toBe(false);
  });

  it('only recognises generated names: a named or truncated topic matches itself alone', () => {
    const named = props({ NotificationTopicArn: topic('my-topic') });
    expect(isOwnTopic(topic('my-other'), STACK_ID, named)).toBe(false);
    const truncated = props({ NotificationTopicArn: topic('dd-AuditNotificationsTopic-T1') });
    expect(isOwnTopic(topic('dd-AuditNotificationsTopic-T2'), STACK_ID, truncated)).toBe(false);
  });
});

describe('Create and Update', () => {
  const p = props();

  it('sets the role, enables every check keeping its settings, and points notifications at the stack', () => {
    const plan = planUpsert(
      {
        roleArn: role('old'),
        auditCheckConfigurations: {
          DEVICE_CERTIFICATE_AGE_CHECK: {
            enabled: false,
            configuration: { CERT_AGE_THRESHOLD_IN_DAYS: '90' },
          },
          LOGGING_DISABLED_CHECK: { enabled: true, configuration: {} },
        },
        auditNotificationTargetConfigurations: {
          SNS: { targetArn: topic('someone'), roleArn: role('someone'), enabled: false },
        },
      },
      p,
      STACK_ID,
    );
    expect(plan).toEqual({
      kind: 'apply',
      request: {
        roleArn: p.auditRoleArn,
        auditCheckConfigurations: Object.fromEntries(
          CHECK_NAMES.map((name) => [
            name,
            name === 'DEVICE_CERTIFICATE_AGE_CHECK'
              ? { enabled: true, configuration: { CERT_AGE_THRESHOLD_IN_DAYS: '90' } }
              : { enabled: true },
          ]),
        ),
        auditNotificationTargetConfigurations: {
          SNS: { targetArn: p.notificationTopicArn, roleArn: p.notificationRoleArn, enabled: true },
        },
      },
      replacedRoleArn: role('old'),
      adoptedTopicArn: topic('someone'),
    });
  });

  it('on an account with nothing configured replaces and adopts nothing', () => {
    const plan = planUpsert({}, p, STACK_ID);
    expect(plan).toMatchObject({ kind: 'apply' });
    expect(plan).not.toHaveProperty('replacedRoleArn');
    expect(plan).not.toHaveProperty('adoptedTopicArn');
  });

  it("refuses to take an enabled target that is not the stack's", () => {
    const plan = planUpsert(
      {
        auditNotificationTargetConfigurations: { SNS: { targetArn: topic('theirs'), enabled: true } },
      },
      p,
      STACK_ID,
    );
    expect(plan).toMatchObject({ kind: 'refuse' });
    expect(plan.kind === 'refuse' && plan.reason).toContain('"roleArn":"<its role ARN>"');
  });

  it('knows when the account already has it all', () => {
    const plan = planUpsert({}, p, STACK_ID);
    if (plan.kind !== 'apply') throw new Error('expected apply');
    const current = {
      roleArn: plan.request.roleArn,
      auditCheckConfigurations: plan.request.auditCheckConfigurations,
      auditNotificationTargetConfigurations: plan.request.auditNotificationTargetConfigurations,
    };
    expect(alreadyApplied(current, plan.request)).toBe(true);
    expect(alreadyApplied({ ...current, roleArn: role('other') }, plan.request)).toBe(false);
    expect(
      alreadyApplied(
        { ...current, auditCheckConfigurations: { LOGGING_DISABLED_CHECK: { enabled: false } } },
        plan.request,
      ),
    ).toBe(false);
    expect(alreadyApplied({ ...current, auditNotificationTargetConfigurations: {} }, plan.request)).toBe(
      false,
    );
  });
});

describe('Delete', () => {
  const p = props();

  it("turns off only the stack's own enabled target, with the stack's notification role", () => {
    const own = { targetArn: topic('ddr-AuditNotificationsTopic-OLD'), roleArn: role('gone'), enabled: true };
    expect(planRelease({ auditNotificationTargetConfigurations: { SNS: own } }, p, STACK_ID)).toEqual({
      auditNotificationTargetConfigurations: {
        SNS: { targetArn: own.targetArn, roleArn: p.notificationRoleArn, enabled: false },
      },
    });
    expect(
      planRelease(
        { auditNotificationTargetConfigurations: { SNS: { ...own, targetArn: topic('theirs') } } },
        p,
        STACK_ID,
      ),
    ).toBeUndefined();
    expect(
      planRelease(
        { auditNotificationTargetConfigurations: { SNS: { ...own, enabled: false } } },
        p,
        STACK_ID,
      ),
    ).toBeUndefined();
    expect(
      planRelease({ auditNotificationTargetConfigurations: { SNS: { enabled: true } } }, p, STACK_ID),
    ).toBe(undefined);
    expect(planRelease({}, p, STACK_ID)).toBeUndefined();
  });
});

describe('the scheduled audit', () => {
  it('is created when missing, updated when it differs in what its frequency uses, else left alone', () => {
    const daily = scheduledAuditRequest(props());
    expect(daily).toEqual({
      scheduledAuditName: 'ddr-audit',
      frequency: 'DAILY',
      targetCheckNames: CHECK_NAMES,
    });
    expect(scheduledAuditChange(undefined, daily)).toBe('create');
    expect(scheduledAuditChange({ ...daily, dayOfWeek: 'MON' }, daily)).toBe('unchanged');
    expect(scheduledAuditChange({ ...daily, targetCheckNames: [...CHECK_NAMES].reverse() }, daily)).toBe(
      'unchanged',
    );
    expect(scheduledAuditChange({ ...daily, targetCheckNames: CHECK_NAMES.slice(1) }, daily)).toBe('update');
    expect(scheduledAuditChange({ ...daily, targetCheckNames: undefined }, daily)).toBe('update');

    const weekly = scheduledAuditRequest(props({ Frequency: 'WEEKLY', DayOfWeek: 'SUN' }));
    expect(scheduledAuditChange(daily, weekly)).toBe('update');
    expect(scheduledAuditChange({ ...weekly, dayOfWeek: 'MON' }, weekly)).toBe('update');
    expect(scheduledAuditChange(weekly, weekly)).toBe('unchanged');

    const monthly = scheduledAuditRequest(props({ Frequency: 'MONTHLY', DayOfMonth: '1' }));
    expect(scheduledAuditChange({ ...monthly, dayOfMonth: 'LAST' }, monthly)).toBe('update');
    expect(scheduledAuditChange(monthly, monthly)).toBe('unchanged');
  });
});

describe('the response', () => {
  it('copies the request, keeps the physical id, and carries Data on success', () => {
    expect(buildResponse(request(), { status: 'SUCCESS', data: { A: 'b' } })).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: 'ddr-audit',
      StackId: STACK_ID,
      RequestId: 'r-1',
      LogicalResourceId: 'AuditConfiguration',
      Data: { A: 'b' },
    });
    expect(buildResponse(request(), { status: 'SUCCESS' })).not.toHaveProperty('Data');
  });

  it('never changes the physical id after Create, and has one without a name', () => {
    expect(physicalResourceIdOf(request({ RequestType: 'Update', PhysicalResourceId: 'first' }))).toBe(
      'first',
    );
    expect(physicalResourceIdOf(request({ ResourceProperties: {} }))).toBe('ddr-AuditConfiguration');
    expect(physicalResourceIdOf(request({ ResourceProperties: { ScheduledAuditName: '' } }))).toBe(
      'ddr-AuditConfiguration',
    );
  });

  it('fits a long failure into the 4096 bytes CloudFormation takes', () => {
    const response = buildResponse(request(), { status: 'FAILED', reason: `é${'x'.repeat(10_000)}"` });
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(Buffer.byteLength(JSON.stringify(response))).toBeGreaterThan(MAX_RESPONSE_BYTES - 8);
    expect(response.Reason?.endsWith(' […]')).toBe(true);
    expect(buildResponse(request(), { status: 'FAILED', reason: 'short' }).Reason).toBe('short');
  });

  it('truncates by bytes, not characters', () => {
    expect(truncateBytes('ééé', 6)).toBe('ééé');
    expect(Buffer.byteLength(truncateBytes('éééééé', 9))).toBeLessThanOrEqual(9);
    expect(truncateBytes('abc', 0)).toBe(' […]');
  });

  it('writes the command that turns a target off', () => {
    expect(disableNotificationsCommand(topic('t'), role('r'))).toBe(
      `aws iot update-account-audit-configuration --audit-notification-target-configurations '{"SNS":{"targetArn":"${topic('t')}","roleArn":"${role('r')}","enabled":false}}'`,
    );
  });
});
