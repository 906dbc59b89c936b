import { describe, expect, it } from 'vitest';
import type { RemediationReport } from '#domain/remediation-report';
import { summaryFromAttributes } from '#domain/remediation-report';
import { PLAN, planAudit, planFor, REVOKED, remediationHarness, SHARED, SWITCH } from './support.ts';

type Harness = Awaited<ReturnType<typeof remediationHarness>>;

/** Runs the plan; the report's summary is read as scripts read it: from the `report` message attribute. */
async function runReading(run: Harness['run'], plan: Parameters<Harness['run']>[0]) {
  const result = await run(plan);
  const summary = summaryFromAttributes(result.published[0]?.messageAttributes) as RemediationReport;
  return { ...result, summary };
}

describe('the remediation state machine', () => {
  it('starts the planned task, follows it to COMPLETED and reports per-check statistics', async () => {
    const { service, run } = await remediationHarness();
    service.addAudit(planAudit());
    const { outcome, published, summary, message } = await runReading(run, PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toEqual(summary);
    expect(summary).toMatchObject({
      auditTaskId: PLAN.auditTaskId,
      executionName: PLAN.names.executionName,
      mode: { effective: 'enforce', switchBeforeStart: 'enforce' },
      outcome: { name: 'Completed', succeeded: true },
      task: { taskId: PLAN.names.mitigationTaskId, status: 'COMPLETED' },
      heldBack: [{ checkName: 'DEVICE_CERTIFICATE_KEY_QUALITY_CHECK', reason: 'above-max-findings' }],
      skippedChecks: 1,
    });
    expect(summary.checks.map((c) => [c.checkName, c.statistics])).toEqual([
      [SHARED, { total: 3, succeeded: 3, failed: 0, skipped: 0, canceled: 0 }],
      [REVOKED, { total: 2, succeeded: 2, failed: 0, skipped: 0, canceled: 0 }],
    ]);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      topicArn: 'arn:aws:sns:us-east-1:123456789012:remediation-reports',
      subject: `Device Defender remediation ${PLAN.names.executionName}: completed`,
      messageAttributes: {
        outcome: { DataType: 'String', StringValue: 'Completed' },
        auditTaskId: { DataType: 'String', StringValue: PLAN.auditTaskId },
        report: { DataType: 'String', StringValue: JSON.stringify(summary) },
      },
    });
    expect(message).toContain('3 succeeded, 0 failed, 0 skipped, 0 canceled of 3 findings');
    expect(message).not.toContain('JSON');
    const task = service.describeAuditMitigationActionsTask({ taskId: PLAN.names.mitigationTaskId });
    expect(task.target).toEqual(PLAN.target);
  });

  it('on a dry run starts nothing, reports what would have been mitigated and succeeds', async () => {
    const { service, proxy, switchParameter, run } = await remediationHarness();
    service.addAudit(planAudit('audit-dry'));
    const { outcome, summary, message } = await runReading(run, planFor('audit-dry', 'dry-run'));

    expect(outcome.status).toBe('SUCCEEDED');
    expect(proxy.calls).toEqual({ start: 0, describe: 0, cancel: 0 });
    expect(switchParameter.reads).toBe(0);
    expect(summary.outcome).toMatchObject({ name: 'DryRun', succeeded: true });
    expect(summary.task).toBeUndefined();
    expect(message).toContain('Checks planned:');
    expect(message).toContain('3 findings would be mitigated');
  });

  it('ends as Paused, starting nothing, when the switch no longer says enforce', async () => {
    const { service, proxy, run } = await remediationHarness({ switchValue: 'paused' });
    service.addAudit(planAudit());
    const { outcome, published, summary } = await runReading(run, PLAN);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Paused' });
    expect(outcome.cause).toContain(`The runtime switch ${SWITCH} says paused instead of enforce`);
    expect(proxy.calls.start).toBe(0);
    expect(published).toHaveLength(1);
    expect(summary.outcome.name).toBe('Paused');
  });

  it('ends as TaskFailed and reports the failed findings with action, error code and message', async () => {
    const { service, run } = await remediationHarness();
    const failure = {
      actionName: 'remediation-QuarantineDevice',
      errorCode: 'INVALID_STATE_OF_RESOURCE' as const,
      message: 'The thing is already in the maximum number of thing groups',
    };
    service.addAudit(planAudit(PLAN.auditTaskId, { 2: failure }));
    const { outcome, summary, message } = await runReading(run, PLAN);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'TaskFailed' });
    expect(outcome.cause).toMatch(/ended FAILED: a mitigation action failed/);
    const shared = summary.checks.find((c) => c.checkName === SHARED);
    expect(shared?.statistics).toMatchObject({ failed: 1, succeeded: 2 });
    expect(shared?.failedFindings).toEqual({
      findings: [
        {
          findingId: 'finding-2',
          resource: `DEVICE_CERTIFICATE deviceCertificateId=${'2'.padStart(64, '0')}`,
          actionName: 'remediation-QuarantineDevice',
          errorCode: 'INVALID_STATE_OF_RESOURCE',
          message: failure.message,
        },
      ],
      complete: true,
      apiCalls: 3,
    });
    expect(message).toContain(
      'finding-2 DEVICE_CERTIFICATE deviceCertificateId=0000000000000000000000000000000000000000000000000000000000000002: remediation-QuarantineDevice failed, INVALID_STATE_OF_RESOURCE: The thing is already in the maximum number of thing groups',
    );
  });

  it('ends as TaskCanceled when someone else cancels the task', async () => {
    const { clock, service, run } = await remediationHarness();
    service.setTaskProgress({ startDelayMs: 3_600_000 });
    service.addAudit(planAudit());
    void clock
      .sleep(600_000)
      .then(() => service.cancelAuditMitigationActionsTask({ taskId: PLAN.names.mitigationTaskId }));
    const { outcome, summary } = await runReading(run, PLAN);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'TaskCanceled' });
    expect(summary.checks[0]?.statistics).toMatchObject({ canceled: 3, total: 3 });
  });

  it('cancels a task that never finishes at the deadline and ends as DeadlineExceeded', async () => {
    const { service, proxy, run } = await remediationHarness();
    service.setTaskProgress({ startDelayMs: 10 * 86_400_000 });
    service.addAudit(planAudit());
    const { outcome, summary, elapsedMs } = await runReading(run, PLAN);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DeadlineExceeded' });
    expect(outcome.cause).toContain('was still IN_PROGRESS after 86400 seconds and was canceled');
    expect(elapsedMs).toBe(86_400_000);
    expect(proxy.calls.cancel).toBe(1);
    expect(summary.task).toMatchObject({ status: 'CANCELED', polls: 139, polledForSeconds: 86_400 });
    expect(
      service.describeAuditMitigationActionsTask({ taskId: PLAN.names.mitigationTaskId }).taskStatus,
    ).toBe('CANCELED');
  });
});
