import { readFileSync } from 'node:fs';
import { substitute } from '@device-defender-remediation/local-cloud';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { MAX_POLL_WAIT_SECONDS, pollTimes, pollWaitSchedule } from '../../statemachine/polling.ts';
import { localSubstitutions, REMEDIATION_ASL } from '../../statemachine/substitutions.ts';

type State = Record<string, unknown> & { Type: string };
const text = readFileSync(REMEDIATION_ASL, 'utf8');
const definition = JSON.parse(substitute(text, { ...localSubstitutions })) as {
  States: Record<string, State>;
};
const states = definition.States;

describe('remediation.asl.json', () => {
  it('is valid ASL once its DefinitionSubstitutions are filled', () => {
    const { isValid, errorsText } = aslValidator(definition);
    expect(isValid, errorsText('\n')).toBe(true);
  });

  it('uses exactly the documented substitutions', () => {
    const used = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(Object.keys(localSubstitutions).sort());
  });

  it('carries the polling schedule of statemachine/polling.ts, negated alongside', () => {
    const { config } = states.Begin!.Parameters as { config: Record<string, number[]> };
    const schedule = pollWaitSchedule();
    expect(config.pollWaitSeconds).toEqual(schedule);
    expect(config.negatedPollWaitSeconds).toEqual(schedule.map((wait) => -wait));
    expect(schedule.at(-1)).toBe(MAX_POLL_WAIT_SECONDS);
    expect(pollTimes(86_400)).toHaveLength(139);
  });

  it('polls again by the same rules after a describe and after a throttled one', () => {
    const rules = (state: string) => (states[state]!.Choices as unknown[]).slice(-2);
    expect(rules('TaskStatus')).toEqual(rules('PollAgain'));
    const lastScheduled = pollWaitSchedule().length - 1;
    expect(rules('PollAgain')[1]).toMatchObject({ NumericLessThan: lastScheduled });
  });

  it('catches every error of every task, so each outcome is reported', () => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type !== 'Task') continue;
      const catchers = (state.Catch as { ErrorEquals: string[] }[] | undefined) ?? [];
      expect(catchers.at(-1)?.ErrorEquals, name).toContain('States.ALL');
    }
  });

  it('ends every failure in a Fail state named after its outcome', () => {
    const fails = Object.entries(states).filter(([, state]) => state.Type === 'Fail');
    expect(fails.map(([name, state]) => [name, state.Error ?? state.ErrorPath])).toEqual([
      ['TaskFailed', 'TaskFailed'],
      ['TaskCanceled', 'TaskCanceled'],
      ['DeadlineExceeded', 'DeadlineExceeded'],
      ['StartRejected', 'StartRejected'],
      ['Paused', 'Paused'],
      ['Unexpected', '$.outcome.error'],
    ]);
  });
});
