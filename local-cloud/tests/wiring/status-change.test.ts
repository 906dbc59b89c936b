// The local engine's "Step Functions Execution Status Change" events, in the detail shape of
// https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import { type ExecutionStatusChangeEvent, LocalStepFunctions } from '../../stepfunctions/index.ts';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:sm';

function runner() {
  const events: ExecutionStatusChangeEvent[] = [];
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const sfn = new LocalStepFunctions({ clock, onStatusChange: (event) => events.push(event) });
  return { events, sfn, clock };
}

describe('execution status change events', () => {
  it('RUNNING when started, then SUCCEEDED with the output', async () => {
    const { events, sfn, clock } = runner();
    const definition = {
      StartAt: 'Wait',
      States: {
        Wait: { Type: 'Wait', Seconds: 10, Next: 'Done' },
        Done: { Type: 'Pass', Result: 'ok', End: true },
      },
    };
    const execution = sfn.startExecution({
      stateMachineArn: ARN,
      definition,
      name: 'run-1',
      input: { a: 1 },
    });
    await execution.result;
    await Promise.resolve();
    expect(events.map((e) => e.detail.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    const [started, succeeded] = events as [ExecutionStatusChangeEvent, ExecutionStatusChangeEvent];
    expect(started).toMatchObject({
      version: '0',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: '123456789012',
      region: 'us-east-1',
      resources: [execution.executionArn],
      detail: {
        stopDate: null,
        output: null,
        outputDetails: null,
        input: '{"a":1}',
        inputDetails: { included: true },
      },
    });
    expect(succeeded.detail).toEqual({
      executionArn: execution.executionArn,
      stateMachineArn: ARN,
      name: 'run-1',
      status: 'SUCCEEDED',
      startDate: execution.startDate.getTime(),
      stopDate: execution.startDate.getTime() + 10_000,
      input: '{"a":1}',
      inputDetails: { included: true },
      output: '"ok"',
      outputDetails: { included: true },
      error: null,
      cause: null,
    });
    expect(succeeded.time).toBe(new Date(clock.now()).toISOString().replace('.000Z', 'Z'));
  });

  it('FAILED with the error and cause, and no output', async () => {
    const { events, sfn } = runner();
    const definition = {
      StartAt: 'Fail',
      States: { Fail: { Type: 'Fail', Error: 'Paused', Cause: 'switch' } },
    };
    await sfn.startExecution({ stateMachineArn: ARN, definition, name: 'run-2' }).result;
    await Promise.resolve();
    expect(events.at(-1)?.detail).toMatchObject({
      status: 'FAILED',
      output: null,
      outputDetails: null,
      error: 'Paused',
      cause: 'switch',
    });
  });
});
