// Attack: sizes. Step Functions refuses an execution input above 262,144 bytes of UTF-8
// (docs/aws-facts/planner-inputs.md); a name of multi-byte characters is three times longer in bytes
// than in characters. The planner bounds what it reads first (the event, DescribeAuditTask's answer)
// and measures the plan in bytes before StartExecution: an event with thousands of checks or a
// megabyte-long name, and an audit whose multi-byte check names push the plan past 256 KB, are refused
// with a typed error naming the size and the limit, and nothing starts.
// On the code without the bounds, each of these reached StartExecution.

import { DescribeAuditTaskCommand, DescribeMitigationActionCommand, IoTClient } from '@aws-sdk/client-iot';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXECUTION_INPUT_LIMIT_BYTES, MAX_EVENT_BYTES } from '#domain/sizes';
import {
  auditCompletedEvent,
  coldStart,
  DEPLOYED_ACTION_TYPES,
  describeAnswerOf,
  lambdaContext,
  SWITCH_PARAMETER,
  sampleNotification,
} from '../functions/support.ts';

const { handler: planner } = await coldStart('plan-remediation');
const { handler: sweep } = await coldStart('sweep-audits');
const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);
const iot = mockClient(IoTClient);

const SHARED = {
  checkName: 'DEVICE_CERTIFICATE_SHARED_CHECK',
  checkRunStatus: 'COMPLETED_NON_COMPLIANT',
  nonCompliantResourcesCount: 3,
  totalResourcesCount: 1200,
};
/** Unknown checks (kept, never acted on) named with `name(i)`, beside one check the policy mitigates. */
const withChecks = (count: number, name: (i: number) => string) => ({
  ...sampleNotification(),
  auditDetails: [
    SHARED,
    ...Array.from({ length: count }, (_, i) => ({
      checkName: name(i),
      checkRunStatus: 'COMPLETED_COMPLIANT',
      nonCompliantResourcesCount: 0,
      totalResourcesCount: 1,
    })),
  ],
});
/** 90 checks named with 1,000 three-byte characters each: about 100,000 characters, 270,000 bytes. */
const multiByteNames = () => withChecks(90, (i) => `${'界'.repeat(1_000)}${i}`);

beforeEach(() => {
  sfn.reset();
  ssm.reset();
  iot.reset();
  ssm
    .on(GetParameterCommand, { Name: SWITCH_PARAMETER })
    .resolves({ Parameter: { Value: 'enforce', LastModifiedDate: new Date(0), Version: 1 } });
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
  sfn
    .on(DescribeExecutionCommand)
    .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
  iot.on(DescribeAuditTaskCommand).resolves(describeAnswerOf());
  iot.on(DescribeMitigationActionCommand).callsFake(({ actionName }: { actionName: string }) => ({
    actionName,
    actionType: DEPLOYED_ACTION_TYPES[actionName],
  }));
});

describe('oversized input is refused before anything starts', () => {
  it('an event with thousands of checks: refused by its size, before it is even read', async () => {
    const event = auditCompletedEvent(withChecks(5_000, (i) => `CUSTOM_CHECK_${i}`));
    const result = await planner(event, lambdaContext());
    expect(result).toEqual({
      outcome: 'too-large',
      what: 'event',
      bytes: Buffer.byteLength(JSON.stringify(event)),
      limit: MAX_EVENT_BYTES,
      error: expect.stringMatching(/^the event is \d+ bytes \(UTF-8\), above the limit of 65536 bytes$/),
    });
    expect(iot).not.toHaveReceivedCommand(DescribeAuditTaskCommand);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('an event with a megabyte-long name: refused the same way', async () => {
    const event = auditCompletedEvent(withChecks(1, () => 'X'.repeat(1_048_576)));
    expect(await planner(event, lambdaContext())).toMatchObject({ outcome: 'too-large', what: 'event' });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it("multi-byte check names in AWS's answer that push the plan past 256 KB: refused in bytes, for the planner", async () => {
    iot.on(DescribeAuditTaskCommand).resolves(describeAnswerOf(multiByteNames()));
    const result = await planner(auditCompletedEvent(), lambdaContext());
    expect(result).toMatchObject({
      outcome: 'too-large',
      what: 'execution input',
      limit: EXECUTION_INPUT_LIMIT_BYTES,
      error: expect.stringMatching(
        /^the execution input is \d+ bytes \(UTF-8\), above the limit of 262144 bytes$/,
      ),
    });
    const { bytes } = result as { bytes: number };
    expect(bytes).toBeGreaterThan(EXECUTION_INPUT_LIMIT_BYTES);
    // In characters it would have passed: only bytes tell.
    expect(bytes / 2.5).toBeLessThan(EXECUTION_INPUT_LIMIT_BYTES);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it("and for an operator's re-run through the sweep", async () => {
    iot.on(DescribeAuditTaskCommand).resolves(describeAnswerOf(multiByteNames()));
    const result = await sweep(
      {
        source: 'custom.devicedefender',
        'detail-type': 'Audit Remediation Requested',
        detail: { auditTaskId: sampleNotification().taskId, rerun: 1 },
      },
      lambdaContext('sweep-audits'),
    );
    expect(result).toMatchObject({
      kind: 'rerun',
      result: { outcome: 'too-large', what: 'execution input', limit: EXECUTION_INPUT_LIMIT_BYTES },
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});
