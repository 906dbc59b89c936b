import {
  InvalidOutput,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import { ParameterStore } from '../../parameter-store.ts';
import {
  type LocalSfnEndpoint,
  LocalStepFunctions,
  startLocalSfnEndpoint,
} from '../../stepfunctions/index.ts';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:approvals';
const START = Date.UTC(2026, 0, 1);
const TOKEN_PARAMETER = '/stack/approvals/run-1';

/** Stores its token in Parameter Store as a SecureString, waits for it, then deletes the parameter. */
const definition = (timeout: Record<string, unknown> = { TimeoutSecondsPath: '$.timeoutSeconds' }) => ({
  StartAt: 'WaitForApproval',
  States: {
    WaitForApproval: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:ssm:putParameter.waitForTaskToken',
      Parameters: {
        'Name.$': "States.Format('/stack/approvals/{}', $$.Execution.Name)",
        'Value.$': '$$.Task.Token',
        Type: 'SecureString',
        Overwrite: true,
      },
      ...timeout,
      ResultPath: '$.decision',
      Catch: [
        { ErrorEquals: ['Rejected'], ResultPath: '$.error', Next: 'Forget' },
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Forget' },
      ],
      Next: 'Forget',
    },
    Forget: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:ssm:deleteParameter',
      Parameters: { 'Name.$': "States.Format('/stack/approvals/{}', $$.Execution.Name)" },
      ResultPath: null,
      End: true,
    },
  },
});

let endpoint: LocalSfnEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

async function localSfn(machine: object = definition()) {
  const clock = new VirtualClock(START);
  const parameters = new ParameterStore(clock);
  const runner = new LocalStepFunctions({ clock, ssmParameters: parameters });
  endpoint = await startLocalSfnEndpoint({ runner, stateMachines: { [STATE_MACHINE]: machine as never } });
  const sfn = new SFNClient({
    endpoint: endpoint.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const start = (timeoutSeconds = 86_400) =>
    runner.startExecution({ stateMachineArn: STATE_MACHINE, name: 'run-1', input: { timeoutSeconds } });
  // A person answers later: a wake-up one virtual second on, then time is held while the call is made.
  const later = async <T>(call: () => Promise<T>): Promise<T> => {
    await clock.sleep(1000);
    return clock.work(call);
  };
  return { clock, parameters, runner, sfn, start, later };
}

describe('callback tasks (.waitForTaskToken) on the local runner', () => {
  it('hands the integration a fresh token, waits, and goes on with the SendTaskSuccess output', async () => {
    const { parameters, runner, sfn, start, later } = await localSfn();
    const execution = start();
    const token = await later(async () => {
      const stored = parameters.get(TOKEN_PARAMETER)?.value ?? '';
      await sfn.send(new SendTaskSuccessCommand({ taskToken: stored, output: '{"approved":["CHECK_A"]}' }));
      return stored;
    });
    expect(token).toMatch(/^[\x21-\x7e]{1,2048}$/);
    const outcome = await execution.result;
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toEqual({ timeoutSeconds: 86_400, decision: { approved: ['CHECK_A'] } });
    expect(parameters.get(TOKEN_PARAMETER)).toBeUndefined();
    expect(runner.taskTokens.waiting).toEqual([]);
    const types = execution.historyEvents.map((e) => e.type);
    expect(types.slice(types.indexOf('TaskScheduled'), types.indexOf('TaskSucceeded') + 1)).toEqual([
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
    ]);
    // The token is closed: a second answer is TaskTimedOut, as the API reference says.
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('fails the state with the error SendTaskFailure names, which a Catch handles', async () => {
    const { parameters, sfn, start, later } = await localSfn();
    const execution = start();
    await later(() =>
      sfn.send(
        new SendTaskFailureCommand({
          taskToken: parameters.get(TOKEN_PARAMETER)?.value ?? '',
          error: 'Rejected',
          cause: 'not now',
        }),
      ),
    );
    const outcome = await execution.result;
    expect(outcome.output).toMatchObject({ error: { Error: 'Rejected', Cause: 'not now' } });
  });

  it('times out after TimeoutSecondsPath in virtual time with States.Timeout (TaskTimedOut in the history)', async () => {
    const { clock, parameters, sfn, start } = await localSfn();
    const execution = start(600);
    await clock.sleep(1);
    const token = parameters.get(TOKEN_PARAMETER)?.value ?? '';
    const outcome = await execution.result;
    expect(outcome.output).toMatchObject({ error: { Error: 'States.Timeout' } });
    expect(execution.stopDate?.getTime()).toBe(START + 600_000);
    expect(execution.historyEvents.map((e) => e.type)).toContain('TaskTimedOut');
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('refuses a token that is not one, one never issued, and output that is not JSON', async () => {
    const { parameters, runner, sfn, start, later } = await localSfn();
    start();
    await later(async () => {
      await expect(
        sfn.send(new SendTaskSuccessCommand({ taskToken: 'forged', output: '{}' })),
      ).rejects.toBeInstanceOf(InvalidToken);
      await expect(
        sfn.send(new SendTaskSuccessCommand({ taskToken: `local1.${'A'.repeat(64)}`, output: '{}' })),
      ).rejects.toBeInstanceOf(TaskDoesNotExist);
      const token = parameters.get(TOKEN_PARAMETER)?.value ?? '';
      await expect(
        sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{' })),
      ).rejects.toBeInstanceOf(InvalidOutput);
      // Still waiting: a refused answer closes nothing.
      expect(runner.taskTokens.waiting).toEqual([token]);
      await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    });
  });

  it('refuses, at registration, a callback without a timeout and one with HeartbeatSeconds', async () => {
    const clock = new VirtualClock(START);
    const runner = new LocalStepFunctions({ clock });
    expect(() => runner.registerStateMachine(STATE_MACHINE, definition({}) as never)).toThrow(
      /WaitForApproval: a callback task needs TimeoutSeconds/,
    );
    expect(() =>
      runner.registerStateMachine(
        STATE_MACHINE,
        definition({ TimeoutSeconds: 600, HeartbeatSeconds: 60 }) as never,
      ),
    ).toThrow(/WaitForApproval: the local runner does not emulate HeartbeatSeconds/);
  });
});
