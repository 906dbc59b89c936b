import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  InvalidName,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import {
  type LocalSfnEndpoint,
  LocalStepFunctions,
  startLocalSfnEndpoint,
} from '../../stepfunctions/index.ts';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:remediation';
const START = Date.UTC(2026, 0, 1);

let endpoint: LocalSfnEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

/** A machine that waits an hour, so an execution stays RUNNING until the test moves the clock. */
async function localSfn() {
  const clock = new VirtualClock(START, { autoAdvance: false });
  const runner = new LocalStepFunctions({ clock });
  endpoint = await startLocalSfnEndpoint({
    runner,
    stateMachines: {
      [STATE_MACHINE]: {
        StartAt: 'Hold',
        States: {
          Hold: { Type: 'Wait', Seconds: 3600, Next: 'Done' },
          Done: { Type: 'Pass', Parameters: { 'echo.$': '$.audit' }, End: true },
        },
      },
    },
  });
  const sfn = new SFNClient({
    endpoint: endpoint.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return { clock, runner, sfn };
}

const start = (name: string, input: object) =>
  new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name, input: JSON.stringify(input) });

describe('local Step Functions endpoint', () => {
  it('starts and describes an execution through the real SFN client', async () => {
    const { clock, runner, sfn } = await localSfn();
    const started = await sfn.send(start('dry-audit1', { audit: 'audit1' }));
    expect(started.executionArn).toBe(
      'arn:aws:states:us-east-1:123456789012:execution:remediation:dry-audit1',
    );
    expect(started.startDate).toEqual(new Date(START));

    const running = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(running).toMatchObject({ status: 'RUNNING', name: 'dry-audit1', input: '{"audit":"audit1"}' });

    await clock.advance(3600_000);
    await runner.describeExecution(started.executionArn ?? '')?.result;
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      stateMachineArn: STATE_MACHINE,
      output: '{"echo":"audit1"}',
      startDate: new Date(START),
      stopDate: new Date(START + 3600_000),
    });
  });

  it('answers a duplicate start while running with the original startDate, as AWS documents', async () => {
    const { clock, sfn } = await localSfn();
    const first = await sfn.send(start('dry-audit2', { audit: 'audit2' }));
    await clock.advance(60_000);
    const again = await sfn.send(start('dry-audit2', { audit: 'audit2' }));
    expect(again).toMatchObject({ executionArn: first.executionArn, startDate: new Date(START) });
  });

  it('refuses the same name with another input, and any reuse once the execution has stopped', async () => {
    const { clock, runner, sfn } = await localSfn();
    const first = await sfn.send(start('dry-audit3', { audit: 'audit3' }));
    await expect(sfn.send(start('dry-audit3', { audit: 'other' }))).rejects.toBeInstanceOf(
      ExecutionAlreadyExists,
    );

    await clock.advance(3600_000);
    await runner.describeExecution(first.executionArn ?? '')?.result;
    await expect(sfn.send(start('dry-audit3', { audit: 'audit3' }))).rejects.toThrow(ExecutionAlreadyExists);
  });

  it('validates names and state machines with the service exception classes', async () => {
    const { sfn } = await localSfn();
    await expect(sfn.send(start('has space', {}))).rejects.toBeInstanceOf(InvalidName);
    await expect(sfn.send(start('x'.repeat(81), {}))).rejects.toBeInstanceOf(InvalidName);
    await expect(sfn.send(start('a:b', {}))).rejects.toBeInstanceOf(InvalidName);
    await expect(sfn.send(start('x'.repeat(80), {}))).resolves.toMatchObject({ startDate: new Date(START) });
    await expect(
      sfn.send(
        new StartExecutionCommand({ stateMachineArn: `${STATE_MACHINE}-missing`, name: 'n', input: '{}' }),
      ),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(
      sfn.send(
        new DescribeExecutionCommand({
          executionArn: `${STATE_MACHINE}:nope`.replace('stateMachine', 'execution'),
        }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });
});
