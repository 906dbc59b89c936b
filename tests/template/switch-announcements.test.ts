/**
 * A change of the switch or of the policy parameter is announced (issue #15, item 8): a rule on the
 * default bus takes Parameter Store's "Parameter Store Change" events for the runtime switch and the
 * policy parameter (Create, Update, Delete) to the reports topic, with a readable message. EventBridge
 * publishes as events.amazonaws.com, so the topic policy and the topic's key policy must admit that
 * rule, and only it: otherwise the delivery fails (docs/trust-conditions.md, docs/aws-facts/eventbridge.md).
 *
 * Sample events: the shape of Systems Manager's documented samples (source aws.ssm, the parameter's
 * ARN in resources, detail { operation, name, type }), with the stack's parameters' names.
 */
import { type BusEvent, matchesEventPattern } from '@device-defender-remediation/local-cloud';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, decide, deploy, policyOn, STACK } from './bus-policy-iam.ts';
import { type Json, resources } from './support.ts';

const POLICY_NAME = `/${STACK}/policy`;
const SWITCH_NAME = `/${STACK}/runtime-switch`;

/** A "Parameter Store Change" event as Systems Manager documents it. */
function parameterChange(name: string, operation: string, arnName = name.replace(/^\//, '')): BusEvent {
  return {
    version: '0',
    id: 'eed4a719-0fa4-6a49-80d8-8ac65EXAMPLE',
    'detail-type': 'Parameter Store Change',
    source: 'aws.ssm',
    account: ACCOUNT,
    time: '2026-05-26T22:04:42Z',
    region: 'us-east-1',
    resources: [`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/${arnName}`],
    detail: { operation, name, type: 'String', description: 'Sample Parameter' },
  };
}

const withPolicy = deploy({ PolicyParameterName: POLICY_NAME });
const withoutPolicy = deploy();
const ruleIds = Object.entries(resources)
  .filter(
    ([, r]) =>
      r.Type === 'AWS::Events::Rule' &&
      JSON.stringify(r.Properties?.EventPattern).includes('Parameter Store Change'),
  )
  .map(([id]) => id);
const [ruleId] = ruleIds;
const pattern = (deployed: ReturnType<typeof deploy>) => deployed.property(ruleId!, 'EventPattern');

describe('the rule on Parameter Store changes', () => {
  it('is one rule, on the default bus', () => {
    expect(ruleIds).toHaveLength(1);
    expect(resources[ruleId!]!.Properties?.EventBusName).toBeUndefined();
  });

  it.each(['Create', 'Update', 'Delete'])('matches the switch and the policy parameter: %s', (operation) => {
    expect(matchesEventPattern(pattern(withPolicy), parameterChange(SWITCH_NAME, operation))).toBe(true);
    expect(matchesEventPattern(pattern(withPolicy), parameterChange(POLICY_NAME, operation))).toBe(true);
    expect(matchesEventPattern(pattern(withoutPolicy), parameterChange(SWITCH_NAME, operation))).toBe(true);
  });

  it('matches whether detail.name carries the leading slash or not (the ARN in resources decides then)', () => {
    const bare = parameterChange(SWITCH_NAME.slice(1), 'Update', SWITCH_NAME.slice(1));
    expect(matchesEventPattern(pattern(withPolicy), bare)).toBe(true);
  });

  it('does not match another parameter, a label, or another stack', () => {
    for (const event of [
      parameterChange('golden-ami', 'Create'),
      parameterChange(`/${STACK}/runtime-switch-old`, 'Update'),
      parameterChange('/other-stack/runtime-switch', 'Update'),
      parameterChange(SWITCH_NAME, 'LabelParameterVersion'),
      { ...parameterChange(SWITCH_NAME, 'Update'), source: 'custom.forged' },
    ])
      expect(matchesEventPattern(pattern(withPolicy), event), JSON.stringify(event.detail)).toBe(false);
    // Without a policy parameter, a parameter of that name is nobody's business.
    expect(matchesEventPattern(pattern(withoutPolicy), parameterChange(POLICY_NAME, 'Update'))).toBe(false);
  });

  it('targets the reports topic, retried and dead-lettered like the other rules', () => {
    const targets = withPolicy.property(ruleId!, 'Targets') as Record<string, Json>[];
    expect(targets).toHaveLength(1);
    const [target] = targets as [Record<string, Json>];
    expect(target.Arn).toBe(String(withPolicy.ref('ReportsTopic')));
    expect(target.RoleArn).toBeUndefined();
    const [audit] = withPolicy.property('AuditCompletedRule', 'Targets') as Record<string, Json>[];
    expect(target.RetryPolicy).toEqual(audit!.RetryPolicy);
    expect(target.DeadLetterConfig).toEqual({
      Arn: String(withPolicy.getAtt('EventDeliveryDeadLetterQueue', 'Arn')),
    });
  });

  it('writes a readable message: a quoted sentence naming the parameter, the operation and where to look', () => {
    const target = (
      withPolicy.property(ruleId!, 'Targets') as { InputTransformer: Record<string, Json> }[]
    )[0]!;
    const paths = target.InputTransformer.InputPathsMap as Record<string, string>;
    const text = String(target.InputTransformer.InputTemplate);
    const sample = parameterChange(SWITCH_NAME, 'Update') as unknown as Record<string, unknown>;
    for (const [name, path] of Object.entries(paths)) {
      const value = path
        .slice(2)
        .split('.')
        .reduce<unknown>((o, key) => (o as Record<string, unknown>)?.[key], sample);
      expect(value, `${name} = ${path}`).toBeTypeOf('string');
    }
    const variables = [...text.matchAll(/<([^>]*)>/g)].map((m) => m[1]!);
    expect(new Set(variables)).toEqual(new Set(Object.keys(paths)));
    expect(text).toMatch(/^"[^"\n]+"$/);
    expect(text).toContain(SWITCH_NAME);
    expect(text).toContain(POLICY_NAME);
    expect(text).toMatch(/CloudTrail/);
    expect(text).toMatch(/ssm get-parameter --name <name>/);
  });
});

describe('the topic and the key admit exactly that rule', () => {
  // The rule's fixed name, which the key policy must write down (it cannot !GetAtt the rule).
  const ruleArn = `arn:aws:events:us-east-1:${ACCOUNT}:rule/${STACK}-params`;
  const otherRules = Object.entries(resources)
    .filter(([id, r]) => r.Type === 'AWS::Events::Rule' && id !== ruleId)
    .map(([id]) => String(withPolicy.getAtt(id, 'Arn')));
  const events = { service: 'events.amazonaws.com' };
  const keys = (sourceArn: string) => ({ 'aws:SourceArn': sourceArn, 'aws:SourceAccount': ACCOUNT });
  const topic = policyOn(withPolicy, 'ReportsTopic');
  const key = policyOn(withPolicy, 'TopicKey');
  const keyArn = String(withPolicy.getAtt('TopicKey', 'Arn'));

  it('the rule has the fixed name the key policy writes down', () => {
    expect(String(withPolicy.getAtt(ruleId!, 'Arn'))).toBe(ruleArn);
  });

  it('the reports topic lets it publish; no other rule', () => {
    const publish = (sourceArn: string) =>
      decide(topic, {
        who: events,
        action: 'sns:Publish',
        resource: String(withPolicy.ref('ReportsTopic')),
        keys: keys(sourceArn),
      });
    expect(publish(ruleArn)).toBe('allow');
    expect(otherRules.length).toBeGreaterThan(0);
    for (const other of otherRules) expect(publish(other), other).not.toBe('allow');
  });

  it.each(['kms:GenerateDataKey', 'kms:Decrypt'])(
    'the key lets it %s; no other rule, no other account',
    (action) => {
      const use = (sourceArn: string, account = ACCOUNT) =>
        decide(key, {
          who: events,
          action,
          resource: keyArn,
          keys: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': account },
        });
      expect(use(ruleArn)).toBe('allow');
      for (const other of otherRules) expect(use(other), other).not.toBe('allow');
      expect(use(ruleArn, '999999999999')).not.toBe('allow');
    },
  );

  it('the findings and notifications topics do not admit it', () => {
    for (const id of ['FindingsTopic', 'AuditNotificationsTopic'])
      expect(
        decide(policyOn(withPolicy, id), {
          who: events,
          action: 'sns:Publish',
          resource: String(withPolicy.ref(id)),
          keys: keys(ruleArn),
        }),
        id,
      ).not.toBe('allow');
  });
});
