/**
 * Members AWS may omit (issue 13, defect 5): a path to one that is not there fails the execution with
 * States.Runtime, which no Catch handles. Statically, no state reads an optional member of an AWS result
 * without an IsPresent guard; dynamically, the run still ends right when IoT leaves `taskStatistics`
 * out or the report function answers without its members.
 */
import { readFileSync } from 'node:fs';
import { IOT_MODEL_URL, substitute } from '@device-defender-remediation/local-cloud';
import { describe, expect, it } from 'vitest';
import { localSubstitutions, REMEDIATION_ASL } from '../../statemachine/substitutions.ts';
import { type Definition, type SmithyModel, unguardedOptionalReads } from './optional-members.ts';
import { PLAN, planAudit, REVOKED, remediationHarness, SHARED } from './support.ts';

type State = Record<string, unknown> & { Type: string };
const model = JSON.parse(readFileSync(IOT_MODEL_URL, 'utf8')) as SmithyModel;

function definition(): Definition & { States: Record<string, State> } {
  return JSON.parse(substitute(readFileSync(REMEDIATION_ASL, 'utf8'), { ...localSubstitutions }));
}

describe('reads of AWS results in remediation.asl.json', () => {
  it('never reach a member AWS may omit without an IsPresent guard', () => {
    expect(unguardedOptionalReads(definition(), model)).toEqual([]);
  });

  it('finds a ResultSelector path to an optional member, as DescribeTask had for TaskStatistics', () => {
    const asl = definition();
    asl.States.DescribeTask!.ResultSelector = {
      'TaskStatus.$': '$.TaskStatus',
      'TaskStatistics.$': '$.TaskStatistics',
    };
    expect(unguardedOptionalReads(asl, model)).toEqual([
      'DescribeTask (ResultSelector.TaskStatistics.$): $.TaskStatistics may be omitted by AWS (com.amazonaws.iot#DescribeAuditMitigationActionsTaskResponse does not require it) and no IsPresent guard proves it',
      'DescribeTask (ResultSelector.TaskStatus.$): $.TaskStatus may be omitted by AWS (com.amazonaws.iot#DescribeAuditMitigationActionsTaskResponse does not require it) and no IsPresent guard proves it',
    ]);
  });

  it('finds the start result TaskId and the report function payload read through ResultSelector', () => {
    const asl = definition();
    asl.States.StartTask!.ResultSelector = { 'taskId.$': '$.TaskId' };
    asl.States.BuildReport!.ResultSelector = { 'subject.$': '$.Payload.subject' };
    expect(unguardedOptionalReads(asl, model)).toEqual([
      'BuildReport (ResultSelector.subject.$): $.Payload may be omitted by AWS (a result outside the model) and no IsPresent guard proves it',
      'BuildReport (ResultSelector.subject.$): $.Payload.subject may be omitted by AWS (a result outside the model) and no IsPresent guard proves it',
      'StartTask (ResultSelector.taskId.$): $.TaskId may be omitted by AWS (com.amazonaws.iot#StartAuditMitigationActionsTaskResponse does not require it) and no IsPresent guard proves it',
    ]);
  });

  it('finds a Choice that compares TaskStatus without the rule that guards it before', () => {
    const asl = definition();
    const rules = asl.States.TaskStatus!.Choices as unknown[];
    asl.States.TaskStatus!.Choices = rules.slice(1);
    expect(unguardedOptionalReads(asl, model)).toContain(
      'TaskStatus (Choices[0].rule.Variable): $.task.TaskStatus may be omitted by AWS (com.amazonaws.iot#DescribeAuditMitigationActionsTaskResponse does not require it) and no IsPresent guard proves it',
    );
  });

  it('does not take a guard inside the same And, whose evaluation order AWS does not document', () => {
    const asl = definition();
    const rules = asl.States.TaskStatus!.Choices as Record<string, unknown>[];
    asl.States.TaskStatus!.Choices = [
      {
        And: [
          { Variable: '$.task.TaskStatus', IsPresent: true },
          { Variable: '$.task.TaskStatus', StringEquals: 'COMPLETED' },
        ],
        Next: 'OutcomeCompleted',
      },
      ...rules.slice(2),
    ];
    expect(unguardedOptionalReads(asl, model)).toContain(
      'TaskStatus (Choices[0].rule.And[1].Variable): $.task.TaskStatus may be omitted by AWS (com.amazonaws.iot#DescribeAuditMitigationActionsTaskResponse does not require it) and no IsPresent guard proves it',
    );
  });

  it('follows a guard across states: KeepSwitch reads only what SwitchHasValue proved there', () => {
    const asl = definition();
    // A guard on a sibling proves Parameter, not its Value.
    asl.States.SwitchHasValue!.Choices = [
      { Not: { Variable: '$.switchParameter.Parameter.Name', IsPresent: true }, Next: 'SwitchWithoutValue' },
    ];
    expect(unguardedOptionalReads(asl, model)).toEqual([
      'KeepSwitch (Parameters.value.$): $.switchParameter.Parameter.Value may be omitted by AWS (a result outside the model) and no IsPresent guard proves it',
      'KeepSwitch (Parameters.version.$): $.switchParameter.Parameter.Version may be omitted by AWS (a result outside the model) and no IsPresent guard proves it',
    ]);
  });

  it('finds the switch read while the task runs, when TaskStatus reads its value unguarded', () => {
    const asl = definition();
    const rules = asl.States.TaskStatus!.Choices as Record<string, unknown>[];
    // Without the rule that sends a switch without a value elsewhere.
    asl.States.TaskStatus!.Choices = rules.filter((rule) => rule.Next !== 'SwitchUnsetWhileRunning');
    const omitted = (at: string, path: string) =>
      `${at}: ${path} may be omitted by AWS (a result outside the model) and no IsPresent guard proves it`;
    expect(unguardedOptionalReads(asl, model)).toEqual([
      omitted('SwitchPausedWhileRunning (Parameters.value.$)', '$.switchParameter.Parameter'),
      omitted('SwitchPausedWhileRunning (Parameters.value.$)', '$.switchParameter.Parameter.Value'),
      omitted('TaskStatus (Choices[4].rule.Not.Or[0].Variable)', '$.switchParameter.Parameter'),
      omitted('TaskStatus (Choices[4].rule.Not.Or[0].Variable)', '$.switchParameter.Parameter.Value'),
      omitted('TaskStatus (Choices[4].rule.Not.Or[1].Variable)', '$.switchParameter.Parameter'),
      omitted('TaskStatus (Choices[4].rule.Not.Or[1].Variable)', '$.switchParameter.Parameter.Value'),
    ]);
  });

  it('follows guards across states into the adoption of an existing task, and only there', () => {
    const asl = definition();
    const comparable = asl.States.ExistingTaskComparable!;
    comparable.Choices = (comparable.Choices as unknown[]).slice(1);
    expect(unguardedOptionalReads(asl, model)).toEqual([
      'ExistingTaskComparable (Choices[2].rule.Not.Variable): $.existing.Target.AuditTaskId may be omitted by AWS (com.amazonaws.iot#AuditMitigationActionsTaskTarget does not require it) and no IsPresent guard proves it',
    ]);
    // Adopting happens after ExistingTaskComparable proved the audit there; polling may follow a start.
    const guarded = definition();
    (guarded.States.AdoptExistingTask!.Parameters as Record<string, string>)['audit.$'] =
      '$.existing.Target.AuditTaskId';
    expect(unguardedOptionalReads(guarded, model)).toEqual([]);
    const unguarded = definition();
    (unguarded.States.AdvancePoll!.Parameters as Record<string, string>)['audit.$'] =
      '$.existing.Target.AuditTaskId';
    expect(unguardedOptionalReads(unguarded, model)).toEqual([
      'AdvancePoll (Parameters.audit.$): $.existing.Target.AuditTaskId: $.existing may not hold the result of DescribeExistingTask here',
    ]);
  });

  it('finds optional members read inside intrinsic functions and paths that are no member at all', () => {
    const asl = definition();
    (asl.States.OutcomeTaskFailed!.Parameters as Record<string, string>)['cause.$'] =
      "States.Format('{} {}', $.plan.auditTaskId, $.task.EndTime)";
    (asl.States.OutcomeCompleted!.Parameters as Record<string, string>)['cause.$'] =
      "States.Format('{}', $.task.TaskStatuss)";
    expect(unguardedOptionalReads(asl, model)).toEqual([
      'OutcomeCompleted (Parameters.cause.$): $.task.TaskStatuss is not a member of com.amazonaws.iot#DescribeAuditMitigationActionsTaskResponse',
      'OutcomeTaskFailed (Parameters.cause.$): $.task.EndTime may be omitted by AWS (com.amazonaws.iot#DescribeAuditMitigationActionsTaskResponse does not require it) and no IsPresent guard proves it',
    ]);
  });
});

describe('the emulator knob omitTaskStatistics', () => {
  it('answers the first N describes of each task without taskStatistics', async () => {
    const { clock, service } = await remediationHarness();
    service.addAudit(planAudit());
    service.omitTaskStatistics({ describes: 2 });
    service.startAuditMitigationActionsTask({
      taskId: 't',
      clientRequestToken: 't',
      target: PLAN.target as never,
      auditCheckToActionsMapping: PLAN.auditCheckToActionsMapping as never,
    });
    const describe = () => service.describeAuditMitigationActionsTask({ taskId: 't' });
    expect(describe()).not.toHaveProperty('taskStatistics');
    expect(describe()).not.toHaveProperty('taskStatistics');
    expect(Object.keys(describe().taskStatistics ?? {})).toEqual([SHARED, REVOKED]);
    await clock.advance(60_000);
    expect(describe().taskStatus).toBe('COMPLETED');
  });

  it('or while the task is young; undefined stops it', async () => {
    const { clock, service } = await remediationHarness();
    service.addAudit(planAudit());
    service.omitTaskStatistics({ youngerThanMs: 30_000 });
    service.startAuditMitigationActionsTask({
      taskId: 't',
      clientRequestToken: 't',
      target: PLAN.target as never,
      auditCheckToActionsMapping: PLAN.auditCheckToActionsMapping as never,
    });
    const describe = () => service.describeAuditMitigationActionsTask({ taskId: 't' });
    expect(describe()).not.toHaveProperty('taskStatistics');
    await clock.advance(29_000);
    expect(describe()).not.toHaveProperty('taskStatistics');
    await clock.advance(1_000);
    expect(describe()).toHaveProperty('taskStatistics');
    service.omitTaskStatistics({});
    expect(describe()).not.toHaveProperty('taskStatistics');
    service.omitTaskStatistics(undefined);
    expect(describe()).toHaveProperty('taskStatistics');
  });
});

describe('a run through answers without optional members', () => {
  it('follows a task whose first describes have no taskStatistics to Completed, with the statistics in the report', async () => {
    const { service, proxy, run } = await remediationHarness();
    service.setTaskProgress({ startDelayMs: 60_000 });
    service.addAudit(planAudit());
    service.omitTaskStatistics({ youngerThanMs: 50_000 });
    const { outcome, summary, published } = await run(PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(summary.outcome.name).toBe('Completed');
    expect(proxy.calls.describe).toBeGreaterThan(3);
    expect(published).toHaveLength(1);
    expect(summary.checks.map((c) => [c.checkName, c.statistics?.succeeded])).toEqual([
      [SHARED, 3],
      [REVOKED, 2],
    ]);
  });

  it('reports Completed without statistics when no describe has them', async () => {
    const { service, run } = await remediationHarness();
    service.addAudit(planAudit());
    service.omitTaskStatistics({});
    const { outcome, summary, message } = await run(PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(summary.task).toMatchObject({ status: 'COMPLETED' });
    expect(summary.checks.map((c) => c.statistics)).toEqual([undefined, undefined]);
    expect(message).toContain('completed');
  });

  it('still publishes the outcome when the report function answers without its subject', async () => {
    const reportHandler = async () => ({ message: 'no subject', summary: {} });
    const { service, run } = await remediationHarness({ reportHandler });
    service.addAudit(planAudit());
    const { outcome, published } = await run(PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toMatchObject({
      outcome: { name: 'Completed' },
      reportError: { Error: 'ReportIncomplete' },
    });
    expect(published).toHaveLength(1);
    expect(published[0]?.message).toContain('The report function failed with ReportIncomplete');
  });
});
