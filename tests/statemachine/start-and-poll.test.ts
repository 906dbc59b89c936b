import type { CheckFindings, StoredFinding } from '@device-defender-remediation/local-cloud';
import { describe, expect, it } from 'vitest';
import type { RemediationPlan } from '#domain/plan';
import { pollTimes } from '../../statemachine/polling.ts';
import { ACCESS_DENIED } from './fault-proxy.ts';
import {
  occupyAllCapacity,
  PLAN,
  planAudit,
  planFor,
  remediationHarness,
  SHARED,
  STACK_ACTION_NAMES,
  SWITCH,
} from './support.ts';

describe('starting the task', () => {
  it('retries a throttled start with a short backoff', async () => {
    const { service, proxy, run } = await remediationHarness();
    service.addAudit(planAudit());
    proxy.failNext('start', 2);
    const { outcome } = await run(PLAN);
    expect(outcome.status).toBe('SUCCEEDED');
    expect(proxy.calls.start).toBe(3);
  });

  it('waits for capacity under LimitExceeded, re-reading the switch each time, then starts', async () => {
    const { service, proxy, switchParameter, run } = await remediationHarness();
    service.addAudit(planAudit());
    occupyAllCapacity(service, 600_000);
    const { outcome, summary, message } = await run(PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    // Refused at 0, 30, 90, 210 and 450 s (waits double from 30 s, at most 5 min); started at 750 s.
    expect(proxy.calls.start).toBe(6);
    expect(switchParameter.reads).toBe(6);
    expect(summary.capacity).toEqual({ waits: 5, waitedSeconds: 750 });
    expect(message).toContain('Waited 12 min 30 s for capacity in 5 waits');
  });

  it('ends as Paused when the switch is paused while it waits for capacity', async () => {
    const { clock, service, proxy, switchParameter, run } = await remediationHarness();
    service.addAudit(planAudit());
    occupyAllCapacity(service, 86_400_000);
    void clock.sleep(45_000).then(() => switchParameter.set(SWITCH, 'paused'));
    const { outcome } = await run(PLAN);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Paused' });
    expect(proxy.calls.start).toBe(2);
    expect(() => service.describeAuditMitigationActionsTask({ taskId: PLAN.names.mitigationTaskId })).toThrow(
      /does not exist/,
    );
  });

  it('gives up with StartRejected once CapacityWaitSeconds have passed', async () => {
    const { service, run } = await remediationHarness({ substitutions: { CapacityWaitSeconds: '100' } });
    service.addAudit(planAudit());
    occupyAllCapacity(service, 86_400_000);
    const { outcome, published } = await run(PLAN);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'StartRejected' });
    expect(outcome.cause).toContain(
      'still ran 10 audit mitigation actions tasks after 210 seconds of waiting (3 waits)',
    );
    expect(published).toHaveLength(1);
  });

  it('ends as StartRejected on InvalidRequest, e.g. a mitigation action of the stack deleted since', async () => {
    // The stack hands in an action AWS IoT no longer has: the state machine's check passes, IoT refuses.
    const { service, proxy, run } = await remediationHarness({
      substitutions: { MitigationActionNames: `${STACK_ACTION_NAMES},missing-action` },
    });
    service.addAudit(planAudit());
    const plan: RemediationPlan = {
      ...PLAN,
      auditCheckToActionsMapping: { ...PLAN.auditCheckToActionsMapping, [SHARED]: ['missing-action'] },
    };
    const { outcome } = await run(plan);
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'StartRejected' });
    expect(outcome.cause).toContain(
      'Iot.InvalidRequestException: Mitigation action missing-action does not exist',
    );
    // A first attempt refused as invalid started nothing: there is no task to look for.
    expect(proxy.calls.describe).toBe(0);
  });

  it('reports an unexpected error and fails with its name', async () => {
    const { service, proxy, run } = await remediationHarness();
    service.addAudit(planAudit());
    proxy.failNext('start', 1, ACCESS_DENIED);
    const { outcome, summary } = await run(PLAN);
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Iot.IotException' });
    expect(outcome.cause).toContain('User is not authorized');
    expect(summary.outcome).toMatchObject({ name: 'Unexpected', error: 'Iot.IotException' });
  });

  it('still publishes the outcome when the report function fails', async () => {
    const reportHandler = async () => {
      throw new Error('out of memory');
    };
    const { service, run } = await remediationHarness({ reportHandler });
    service.addAudit(planAudit());
    const { outcome, published } = await run(PLAN);
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toMatchObject({ outcome: { name: 'Completed' }, reportError: { Error: 'Error' } });
    expect(published[0]?.message).toContain('The report function failed with Error');
  });
});

describe('following the task', () => {
  it('reports what really happened when the cancel at the deadline loses a race with completion', async () => {
    const deadline = 3_600;
    const { service, proxy, run } = await remediationHarness({
      substitutions: { DeadlineSeconds: String(deadline) },
    });
    const lastPoll = pollTimes(deadline).at(-1)!;
    // The task ends after the last poll and before the deadline.
    service.setTaskProgress({ startDelayMs: (lastPoll + 10) * 1000 });
    service.addAudit(planAudit());
    const { outcome, summary, elapsedMs } = await run(PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(elapsedMs).toBe(deadline * 1000);
    expect(proxy.calls.cancel).toBe(1);
    expect(summary.task).toMatchObject({ status: 'COMPLETED', polledForSeconds: deadline });
  });

  it('never fails on throttled describes: it retries, then polls again', async () => {
    const { service, proxy, run } = await remediationHarness();
    service.setTaskProgress({ startDelayMs: 60_000 });
    service.addAudit(planAudit());
    proxy.failNext('describe', 6);
    const { outcome } = await run(PLAN);
    expect(outcome.status).toBe('SUCCEEDED');
    expect(proxy.calls.describe).toBeGreaterThan(6);
  });

  it('follows a 24-hour task in under 2,200 history events, reading the switch besides, and sees its end within 10 % of its duration', async () => {
    const { service, run } = await remediationHarness();
    const duration = 23.5 * 3600;
    service.setTaskProgress({ startDelayMs: duration * 1000 - 500 });
    service.addAudit(planAudit());
    const { outcome, execution, published } = await run(PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    // Step Functions fails an execution at 25,000 events; reading the switch every 15 minutes adds ~100 reads.
    expect(execution.history.historyEvents).toBeLessThan(2_200);
    const lagMs = published[0]!.publishedAt - (Date.UTC(2026, 0, 1) + duration * 1000);
    expect(lagMs).toBeGreaterThanOrEqual(0);
    expect(lagMs).toBeLessThanOrEqual(0.1 * duration * 1000);
  });

  it.each([5, 100, 1_000, 10_000, 40_000])(
    'sees the end of a %i-second task within max(15 s, a tenth of its duration)',
    async (seconds) => {
      const { service, run } = await remediationHarness();
      service.setTaskProgress({ startDelayMs: seconds * 1000 - 500 });
      service.addAudit(planAudit());
      const { outcome, published } = await run(PLAN);
      expect(outcome.status).toBe('SUCCEEDED');
      const lagMs = published[0]!.publishedAt - (Date.UTC(2026, 0, 1) + seconds * 1000);
      expect(lagMs).toBeLessThanOrEqual(Math.max(15_000, 0.1 * seconds * 1000));
    },
  );
});

describe('the report', () => {
  it('spends at most its call budget on a million-finding check and says the sample is incomplete', async () => {
    const { service, run } = await remediationHarness();
    const count = 1_000_000;
    const finding = (i: number): StoredFinding => ({
      findingId: `finding-${i}`,
      checkName: SHARED,
      severity: 'HIGH',
      reasonForNonComplianceCode: 'CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES',
      nonCompliantResource: {
        resourceType: 'DEVICE_CERTIFICATE',
        resourceIdentifier: { deviceCertificateId: i.toString(16).padStart(64, '0') },
      },
      ...(i % 50_000 === 49_999 && {
        failure: { errorCode: 'INSUFFICIENT_PERMISSIONS', message: 'The role cannot iot:UpdateCertificate' },
      }),
    });
    const findings: CheckFindings = {
      count,
      at: finding,
      indexOf: (id) => (id.startsWith('finding-') ? Number(id.slice(8)) : undefined),
    };
    service.addAudit({
      taskId: 'huge-audit',
      checks: { [SHARED]: { findings, totalResourcesCount: count } },
    });
    service.setTaskProgress({ findingsPerSecond: 20_000 });
    const plan = planFor('huge-audit');
    const { outcome, summary, message } = await run({
      ...plan,
      target: {
        ...plan.target,
        auditCheckToReasonCodeFilter: { [SHARED]: ['CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES'] },
      },
      auditCheckToActionsMapping: { [SHARED]: PLAN.auditCheckToActionsMapping[SHARED]! },
    });

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'TaskFailed' });
    const shared = summary.checks[0]!;
    expect(shared.statistics).toMatchObject({ total: count, failed: 20 });
    expect(shared.failedFindings).toEqual({ findings: [], complete: false, apiCalls: 100 });
    expect(message).toContain(
      'the search stopped after its budget of 100 API calls, so the sample is incomplete',
    );
  });
});
