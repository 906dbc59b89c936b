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
});
