import {
  DescribeAuditTaskCommand,
  DescribeMitigationActionCommand,
  IoTClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { metrics } from '#aws/observability';
import type { RemediationPlan } from '#domain/plan';
import {
  ACCOUNT,
  auditCompletedEvent,
  coldStart,
  DEPLOYED_ACTION_TYPES,
  describeAnswerOf,
  lambdaContext,
  STATE_MACHINE_ARN,
  SWITCH_PARAMETER,
  sampleNotification,
} from './support.ts';

// The planner of a stack without a policy parameter: the bundled default policy.
const { handler } = await coldStart('plan-remediation');
const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);
const iot = mockClient(IoTClient);
const sns = mockClient(SNSClient);
const REPORTS_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:reports`;
const AUDIT_ID = '4e2bcd1ccbc2a5dd15292a82ab80c380';
const AUDIT_START = Date.parse('2026-11-26T02:00:00Z');

const enforcePolicy = {
  version: 1,
  mode: 'enforce',
  actions: {
    PublishFinding: { type: 'PUBLISH_FINDING_TO_SNS' },
    QuarantineDevice: { type: 'ADD_THINGS_TO_THING_GROUP' },
  },
  defaults: { maxFindings: 100, maxPercent: 5 },
  rules: [
    { check: 'DEVICE_CERTIFICATE_SHARED_CHECK', actions: ['PublishFinding', 'QuarantineDevice'] },
    {
      check: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
      actions: ['PublishFinding', 'QuarantineDevice'],
      maxFindings: 10,
    },
  ],
};

function givenSwitch(value: string, lastModified = new Date(AUDIT_START - 86_400_000)) {
  ssm
    .on(GetParameterCommand, { Name: SWITCH_PARAMETER })
    .resolves({ Parameter: { Value: value, LastModifiedDate: lastModified } });
}
const startedInput = (): RemediationPlan =>
  JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!);
const metricCount = (spy: { mock: { calls: unknown[][] } }, name: string) =>
  spy.mock.calls.filter((call) => call[0] === name).reduce((sum, call) => sum + Number(call[2]), 0);

let addMetric: { mock: { calls: unknown[][] }; mockRestore(): void };
let invocation = 0;
/** AWS describes the audit as the sample notification announces it, unless a test says otherwise. */
function givenAudit(answer = describeAnswerOf()) {
  iot.on(DescribeAuditTaskCommand).resolves(answer);
}
function givenDeployedActions(types: Readonly<Record<string, string | undefined>> = DEPLOYED_ACTION_TYPES) {
  iot.on(DescribeMitigationActionCommand).callsFake(({ actionName }: { actionName: string }) => {
    const actionType = types[actionName];
    if (actionType === undefined)
      throw new ResourceNotFoundException({ message: `${actionName} does not exist`, $metadata: {} });
    return { actionName, actionType };
  });
}

beforeEach(() => {
  sfn.reset();
  ssm.reset();
  iot.reset();
  sns.reset();
  givenAudit();
  givenDeployedActions();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  addMetric = vi.spyOn(metrics, 'addMetric');
  sfn
    .on(StartExecutionCommand)
    .callsFake(() => ({ executionArn: `${STATE_MACHINE_ARN}:x`, startDate: new Date() }));
  invocation += 1;
});
afterEach(() => addMetric.mockRestore());

// Powertools Parameters caches per name; each test gets its own policy parameter name.
const uniquePolicyName = () => `/ddr/policy-${invocation}`;
/** The planner of a stack whose policy parameter (a name of this test's own) holds `policy`. */
function givenUniquePolicyParameter(policy: unknown) {
  const name = uniquePolicyName();
  ssm
    .on(GetParameterCommand, { Name: name })
    .resolves({ Parameter: { Value: typeof policy === 'string' ? policy : JSON.stringify(policy) } });
  return plannerWithPolicyParameter(name);
}
async function plannerWithPolicyParameter(name: string) {
  return (await coldStart('plan-remediation', { POLICY_PARAMETER_NAME: name })).handler;
}

describe('plan-remediation', () => {
  it('first delivery: plans with the bundled default policy and starts one execution named after the audit', async () => {
    givenSwitch('enforce');
    const result = await handler(auditCompletedEvent(), lambdaContext());
    expect(result).toMatchObject({ outcome: 'started', executionName: `dry-${AUDIT_ID}`, mode: 'dry-run' });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: `dry-${AUDIT_ID}`,
    });
    const plan = startedInput();
    expect(plan.mode).toMatchObject({
      effective: 'dry-run',
      policy: 'dry-run',
      switch: { value: 'enforce' },
    });
    expect(plan.auditCheckToActionsMapping.DEVICE_CERTIFICATE_SHARED_CHECK).toEqual([
      'ddr-PublishFinding',
      'ddr-QuarantineDevice',
    ]);
    expect(metricCount(addMetric, 'AuditsReceived')).toBe(1);
    expect(metricCount(addMetric, 'ExecutionsStarted')).toBe(1);
  });

  it('rejects the bare notification as detail (what a <$.body> template would send) and starts nothing', async () => {
    givenSwitch('dry-run');
    const event = { ...auditCompletedEvent(), detail: sampleNotification() };
    const result = await handler(event, lambdaContext());
    expect(result).toEqual({
      outcome: 'event-invalid',
      errors: [expect.stringMatching(/^detail\.notification: /)],
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('duplicate while running: a 200 with an earlier startDate is a counted no-op', async () => {
    givenSwitch('dry-run');
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date(Date.now() - 60_000) });
    const result = await handler(auditCompletedEvent(), lambdaContext());
    expect(result).toEqual({ outcome: 'duplicate', executionName: `dry-${AUDIT_ID}` });
    expect(metricCount(addMetric, 'Duplicates')).toBe(1);
    expect(metricCount(addMetric, 'ExecutionsStarted')).toBe(0);
  });

  it('duplicate after the end: ExecutionAlreadyExists is a counted no-op, not an error', async () => {
    givenSwitch('dry-run');
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    await expect(handler(auditCompletedEvent(), lambdaContext())).resolves.toEqual({
      outcome: 'duplicate',
      executionName: `dry-${AUDIT_ID}`,
    });
    expect(metricCount(addMetric, 'Duplicates')).toBe(1);
  });

  it('lets other Step Functions errors fail the invocation, so Lambda retries it', async () => {
    givenSwitch('dry-run');
    sfn.on(StartExecutionCommand).rejects(new Error('ThrottlingException'));
    await expect(handler(auditCompletedEvent(), lambdaContext())).rejects.toThrow('ThrottlingException');
  });

  it('rejects an audit of another account, and counts it', async () => {
    givenSwitch('enforce');
    const result = await handler(auditCompletedEvent(), lambdaContext('plan-remediation', '999999999999'));
    expect(result).toEqual({ outcome: 'foreign-account', accountId: ACCOUNT });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(metricCount(addMetric, 'EventsRejected')).toBe(1);
  });

  it('rejects an invalid event, naming every bad field, and starts nothing', async () => {
    const result = await handler(
      auditCompletedEvent({ ...sampleNotification(), taskId: 'a_b', taskStartTime: 'x' }),
      lambdaContext(),
    );
    expect(result).toEqual({
      outcome: 'event-invalid',
      errors: [
        expect.stringMatching(/^detail\.notification\.taskId: /),
        expect.stringMatching(/^detail\.notification\.taskStartTime: /),
      ],
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(ssm).not.toHaveReceivedCommand(GetParameterCommand);
  });

  it('invalid policy: starts nothing, reports every error, counts it', async () => {
    givenSwitch('enforce');
    const planner = await givenUniquePolicyParameter({
      ...enforcePolicy,
      rules: [{ check: 'NOPE', actions: ['Missing'] }],
    });
    const result = await planner(auditCompletedEvent(), lambdaContext());
    expect(result).toEqual({
      outcome: 'policy-invalid',
      errors: [
        expect.stringMatching(/^rules\[0\]\.check: "NOPE" is not valid/),
        expect.stringMatching(/^rules\[0\]\.actions\[0\]: "Missing" is not declared/),
      ],
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(metricCount(addMetric, 'PolicyInvalid')).toBe(1);
  });

  it('policy parameter that is not JSON, or empty: starts nothing', async () => {
    givenSwitch('enforce');
    const planner = await givenUniquePolicyParameter('version: 1');
    expect(await planner(auditCompletedEvent(), lambdaContext())).toMatchObject({
      outcome: 'policy-invalid',
      errors: [expect.stringContaining('the policy is not valid JSON')],
    });
    ssm.on(GetParameterCommand, { Name: '/ddr/empty' }).resolves({ Parameter: {} });
    const emptyPlanner = await plannerWithPolicyParameter('/ddr/empty');
    expect(await emptyPlanner(auditCompletedEvent(), lambdaContext())).toMatchObject({
      outcome: 'policy-invalid',
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('paused: plans nothing, starts nothing, counts it', async () => {
    givenSwitch('paused');
    expect(await handler(auditCompletedEvent(), lambdaContext())).toMatchObject({
      outcome: 'nothing-to-do',
      reason: 'paused',
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(metricCount(addMetric, 'Paused')).toBe(1);
  });

  it('a switch parameter holding anything else reads as paused', async () => {
    givenSwitch('ENFORCE');
    expect(await handler(auditCompletedEvent(), lambdaContext())).toMatchObject({
      outcome: 'nothing-to-do',
      reason: 'paused',
    });
  });

  it('dry-run switch with an enforce policy: a dry run', async () => {
    givenSwitch('dry-run');
    const planner = await givenUniquePolicyParameter(enforcePolicy);
    expect(await planner(auditCompletedEvent(), lambdaContext())).toMatchObject({
      outcome: 'started',
      executionName: `dry-${AUDIT_ID}`,
    });
    expect(startedInput().mode).toMatchObject({
      effective: 'dry-run',
      policy: 'enforce',
      switch: { value: 'dry-run' },
    });
  });

  it('enforce with both keys: the SSM policy is used, capped checks are held back and counted', async () => {
    givenSwitch('enforce');
    const planner = await givenUniquePolicyParameter(enforcePolicy);
    const result = await planner(auditCompletedEvent(), lambdaContext());
    expect(result).toMatchObject({ outcome: 'started', executionName: `enf-${AUDIT_ID}`, mode: 'enforce' });
    const plan = startedInput();
    expect(plan.auditCheckToActionsMapping).toEqual({
      DEVICE_CERTIFICATE_SHARED_CHECK: ['ddr-PublishFinding', 'ddr-QuarantineDevice'],
    });
    expect(plan.decisions.find((d) => d.checkName === 'DEVICE_CERTIFICATE_EXPIRING_CHECK')).toMatchObject({
      outcome: 'hold-back',
    });
    expect(metricCount(addMetric, 'ChecksHeldBack')).toBe(1);
  });

  it('an audit that started before the switch was set to enforce runs dry', async () => {
    givenSwitch('enforce', new Date(AUDIT_START + 1));
    const planner = await givenUniquePolicyParameter(enforcePolicy);
    await planner(auditCompletedEvent(), lambdaContext());
    expect(startedInput().mode).toMatchObject({
      effective: 'dry-run',
      reason: expect.stringContaining('before the switch was set to enforce'),
    });
  });

  it('caches the SSM policy between invocations but reads the switch every time', async () => {
    givenSwitch('enforce');
    const planner = await givenUniquePolicyParameter(enforcePolicy);
    await planner(auditCompletedEvent(), lambdaContext());
    await planner(auditCompletedEvent(), lambdaContext());
    const names = ssm.commandCalls(GetParameterCommand).map((call) => call.args[0].input.Name);
    expect(names.filter((n) => n === SWITCH_PARAMETER)).toHaveLength(2);
    expect(names.filter((n) => n === uniquePolicyName())).toHaveLength(1);
  });

  it('fails loudly when the stack environment is incomplete', async () => {
    // At start-up: the function reads its environment when its module loads.
    await expect(coldStart('plan-remediation', { SWITCH_PARAMETER_NAME: undefined })).rejects.toThrow(
      'SWITCH_PARAMETER_NAME is not set',
    );
  });

  it('plans nothing for an audit that did not complete', async () => {
    givenSwitch('enforce');
    givenAudit(describeAnswerOf(sampleNotification(), { taskStatus: 'FAILED' }));
    const result = await handler(auditCompletedEvent(), lambdaContext());
    expect(result).toMatchObject({ outcome: 'nothing-to-do', reason: 'audit-not-completed' });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('plan-remediation believes AWS, not the event', () => {
  it('names the audit to DescribeAuditTask in its own account and region, and plans from the answer', async () => {
    givenSwitch('enforce');
    const planner = await givenUniquePolicyParameter(enforcePolicy);
    // The event claims 1 of 1,000,000 and a start after the switch; AWS says 40 of 1,200, before it.
    const claimed = {
      ...sampleNotification(),
      taskStartTime: AUDIT_START + 3 * 86_400_000,
      auditDetails: sampleNotification().auditDetails.map((d: Record<string, unknown>) => ({
        ...d,
        nonCompliantResourcesCount: 1,
        totalResourcesCount: 1_000_000,
      })),
    };
    givenSwitch('enforce', new Date(AUDIT_START + 86_400_000));
    const result = await planner(auditCompletedEvent(claimed), lambdaContext());
    expect(iot).toHaveReceivedCommandWith(DescribeAuditTaskCommand, { taskId: AUDIT_ID });
    expect(result).toMatchObject({ outcome: 'started', executionName: `dry-${AUDIT_ID}`, mode: 'dry-run' });
    const plan = startedInput();
    expect(plan.auditStartTime).toBe(new Date(AUDIT_START).toISOString());
    expect(plan.accountId).toBe(ACCOUNT);
    expect(plan.decisions.find((d) => d.checkName === 'DEVICE_CERTIFICATE_EXPIRING_CHECK')).toMatchObject({
      outcome: 'hold-back',
      nonCompliantResourcesCount: 40,
      totalResourcesCount: 1200,
      cap: { name: 'maxFindings', value: 10 },
    });
    expect(metricCount(addMetric, 'EventDisagreements')).toBe(1);
  });

  it('plans nothing for an audit AWS says is still IN_PROGRESS, whatever the event claims', async () => {
    givenSwitch('enforce');
    givenAudit(
      describeAnswerOf(sampleNotification(), {
        taskStatus: 'IN_PROGRESS',
        auditDetails: { DEVICE_CERTIFICATE_SHARED_CHECK: { checkRunStatus: 'IN_PROGRESS' } },
      }),
    );
    const result = await handler(auditCompletedEvent(), lambdaContext());
    expect(result).toEqual({
      outcome: 'nothing-to-do',
      reason: 'audit-not-completed',
      detail: expect.stringContaining('IN_PROGRESS'),
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(ssm).not.toHaveReceivedCommand(GetParameterCommand);
    expect(metricCount(addMetric, 'AuditsNotCompleted')).toBe(1);
  });

  it('refuses an audit AWS does not know, and counts it', async () => {
    iot
      .on(DescribeAuditTaskCommand)
      .rejects(new ResourceNotFoundException({ message: 'no such audit', $metadata: {} }));
    expect(await handler(auditCompletedEvent(), lambdaContext())).toEqual({
      outcome: 'audit-not-found',
      auditTaskId: AUDIT_ID,
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(metricCount(addMetric, 'EventsRejected')).toBe(1);
  });

  it('refuses an answer it cannot plan, naming the field', async () => {
    givenAudit(describeAnswerOf(sampleNotification(), { taskStartTime: 'yesterday' }));
    expect(await handler(auditCompletedEvent(), lambdaContext())).toEqual({
      outcome: 'audit-invalid',
      errors: [expect.stringMatching(/^taskStartTime: /)],
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('lets DescribeAuditTask errors fail the invocation, so Lambda retries it', async () => {
    iot.on(DescribeAuditTaskCommand).rejects(new Error('ThrottlingException'));
    await expect(handler(auditCompletedEvent(), lambdaContext())).rejects.toThrow('ThrottlingException');
  });

  it('rejects an event of another region, and counts it', async () => {
    const event = { ...auditCompletedEvent(), region: 'eu-west-1' };
    expect(await handler(event, lambdaContext())).toEqual({ outcome: 'foreign-region', region: 'eu-west-1' });
    expect(iot).not.toHaveReceivedCommand(DescribeAuditTaskCommand);
    expect(metricCount(addMetric, 'EventsRejected')).toBe(1);
  });
});

describe('plan-remediation: the policy cannot lie about its actions', () => {
  it("reads each action the plan uses with DescribeMitigationAction under the stack's name", async () => {
    givenSwitch('enforce');
    await handler(auditCompletedEvent(), lambdaContext());
    const described = iot
      .commandCalls(DescribeMitigationActionCommand)
      .map((call) => call.args[0].input.actionName)
      .sort();
    // The default policy's mitigated checks of the sample use these three (the CA action is not used).
    expect(described).toEqual([
      'ddr-DeactivateDeviceCertificate',
      'ddr-PublishFinding',
      'ddr-QuarantineDevice',
    ]);
  });

  it('a declared type that differs from the deployed one fails the policy closed, naming the path', async () => {
    givenSwitch('enforce');
    givenDeployedActions({ ...DEPLOYED_ACTION_TYPES, 'ddr-QuarantineDevice': 'UPDATE_DEVICE_CERTIFICATE' });
    expect(await handler(auditCompletedEvent(), lambdaContext())).toEqual({
      outcome: 'policy-invalid',
      errors: [
        'actions.QuarantineDevice.type: declared ADD_THINGS_TO_THING_GROUP, but mitigation action ddr-QuarantineDevice is a UPDATE_DEVICE_CERTIFICATE action',
      ],
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(metricCount(addMetric, 'PolicyInvalid')).toBe(1);
  });

  it('a missing action fails the policy closed too', async () => {
    givenSwitch('enforce');
    givenDeployedActions({ ...DEPLOYED_ACTION_TYPES, 'ddr-DeactivateDeviceCertificate': undefined });
    expect(await handler(auditCompletedEvent(), lambdaContext())).toEqual({
      outcome: 'policy-invalid',
      errors: [
        expect.stringMatching(
          /^actions\.DeactivateDeviceCertificate: mitigation action ddr-DeactivateDeviceCertificate does not exist/,
        ),
      ],
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('plan-remediation reports an audit whose every check is held back', () => {
  const heldBackAudit = () =>
    describeAnswerOf({
      ...sampleNotification(),
      auditDetails: [
        {
          checkName: 'DEVICE_CERTIFICATE_SHARED_CHECK',
          checkRunStatus: 'COMPLETED_NON_COMPLIANT',
          nonCompliantResourcesCount: 140,
          totalResourcesCount: 1200,
        },
      ],
    });

  it('publishes a short report naming each held-back check and its cap, and starts nothing', async () => {
    givenSwitch('enforce');
    givenAudit(heldBackAudit());
    const result = await handler(auditCompletedEvent(), lambdaContext());
    expect(result).toMatchObject({
      outcome: 'nothing-to-do',
      reason: 'no-check-to-mitigate',
      heldBack: [{ checkName: 'DEVICE_CERTIFICATE_SHARED_CHECK', cap: { name: 'maxFindings', value: 100 } }],
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const { TopicArn, Subject, Message } = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(TopicArn).toBe(REPORTS_TOPIC);
    expect(Subject).toBe(`Device Defender remediation: audit ${AUDIT_ID} held back by its caps`);
    expect(Message).toContain(
      '- DEVICE_CERTIFICATE_SHARED_CHECK: 140 non-compliant of 1,200 resources, above maxFindings 100',
    );
    expect(metricCount(addMetric, 'HeldBackReports')).toBe(1);
  });

  it('publishes nothing when some check is mitigated (the execution reports), or none is held back', async () => {
    givenSwitch('enforce');
    await handler(auditCompletedEvent(), lambdaContext());
    givenAudit(describeAnswerOf(sampleNotification(), { auditDetails: {} }));
    await handler(auditCompletedEvent(), lambdaContext());
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });
});
