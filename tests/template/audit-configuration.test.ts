/**
 * ManageAuditConfiguration=true in template.yaml: one custom resource (AuditConfiguration) served by
 * functions/audit-configuration, whose properties the function can read once CloudFormation has
 * resolved them, whose role may call exactly what the function calls on exactly what it touches, and
 * whose lifecycle leaves the account's audits working (docs/aws-facts/audit-configuration.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAYS_OF_WEEK, FREQUENCIES, parseProperties } from '#domain/audit-configuration';
import {
  entryPointOf,
  grants,
  isObject,
  type Json,
  mentions,
  ROOT,
  resources,
  resourcesOfType,
  roleStatements,
  template,
} from './support.ts';

const configuration = resources.AuditConfiguration!;
const properties = configuration.Properties!;
const functionId = [...mentions(properties.ServiceToken)][0]!;
const fn = resources[functionId]!;
const functionRole = [...mentions(fn.Properties?.Role)][0]!;

const STACK = 'ddr';
const ACCOUNT = '123456789012';
const NO_VALUE = Symbol('AWS::NoValue');

/** What CloudFormation would hand the function: intrinsics resolved for one set of parameters. */
function resolve(value: Json, parameters: Record<string, string>): unknown {
  const pseudo: Record<string, string> = {
    'AWS::StackName': STACK,
    'AWS::AccountId': ACCOUNT,
    'AWS::Region': 'us-east-1',
    'AWS::Partition': 'aws',
  };
  const physical = (id: string) => {
    const type = resources[id]?.Type;
    if (type === 'AWS::SNS::Topic') return `arn:aws:sns:us-east-1:${ACCOUNT}:${STACK}-${id}-ABC123`;
    if (type === 'AWS::IAM::Role') return `arn:aws:iam::${ACCOUNT}:role/${STACK}-${id}-ABC123`;
    if (type === 'AWS::Serverless::Function')
      return `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${STACK}-${id}-ABC123`;
    throw new Error(`no physical id for ${id} (${type})`);
  };
  const condition = (name: string): boolean => {
    const [left, right] = (template.Conditions[name] as { 'Fn::Equals': [Json, Json] })['Fn::Equals'];
    return resolve(left, parameters) === resolve(right, parameters);
  };
  if (Array.isArray(value)) return value.map((v) => resolve(v, parameters)).filter((v) => v !== NO_VALUE);
  if (!isObject(value)) return value;
  if (typeof value.Ref === 'string') {
    if (value.Ref === 'AWS::NoValue') return NO_VALUE;
    return pseudo[value.Ref] ?? parameters[value.Ref] ?? physical(value.Ref);
  }
  if ('Fn::GetAtt' in value) return physical((value['Fn::GetAtt'] as string[])[0]!);
  if ('Fn::Sub' in value)
    return (value['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => pseudo[name] ?? '?');
  if ('Fn::If' in value) {
    const [name, yes, no] = value['Fn::If'] as [string, Json, Json];
    return resolve(condition(name) ? yes : no, parameters);
  }
  return Object.fromEntries(
    Object.entries(value)
      .map(([k, v]) => [k, resolve(v, parameters)] as const)
      .filter(([, v]) => v !== NO_VALUE),
  );
}

const frequencies = template.Parameters.ScheduledAuditFrequency!.AllowedValues as string[];

describe('the account audit configuration in template.yaml', () => {
  it('is managed by the AuditConfiguration custom resource only, never by the AWS::IoT resources', () => {
    // Their handlers delete every check on delete, or refuse a redeploy (docs/aws-facts/audit-configuration.md).
    expect(resourcesOfType('AWS::IoT::AccountAuditConfiguration')).toEqual([]);
    expect(resourcesOfType('AWS::IoT::ScheduledAudit')).toEqual([]);
    expect(configuration.Type).toBe('AWS::CloudFormation::CustomResource');
    expect(configuration.Condition).toBe('ManagesAuditConfiguration');
  });

  it('is served by the audit-configuration function, within a ServiceTimeout that outlasts its retries', () => {
    expect(entryPointOf(functionId)).toBe('functions/audit-configuration/index.ts');
    const timeout = Number(properties.ServiceTimeout);
    expect(timeout).toBeLessThanOrEqual(3600);
    // One invocation and Lambda's two asynchronous retries.
    expect(timeout).toBeGreaterThanOrEqual(3 * Number(fn.Properties?.Timeout));
    // Every piece exists only when the stack manages the configuration.
    for (const id of [functionId, functionRole, ...mentions(fn.Properties?.LoggingConfig)])
      expect(resources[id]!.Condition, id).toBe('ManagesAuditConfiguration');
  });

  it.each(frequencies.map((f) => [f]))(
    'passes properties the function reads, once resolved (ScheduledAuditFrequency %s)',
    (frequency) => {
      const resolved = resolve(properties as Json, { ScheduledAuditFrequency: frequency }) as Record<
        string,
        unknown
      >;
      const parsed = parseProperties(resolved);
      expect(parsed).toMatchObject({ ok: true });
      if (!parsed.ok) return;
      expect(parsed.properties).toMatchObject({
        auditRoleArn: expect.stringContaining(':role/ddr-AuditRole-'),
        notificationTopicArn: expect.stringContaining(':ddr-AuditNotificationsTopic-'),
        notificationRoleArn: expect.stringContaining(':role/ddr-AuditNotificationsRole-'),
        scheduledAuditName: 'ddr-audit',
        frequency,
      });
      expect(parsed.properties.dayOfWeek).toBe(frequency === 'WEEKLY' ? 'SUN' : undefined);
    },
  );

  it('offers only schedules the scheduled audit API accepts (AWS::IoT::ScheduledAudit provider schema)', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'tests/template/cfn/scheduledaudit.json'), 'utf8')) as {
      properties: Record<string, { enum?: string[]; pattern?: string; maxLength?: number }>;
    };
    expect([...FREQUENCIES]).toEqual(schema.properties.Frequency!.enum);
    expect([...DAYS_OF_WEEK]).toEqual(schema.properties.DayOfWeek!.enum);
    for (const frequency of frequencies) expect(FREQUENCIES).toContain(frequency);
  });

  it('may call the scheduled audit APIs on that one scheduled audit only', () => {
    const name = (properties.ScheduledAuditName as { 'Fn::Sub': string })['Fn::Sub'];
    for (const action of [
      'iot:DescribeScheduledAudit',
      'iot:CreateScheduledAudit',
      'iot:UpdateScheduledAudit',
    ]) {
      const statements = grants(functionRole, action);
      expect(statements, action).toHaveLength(1);
      expect(statements[0]!.Resource).toEqual([
        { 'Fn::Sub': `arn:\${AWS::Partition}:iot:\${AWS::Region}:\${AWS::AccountId}:scheduledaudit/${name}` },
      ]);
    }
  });

  it('hands IoT exactly the two roles the configuration names, and only IoT', () => {
    const passing = roleStatements(functionRole).filter((s) => s.Action.includes('iam:PassRole'));
    expect(passing).toHaveLength(1);
    const [statement] = passing;
    expect(statement!.Action).toEqual(['iam:PassRole']);
    expect(new Set(statement!.Resource.flatMap((r) => [...mentions(r)]))).toEqual(
      new Set([...mentions(properties.AuditRoleArn), ...mentions(properties.NotificationRoleArn)]),
    );
    expect(statement!.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'iot.amazonaws.com' } });
  });

  it('keeps an audit role that refers to nothing but the AWS-managed audit policy', () => {
    const [auditRole] = [...mentions(properties.AuditRoleArn)];
    const role = resources[auditRole!]!;
    expect(role.DeletionPolicy).toBe('Retain');
    expect(role.Properties?.Policies).toBeUndefined();
    expect(role.Properties?.ManagedPolicyArns).toEqual([
      { 'Fn::Sub': `arn:\${AWS::Partition}:iam::aws:policy/service-role/AWSIoTDeviceDefenderAudit` },
    ]);
  });

  it('names the scheduled audit and the audit role in the outputs, only when it manages them', () => {
    const outputs = template.Outputs as Record<string, { Value: Json; Condition?: string }>;
    expect(outputs.ScheduledAuditName).toEqual(
      expect.objectContaining({
        Condition: 'ManagesAuditConfiguration',
        Value: { Ref: 'AuditConfiguration' },
      }),
    );
    expect(outputs.AuditRoleArn?.Condition).toBe('ManagesAuditConfiguration');
    for (const [name, output] of Object.entries(outputs))
      if ([...mentions(output.Value)].some((id) => resources[id]?.Condition === 'ManagesAuditConfiguration'))
        expect(output.Condition, name).toBe('ManagesAuditConfiguration');
  });
});
