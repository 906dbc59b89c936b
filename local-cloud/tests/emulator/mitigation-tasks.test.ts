import {
  CancelAuditMitigationActionsTaskCommand,
  DescribeAuditMitigationActionsTaskCommand,
  InvalidRequestException,
  type IoTClient,
  LimitExceededException,
  ListAuditMitigationActionsExecutionsCommand,
  ListAuditMitigationActionsTasksCommand,
  ResourceNotFoundException,
  StartAuditMitigationActionsTaskCommand,
  type StartAuditMitigationActionsTaskRequest,
  TaskAlreadyExistsException,
} from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import {
  createAction,
  deactivateParams,
  deviceCertFinding,
  emulatorForTest,
  quarantineParams,
  rejectionOf,
  sharedCertAudit,
  snsParams,
  type TestEmulator,
} from './support.ts';

const CHECK = 'DEVICE_CERTIFICATE_SHARED_CHECK';

/** An emulator with audit `audit-1` (`findings` shared-certificate findings) and three actions. */
async function withAudit(count: number, findings = sharedCertAudit('audit-1', count)): Promise<TestEmulator> {
  const t = await emulatorForTest();
  t.emulator.service.addAudit(findings);
  await createAction(t.iot, 'publish', snsParams);
  await createAction(t.iot, 'deactivate', deactivateParams);
  await createAction(t.iot, 'quarantine', quarantineParams);
  return t;
}

function start(
  iot: IoTClient,
  taskId: string,
  overrides: Partial<StartAuditMitigationActionsTaskRequest> = {},
) {
  return iot.send(
    new StartAuditMitigationActionsTaskCommand({
      taskId,
      clientRequestToken: taskId,
      target: { auditTaskId: 'audit-1' },
      auditCheckToActionsMapping: { [CHECK]: ['publish'] },
      ...overrides,
    }),
  );
}

const describeTask = (iot: IoTClient, taskId: string) =>
  iot.send(new DescribeAuditMitigationActionsTaskCommand({ taskId }));

const executionsOf = async (iot: IoTClient, taskId: string, findingId: string) =>
  (await iot.send(new ListAuditMitigationActionsExecutionsCommand({ taskId, findingId })))
    .actionsExecutions ?? [];

describe('mitigation task lifecycle on the virtual clock', () => {
  it('runs IN_PROGRESS at the configured pace, then COMPLETED with statistics and an end time', async () => {
    const { iot, clock, emulator } = await withAudit(30);
    emulator.service.setTaskProgress({ startDelayMs: 1_000, findingsPerSecond: 3 }); // 30 findings: 11 s
    const startMs = clock.now();
    expect(await start(iot, 'task-1')).toMatchObject({ taskId: 'task-1' });

    let task = await describeTask(iot, 'task-1');
    expect(task.taskStatus).toBe('IN_PROGRESS');
    expect(task.startTime?.getTime()).toBe(startMs);
    expect(task.endTime).toBeUndefined();
    expect(task.taskStatistics?.[CHECK]).toMatchObject({ totalFindingsCount: 30, succeededFindingsCount: 0 });

    await clock.advance(6_000); // 5 s of work: 15 findings
    task = await describeTask(iot, 'task-1');
    expect(task.taskStatus).toBe('IN_PROGRESS');
    expect(task.taskStatistics?.[CHECK]?.succeededFindingsCount).toBe(15);

    await clock.advance(5_000);
    task = await describeTask(iot, 'task-1');
    expect(task.taskStatus).toBe('COMPLETED');
    expect(task.endTime?.getTime()).toBe(startMs + 11_000);
    expect(task.taskStatistics).toEqual({
      [CHECK]: {
        totalFindingsCount: 30,
        failedFindingsCount: 0,
        succeededFindingsCount: 30,
        skippedFindingsCount: 0,
        canceledFindingsCount: 0,
      },
    });
    expect(task.target).toEqual({ auditTaskId: 'audit-1' });
    expect(task.actionsDefinition?.map((a) => a.name)).toEqual(['publish']);
  });

  it('can take 24 hours of virtual time', async () => {
    const { iot, clock, emulator } = await withAudit(24);
    emulator.service.setTaskProgress({ startDelayMs: 0, findingsPerSecond: 1 / 3600 });
    await start(iot, 'slow');
    await clock.advance(23 * 3600_000);
    expect((await describeTask(iot, 'slow')).taskStatus).toBe('IN_PROGRESS');
    await clock.advance(3600_000);
    expect((await describeTask(iot, 'slow')).taskStatus).toBe('COMPLETED');
  });

  it('runs actions in order per finding, skips the rest after a failure and ends FAILED', async () => {
    const audit = sharedCertAudit('audit-1', 0, {
      checks: {
        [CHECK]: {
          findings: [
            deviceCertFinding(1),
            deviceCertFinding(2, {
              failure: {
                actionName: 'deactivate',
                errorCode: 'INVALID_STATE_OF_RESOURCE',
                message: 'already revoked',
              },
            }),
            deviceCertFinding(3, {
              failure: { errorCode: 'INSUFFICIENT_PERMISSIONS', message: 'role lacks sns:Publish' },
            }),
          ],
        },
      },
    });
    const { iot, clock } = await withAudit(0, audit);
    await start(iot, 'task-f', {
      auditCheckToActionsMapping: { [CHECK]: ['publish', 'deactivate', 'quarantine'] },
    });
    await clock.advance(60_000);

    const task = await describeTask(iot, 'task-f');
    expect(task.taskStatus).toBe('FAILED');
    expect(task.taskStatistics?.[CHECK]).toMatchObject({
      totalFindingsCount: 3,
      failedFindingsCount: 2,
      succeededFindingsCount: 1,
    });
    const statuses = async (findingId: string) =>
      (await executionsOf(iot, 'task-f', findingId)).map((e) => [e.actionName, e.status, e.errorCode]);
    expect(await statuses('finding-1')).toEqual([
      ['publish', 'COMPLETED', undefined],
      ['deactivate', 'COMPLETED', undefined],
      ['quarantine', 'COMPLETED', undefined],
    ]);
    expect(await statuses('finding-2')).toEqual([
      ['publish', 'COMPLETED', undefined],
      ['deactivate', 'FAILED', 'INVALID_STATE_OF_RESOURCE'],
      ['quarantine', 'SKIPPED', undefined],
    ]);
    expect(await statuses('finding-3')).toEqual([
      ['publish', 'FAILED', 'INSUFFICIENT_PERMISSIONS'],
      ['deactivate', 'SKIPPED', undefined],
      ['quarantine', 'SKIPPED', undefined],
    ]);
    const [failed] = await executionsOf(iot, 'task-f', 'finding-3');
    expect(failed).toMatchObject({
      message: 'role lacks sns:Publish',
      taskId: 'task-f',
      findingId: 'finding-3',
    });
    expect(failed?.endTime).toBeInstanceOf(Date);
  });

  it('cancels an IN_PROGRESS task: unprocessed findings are CANCELED', async () => {
    const { iot, clock, emulator } = await withAudit(10);
    emulator.service.setTaskProgress({ startDelayMs: 0, findingsPerSecond: 1 });
    await start(iot, 'task-c');
    await clock.advance(4_500); // 4 done, the 5th in progress
    expect(await executionsOf(iot, 'task-c', 'finding-5')).toMatchObject([{ status: 'IN_PROGRESS' }]);
    expect(await executionsOf(iot, 'task-c', 'finding-6')).toMatchObject([{ status: 'PENDING' }]);

    await iot.send(new CancelAuditMitigationActionsTaskCommand({ taskId: 'task-c' }));
    await clock.advance(60_000);
    const task = await describeTask(iot, 'task-c');
    expect(task.taskStatus).toBe('CANCELED');
    expect(task.endTime?.getTime()).toBe(clock.now() - 60_000);
    expect(task.taskStatistics?.[CHECK]).toMatchObject({
      succeededFindingsCount: 4,
      canceledFindingsCount: 6,
    });
    expect(await executionsOf(iot, 'task-c', 'finding-4')).toMatchObject([{ status: 'COMPLETED' }]);
    expect(await executionsOf(iot, 'task-c', 'finding-5')).toMatchObject([{ status: 'CANCELED' }]);
  });

  it('refuses to cancel a task that is not IN_PROGRESS (400) and an unknown task (404)', async () => {
    const { iot, clock } = await withAudit(1);
    await start(iot, 'done');
    await clock.advance(60_000);
    const cancelDone = await rejectionOf(
      iot.send(new CancelAuditMitigationActionsTaskCommand({ taskId: 'done' })),
    );
    expect(cancelDone).toMatchObject({ name: 'InvalidRequestException', status: 400 });
    await expect(
      iot.send(new CancelAuditMitigationActionsTaskCommand({ taskId: 'nope' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(await rejectionOf(describeTask(iot, 'nope'))).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
    });
  });
});

describe('starting a task', () => {
  it('is idempotent for the same taskId and token; another token is TaskAlreadyExistsException', async () => {
    const { iot } = await withAudit(2);
    await start(iot, 'task-i');
    expect((await start(iot, 'task-i')).taskId).toBe('task-i');
    const other = start(iot, 'task-i', { clientRequestToken: 'another-token' });
    await expect(other).rejects.toBeInstanceOf(TaskAlreadyExistsException);
    expect(await rejectionOf(start(iot, 'task-i', { clientRequestToken: 'x' }))).toMatchObject({
      status: 400,
    });
  });

  it('chooses InvalidRequestException for a token reused under a new taskId (the API reference leaves it open)', async () => {
    const { iot } = await withAudit(2);
    await start(iot, 'first', { clientRequestToken: 'shared-token' });
    const reuse = start(iot, 'second', { clientRequestToken: 'shared-token' });
    await expect(reuse).rejects.toBeInstanceOf(InvalidRequestException);
  });

  it('allows 10 running tasks; the 11th is LimitExceededException (HTTP 410) until one ends', async () => {
    const { iot, clock, emulator } = await withAudit(10);
    emulator.service.setTaskProgress({ startDelayMs: 0, findingsPerSecond: 1 });
    for (let i = 1; i <= 10; i++) await start(iot, `task-${i}`);
    const eleventh = await rejectionOf(start(iot, 'task-11'));
    expect(eleventh).toMatchObject({ name: 'LimitExceededException', status: 410 });
    await expect(start(iot, 'task-11')).rejects.toBeInstanceOf(LimitExceededException);
    // A retried start of a running task is still answered.
    expect((await start(iot, 'task-3')).taskId).toBe('task-3');

    await iot.send(new CancelAuditMitigationActionsTaskCommand({ taskId: 'task-1' }));
    expect((await start(iot, 'task-11')).taskId).toBe('task-11');
    await clock.advance(10_000);
    expect((await start(iot, 'task-12')).taskId).toBe('task-12');
  });

  it.each([
    ['an empty target', {}],
    [
      'a filter without auditTaskId',
      { auditCheckToReasonCodeFilter: { [CHECK]: ['CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES'] } },
    ],
    ['auditTaskId with findingIds', { auditTaskId: 'audit-1', findingIds: ['finding-1'] }],
    ['an unknown audit', { auditTaskId: 'audit-404' }],
    ['an unknown finding', { findingIds: ['finding-404'] }],
  ])('rejects %s with InvalidRequestException', async (_, target) => {
    const { iot } = await withAudit(2);
    expect(await rejectionOf(start(iot, 'bad', { target }))).toMatchObject({
      name: 'InvalidRequestException',
      status: 400,
    });
  });

  it.each([
    ['an action that does not exist', { [CHECK]: ['missing'] }],
    ['an action type the check does not allow', { LOGGING_DISABLED_CHECK: ['deactivate'] }],
    ['an unknown check', { NOT_A_CHECK: ['publish'] }],
    [
      'six actions for one check (model: 1-5)',
      { [CHECK]: ['publish', 'publish', 'publish', 'publish', 'publish', 'publish'] },
    ],
    ['no action for a check (model: 1-5)', { [CHECK]: [] }],
  ])('rejects %s with InvalidRequestException', async (_, auditCheckToActionsMapping) => {
    const { iot } = await withAudit(2);
    expect(await rejectionOf(start(iot, 'bad', { auditCheckToActionsMapping }))).toMatchObject({
      name: 'InvalidRequestException',
      status: 400,
    });
  });

  it('mitigates only the reason codes in the filter; the others count as skipped', async () => {
    const audit = sharedCertAudit('audit-1', 0, {
      checks: {
        DEVICE_CERTIFICATE_EXPIRING_CHECK: {
          findings: [
            deviceCertFinding(1, { reasonForNonComplianceCode: 'CERTIFICATE_PAST_EXPIRATION' }),
            deviceCertFinding(2, { reasonForNonComplianceCode: 'CERTIFICATE_APPROACHING_EXPIRATION' }),
            deviceCertFinding(3, { reasonForNonComplianceCode: 'CERTIFICATE_PAST_EXPIRATION' }),
          ],
        },
      },
    });
    const { iot, clock } = await withAudit(0, audit);
    await start(iot, 'filtered', {
      target: {
        auditTaskId: 'audit-1',
        auditCheckToReasonCodeFilter: { DEVICE_CERTIFICATE_EXPIRING_CHECK: ['CERTIFICATE_PAST_EXPIRATION'] },
      },
      auditCheckToActionsMapping: { DEVICE_CERTIFICATE_EXPIRING_CHECK: ['deactivate'] },
    });
    await clock.advance(60_000);
    const task = await describeTask(iot, 'filtered');
    expect(task.taskStatistics?.DEVICE_CERTIFICATE_EXPIRING_CHECK).toEqual({
      totalFindingsCount: 3,
      failedFindingsCount: 0,
      succeededFindingsCount: 2,
      skippedFindingsCount: 1,
      canceledFindingsCount: 0,
    });
    expect(await executionsOf(iot, 'filtered', 'finding-2')).toEqual([]);
  });

  it('targets explicit findingIds', async () => {
    const { iot, clock } = await withAudit(5);
    await start(iot, 'by-ids', { target: { findingIds: ['finding-2', 'finding-4'] } });
    await clock.advance(60_000);
    const task = await describeTask(iot, 'by-ids');
    expect(task.taskStatus).toBe('COMPLETED');
    expect(task.taskStatistics?.[CHECK]).toMatchObject({ totalFindingsCount: 2, succeededFindingsCount: 2 });
    expect(await executionsOf(iot, 'by-ids', 'finding-1')).toEqual([]);
    expect(await executionsOf(iot, 'by-ids', 'finding-4')).toMatchObject([{ status: 'COMPLETED' }]);
  });

  it('lets a pluggable executor decide outcomes, once per action and in order', async () => {
    const { iot, clock, emulator } = await withAudit(4);
    const seen: string[] = [];
    emulator.service.setActionExecutor(({ finding, action }) => {
      seen.push(`${finding.findingId}:${action.actionName}`);
      return finding.findingId === 'finding-3'
        ? { status: 'FAILED', errorCode: 'INVALID_STATE_OF_RESOURCE', message: 'thing in 10 groups' }
        : { status: 'COMPLETED' };
    });
    await start(iot, 'hooked', { auditCheckToActionsMapping: { [CHECK]: ['publish', 'quarantine'] } });
    await clock.advance(60_000);
    await describeTask(iot, 'hooked');
    await describeTask(iot, 'hooked');
    expect(seen).toEqual([
      'finding-1:publish',
      'finding-1:quarantine',
      'finding-2:publish',
      'finding-2:quarantine',
      'finding-3:publish',
      'finding-4:publish',
      'finding-4:quarantine',
    ]);
    expect((await describeTask(iot, 'hooked')).taskStatus).toBe('FAILED');
  });
});

describe('listing tasks and executions', () => {
  it('lists tasks in a time window with filters and pages', async () => {
    const { iot, clock, emulator } = await withAudit(3);
    emulator.service.setTaskProgress({ startDelayMs: 0, findingsPerSecond: 1 });
    for (let i = 1; i <= 5; i++) await start(iot, `task-${i}`);
    await start(iot, 'task-6', { target: { findingIds: ['finding-2'] } });
    await iot.send(new CancelAuditMitigationActionsTaskCommand({ taskId: 'task-6' }));
    await clock.advance(3_000);
    const window = { startTime: new Date(clock.now() - 3600_000), endTime: new Date(clock.now()) };

    const page1 = await iot.send(new ListAuditMitigationActionsTasksCommand({ ...window, maxResults: 4 }));
    expect(page1.tasks?.map((t) => t.taskId)).toEqual(['task-1', 'task-2', 'task-3', 'task-4']);
    const page2 = await iot.send(
      new ListAuditMitigationActionsTasksCommand({ ...window, maxResults: 4, nextToken: page1.nextToken }),
    );
    expect(page2.tasks?.map((t) => t.taskId)).toEqual(['task-5', 'task-6']);
    expect(page2.nextToken).toBeUndefined();

    const canceled = await iot.send(
      new ListAuditMitigationActionsTasksCommand({ ...window, taskStatus: 'CANCELED' }),
    );
    expect(canceled.tasks).toEqual([
      { taskId: 'task-6', startTime: new Date(window.endTime.getTime() - 3_000), taskStatus: 'CANCELED' },
    ]);
    const byAudit = await iot.send(
      new ListAuditMitigationActionsTasksCommand({ ...window, auditTaskId: 'audit-1' }),
    );
    expect(byAudit.tasks).toHaveLength(5);
    const byFinding = await iot.send(
      new ListAuditMitigationActionsTasksCommand({ ...window, findingId: 'finding-3' }),
    );
    expect(byFinding.tasks).toHaveLength(5);
    const earlier = {
      startTime: new Date(clock.now() - 7200_000),
      endTime: new Date(clock.now() - 3600_000),
    };
    expect((await iot.send(new ListAuditMitigationActionsTasksCommand(earlier))).tasks).toEqual([]);
  });

  it('rejects list windows older than 90 days', async () => {
    const { iot, clock } = await withAudit(1);
    const old = { startTime: new Date(clock.now() - 91 * 86_400_000), endTime: new Date(clock.now()) };
    expect(await rejectionOf(iot.send(new ListAuditMitigationActionsTasksCommand(old)))).toMatchObject({
      name: 'InvalidRequestException',
    });
  });

  it('filters and pages executions of one finding', async () => {
    const { iot, clock } = await withAudit(1);
    await start(iot, 'three', {
      auditCheckToActionsMapping: { [CHECK]: ['publish', 'deactivate', 'quarantine'] },
    });
    await clock.advance(60_000);
    const page = await iot.send(
      new ListAuditMitigationActionsExecutionsCommand({
        taskId: 'three',
        findingId: 'finding-1',
        maxResults: 2,
      }),
    );
    expect(page.actionsExecutions?.map((e) => e.actionName)).toEqual(['publish', 'deactivate']);
    const rest = await iot.send(
      new ListAuditMitigationActionsExecutionsCommand({
        taskId: 'three',
        findingId: 'finding-1',
        nextToken: page.nextToken,
      }),
    );
    expect(rest.actionsExecutions?.map((e) => e.actionName)).toEqual(['quarantine']);
    const failed = await iot.send(
      new ListAuditMitigationActionsExecutionsCommand({
        taskId: 'three',
        findingId: 'finding-1',
        actionStatus: 'FAILED',
      }),
    );
    expect(failed.actionsExecutions).toEqual([]);
  });
});
