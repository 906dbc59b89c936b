/**
 * The default policy and the template agree: every action the policy names is deployed as an
 * AWS::IoT::MitigationAction called `<stack name>-<action name>` (what the planner puts in the
 * plan), with the same type and a role holding that type's permissions; and the template's IoT
 * values fit the resource-provider schemas (copied into tests/template/cfn/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_COMPLETED_DETAIL_TYPE, AUDIT_EVENT_SOURCE } from '../../functions/domain/audit.ts';
import { CHECK_NAMES } from '../../functions/domain/catalogue.ts';
import { formatIssue } from '../../functions/domain/json-schema.ts';
import { RERUN_DETAIL_TYPE } from '../../functions/domain/sweep.ts';
import { SWITCH_VALUES } from '../../functions/domain/switch.ts';
import { DEFAULT_POLICY_YAML, readPolicyFile } from '../../local/policy-file.ts';
import {
  ACTION_PARAMS_TYPE,
  ACTION_TYPE_PERMISSIONS,
  functionEnvironment,
  grants,
  isIntrinsic,
  isObject,
  type Json,
  only,
  ROOT,
  resources,
  resourcesOfType,
  roleOf,
  template,
} from './support.ts';

const parsed = readPolicyFile(DEFAULT_POLICY_YAML);
if (!parsed.ok) throw new Error(parsed.issues.map(formatIssue).join('\n'));
const { policy } = parsed;

const deployedActions = new Map(
  resourcesOfType('AWS::IoT::MitigationAction').map(([id, r]) => {
    const name = (r.Properties!.ActionName as { 'Fn::Sub': string })['Fn::Sub'];
    return [name, { id, resource: r }] as const;
  }),
);

describe('the default policy and the template', () => {
  it.each(Object.entries(policy.actions))(
    'deploys %s as <stack name>-<action name> with its type',
    (name, action) => {
      const deployed = deployedActions.get(`\${AWS::StackName}-${name}`);
      expect(deployed, `no mitigation action named <stack>-${name}`).toBeDefined();
      const params = deployed!.resource.Properties!.ActionParams as Record<string, Json>;
      expect(Object.keys(params).map((member) => ACTION_PARAMS_TYPE[member])).toEqual([action.type]);
      const role = roleOf(deployed!.resource.Properties?.RoleArn);
      for (const permission of ACTION_TYPE_PERMISSIONS[action.type]!)
        expect(grants(role!, permission), `${role}: ${permission}`).not.toEqual([]);
    },
  );

  it('deploys no mitigation action the default policy does not use', () => {
    expect([...deployedActions.keys()].sort()).toEqual(
      Object.keys(policy.actions)
        .map((name) => `\${AWS::StackName}-${name}`)
        .sort(),
    );
  });

  it('tells the planner the same prefix (ACTION_NAME_PREFIX = stack name)', () => {
    for (const [id, r] of resourcesOfType('AWS::Serverless::Function')) {
      const env = functionEnvironment(id);
      // The remediation path's functions (those that read the switch) plan with the stack's actions.
      if ('SWITCH_PARAMETER_NAME' in env)
        expect(env.ACTION_NAME_PREFIX, id).toEqual({ Ref: 'AWS::StackName' });
      expect(r.Type).toBe('AWS::Serverless::Function');
    }
  });

  it('quarantines into a thing group of the stack', () => {
    for (const [, { resource }] of deployedActions) {
      const params = (resource.Properties!.ActionParams as Record<string, Record<string, Json>>)
        .AddThingsToThingGroupParams;
      if (!params) continue;
      for (const group of params.ThingGroupNames as Json[])
        expect(resources[(group as { Ref: string }).Ref]?.Type).toBe('AWS::IoT::ThingGroup');
    }
  });
});

describe('events, switch and audits match the code', () => {
  it('routes completed audits, re-run requests and ended executions', () => {
    const patterns = Object.fromEntries(
      resourcesOfType('AWS::Events::Rule').map(([id, r]) => [
        id,
        r.Properties?.EventPattern as Record<string, Json>,
      ]),
    );
    const completed = Object.values(patterns).find((p) =>
      (p['detail-type'] as Json[])?.includes(AUDIT_COMPLETED_DETAIL_TYPE),
    );
    expect(completed).toMatchObject({
      source: [AUDIT_EVENT_SOURCE],
      detail: { notification: { taskStatus: ['COMPLETED'] } },
    });
    const rerun = Object.values(patterns).find((p) =>
      (p['detail-type'] as Json[])?.includes(RERUN_DETAIL_TYPE),
    );
    expect(rerun).toMatchObject({ source: [AUDIT_EVENT_SOURCE] });
    const ended = Object.values(patterns).find((p) => (p.source as Json[])?.includes('aws.states'));
    expect(ended).toMatchObject({
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
    });
  });

  it('turns the raw SQS body into an "Audit Completed" event on the bus', () => {
    const pipe = only('AWS::Pipes::Pipe');
    expect(pipe.Properties?.TargetParameters).toEqual({
      InputTemplate: '{"notification": <$.body>}',
      EventBridgeEventBusParameters: { Source: AUDIT_EVENT_SOURCE, DetailType: AUDIT_COMPLETED_DETAIL_TYPE },
    });
    for (const [, s] of resourcesOfType('AWS::SNS::Subscription'))
      if (s.Properties?.Protocol === 'sqs') expect(s.Properties.RawMessageDelivery).toBe(true);
  });

  it('creates the runtime switch in dry-run unless told otherwise, accepting only its three values', () => {
    expect(template.Parameters.SwitchDefault?.Default).toBe('dry-run');
    expect(template.Parameters.SwitchDefault?.AllowedValues).toEqual([...SWITCH_VALUES]);
    const parameter = only('AWS::SSM::Parameter');
    expect(parameter!.Properties?.Value).toEqual({ Ref: 'SwitchDefault' });
    for (const value of SWITCH_VALUES)
      expect(new RegExp(parameter!.Properties?.AllowedPattern as string).test(value)).toBe(true);
  });

  it('leaves the account audit configuration alone by default; when managed, audits every check', () => {
    expect(template.Parameters.ManageAuditConfiguration?.Default).toBe('false');
    // One custom resource enables these checks and runs them on schedule (functions/audit-configuration).
    const configuration = only('AWS::CloudFormation::CustomResource');
    expect(configuration.Condition).toBe('ManagesAuditConfiguration');
    expect([...(configuration.Properties!.AuditChecks as string[])].sort()).toEqual([...CHECK_NAMES].sort());
  });
});

/** Literal values against the resource-provider schema: enums, patterns, lengths. */
function schemaProblems(
  value: Json,
  schema: Record<string, Json>,
  root: Record<string, Json>,
  path: string,
): string[] {
  if (isIntrinsic(value)) return [];
  if (typeof schema.$ref === 'string')
    return schemaProblems(
      value,
      (root.definitions as Record<string, Record<string, Json>>)[schema.$ref.split('/').pop()!]!,
      root,
      path,
    );
  const problems: string[] = [];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    problems.push(`${path}: ${String(value)} not in enum`);
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value))
      problems.push(`${path}: pattern`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      problems.push(`${path}: too long`);
  }
  if (Array.isArray(value) && isObject(schema.items))
    for (const [i, item] of value.entries())
      problems.push(...schemaProblems(item, schema.items as Record<string, Json>, root, `${path}[${i}]`));
  if (isObject(value) && isObject(schema.properties))
    for (const [key, v] of Object.entries(value)) {
      const sub = (schema.properties as Record<string, Record<string, Json>>)[key];
      // The published schemas lag the newest checks; the spec test covers property names.
      if (sub) problems.push(...schemaProblems(v, sub, root, `${path}.${key}`));
    }
  return problems;
}

describe.each([['AWS::IoT::MitigationAction', 'mitigationaction.json']])(
  '%s against its resource-provider schema',
  (type, file) => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'tests/template/cfn', file), 'utf8')) as Record<
      string,
      Json
    >;
    it.each(resourcesOfType(type).map(([id]) => [id]))('%s: literal values fit', (id) => {
      const value = resources[id]!.Properties as Json;
      expect(schemaProblems(value, schema, schema, id)).toEqual([]);
      for (const required of schema.required as string[]) expect(value).toHaveProperty(required);
    });
  },
);
