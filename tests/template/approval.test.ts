// Approving what a cap held back, in the template (docs/decisions/approval.md): the wait's parameter and
// its bounds, where the token lives, and logs that leave execution data (the token) out.
import { describe, expect, it } from 'vitest';
import { type Json, resources, resourcesOfType, roleStatements, template } from './support.ts';

const APPROVALS =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's ${} in a Sub, not JavaScript's
  'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${AWS::StackName}/approvals/*';
const machine = resourcesOfType('AWS::Serverless::StateMachine')[0]![1].Properties!;

describe('approval of held-back checks in the template', () => {
  it('logs the state machine without execution data: the waiting state holds the task token', () => {
    expect(machine.Logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
  });

  it('bounds the wait with ApprovalTimeoutSeconds (default 24 h, 60 s to 7 days) and hands it to the ASL', () => {
    expect(template.Parameters.ApprovalTimeoutSeconds).toMatchObject({
      Type: 'Number',
      Default: 86400,
      MinValue: 60,
      MaxValue: 604800,
    });
    const substitutions = machine.DefinitionSubstitutions as Record<string, Json>;
    expect(substitutions.ApprovalTimeoutSeconds).toEqual({ Ref: 'ApprovalTimeoutSeconds' });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's ${} in a Sub, not JavaScript's
    expect(substitutions.ApprovalParameterPath).toEqual({ 'Fn::Sub': '/${AWS::StackName}/approvals' });
    expect(substitutions.EventBusName).toEqual({ Ref: 'EventBus' });
  });

  it('lets only the state machine write and delete the tokens, under their path only', () => {
    const onApprovals = (id: string) =>
      roleStatements(id).filter((s) => JSON.stringify(s.Resource).includes('/approvals/'));
    expect(onApprovals('StateMachineRole').map((s) => [s.Action, s.Resource])).toEqual([
      [['ssm:PutParameter', 'ssm:DeleteParameter'], [{ 'Fn::Sub': APPROVALS }]],
    ]);
    for (const [id] of resourcesOfType('AWS::IAM::Role'))
      if (id !== 'StateMachineRole')
        for (const s of onApprovals(id)) expect(s.Action, id).not.toContain('ssm:PutParameter');
    expect(Object.keys(resources)).toContain('StateMachineRole');
  });

  it('lets only the approve function read the tokens and answer a waiting execution', () => {
    const readers = resourcesOfType('AWS::IAM::Role')
      .filter(([id]) =>
        roleStatements(id).some(
          (s) => s.Action.includes('ssm:GetParameter') && JSON.stringify(s.Resource).includes('/approvals/'),
        ),
      )
      .map(([id]) => id);
    expect(readers).toEqual(['ApproveHeldBackRole']);
    const answering = resourcesOfType('AWS::IAM::Role')
      .filter(([id]) => roleStatements(id).some((s) => s.Action.some((a) => a.startsWith('states:SendTask'))))
      .map(([id]) => id);
    expect(answering).toEqual(['ApproveHeldBackRole']);
    const statements = roleStatements('ApproveHeldBackRole').map((s) => [s.Action, s.Resource]);
    expect(statements).toContainEqual([['ssm:GetParameter'], [{ 'Fn::Sub': APPROVALS }]]);
    expect(statements).toContainEqual([['states:SendTaskSuccess', 'states:SendTaskFailure'], ['*']]);
    // No heartbeat: the waiting state sets none.
    expect(JSON.stringify(statements)).not.toContain('SendTaskHeartbeat');
  });

  it("hands the operators' approvals on the stack's bus to approve-held-back, with the token path", () => {
    const rule = resources.ApprovalRequestedRule!.Properties!;
    expect(rule.EventBusName).toEqual({ Ref: 'EventBus' });
    expect(rule.EventPattern).toEqual({
      source: ['custom.devicedefender'],
      'detail-type': ['Held-Back Check Approval Requested'],
    });
    expect((rule.Targets as { Arn: Json }[]).map((t) => t.Arn)).toEqual([
      { 'Fn::GetAtt': ['ApproveHeldBackFunction', 'Arn'] },
    ]);
    const fn = resources.ApproveHeldBackFunction!.Properties!;
    expect((fn.Environment as { Variables: Record<string, Json> }).Variables).toEqual({
      STATE_MACHINE_ARN: { Ref: 'RemediationStateMachine' },
      // The same path as the ASL's ApprovalParameterPath.
      APPROVAL_PARAMETER_PATH: (machine.DefinitionSubstitutions as Record<string, Json>)
        .ApprovalParameterPath,
    });
  });
});
