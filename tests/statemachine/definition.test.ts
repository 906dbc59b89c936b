import { readFileSync } from 'node:fs';
import { parseTemplate, readTemplateText, substitute } from '@device-defender-remediation/local-cloud';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import {
  MAX_POLL_WAIT_SECONDS,
  pollTimes,
  pollWaitSchedule,
  START_MARGIN_SECONDS,
  SWITCH_READ_GAP_SECONDS,
  switchReadPolls,
} from '../../statemachine/polling.ts';
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

  it('polls again by the same rules after a describe and after a throttled one, the switch first', () => {
    const rules = (state: string) => (states[state]!.Choices as unknown[]).slice(-5);
    expect(rules('TaskStatus')).toEqual(rules('PollAgain'));
    expect(states.PollAgain!.Choices).toHaveLength(5);
    expect(states.TaskStatus!.Default).toBe(states.PollAgain!.Default);
    const lastScheduled = pollWaitSchedule().length - 1;
    expect(rules('PollAgain')[3]).toMatchObject({
      NumericGreaterThanEquals: lastScheduled,
      Next: 'WaitToPollAtCap',
    });
  });

  it('polls the verification audit again by the same rules after a describe and after a throttled one', () => {
    // One Choice per poll: the rules of VerificationPollAgain end VerificationAuditStatus too.
    const rules = (state: string) => (states[state]!.Choices as unknown[]).slice(-2);
    expect(rules('VerificationAuditStatus')).toEqual(rules('VerificationPollAgain'));
    expect(states.VerificationPollAgain!.Choices).toHaveLength(2);
    expect(states.VerificationAuditStatus!.Default).toBe(states.VerificationPollAgain!.Default);
    expect(states.VerificationAuditStatus!.Default).toBe('WaitToPollVerification');
    expect(rules('VerificationPollAgain')[1]).toMatchObject({
      NumericGreaterThanEquals: pollWaitSchedule().length - 1,
      Next: 'WaitToPollVerificationAtCap',
    });
    // A describe without TaskStatus (an optional member) or a throttled one still goes through the rules.
    expect(states.VerificationAuditStatus!.Choices).toContainEqual({
      Not: { Variable: '$.verification.audit.TaskStatus', IsPresent: true },
      Next: 'VerificationPollAgain',
    });
    expect(JSON.stringify(states.DescribeVerificationAudit!.Catch)).toContain(
      '"Next":"VerificationPollAgain"',
    );
  });

  it('goes straight to the first wait, where no rule of the poll Choices can match yet', () => {
    expect(states.FollowStartedTask!.Next).toBe('WaitToPoll');
    expect(states.AdoptExistingTask!.Next).toBe('WaitToPoll');
    expect(states.MarkVerificationAudit!.Next).toBe('WaitToPollVerification');
    // Before the first wait: no poll counted, no switch read due, and the deadline beyond the first wait,
    // whatever DeadlineSeconds the template accepts.
    const begin = states.Begin!.Parameters as { poll: Record<string, unknown> };
    expect(begin.poll).toMatchObject({
      count: 0,
      waitSeconds: pollWaitSchedule()[0],
      readSwitchAtNextPoll: false,
    });
    const prepare = states.PrepareVerification!.Parameters as { poll: Record<string, unknown> };
    expect(prepare.poll).toMatchObject({ count: 0, waitSeconds: pollWaitSchedule()[0] });
    const deadline = parseTemplate(readTemplateText()).Parameters?.DeadlineSeconds as { MinValue?: number };
    expect(deadline.MinValue).toBeGreaterThan(pollWaitSchedule()[0]!);
    // The switch was just read: the start is reached only when it says enforce.
    expect(states.SwitchAsPlanned!.Choices).toContainEqual({
      Not: { Variable: '$.switch.value', StringEquals: 'enforce' },
      Next: 'OutcomePaused',
    });
  });

  it('carries the polls that read the switch, and every poll reads it within 15 minutes of the last read', () => {
    const { config } = states.Begin!.Parameters as { config: Record<string, number[]> };
    const reads = switchReadPolls();
    expect(config.switchReadPolls).toEqual(reads);
    expect(reads).not.toContain(1);
    expect((states.Begin!.Parameters as { poll: Record<string, unknown> }).poll.readSwitchAtNextPoll).toBe(
      false,
    );
    // Every poll after the schedule (the waits at the cap) reads it: the last scheduled polls do too.
    const schedule = pollWaitSchedule();
    expect(reads.at(-1)).toBe(schedule.length);
    // Poll n comes after n waits; the switch was last read at most START_MARGIN_SECONDS before the start.
    const timeOf = (poll: number) =>
      Array.from({ length: poll }, (_, i) => schedule[i] ?? MAX_POLL_WAIT_SECONDS).reduce((a, b) => a + b, 0);
    let lastRead = -START_MARGIN_SECONDS;
    for (let poll = 1; poll <= 200; poll++) {
      expect(timeOf(poll) - lastRead, `poll ${poll}`).toBeLessThanOrEqual(SWITCH_READ_GAP_SECONDS);
      if (poll > schedule.length || reads.includes(poll)) lastRead = timeOf(poll);
    }
  });

  it('advances a poll that reads the switch as one that does not', () => {
    expect(states.AdvancePollThenReadSwitch!.Parameters).toEqual(states.AdvancePoll!.Parameters);
    expect(states.AdvancePollThenReadSwitch!.Next).toBe('ReadSwitchWhileRunning');
    expect(states.AdvancePollAtCap!.Next).toBe('ReadSwitchWhileRunning');
    expect(states.AdvancePoll!.Next).toBe('DescribeTask');
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
      ['PlanRefused', 'PlanRefused'],
      ['Unexpected', '$.outcome.error'],
    ]);
  });
});
