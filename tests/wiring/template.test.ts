// The stack's template.yaml, deployed on paper by the local cloud: the names, ARNs and environments
// the local stack wires from it (the resolution itself: local-cloud/tests/wiring/template.test.ts).
import {
  DeployedTemplate,
  functionEnvironments,
  mergedEnvironment,
  parseTemplate,
  readTemplateText,
} from '@device-defender-remediation/local-cloud';
import { describe, expect, it } from 'vitest';

const target = { stackName: 'ddr', accountId: '123456789012', region: 'us-east-1', partition: 'aws' };

describe('template.yaml, deployed locally', () => {
  const deployed = new DeployedTemplate(parseTemplate(readTemplateText()), {
    ...target,
    stackName: 'device-defender-remediation',
    parameters: { DeadlineSeconds: '1800' },
  });

  it("gives the state machine the template's substitutions, with parameter overrides", () => {
    const substitutions = deployed.property('RemediationStateMachine', 'DefinitionSubstitutions') as Record<
      string,
      unknown
    >;
    expect(substitutions).toMatchObject({
      Partition: 'aws',
      ReportFunctionArn: String(deployed.getAtt('ReportRemediationFunction', 'Arn')),
      ReportsTopicArn: String(deployed.ref('ReportsTopic')),
      SwitchParameterName: '/device-defender-remediation/runtime-switch',
      DeadlineSeconds: '1800',
      CapacityWaitSeconds: '3600',
    });
  });

  it('gives every function its Globals and own variables, one value per name across functions', () => {
    const environments = functionEnvironments(deployed);
    expect(environments.get('PlanRemediationFunction')).toMatchObject({
      STATE_MACHINE_ARN: String(deployed.ref('RemediationStateMachine')),
      SWITCH_PARAMETER_NAME: '/device-defender-remediation/runtime-switch',
      POLICY_PARAMETER_NAME: '',
      ACTION_NAME_PREFIX: 'device-defender-remediation',
      POWERTOOLS_SERVICE_NAME: 'device-defender-remediation',
    });
    expect(environments.get('CleanupExecutionFunction')).toMatchObject({
      REPORTS_TOPIC_ARN: String(deployed.ref('ReportsTopic')),
    });
    expect(mergedEnvironment(environments).SWEEP_WINDOW_HOURS).toBe('48');
  });

  it('resolves the rule that ends executions to the state machine it watches', () => {
    expect(deployed.property('ExecutionEndedRule', 'EventPattern')).toMatchObject({
      detail: { stateMachineArn: [String(deployed.ref('RemediationStateMachine'))] },
    });
  });
});
