import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.ts';
import { LocalStepFunctions } from '../../local/stepfunctions/runner.ts';

const START = Date.UTC(2026, 0, 1);

function runner(options: Partial<ConstructorParameters<typeof LocalStepFunctions>[0]> = {}) {
  const clock = options.clock ?? new VirtualClock(START);
  return { clock, sfn: new LocalStepFunctions({ clock, ...options }) };
}

describe('virtual time', () => {
  it('spends a 24-hour Wait on the clock, not in real time, and exposes the virtual start time', async () => {
    const { clock, sfn } = runner();
    const realStart = Date.now();
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
    expect(Date.now() - realStart).toBeLessThan(2000);
  });
});
