import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
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
  lambdaContext,
  STATE_MACHINE_ARN,
  SWITCH_PARAMETER,
  sampleNotification,
} from './support.ts';

// The planner of a stack without a policy parameter: the bundled default policy.
const { handler } = await coldStart('plan-remediation');
const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);
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
beforeEach(() => {
  sfn.reset();
  ssm.reset();
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
    const result = await handler(
      auditCompletedEvent({ ...sampleNotification(), taskStatus: 'FAILED' }),
      lambdaContext(),
    );
    expect(result).toMatchObject({ outcome: 'nothing-to-do', reason: 'audit-not-completed' });
  });
});
