/**
 * A start that errs may still have started the task, and a task of the execution's name may already
 * exist (issue 13, defect 4): the state machine describes it and follows it only when it is the plan's
 * (same audit, reason-code filter and actions); otherwise StartRejected, touching nothing.
 */
import { describe, expect, it } from 'vitest';
import type { RemediationPlan } from '#domain/plan';
import {
  ACCESS_DENIED,
  INTERNAL_FAILURE,
  INVALID_REQUEST,
  type InjectedError,
  THROTTLING,
} from './fault-proxy.ts';
import {
  mitigationTasks,
  occupyAllCapacity,
  PLAN,
  planAudit,
  REVOKED,
  remediationHarness,
  SHARED,
} from './support.ts';

const TASK_ID = PLAN.names.mitigationTaskId;

type Harness = Awaited<ReturnType<typeof remediationHarness>>;

/** A task of the plan's name that this execution did not start (another client request token). */
function existingTask(
  service: Harness['service'],
  task: Pick<RemediationPlan, 'target' | 'auditCheckToActionsMapping'> = PLAN,
) {
  service.startAuditMitigationActionsTask({
    taskId: TASK_ID,
    clientRequestToken: 'an-earlier-token',
    target: task.target as never,
    auditCheckToActionsMapping: task.auditCheckToActionsMapping as never,
  });
}

/** The same object with its keys in the opposite order. */
function reversed<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).reverse()) as T;
}

describe('a task of the execution name that already exists', () => {
  it('is adopted after TaskAlreadyExists when it has the plan audit, filter and actions, and followed to COMPLETED', async () => {
    const { clock, service, proxy, run } = await remediationHarness();
    service.addAudit(planAudit());
    existingTask(service);
    const { outcome, summary } = await run(PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(summary.outcome.name).toBe('Completed');
    expect(summary.task).toMatchObject({ taskId: TASK_ID, status: 'COMPLETED' });
    expect(summary.checks.map((c) => c.statistics?.succeeded)).toEqual([3, 2]);
    expect(proxy.calls.start).toBe(1);
    expect(proxy.calls.cancel).toBe(0);
    expect(mitigationTasks(service, clock.now())).toEqual({ [TASK_ID]: 'COMPLETED' });
  });

  it('is adopted whatever the key order of the maps AWS IoT returns', async () => {
    const { service, run } = await remediationHarness();
    service.addAudit(planAudit());
    existingTask(service, {
      target: {
        ...PLAN.target,
        auditCheckToReasonCodeFilter: reversed(PLAN.target.auditCheckToReasonCodeFilter),
      },
      auditCheckToActionsMapping: reversed(PLAN.auditCheckToActionsMapping),
    });
    const { outcome } = await run(PLAN);
    expect(outcome.status).toBe('SUCCEEDED');
  });

  it.each([
    {
      what: 'another audit',
      task: { ...PLAN, target: { ...PLAN.target, auditTaskId: 'other-audit' } },
      cause: `A mitigation task ${TASK_ID} already exists, but for another audit (other-audit)`,
    },
    {
      what: 'another reason-code filter',
      task: {
        ...PLAN,
        target: {
          ...PLAN.target,
          auditCheckToReasonCodeFilter: { [SHARED]: ['CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES'] },
        },
      },
      cause: `but with another reason-code filter ({"${SHARED}":["CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES"]} where the plan has`,
    },
    {
      what: 'other mitigation actions',
      task: {
        ...PLAN,
        auditCheckToActionsMapping: {
          ...PLAN.auditCheckToActionsMapping,
          [REVOKED]: ['remediation-PublishFinding'],
        },
      },
      cause: 'but with other mitigation actions (',
    },
    {
      what: 'one check fewer in both maps',
      task: {
        ...PLAN,
        target: {
          ...PLAN.target,
          auditCheckToReasonCodeFilter: { [SHARED]: ['CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES'] },
        },
        auditCheckToActionsMapping: { [SHARED]: PLAN.auditCheckToActionsMapping[SHARED]! },
      },
      cause: 'but with another reason-code filter',
    },
  ])(
    'for $what ends StartRejected, naming the mismatch, and leaves the task alone',
    async ({ task, cause }) => {
      const { clock, service, proxy, run } = await remediationHarness();
      service.addAudit(planAudit());
      service.addAudit(planAudit('other-audit'));
      service.setTaskProgress({ startDelayMs: 86_400_000 });
      existingTask(service, task);
      const { outcome, summary, published } = await run(PLAN);

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'StartRejected' });
      expect(outcome.cause).toContain(cause);
      expect(outcome.cause).toContain(
        'the existing task was left as it is (the start answered Iot.TaskAlreadyExistsException)',
      );
      expect(summary.task).toBeUndefined();
      expect(published).toHaveLength(1);
      expect(proxy.calls.cancel).toBe(0);
      expect(mitigationTasks(service, clock.now())).toEqual({ [TASK_ID]: 'IN_PROGRESS' });
    },
  );
});

describe('a start that errs after an earlier attempt', () => {
  it('adopts the task the first attempt started although its answer was lost, when the retry is refused', async () => {
    const { clock, service, proxy, run } = await remediationHarness();
    service.addAudit(planAudit());
    // Real IoT refuses a second start with the same client request token (docs/aws-facts/mitigation-tasks.md).
    proxy.failAfterForwarding('start', 1, INTERNAL_FAILURE);
    proxy.failNext('start', 1, INVALID_REQUEST);
    const { outcome, summary } = await run(PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(summary.task).toMatchObject({ taskId: TASK_ID, status: 'COMPLETED' });
    expect(proxy.calls.start).toBe(2);
    expect(proxy.calls.cancel).toBe(0);
    expect(mitigationTasks(service, clock.now())).toEqual({ [TASK_ID]: 'COMPLETED' });
  });

  it('describes the task once the retries of throttled starts are spent, and adopts it', async () => {
    const { clock, service, proxy, run } = await remediationHarness();
    service.addAudit(planAudit());
    proxy.failAfterForwarding('start', 1, THROTTLING);
    proxy.failNext('start', 5, THROTTLING);
    const { outcome } = await run(PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(proxy.calls.start).toBe(6);
    expect(mitigationTasks(service, clock.now())).toEqual({ [TASK_ID]: 'COMPLETED' });
  });

  it.each<[string, InjectedError]>([
    ['an unexpected error', ACCESS_DENIED],
    ['InvalidRequest', INVALID_REQUEST],
  ])('ends StartRejected when the task does not exist (%s after a failed attempt)', async (_, second) => {
    const { clock, service, proxy, run } = await remediationHarness();
    service.addAudit(planAudit());
    proxy.failNext('start', 1, INTERNAL_FAILURE);
    proxy.failNext('start', 1, second);
    const { outcome, summary } = await run(PLAN);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'StartRejected' });
    expect(outcome.cause).toContain(`AWS IoT answered the start of mitigation task ${TASK_ID}`);
    expect(outcome.cause).toContain(second.message);
    expect(outcome.cause).toContain('the task does not exist');
    expect(summary.task).toBeUndefined();
    expect(proxy.calls).toEqual({ start: 2, describe: 1, cancel: 0 });
    expect(mitigationTasks(service, clock.now())).toEqual({});
  });

  it('waits for capacity as usual when a start refused for capacity had not started the task', async () => {
    const { clock, service, proxy, run } = await remediationHarness();
    service.addAudit(planAudit());
    occupyAllCapacity(service, 60_000);
    proxy.failNext('start', 1, INTERNAL_FAILURE);
    const { outcome, summary } = await run(PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(summary.capacity?.waits).toBeGreaterThan(0);
    // The refusal after a failed attempt was checked once: one describe besides the polls.
    expect(proxy.calls.describe).toBe(summary.task!.polls + 1);
    expect(mitigationTasks(service, clock.now())[TASK_ID]).toBe('COMPLETED');
    expect(proxy.calls.cancel).toBe(0);
  });
});
