// The planner handler, unchanged, with its real SFN client against the local Step Functions endpoint.
import { DescribeAuditTaskCommand, DescribeMitigationActionCommand, IoTClient } from '@aws-sdk/client-iot';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  type LocalSfnEndpoint,
  LocalStepFunctions,
  startLocalSfnEndpoint,
  VirtualClock,
} from '@device-defender-remediation/local-cloud';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditCompletedEvent,
  coldStart,
  DEPLOYED_ACTION_TYPES,
  describeAnswerOf,
  lambdaContext,
  STATE_MACHINE_ARN,
  SWITCH_PARAMETER,
} from './support.ts';

const { handler } = await coldStart('plan-remediation');

const ssm = mockClient(SSMClient);
const iot = mockClient(IoTClient);
// Ahead of real time (as virtual time is once it has waited), so this execution's startDate never
// looks older than the call that started it.
const clock = new VirtualClock(Date.now() + 3_600_000, { autoAdvance: false });
const runner = new LocalStepFunctions({ clock });
let local: LocalSfnEndpoint;

beforeAll(async () => {
  local = await startLocalSfnEndpoint({
    runner,
    stateMachines: {
      // Stands in for the remediation machine: holds the plan for an hour, then hands it back.
      [STATE_MACHINE_ARN]: {
        StartAt: 'Hold',
        States: { Hold: { Type: 'Wait', Seconds: 3600, Next: 'Done' }, Done: { Type: 'Pass', End: true } },
      },
    },
  });
  process.env.AWS_ENDPOINT_URL_SFN = local.endpoint;
  ssm
    .on(GetParameterCommand, { Name: SWITCH_PARAMETER })
    .resolves({ Parameter: { Value: 'dry-run', LastModifiedDate: new Date(0) } });
  iot.on(DescribeAuditTaskCommand).resolves(describeAnswerOf());
  iot.on(DescribeMitigationActionCommand).callsFake(({ actionName }: { actionName: string }) => ({
    actionName,
    actionType: DEPLOYED_ACTION_TYPES[actionName],
  }));
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_SFN;
  ssm.restore();
  iot.restore();
  await local.close();
});

describe('plan-remediation against the local Step Functions endpoint', () => {
  it('starts one execution per audit, however often the notification arrives', async () => {
    const first = await handler(auditCompletedEvent(), lambdaContext());
    expect(first).toMatchObject({
      outcome: 'started',
      executionName: 'dry-4e2bcd1ccbc2a5dd15292a82ab80c380',
    });
    const executionArn = first.outcome === 'started' ? first.executionArn : '';
    const execution = runner.describeExecution(executionArn);
    expect(execution?.input).toMatchObject({ kind: 'plan', auditTaskId: '4e2bcd1ccbc2a5dd15292a82ab80c380' });

    // While it runs, the same delivery meets the same execution.
    const again = await handler(auditCompletedEvent(), lambdaContext());
    expect(again.outcome === 'started' ? again.executionArn : again.outcome).toMatch(/^(arn:|duplicate)/);
    if (again.outcome === 'started') expect(again.executionArn).toBe(executionArn);

    // After it ended, the name is taken for good: ExecutionAlreadyExists, a counted no-op.
    await clock.advance(3_600_000);
    await expect(execution?.result).resolves.toMatchObject({ status: 'SUCCEEDED' });
    expect(await handler(auditCompletedEvent(), lambdaContext())).toEqual({
      outcome: 'duplicate',
      executionName: 'dry-4e2bcd1ccbc2a5dd15292a82ab80c380',
    });
  });
});
