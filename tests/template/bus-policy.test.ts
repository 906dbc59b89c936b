/**
 * Operators are principals (issue #15, item 5). A re-run request may enforce an audit older than the
 * switch, so the event bus's resource-based policy lets only the principals of OperatorPrincipalArns
 * put "Audit Remediation Requested" (an empty list: nobody), only the Pipe's role put "Audit
 * Completed", and nobody any other detail-type under the stack's source. Evaluated here, principals x
 * detail-types, with the small evaluator of bus-policy-iam.ts on the template as CloudFormation would
 * resolve it (docs/trust-conditions.md, "Who may put events on the bus").
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
  STACK,
  type Who,
} from './bus-policy-iam.ts';
import { resources, template } from './support.ts';

const SOURCE = 'custom.devicedefender';
const COMPLETED = 'Audit Completed';
const RERUN = 'Audit Remediation Requested';
const APPROVAL = 'Held-Back Check Approval Requested';
const OPERATOR = `arn:aws:iam::${ACCOUNT}:role/remediation-operator`;
const SSO_OPERATORS = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Operator_*`;
const SSO_SESSION_ROLE = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Operator_0123abcd`;
const DEVELOPER = `arn:aws:iam::${ACCOUNT}:role/developer`;

/** May `who` put one entry of this source and detail-type on the stack's bus? */
function put(policy: ReturnType<typeof policyOn>, who: Who, detailType: string, source = SOURCE): Decision {
  return decide(policy, {
    who,
    action: 'events:PutEvents',
    resource: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/${STACK}`,
    keys: { 'events:source': [source], 'events:detail-type': [detailType] },
  });
}

/** Same account: not denied = allowed for a principal whose IAM policy grants events:PutEvents. */
const allowed = (decision: Decision) => decision !== 'deny';

describe('the event bus policy, with operators', () => {
  const deployed = deploy({ OperatorPrincipalArns: `${OPERATOR},${SSO_OPERATORS}` });
  const policy = policyOn(deployed, 'EventBus');
  const pipe = role(deployed, 'AuditNotificationsPipeRole');
  const principals: [string, Who][] = [
    ['the Pipe (its role)', pipe],
    ['an operator', { arn: OPERATOR }],
    ['an operator by wildcard (IAM Identity Center)', { arn: SSO_SESSION_ROLE }],
    ['a developer of the account', { arn: DEVELOPER }],
    ['the account root', { arn: ROOT_ARN }],
    ['the planner', role(deployed, 'PlanRemediationRole')],
    ['the sweep', role(deployed, 'SweepAuditsRole')],
  ];
  const operators = new Set([OPERATOR, SSO_SESSION_ROLE]);

  it('has a policy, and no statement that allows anything', () => {
    expect(policy.length).toBeGreaterThanOrEqual(3);
    expect(policy.filter((s) => s.Effect !== 'Deny')).toEqual([]);
  });

  it.each(principals)('%s puts "Audit Completed" only if it is the Pipe', (_, who) => {
    expect(allowed(put(policy, who, COMPLETED))).toBe(
      'arn' in who && who.arn === (pipe as { arn: string }).arn,
    );
  });

  it.each(principals)('%s requests a re-run only if it is an operator', (_, who) => {
    expect(allowed(put(policy, who, RERUN))).toBe('arn' in who && operators.has(who.arn));
    // Under another source too: the deny is on the detail-type.
    expect(allowed(put(policy, who, RERUN, 'my.app'))).toBe('arn' in who && operators.has(who.arn));
  });

  it.each(principals)('%s approves what a cap held back only if it is an operator', (_, who) => {
    expect(allowed(put(policy, who, APPROVAL))).toBe('arn' in who && operators.has(who.arn));
    expect(allowed(put(policy, who, APPROVAL, 'my.app'))).toBe('arn' in who && operators.has(who.arn));
  });

  it.each(principals)('%s puts no other detail-type under the stack source', (_, who) => {
    for (const detailType of [
      'Audit Started',
      'audit completed',
      'Audit Remediation Requested ',
      'Held-Back Check Approved',
      '',
    ])
      expect(put(policy, who, detailType), detailType).toBe('deny');
  });

  it.each(principals)("%s may put other sources' events (its IAM policy decides)", (_, who) => {
    expect(put(policy, who, 'Order Placed', 'com.example.shop')).toBe('implicit');
  });

  it("refuses a request that mixes a forged re-run into the Pipe's entries (multivalued keys)", () => {
    const decision = decide(policy, {
      who: pipe,
      action: 'events:PutEvents',
      resource: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/${STACK}`,
      keys: { 'events:source': [SOURCE], 'events:detail-type': [COMPLETED, RERUN] },
    });
    expect(decision).toBe('deny');
  });
});

describe('the event bus policy, with no operators (the default)', () => {
  const deployed = deploy();
  const policy = policyOn(deployed, 'EventBus');

  it('OperatorPrincipalArns defaults to empty', () => {
    expect(template.Parameters.OperatorPrincipalArns).toMatchObject({
      Type: 'CommaDelimitedList',
      Default: '',
    });
  });

  it.each([
    ['an operator-to-be', OPERATOR],
    ['the account root', ROOT_ARN],
    ['the Pipe', String(deployed.getAtt('AuditNotificationsPipeRole', 'Arn'))],
    ['a developer', DEVELOPER],
  ])('%s may not request a re-run nor approve a held-back check: nobody may', (_, arn) => {
    expect(put(policy, { arn }, RERUN)).toBe('deny');
    expect(put(policy, { arn }, APPROVAL)).toBe('deny');
  });

  it('still lets the Pipe complete audits', () => {
    expect(allowed(put(policy, role(deployed, 'AuditNotificationsPipeRole'), COMPLETED))).toBe(true);
    expect(put(policy, { arn: DEVELOPER }, COMPLETED)).toBe('deny');
  });

  it('puts no empty list into a condition: with no operator the statement has no principal condition', () => {
    const rerun = policy.find((s) => JSON.stringify(s.Condition).includes(RERUN))!;
    expect(rerun.Effect).toBe('Deny');
    expect(JSON.stringify(rerun.Condition)).not.toContain('aws:PrincipalArn');
    for (const s of policy)
      for (const keys of Object.values(s.Condition ?? {}))
        for (const value of Object.values(keys)) expect([value].flat().every((v) => v !== '')).toBe(true);
  });
});

describe('the bus policy resources', () => {
  const ids = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Events::EventBusPolicy')
    .map(([id]) => id);

  it('are statements on the stack bus, each with its own StatementId (a statement is its bus and StatementId)', () => {
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const statementIds = ids.map((id) => resources[id]!.Properties!.StatementId);
    expect(new Set(statementIds).size).toBe(ids.length);
    for (const id of ids) {
      const p = resources[id]!.Properties!;
      expect(p.EventBusName).toEqual({ Ref: 'EventBus' });
      // A plain id: with a StackSet's long stack name in it, it would pass its 64 characters.
      expect(p.StatementId).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
      expect(p.Statement).toBeDefined();
    }
  });

  it('are created one after another: each rewrites the bus policy', () => {
    const dependsOn = ids.map((id) => [resources[id]!.DependsOn ?? []].flat());
    expect(dependsOn.filter((d) => d.length === 0)).toHaveLength(1);
    expect(new Set(dependsOn.flat()).size).toBe(ids.length - 1);
  });

  it('the re-run statement chooses between the operators and nobody on HasOperators', () => {
    const rerun = ids.find((id) => JSON.stringify(resources[id]!.Properties).includes(RERUN))!;
    const statement = resources[rerun]!.Properties!.Statement as { 'Fn::If': unknown[] };
    expect(statement['Fn::If']?.[0]).toBe('HasOperators');
    expect(template.Conditions.HasOperators).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': ['', { Ref: 'OperatorPrincipalArns' }] }, ''] }],
    });
  });
});
