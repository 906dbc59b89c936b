/**
 * The sweep schedule runs, and an alarm notices when it does not (issue #13, item 2).
 *
 * EventBridge Scheduler sends the schedule GROUP's ARN as aws:SourceArn when it assumes a schedule's
 * role, never the schedule's: a trust on `schedule/*` never matches, and the sweep silently never runs
 * (docs/aws-facts/scheduler.md). The stack's schedule is in a group of its own, and the role trusts
 * exactly that group. The sweep emits ScheduledSweepRan only for the schedule's own Input, and
 * ScheduledSweepMissedAlarm, treating missing data as breaching, goes off when a window of at least two
 * sweep rates passes without it; the window must stay within CloudWatch's documented limits.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_SWEEP_WINDOW_HOURS,
  SCHEDULED_SWEEP_METRIC,
  SWEEP_SCHEDULE_INPUT,
} from '../../functions/domain/sweep.ts';
import {
  isObject,
  type Json,
  mentions,
  resources,
  resourcesOfType,
  roleOf,
  statements,
  template,
} from './support.ts';

const schedules = resourcesOfType('AWS::Scheduler::Schedule');
const sweepSchedule = resources.SweepSchedule!;
const target = sweepSchedule.Properties!.Target as { Input: string; RoleArn: Json; Arn: Json };

/** The aws:SourceArn values a trust statement requires, under an exact (non-wildcard) operator. */
function exactSourceArns(condition: Record<string, Record<string, Json>> | undefined): Json[] {
  const found: Json[] = [];
  for (const [operator, keys] of Object.entries(condition ?? {}))
    for (const [key, value] of Object.entries(keys))
      if (key === 'aws:SourceArn' && ['ArnEquals', 'StringEquals'].includes(operator))
        found.push(...(Array.isArray(value) ? value : [value]));
  return found;
}

function anySourceArnText(condition: Record<string, Record<string, Json>> | undefined): string {
  return JSON.stringify(
    Object.values(condition ?? {}).flatMap((keys) =>
      Object.entries(keys)
        .filter(([key]) => key === 'aws:SourceArn')
        .map(([, value]) => value),
    ),
  );
}

describe("the sweep schedule's execution role", () => {
  it.each(schedules.map(([id]) => [id]))(
    '%s is in a schedule group of the stack, and its role trusts exactly that group (never a schedule)',
    (id) => {
      const schedule = resources[id]!.Properties!;
      const [group] = [...mentions(schedule.GroupName)];
      expect(group, `${id}: GroupName (the default group cannot be pinned to the stack)`).toBeDefined();
      expect(resources[group!]?.Type).toBe('AWS::Scheduler::ScheduleGroup');
      expect(schedule.GroupName).toEqual({ Ref: group });

      const role = roleOf((schedule.Target as { RoleArn: Json }).RoleArn)!;
      const trust = statements(resources[role]!.Properties!.AssumeRolePolicyDocument).filter((s) =>
        isObject(s.Principal) ? [s.Principal.Service].flat().includes('scheduler.amazonaws.com') : false,
      );
      expect(trust.length).toBeGreaterThan(0);
      for (const s of trust) {
        expect(exactSourceArns(s.Condition)).toEqual([{ 'Fn::GetAtt': [group, 'Arn'] }]);
        expect(anySourceArnText(s.Condition)).not.toMatch(/:schedule\//);
        expect(s.Condition?.StringEquals?.['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      }
    },
  );
});

describe("the sweep schedule's Input", () => {
  it('is the input functions/domain/sweep.ts counts as a scheduled sweep', () => {
    expect(JSON.parse(target.Input)).toEqual(SWEEP_SCHEDULE_INPUT);
  });

  it('invokes sweep-audits', () => {
    expect([...mentions(target.Arn)]).toEqual(['SweepAuditsFunction']);
  });
});

// --- ScheduledSweepMissedAlarm and SweepRate ----------------------------------------------------

const sweepRate = template.Parameters.SweepRate as { Type: string; Default: Json; AllowedValues?: Json[] };
const allowedRates = sweepRate.AllowedValues ?? [];
const windows: Record<string, Record<string, number>> = (
  template as unknown as { Mappings?: Record<string, Record<string, Record<string, number>>> }
).Mappings?.SweepScheduleAlarmWindow ?? {};
const alarm: Record<string, Json> = resources.ScheduledSweepMissedAlarm?.Properties ?? {};
const flexibleMinutes =
  (sweepSchedule.Properties!.FlexibleTimeWindow as { Mode: string; MaximumWindowInMinutes?: number })
    .MaximumWindowInMinutes ?? 0;

/**
 * CloudWatch's documented limits (docs/aws-facts/scheduler.md, "The missed-sweep alarm"): a period of
 * 10, 20, 30 or a multiple of 60 seconds; Period x EvaluationPeriods at most one day below a one-hour
 * period, seven days from one hour. The stack keeps to one day for every period (the limit before it
 * was raised), so `strict` applies that.
 */
function withinCloudWatchLimits(period: number, evaluationPeriods: number, strict = true): boolean {
  const validPeriod = [10, 20, 30].includes(period) || (period > 0 && period % 60 === 0);
  const total = period * evaluationPeriods;
  const limit = strict || period < 3600 ? 86_400 : 604_800;
  return validPeriod && evaluationPeriods >= 1 && total <= limit;
}

describe('SweepRate', () => {
  it('is bounded: a Number of minutes from a list, the default among them', () => {
    expect(sweepRate.Type).toBe('Number');
    expect(allowedRates.length).toBeGreaterThan(0);
    expect(allowedRates).toContain(sweepRate.Default);
    for (const rate of allowedRates) expect(Number.isInteger(Number(rate)) && Number(rate) > 0).toBe(true);
  });

  it('drives the schedule as a rate in minutes', () => {
    expect(sweepSchedule.Properties!.ScheduleExpression).toEqual({
      'Fn::Sub': `rate(\${SweepRate} minutes)`,
    });
  });

  it('has exactly one alarm window per allowed value', () => {
    expect(Object.keys(windows).sort()).toEqual(allowedRates.map(String).sort());
  });
});

describe('ScheduledSweepMissedAlarm', () => {
  it('watches the metric the sweep emits for the schedule, in its namespace and service dimension', () => {
    const globals = (template.Globals.Function.Environment as { Variables: Record<string, Json> }).Variables;
    expect(alarm.MetricName).toBe(SCHEDULED_SWEEP_METRIC);
    expect(alarm.Namespace).toBe(globals.POWERTOOLS_METRICS_NAMESPACE);
    expect(alarm.Dimensions).toEqual([{ Name: 'service', Value: globals.POWERTOOLS_SERVICE_NAME }]);
    expect(alarm.Statistic).toBe('Sum');
  });

  it('goes off when the metric is missing: fewer than one run in every period, missing data breaching', () => {
    expect(alarm.ComparisonOperator).toBe('LessThanThreshold');
    expect(alarm.Threshold).toBe(1);
    expect(alarm.TreatMissingData).toBe('breaching');
    expect([...mentions(alarm.AlarmActions)]).toEqual(['ReportsTopic']);
  });

  it('takes its window from SweepScheduleAlarmWindow for the deployed SweepRate', () => {
    for (const field of ['Period', 'EvaluationPeriods', 'DatapointsToAlarm'])
      expect(alarm[field], field).toEqual({
        'Fn::FindInMap': ['SweepScheduleAlarmWindow', { Ref: 'SweepRate' }, field],
      });
  });

  it.each(allowedRates.map((rate) => [Number(rate)]))(
    'SweepRate %i: the window covers two rates, is within CloudWatch limits, and a normal run gap never alarms',
    (rate) => {
      const row = windows[String(rate)] ?? {};
      const window = row.Period! * row.EvaluationPeriods!;
      // The alarm means "no run in the whole window": every period of it must be empty.
      expect(row.DatapointsToAlarm).toBe(row.EvaluationPeriods);
      expect(window).toBeGreaterThanOrEqual(2 * rate * 60);
      expect(withinCloudWatchLimits(row.Period!, row.EvaluationPeriods!)).toBe(true);
      // Runs come every rate, each up to the flexible window late: that gap must fit in the window.
      expect(window).toBeGreaterThan((rate + flexibleMinutes) * 60);
    },
  );

  it('the CloudWatch limits check refuses what CloudWatch refuses', () => {
    expect(withinCloudWatchLimits(300, 289)).toBe(false); // > 1 day below a one-hour period
    expect(withinCloudWatchLimits(3600, 169, false)).toBe(false); // > 7 days
    expect(withinCloudWatchLimits(3600, 25)).toBe(false); // > 1 day: the stack's stricter bound
    expect(withinCloudWatchLimits(90, 2)).toBe(false); // not a multiple of 60
    expect(withinCloudWatchLimits(300, 288)).toBe(true);
    expect(withinCloudWatchLimits(3600, 168, false)).toBe(true);
    expect(withinCloudWatchLimits(14_400, 6)).toBe(true);
  });
});

describe('SweepWindowHours', () => {
  it('allows exactly the window the sweep accepts (ListAuditTasks refuses a start more than 90 days back)', () => {
    const parameter = template.Parameters.SweepWindowHours as { MinValue?: number; MaxValue?: number };
    expect(parameter.MinValue).toBe(1);
    expect(parameter.MaxValue).toBe(MAX_SWEEP_WINDOW_HOURS);
  });
});
