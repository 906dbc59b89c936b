// Resource-based policies evaluated as the IAM User Guide documents it (wiring/iam-policy.ts): an
// explicit Deny wins, keys and operators AND, a key's values OR, a negated operator's values NOR, an
// absent key fails a condition and passes a negated one, ForAnyValue/ForAllValues over a set.
import { describe, expect, it } from 'vitest';
import {
  accountOf,
  evaluatePolicy,
  type PolicyStatement,
  statementsOf,
  UnsupportedPolicyError,
} from '../../wiring/iam-policy.ts';

const BUS = 'arn:aws:events:us-east-1:123456789012:event-bus/b';
const ALICE = 'arn:aws:iam::123456789012:role/alice';
const BOB = 'arn:aws:iam::123456789012:role/bob';
const put = (principalArn: string, context: Record<string, string | string[] | undefined> = {}) => ({
  caller: { principalArn },
  action: 'events:PutEvents',
  resource: BUS,
  context,
});
const deny = (Condition: NonNullable<PolicyStatement['Condition']>): PolicyStatement => ({
  Effect: 'Deny',
  Principal: '*',
  Action: 'events:PutEvents',
  Resource: BUS,
  Condition,
});

describe('evaluatePolicy', () => {
  it('a negated operator with several values denies a principal that is none of them (NOR)', () => {
    const statements = [
      deny({ ArnNotLike: { 'aws:PrincipalArn': [ALICE, 'arn:aws:iam::123456789012:role/ops-*'] } }),
    ];
    expect(evaluatePolicy(statements, put(ALICE)).decision).toBe('implicit');
    expect(evaluatePolicy(statements, put('arn:aws:iam::123456789012:role/ops-night')).decision).toBe(
      'implicit',
    );
    expect(evaluatePolicy(statements, put(BOB))).toEqual({ decision: 'deny', statement: 'statement 0' });
  });

  it('operators and keys are ANDed, the values of one key ORed', () => {
    const statements = [
      deny({
        'ForAnyValue:StringEquals': { 'events:detail-type': ['A', 'B'] },
        ArnNotEquals: { 'aws:PrincipalArn': ALICE },
      }),
    ];
    expect(evaluatePolicy(statements, put(BOB, { 'events:detail-type': 'B' })).decision).toBe('deny');
    expect(evaluatePolicy(statements, put(BOB, { 'events:detail-type': 'C' })).decision).toBe('implicit');
    expect(evaluatePolicy(statements, put(ALICE, { 'events:detail-type': 'A' })).decision).toBe('implicit');
  });

  it('an absent key fails a condition, passes a negated one, and passes ...IfExists', () => {
    const request = {
      caller: { service: 'events.amazonaws.com' },
      action: 'events:PutEvents',
      resource: BUS,
    };
    expect(evaluatePolicy([deny({ ArnEquals: { 'aws:PrincipalArn': ALICE } })], request).decision).toBe(
      'implicit',
    );
    expect(evaluatePolicy([deny({ ArnNotEquals: { 'aws:PrincipalArn': ALICE } })], request).decision).toBe(
      'deny',
    );
    expect(
      evaluatePolicy([deny({ StringEqualsIfExists: { 'aws:SourceAccount': '1' } })], request).decision,
    ).toBe('deny');
  });

  it('ForAnyValue is false and ForAllValues true on an absent or empty key', () => {
    const anyValue = [deny({ 'ForAnyValue:StringEquals': { 'events:source': 'x' } })];
    const allValues = [deny({ 'ForAllValues:StringEquals': { 'events:source': 'x' } })];
    for (const context of [{}, { 'events:source': [] }]) {
      expect(evaluatePolicy(anyValue, put(ALICE, context)).decision).toBe('implicit');
      expect(evaluatePolicy(allValues, put(ALICE, context)).decision).toBe('deny');
    }
    expect(evaluatePolicy(allValues, put(ALICE, { 'events:source': ['x', 'y'] })).decision).toBe('implicit');
    expect(evaluatePolicy(anyValue, put(ALICE, { 'events:source': ['y', 'x'] })).decision).toBe('deny');
  });

  it('ForAnyValue with a negated operator: some value of the request is none of the listed ones', () => {
    const statements = [deny({ 'ForAnyValue:StringNotEquals': { 'events:detail-type': ['A', 'B'] } })];
    expect(evaluatePolicy(statements, put(ALICE, { 'events:detail-type': ['A', 'B'] })).decision).toBe(
      'implicit',
    );
    expect(evaluatePolicy(statements, put(ALICE, { 'events:detail-type': ['A', 'Z'] })).decision).toBe(
      'deny',
    );
  });

  it('an explicit Deny overrides an Allow; an Allow decides when nothing denies', () => {
    const allow: PolicyStatement = {
      Sid: 'All',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 'events:*',
    };
    const statements = [allow, { ...deny({ ArnEquals: { 'aws:PrincipalArn': BOB } }), Sid: 'NotBob' }];
    expect(evaluatePolicy(statements, put(ALICE))).toEqual({ decision: 'allow', statement: 'All' });
    expect(evaluatePolicy(statements, put(BOB))).toEqual({ decision: 'deny', statement: 'NotBob' });
  });

  it('an account in Principal stands for its principals; a service principal only for itself', () => {
    const byAccount: PolicyStatement = {
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:root' },
      Action: 'sns:Publish',
    };
    const request = (caller: { principalArn: string } | { service: string }) => ({
      caller,
      action: 'sns:Publish',
      resource: 'arn:aws:sns:us-east-1:123456789012:t',
    });
    expect(evaluatePolicy([byAccount], request({ principalArn: ALICE })).decision).toBe('allow');
    expect(
      evaluatePolicy([byAccount], request({ principalArn: 'arn:aws:iam::999999999999:role/x' })).decision,
    ).toBe('implicit');
    expect(evaluatePolicy([byAccount], request({ service: 'events.amazonaws.com' })).decision).toBe(
      'implicit',
    );
    const service: PolicyStatement = {
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
    };
    expect(evaluatePolicy([service], request({ service: 'events.amazonaws.com' })).decision).toBe('allow');
    expect(evaluatePolicy([service], request({ principalArn: ALICE })).decision).toBe('implicit');
  });

  it('matches actions case-insensitively with wildcards, ARNs part by part', () => {
    const statement: PolicyStatement = {
      Effect: 'Allow',
      Principal: '*',
      Action: 'kms:GenerateDataKey*',
      Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:123456789012:rule/ddr-*' } },
    };
    const request = (action: string, sourceArn: string) => ({
      caller: { service: 'events.amazonaws.com' },
      action,
      resource: 'arn:aws:kms:us-east-1:123456789012:key/k',
      context: { 'aws:SourceArn': sourceArn },
    });
    expect(
      evaluatePolicy(
        [statement],
        request('KMS:generatedatakey', 'arn:aws:events:eu-west-1:123456789012:rule/ddr-x'),
      ).decision,
    ).toBe('allow');
    expect(
      evaluatePolicy([statement], request('kms:Decrypt', 'arn:aws:events:eu-west-1:123456789012:rule/ddr-x'))
        .decision,
    ).toBe('implicit');
    expect(
      evaluatePolicy(
        [statement],
        request('kms:GenerateDataKey', 'arn:aws:events:eu-west-1:210987654321:rule/ddr-x'),
      ).decision,
    ).toBe('implicit');
  });

  it('refuses an operator it does not evaluate, rather than guess', () => {
    expect(() => evaluatePolicy([deny({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })], put(ALICE))).toThrow(
      UnsupportedPolicyError,
    );
  });

  it('reads a policy document as JSON text or an object, one statement or a list', () => {
    const statement = { Effect: 'Deny', Principal: '*', Action: 'sns:Subscribe' };
    expect(statementsOf(JSON.stringify({ Statement: statement }))).toEqual([statement]);
    expect(statementsOf({ Statement: [statement, statement] })).toHaveLength(2);
    expect(statementsOf(undefined)).toEqual([]);
    expect(accountOf(ALICE)).toBe('123456789012');
  });
});
