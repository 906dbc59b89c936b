import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import { LocalStepFunctions } from '../../stepfunctions/runner.ts';

const START = Date.UTC(2026, 0, 1);

function runner(options: Partial<ConstructorParameters<typeof LocalStepFunctions>[0]> = {}) {
  const clock = options.clock ?? new VirtualClock(START);
  return { clock, sfn: new LocalStepFunctions({ clock, ...options }) };
}

describe('virtual time', () => {
  it('spends a 24-hour Wait on the clock, not in real time, and exposes the virtual start time', async () => {
    const { clock, sfn } = runner();
    const execution = sfn.startExecution({
      name: 'long-wait',
      input: { pause: 3600 },
      definition: {
        StartAt: 'Day',
        States: {
          Day: { Type: 'Wait', Seconds: 86_400, Next: 'Hour' },
          Hour: { Type: 'Wait', SecondsPath: '$.pause', Next: 'Until' },
          Until: { Type: 'Wait', Timestamp: '2026-01-02T02:00:00Z', Next: 'Report' },
          Report: {
            Type: 'Pass',
            Parameters: { 'name.$': '$$.Execution.Name', 'startTime.$': '$$.Execution.StartTime' },
            End: true,
          },
        },
      },
    });
    const outcome = await execution.result;
    expect(outcome).toEqual({
      status: 'SUCCEEDED',
      output: { name: 'long-wait', startTime: '2026-01-01T00:00:00.000Z' },
    });
    expect(clock.now() - START).toBe(26 * 3600_000);
    expect(execution.stopDate?.getTime()).toBe(clock.now());
  });

  it('keeps Wait semantics for InputPath, OutputPath and TimestampPath', async () => {
    const { clock, sfn } = runner();
    const outcome = await sfn.startExecution({
      input: { plan: { until: '2026-01-01T00:10:00Z', keep: 'me' }, other: 1 },
      definition: {
        StartAt: 'Until',
        States: {
          Until: {
            Type: 'Wait',
            InputPath: '$.plan',
            TimestampPath: '$.until',
            OutputPath: '$.keep',
            End: true,
          },
        },
      },
    }).result;
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: 'me' });
    expect(clock.now()).toBe(START + 600_000);
  });

  it('runs many executions on one clock deterministically, each task at its exact virtual time', async () => {
    const trace = async () => {
      const log: string[] = [];
      const clock = new VirtualClock(START);
      const sfn = new LocalStepFunctions({
        clock,
        lambdas: {
          poll: async (event) => {
            log.push(`${(clock.now() - START) / 1000}s ${(event as { id: number }).id}`);
            return null;
          },
        },
      });
      const definition = {
        StartAt: 'Wait',
        States: {
          Wait: { Type: 'Wait', SecondsPath: '$.delay', Next: 'Poll' },
          Poll: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:123456789012:function:poll',
            ResultPath: null,
            Next: 'Again',
          },
          Again: { Type: 'Wait', Seconds: 15, Next: 'PollAgain' },
          PollAgain: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:123456789012:function:poll',
            End: true,
          },
        },
      };
      const executions = Array.from({ length: 15 }, (_, id) =>
        sfn.startExecution({ name: `e${id}`, definition, input: { id, delay: (id * 7) % 20 } }),
      );
      await Promise.all(executions.map((execution) => execution.result));
      return { log, end: clock.now() - START };
    };
    const first = await trace();
    expect(first.log).toHaveLength(30);
    expect(first.log).toContain('7s 1');
    expect(first.log).toContain('22s 1');
    expect(first.end).toBe(33_000);
    expect(first.log.slice(0, 4)).toEqual(['0s 0', '1s 3', '2s 6', '3s 9']);
    expect(await trace()).toEqual(first);
  });

  it('times an execution out in virtual time and drops its pending wake-ups', async () => {
    const { clock, sfn } = runner();
    const execution = sfn.startExecution({
      definition: {
        TimeoutSeconds: 60,
        StartAt: 'Long',
        States: { Long: { Type: 'Wait', Seconds: 120, End: true } },
      },
    });
    expect(await execution.result).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(clock.now()).toBe(START + 60_000);
    expect(clock.sleepers).toBe(0);
    expect(execution.history.byType).toMatchObject({ WaitStateEntered: 1, ExecutionTimedOut: 1 });
  });

  it('waits for the test to move the clock when auto-advance is off', async () => {
    const clock = new VirtualClock(START, { autoAdvance: false });
    const sfn = new LocalStepFunctions({ clock });
    const execution = sfn.startExecution({
      definition: { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 30, End: true } } },
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(execution.status).toBe('RUNNING');
    await clock.advance(29_000);
    expect(execution.status).toBe('RUNNING');
    await clock.advance(1_000);
    expect(await execution.result).toMatchObject({ status: 'SUCCEEDED' });
  });
});

describe('history counts', () => {
  it('counts the events Step Functions records per state type, task attempts and retries', async () => {
    let calls = 0;
    const { sfn } = runner({
      lambdas: {
        flaky: async () => {
          calls++;
          if (calls === 1) throw new Error('first call fails');
          return { ok: true };
        },
      },
    });
    const execution = sfn.startExecution({
      definition: {
        StartAt: 'Prepare',
        States: {
          Prepare: { Type: 'Pass', Next: 'Pause' },
          Pause: { Type: 'Wait', Seconds: 5, Next: 'Route' },
          Route: {
            Type: 'Choice',
            Choices: [{ Variable: '$.skip', IsPresent: true, Next: 'Done' }],
            Default: 'Call',
          },
          Call: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'flaky' },
            Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1 }],
            Next: 'Done',
          },
          Done: { Type: 'Succeed' },
        },
      },
    });
    await execution.result;
    expect(execution.history).toEqual({
      transitions: 6,
      historyEvents: 18,
      byType: {
        ExecutionStarted: 1,
        PassStateEntered: 1,
        PassStateExited: 1,
        WaitStateEntered: 1,
        WaitStateExited: 1,
        ChoiceStateEntered: 1,
        ChoiceStateExited: 1,
        TaskStateEntered: 1,
        TaskScheduled: 2,
        TaskStarted: 2,
        TaskFailed: 1,
        TaskSucceeded: 1,
        TaskStateExited: 1,
        SucceedStateEntered: 1,
        SucceedStateExited: 1,
        ExecutionSucceeded: 1,
      },
    });
  });

  it('records a Fail state as entered only, then the execution failure with its error and cause', async () => {
    const { sfn } = runner();
    const execution = sfn.startExecution({
      definition: {
        StartAt: 'Stop',
        States: { Stop: { Type: 'Fail', Error: 'TaskFailed', Cause: 'actions failed' } },
      },
    });
    expect(await execution.result).toEqual({
      status: 'FAILED',
      error: 'TaskFailed',
      cause: 'actions failed',
    });
    expect(execution.history).toEqual({
      transitions: 1,
      historyEvents: 3,
      byType: { ExecutionStarted: 1, FailStateEntered: 1, ExecutionFailed: 1 },
    });
  });
});
