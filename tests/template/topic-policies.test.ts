/**
 * Topic policies (issue #15, item 9): who may publish to and subscribe to each topic, evaluated with
 * the small evaluator of bus-policy-iam.ts on the template as CloudFormation would resolve it.
 *
 * - AuditNotificationsTopic: only AuditNotificationsRole (the role Device Defender publishes with)
 *   publishes: nobody can forge an audit notification into the Pipe.
 * - FindingsTopic: only the PUBLISH_FINDING_TO_SNS action's role publishes; it lists the fleet's
 *   weak devices, so only the account root and FindingsSubscriberPrincipalArns may subscribe.
 * - ReportsTopic: the stack's publishers (state machine, cleanup, the alarms, the parameter-change
 *   rule) and the deployer's e-mail subscription are unaffected.
 *
 * Same account: a principal no statement names is decided by its IAM policies ("implicit"), so
 * "may" below means "is not denied" for the account's principals, and "explicitly allowed" for AWS
 * service principals, which have no IAM policies of their own, and for other accounts.
 */
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  type Decision,
  decide,
  deploy,
  policyOn,
  ROOT_ARN,
  role,
  type Who,
} from './bus-policy-iam.ts';

const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const SECURITY_TEAM = `arn:aws:iam::${ACCOUNT}:role/security-*`;
const ANALYST = `arn:aws:iam::${ACCOUNT}:role/security-analyst`;
const DEVELOPER = `arn:aws:iam::${ACCOUNT}:role/developer`;

const deployed = deploy({ FindingsSubscriberPrincipalArns: `${ADMIN},${SECURITY_TEAM}` });
const topicArn = (id: string) => String(deployed.ref(id));
const request = (topic: string, who: Who, action: string, keys = {}) => ({
  who,
  action,
  resource: topicArn(topic),
  keys,
});
/** Services and other accounts need an explicit Allow; the account's principals, no Deny. */
const may = (decision: Decision, who: Who) =>
  'service' in who || !who.arn.includes(`::${ACCOUNT}:`) ? decision === 'allow' : decision !== 'deny';

const stackRoles = [
  'AuditNotificationsRole',
  'PublishFindingActionRole',
  'QuarantineDeviceActionRole',
  'PlanRemediationRole',
  'SweepAuditsRole',
  'CleanupExecutionRole',
  'StateMachineRole',
  'AuditNotificationsPipeRole',
];
const principals: [string, Who][] = [
  ...stackRoles.map((id): [string, Who] => [id, role(deployed, id)]),
  ['the account root', { arn: ROOT_ARN }],
  ['an administrator', { arn: ADMIN }],
  ['a developer', { arn: DEVELOPER }],
  ['another account', { arn: 'arn:aws:iam::999999999999:role/Admin' }],
];

describe.each([
  ['AuditNotificationsTopic', 'AuditNotificationsRole'],
  ['FindingsTopic', 'PublishFindingActionRole'],
])('%s: only %s publishes', (topic, publisher) => {
  const policy = policyOn(deployed, topic);

  it('has a topic policy of its own', () => {
    expect(policy.length).toBeGreaterThan(0);
  });

  it.each(principals)('%s', (name, who) => {
    const decision = decide(policy, request(topic, who, 'sns:Publish'));
    expect(may(decision, who)).toBe(name === publisher);
  });

  it('names its publisher with an explicit Allow (not only the absence of a Deny)', () => {
    expect(decide(policy, request(topic, role(deployed, publisher), 'sns:Publish'))).toBe('allow');
  });

  it('admits no AWS service principal to publish (IoT publishes with the role it assumes)', () => {
    for (const service of ['iot.amazonaws.com', 'events.amazonaws.com', 'cloudwatch.amazonaws.com'])
      expect(decide(policy, request(topic, { service }, 'sns:Publish')), service).not.toBe('allow');
  });
});

describe('FindingsTopic: who may subscribe', () => {
  const policy = policyOn(deployed, 'FindingsTopic');
  const subscribers = new Set([ROOT_ARN, ADMIN, ANALYST]);

  it.each([
    ...principals,
    ['a member of the security team (by wildcard)', { arn: ANALYST }] as [string, Who],
  ])('%s', (_, who) => {
    const decision = decide(
      policy,
      request('FindingsTopic', who, 'sns:Subscribe', { 'sns:Protocol': 'email' }),
    );
    expect(may(decision, who)).toBe('arn' in who && subscribers.has(who.arn));
  });

  it('with no FindingsSubscriberPrincipalArns (the default), only the account root', () => {
    const bare = deploy();
    const only = policyOn(bare, 'FindingsTopic');
    expect(
      may(decide(only, request('FindingsTopic', { arn: ROOT_ARN }, 'sns:Subscribe')), { arn: ROOT_ARN }),
    ).toBe(true);
    for (const arn of [ADMIN, ANALYST, DEVELOPER, String(bare.getAtt('PublishFindingActionRole', 'Arn'))])
      expect(decide(only, request('FindingsTopic', { arn }, 'sns:Subscribe')), arn).toBe('deny');
  });
});

describe('ReportsTopic: the stack keeps publishing, and the deployer subscribes the report e-mail', () => {
  const policy = policyOn(deployed, 'ReportsTopic');
  const alarm = String(deployed.getAtt('PlannerErrorsAlarm', 'Arn'));
  // The parameter-change rule's ARN: its fixed name (switch-announcements.test.ts checks the rule).
  const rule = `arn:aws:events:us-east-1:${ACCOUNT}:rule/ddr-params`;
  const from = (sourceArn: string) => ({ 'aws:SourceArn': sourceArn, 'aws:SourceAccount': ACCOUNT });

  it.each(['StateMachineRole', 'CleanupExecutionRole'])('%s publishes', (id) => {
    expect(decide(policy, request('ReportsTopic', role(deployed, id), 'sns:Publish'))).not.toBe('deny');
  });

  it('the alarms and the parameter-change rule publish; another rule or alarm does not', () => {
    const cloudwatch = { service: 'cloudwatch.amazonaws.com' };
    const events = { service: 'events.amazonaws.com' };
    expect(decide(policy, request('ReportsTopic', cloudwatch, 'sns:Publish', from(alarm)))).toBe('allow');
    expect(decide(policy, request('ReportsTopic', events, 'sns:Publish', from(rule)))).toBe('allow');
    const other = String(deployed.getAtt('AuditCompletedRule', 'Arn'));
    expect(decide(policy, request('ReportsTopic', events, 'sns:Publish', from(other)))).not.toBe('allow');
    expect(
      decide(
        policy,
        request('ReportsTopic', events, 'sns:Publish', {
          ...from(rule),
          'aws:SourceAccount': '999999999999',
        }),
      ),
    ).not.toBe('allow');
  });

  it('denies no subscription: the deployer (through CloudFormation) subscribes ReportEmail', () => {
    for (const arn of [ROOT_ARN, ADMIN, DEVELOPER])
      expect(
        decide(policy, request('ReportsTopic', { arn }, 'sns:Subscribe', { 'sns:Protocol': 'email' })),
      ).not.toBe('deny');
  });
});
