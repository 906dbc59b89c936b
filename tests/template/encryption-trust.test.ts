/**
 * Encryption and trust: every topic and queue is encrypted in a way its publishers can use (SNS
 * topics with a customer-managed key admitting each publisher, queues with SSE-SQS, which SNS,
 * EventBridge and Lambda destinations can write), and every grant to an AWS service carries the
 * confused-deputy conditions (aws:SourceAccount, and aws:SourceArn where the service sets one).
 */
import { describe, expect, it } from 'vitest';
import {
  grants,
  isObject,
  type Json,
  mentions,
  resources,
  resourcesOfType,
  roleOf,
  type Statement,
  statements,
} from './support.ts';

/** Lambda sets only aws:SourceAccount when it assumes an execution role (no function ARN yet). */
const SOURCE_ACCOUNT_ONLY = new Set(['lambda.amazonaws.com']);

function servicePrincipals(s: Statement): string[] {
  const principal = s.Principal;
  if (!isObject(principal)) return [];
  return [principal.Service ?? []].flat() as string[];
}

function conditionKeys(s: Statement): Set<string> {
  return new Set(Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c)));
}

function keyOf(topicId: string): string | undefined {
  const [ref] = [...mentions(resources[topicId]!.Properties?.KmsMasterKeyId)];
  return ref && resources[ref]?.Type === 'AWS::KMS::Key' ? ref : undefined;
}

function keyPolicyAdmits(keyId: string, service: string): boolean {
  return statements(resources[keyId]!.Properties?.KeyPolicy).some(
    (s) =>
      s.Effect === 'Allow' &&
      servicePrincipals(s).includes(service) &&
      ['kms:GenerateDataKey', 'kms:Decrypt'].every((a) =>
        s.Action.some((x) => x === a || (x.endsWith('*') && a.startsWith(x.slice(0, -1)))),
      ),
  );
}

const topics = resourcesOfType('AWS::SNS::Topic').map(([id]) => id);
const roles = resourcesOfType('AWS::IAM::Role').map(([id]) => id);

describe('topics', () => {
  it.each(topics.map((t) => [t]))(
    '%s is encrypted with a rotating customer-managed key of the stack',
    (topic) => {
      const key = keyOf(topic);
      expect(key, `${topic}: KmsMasterKeyId`).toBeDefined();
      expect(resources[key!]!.Properties?.EnableKeyRotation).toBe(true);
    },
  );

  it.each(topics.map((t) => [t]))('%s: every role that publishes to it may use its key', (topic) => {
    const key = keyOf(topic)!;
    for (const role of roles)
      if (grants(role, 'sns:Publish', topic).length > 0) {
        expect(grants(role, 'kms:GenerateDataKey', key), `${role}`).not.toEqual([]);
        expect(grants(role, 'kms:Decrypt', key), `${role}`).not.toEqual([]);
      }
  });

  it.each(topics.map((t) => [t]))(
    '%s: a key policy admitting the services that publish through it',
    (topic) => {
      const key = keyOf(topic)!;
      const alarms = resourcesOfType('AWS::CloudWatch::Alarm').filter(([, a]) =>
        mentions(a.Properties?.AlarmActions).has(topic),
      );
      if (alarms.length > 0) expect(keyPolicyAdmits(key, 'cloudwatch.amazonaws.com')).toBe(true);
      // IoT publishes (audit notifications, PUBLISH_FINDING_TO_SNS) with a role it assumes.
      const iotPublishers = roles.filter(
        (role) =>
          grants(role, 'sns:Publish', topic).length > 0 &&
          statements(resources[role]!.Properties?.AssumeRolePolicyDocument).some((s) =>
            servicePrincipals(s).includes('iot.amazonaws.com'),
          ),
      );
      if (iotPublishers.length > 0) expect(keyPolicyAdmits(key, 'iot.amazonaws.com')).toBe(true);
      if (alarms.length > 0) {
        // A topic policy replaces the default one: it must admit CloudWatch itself.
        const policies = resourcesOfType('AWS::SNS::TopicPolicy').filter(([, p]) =>
          mentions(p.Properties?.Topics).has(topic),
        );
        for (const [, p] of policies)
          expect(
            statements(p.Properties?.PolicyDocument).some(
              (s) =>
                servicePrincipals(s).includes('cloudwatch.amazonaws.com') && s.Action.includes('sns:Publish'),
            ),
          ).toBe(true);
      }
    },
  );

  it('the audit notifications reach the stack only through topics whose role IoT may assume', () => {
    // The account's audit configuration is set by a custom resource (functions/audit-configuration).
    const configurations = resourcesOfType('AWS::CloudFormation::CustomResource').filter(
      ([, r]) => r.Properties?.NotificationTopicArn !== undefined,
    );
    expect(configurations.length).toBeGreaterThan(0);
    for (const [, config] of configurations) {
      const [topic] = [...mentions(config.Properties!.NotificationTopicArn)];
      expect(grants(roleOf(config.Properties!.NotificationRoleArn)!, 'sns:Publish', topic!)).not.toEqual([]);
    }
  });
});

describe('queues', () => {
  it.each(resourcesOfType('AWS::SQS::Queue').map(([id]) => [id]))(
    '%s uses SSE-SQS (which SNS and EventBridge can write)',
    (id) => {
      const p = resources[id]!.Properties!;
      expect(p.SqsManagedSseEnabled).toBe(true);
      expect(p.KmsMasterKeyId).toBeUndefined();
    },
  );

  function queuePolicyAllows(queue: string, service: string, source: string): boolean {
    return resourcesOfType('AWS::SQS::QueuePolicy').some(
      ([, p]) =>
        mentions(p.Properties?.Queues).has(queue) &&
        statements(p.Properties?.PolicyDocument).some(
          (s) =>
            servicePrincipals(s).includes(service) &&
            s.Action.includes('sqs:SendMessage') &&
            s.Resource.some((r) => mentions(r).has(queue)) &&
            mentions(s.Condition).has(source),
        ),
    );
  }

  it('SNS may deliver to each subscribed queue and its dead-letter queue, from that topic only', () => {
    for (const [, sub] of resourcesOfType('AWS::SNS::Subscription')) {
      if (sub.Properties?.Protocol !== 'sqs') continue;
      const [topic] = [...mentions(sub.Properties.TopicArn)];
      for (const queue of [...mentions(sub.Properties.Endpoint), ...mentions(sub.Properties.RedrivePolicy)])
        expect(queuePolicyAllows(queue, 'sns.amazonaws.com', topic!), `${topic} -> ${queue}`).toBe(true);
    }
  });

  it('EventBridge may write each rule target dead-letter queue, from that rule only', () => {
    for (const [ruleId, rule] of resourcesOfType('AWS::Events::Rule'))
      for (const target of rule.Properties!.Targets as {
        DeadLetterConfig?: { Arn: Json };
        RetryPolicy?: Json;
      }[]) {
        expect(target.RetryPolicy, ruleId).toBeDefined();
        expect(target.DeadLetterConfig, ruleId).toBeDefined();
        for (const queue of mentions(target.DeadLetterConfig!.Arn))
          expect(queuePolicyAllows(queue, 'events.amazonaws.com', ruleId), `${ruleId} -> ${queue}`).toBe(
            true,
          );
      }
  });

  it('every asynchronously invoked function sends failed events to a queue', () => {
    const targets = new Set<string>();
    for (const [, rule] of resourcesOfType('AWS::Events::Rule'))
      for (const t of rule.Properties!.Targets as { Arn: Json }[])
        for (const id of mentions(t.Arn)) targets.add(id);
    for (const [, schedule] of resourcesOfType('AWS::Scheduler::Schedule')) {
      const t = schedule.Properties?.Target as { Arn: Json; RetryPolicy?: Json; DeadLetterConfig?: Json };
      expect(t.RetryPolicy).toBeDefined();
      expect(t.DeadLetterConfig).toBeDefined();
      for (const id of mentions(t.Arn)) targets.add(id);
    }
    for (const id of targets) {
      if (resources[id]?.Type !== 'AWS::Serverless::Function') continue;
      const config = resources[id]!.Properties?.EventInvokeConfig as {
        DestinationConfig?: { OnFailure?: { Type: string; Destination: Json } };
      };
      expect(config?.DestinationConfig?.OnFailure?.Type, id).toBe('SQS');
      const [queue] = [...mentions(config!.DestinationConfig!.OnFailure!.Destination)];
      expect(resources[queue!]?.Type).toBe('AWS::SQS::Queue');
    }
  });

  it('an alarm watches every dead-letter and failure queue', () => {
    const watched = new Set(
      resourcesOfType('AWS::CloudWatch::Alarm').flatMap(([, a]) =>
        a.Properties?.Namespace === 'AWS/SQS' ? [...mentions(a.Properties.Dimensions)] : [],
      ),
    );
    const queues = resourcesOfType('AWS::SQS::Queue')
      .map(([id]) => id)
      .filter(
        (id) =>
          !Object.values(resources).some(
            (r) => r.Type === 'AWS::SNS::Subscription' && mentions(r.Properties?.Endpoint).has(id),
          ),
      );
    expect(queues.filter((q) => !watched.has(q))).toEqual([]);
  });
});

describe('trust', () => {
  it.each(roles.map((r) => [r]))(
    '%s: each service may assume it only from this account (and its resources)',
    (role) => {
      const trust = statements(resources[role]!.Properties?.AssumeRolePolicyDocument);
      expect(trust.length).toBeGreaterThan(0);
      for (const s of trust) {
        const services = servicePrincipals(s);
        expect(services.length, `${role} trusts a non-service principal`).toBeGreaterThan(0);
        const keys = conditionKeys(s);
        expect(keys.has('aws:SourceAccount'), role).toBe(true);
        if (!services.every((service) => SOURCE_ACCOUNT_ONLY.has(service)))
          expect(keys.has('aws:SourceArn'), role).toBe(true);
      }
    },
  );

  it('every resource policy grant to a service carries aws:SourceAccount and aws:SourceArn', () => {
    const documents: [string, Json | undefined][] = [
      ...resourcesOfType('AWS::SQS::QueuePolicy').map(
        ([id, p]) => [id, p.Properties?.PolicyDocument] as [string, Json | undefined],
      ),
      ...resourcesOfType('AWS::SNS::TopicPolicy').map(
        ([id, p]) => [id, p.Properties?.PolicyDocument] as [string, Json | undefined],
      ),
      ...resourcesOfType('AWS::KMS::Key').map(
        ([id, k]) => [id, k.Properties?.KeyPolicy] as [string, Json | undefined],
      ),
    ];
    for (const [id, document] of documents)
      for (const s of statements(document))
        if (servicePrincipals(s).length > 0) {
          const keys = conditionKeys(s);
          expect(
            keys.has('aws:SourceAccount') && keys.has('aws:SourceArn'),
            `${id}: ${servicePrincipals(s)}`,
          ).toBe(true);
        }
    for (const [id, p] of resourcesOfType('AWS::Lambda::Permission')) {
      expect(p.Properties?.SourceArn, id).toBeDefined();
      expect(p.Properties?.SourceAccount, id).toBeDefined();
    }
  });
});
