/**
 * Verification's grants and alarm (docs/decisions/verification.md): the state machine starts, follows
 * and cancels on-demand audits and writes their markers; the planner and the sweep read the markers;
 * nothing else does either, and ChecksNotImprovedAlarm watches the report function's metric.
 */
import { describe, expect, it } from 'vitest';
import { verificationMarkerPath } from '#domain/verification';
import {
  grantedActions,
  type Json,
  mentions,
  resources,
  resourcesOfType,
  roleStatements,
  stateMachineDefinition,
  template,
} from './support.ts';

const MARKERS =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's ${} in a Sub, not JavaScript's
  'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${AWS::StackName}/verification-audits/*';
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's ${} in a Sub, not JavaScript's
const MARKER_PATH = '/${AWS::StackName}/verification-audits';
const AUDIT_ACTIONS = ['iot:CancelAuditTask', 'iot:DescribeAuditTask', 'iot:StartOnDemandAuditTask'];
const MARKER_READERS = ['PlanRemediationRole', 'SweepAuditsRole'];

/** The statements of a role that allow `action`, as [actions, resources]. */
const allowing = (role: string, action: string) =>
  roleStatements(role)
    .filter((s) => s.Effect === 'Allow' && s.Action.includes(action))
    .map((s) => [s.Action, s.Resource]);
const otherRoles = (...keep: string[]) =>
  resourcesOfType('AWS::IAM::Role')
    .map(([id]) => id)
    .filter((id) => !keep.includes(id));

describe('verification in the template', () => {
  it("grants the state machine the three audit calls, on '*' only (none has a resource type in IAM)", () => {
    for (const action of AUDIT_ACTIONS)
      expect(allowing('StateMachineRole', action)).toEqual([[AUDIT_ACTIONS.slice().reverse(), ['*']]]);
  });

  it('grants ssm:PutParameter to the state machine on the marker path and nowhere else', () => {
    // Besides the markers, a waiting execution's approval token (docs/decisions/approval.md).
    const approvals = MARKERS.replace('verification-audits', 'approvals');
    expect(allowing('StateMachineRole', 'ssm:PutParameter')).toEqual([
      [['ssm:PutParameter'], [{ 'Fn::Sub': MARKERS }]],
      [['ssm:PutParameter', 'ssm:DeleteParameter'], [{ 'Fn::Sub': approvals }]],
    ]);
    for (const role of otherRoles('StateMachineRole')) {
      expect(grantedActions(role), role).not.toContain('ssm:PutParameter');
      expect(grantedActions(role), role).not.toContain('iot:StartOnDemandAuditTask');
      expect(grantedActions(role), role).not.toContain('iot:CancelAuditTask');
    }
  });

  it('grants ssm:GetParameter on the marker path to the planner and the sweep only', () => {
    for (const role of MARKER_READERS)
      expect(allowing(role, 'ssm:GetParameter')).toContainEqual([
        ['ssm:GetParameter'],
        [{ 'Fn::Sub': MARKERS }],
      ]);
    for (const role of otherRoles(...MARKER_READERS)) {
      const onMarkers = roleStatements(role).filter((s) =>
        s.Resource.some((r) => JSON.stringify(r).includes('verification-audits')),
      );
      expect(onMarkers, role).toEqual(role === 'StateMachineRole' ? [expect.anything()] : []);
    }
  });

  it('hands the state machine the path the functions derive from the switch, and the ASL writes only there', () => {
    const machine = resourcesOfType('AWS::Serverless::StateMachine')[0]![1];
    const substitutions = machine.Properties!.DefinitionSubstitutions as Record<string, Json>;
    expect(substitutions.VerificationMarkerPath).toEqual({ 'Fn::Sub': MARKER_PATH });
    const switchName = (resources.RuntimeSwitch!.Properties!.Name as { 'Fn::Sub': string })['Fn::Sub'];
    expect(verificationMarkerPath(switchName)).toBe(MARKER_PATH);

    const { tasks } = stateMachineDefinition(resourcesOfType('AWS::Serverless::StateMachine')[0]![0]);
    const writes = tasks.filter((t) => t.resource.endsWith(':ssm:putParameter'));
    expect(writes.map((t) => t.state).sort()).toEqual(['MarkVerificationAudit', 'MarkVerificationStarting']);
    for (const { parameters } of writes)
      expect(JSON.stringify(parameters)).toMatch(
        /"Name(\.\$)?":"(States\.Format\(')?\$\{VerificationMarkerPath\}\//,
      );
  });

  it('alarms on ChecksNotImproved (the service dimension only) to the reports topic', () => {
    const globals = (template.Globals.Function.Environment as { Variables: Record<string, Json> }).Variables;
    const alarm = resources.ChecksNotImprovedAlarm!.Properties!;
    expect(alarm).toMatchObject({
      MetricName: 'ChecksNotImproved',
      Namespace: globals.POWERTOOLS_METRICS_NAMESPACE,
      Dimensions: [{ Name: 'service', Value: globals.POWERTOOLS_SERVICE_NAME }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect([...mentions(alarm.AlarmActions)]).toEqual(['ReportsTopic']);
    // The reports topic admits the alarm (docs/trust-conditions.md).
    expect(
      mentions(resources.ReportsTopicPolicy!.Properties!.PolicyDocument).has('ChecksNotImprovedAlarm'),
    ).toBe(true);
  });
});
