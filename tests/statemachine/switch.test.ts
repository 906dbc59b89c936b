/**
 * The switch's value and version (issue #15 item 4). Before the start, and after each wait for capacity,
 * the runtime switch must still have the value and the Version the plan saw (every change of the
 * parameter increments its Version): a pause undone since still ends the run Paused, nothing started.
 * While the task runs the switch is read again at the polls statemachine/polling.ts chooses, so that
 * `paused` (or any value that reads as paused) cancels the task within 15 minutes and ends Paused,
 * reported. Only such a value stops a running task: dry-run decides how new plans run.
 */
import { describe, expect, it } from 'vitest';
import {
  mitigationTasks,
  occupyAllCapacity,
  PLAN,
  planAudit,
  remediationHarness,
  SWITCH,
} from './support.ts';

const TASK_ID = PLAN.names.mitigationTaskId;
const FIFTEEN_MINUTES_MS = 15 * 60_000;

describe('the switch before the start', () => {
  it('ends Paused, starting nothing, when the switch was changed since the plan though it says enforce again', async () => {
    const { service, proxy, run } = await remediationHarness({ switchVersion: PLAN.mode.switch.version + 2 });
    service.addAudit(planAudit());
    const { outcome, published } = await run(PLAN);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Paused' });
    expect(outcome.cause).toContain(
      `The runtime switch ${SWITCH} is at version 4 (enforce), but the plan was made at version 2 (enforce)`,
    );
    expect(proxy.calls.start).toBe(0);
    expect(published).toHaveLength(1);
  });

  it('ends Paused, starting nothing, when the switch is paused and set back to enforce while the plan waits for capacity', async () => {
    const { clock, service, proxy, switchParameter, run } = await remediationHarness();
    service.addAudit(planAudit());
    // Capacity comes back after 10 minutes: a run that does not notice the pause starts its task then.
    occupyAllCapacity(service, 600_000);
    void clock
      .sleep(45_000)
      .then(() => switchParameter.set(SWITCH, 'paused'))
      .then(() => clock.sleep(5_000))
      .then(() => switchParameter.set(SWITCH, 'enforce'));
    const { outcome, published } = await run(PLAN);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Paused' });
    expect(outcome.cause).toContain(
      'is at version 4 (enforce), but the plan was made at version 2 (enforce)',
    );
    // Refused for capacity at 0 and 30 s; at 90 s the switch has another version.
    expect(proxy.calls.start).toBe(2);
    expect(mitigationTasks(service, clock.now())[TASK_ID]).toBeUndefined();
    expect(published).toHaveLength(1);
    expect(published[0]?.messageAttributes).toMatchObject({ outcome: { StringValue: 'Paused' } });
  });
});

describe('the switch while the task runs', () => {
  it.each([10, 740, 10_527, 20 * 3600])(
    'cancels the task within 15 minutes of a pause %i s after the start, ends Paused and reports',
    async (pauseAfterSeconds) => {
      const { clock, service, proxy, switchParameter, run } = await remediationHarness();
      service.setTaskProgress({ startDelayMs: 10 * 86_400_000 });
      service.addAudit(planAudit());
      void clock.sleep(pauseAfterSeconds * 1000).then(() => switchParameter.set(SWITCH, 'paused'));
      const { outcome, published, elapsedMs } = await run(PLAN);

      expect(outcome).toMatchObject({ status: 'FAILED', error: 'Paused' });
      expect(outcome.cause).toContain(
        `The runtime switch ${SWITCH} said paused while mitigation task ${TASK_ID} for audit ${PLAN.auditTaskId} ran, so the task was canceled`,
      );
      // The cancel is the last thing the execution does in virtual time; the report takes none.
      expect(elapsedMs).toBeGreaterThan(pauseAfterSeconds * 1000);
      expect(elapsedMs - pauseAfterSeconds * 1000).toBeLessThanOrEqual(FIFTEEN_MINUTES_MS);
      expect(proxy.calls.cancel).toBe(1);
      expect(mitigationTasks(service, clock.now())).toEqual({ [TASK_ID]: 'CANCELED' });
      expect(published).toHaveLength(1);
      expect(published[0]?.messageAttributes).toMatchObject({ outcome: { StringValue: 'Paused' } });
    },
  );

  it('reads a value that is none of the three as paused', async () => {
    const { clock, service, switchParameter, run } = await remediationHarness();
    service.setTaskProgress({ startDelayMs: 10 * 86_400_000 });
    service.addAudit(planAudit());
    void clock.sleep(3_600_000).then(() => switchParameter.set(SWITCH, 'off'));
    const { outcome, elapsedMs } = await run(PLAN);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Paused' });
    expect(outcome.cause).toContain('said off while mitigation task');
    expect(elapsedMs - 3_600_000).toBeLessThanOrEqual(FIFTEEN_MINUTES_MS);
    expect(mitigationTasks(service, clock.now())).toEqual({ [TASK_ID]: 'CANCELED' });
  });

  it('lets the task finish when the switch turns to dry-run: only a pause stops a running task', async () => {
    const { clock, service, proxy, switchParameter, run } = await remediationHarness();
    service.setTaskProgress({ startDelayMs: 2 * 3_600_000 });
    service.addAudit(planAudit());
    void clock.sleep(60_000).then(() => switchParameter.set(SWITCH, 'dry-run'));
    const { outcome } = await run(PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(proxy.calls.cancel).toBe(0);
    // Read before the start and at the polls of statemachine/polling.ts up to 2 hours.
    expect(switchParameter.reads).toBeGreaterThan(5);
  });

  it('goes on when the switch cannot be read while the task runs', async () => {
    const { clock, service, proxy, switchParameter, run } = await remediationHarness();
    service.setTaskProgress({ startDelayMs: 2 * 3_600_000 });
    service.addAudit(planAudit());
    void clock.sleep(60_000).then(() => switchParameter.values.delete(SWITCH));
    const { outcome } = await run(PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(proxy.calls.cancel).toBe(0);
  });
});
