import {
  CreateAuditSuppressionCommand,
  DeleteAuditSuppressionCommand,
  DescribeAuditMitigationActionsTaskCommand,
  DescribeAuditTaskCommand,
  DescribeMitigationActionCommand,
  type IoTClient,
  ListAuditFindingsCommand,
  ListAuditSuppressionsCommand,
  ListAuditTasksCommand,
  ListMitigationActionsCommand,
  ResourceAlreadyExistsException,
  StartAuditMitigationActionsTaskCommand,
} from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import type { CheckFindings, StoredFinding } from '../../emulator/index.ts';
import {
  createAction,
  deactivateParams,
  deviceCertFinding,
  emulatorForTest,
  ROLE_ARN,
  rejectionOf,
  sharedCertAudit,
  snsParams,
} from './support.ts';

const CHECK = 'DEVICE_CERTIFICATE_SHARED_CHECK';
const certId = (n: number) => n.toString(16).padStart(64, '0');

/** Suppresses device certificate N for the shared-certificate check (indefinitely unless `expirationDate`). */
const suppress = (iot: IoTClient, n: number, expirationDate?: Date) =>
  iot.send(
    new CreateAuditSuppressionCommand({
      checkName: CHECK,
      resourceIdentifier: { deviceCertificateId: certId(n) },
      ...(expirationDate ? { expirationDate } : { suppressIndefinitely: true }),
      description: 'lab device',
      clientRequestToken: `suppress-${n}`,
    }),
  );

describe('audits', () => {
  it('describes an audit task from its fixture', async () => {
    const { iot, emulator, clock } = await emulatorForTest();
    emulator.service.addAudit(sharedCertAudit('audit-1', 3, { scheduledAuditName: 'daily' }));
    const audit = await iot.send(new DescribeAuditTaskCommand({ taskId: 'audit-1' }));
    expect(audit).toMatchObject({
      taskStatus: 'COMPLETED',
      taskType: 'SCHEDULED_AUDIT_TASK',
      scheduledAuditName: 'daily',
      taskStartTime: new Date(clock.now()),
      taskStatistics: { totalChecks: 2, compliantChecks: 1, nonCompliantChecks: 1, failedChecks: 0 },
      auditDetails: {
        [CHECK]: {
          checkRunStatus: 'COMPLETED_NON_COMPLIANT',
          checkCompliant: false,
          totalResourcesCount: 100,
          nonCompliantResourcesCount: 3,
          suppressedNonCompliantResourcesCount: 0,
        },
        LOGGING_DISABLED_CHECK: { checkRunStatus: 'COMPLETED_COMPLIANT', checkCompliant: true },
      },
    });
    expect(await rejectionOf(iot.send(new DescribeAuditTaskCommand({ taskId: 'audit-2' })))).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
    });
  });

  it('lists audit tasks in a window, by type and status, in pages', async () => {
    const { iot, emulator, clock } = await emulatorForTest();
    const t0 = clock.now();
    for (let i = 1; i <= 4; i++) {
      emulator.service.addAudit({ taskId: `audit-${i}`, taskStartTime: t0 + i * 1000, checks: {} });
    }
    emulator.service.addAudit({
      taskId: 'running',
      taskStatus: 'IN_PROGRESS',
      taskStartTime: t0 + 5000,
      checks: {},
    });
    const window = { startTime: new Date(t0), endTime: new Date(t0 + 10_000) };
    const first = await iot.send(new ListAuditTasksCommand({ ...window, maxResults: 3 }));
    expect(first.tasks?.map((t) => t.taskId)).toEqual(['audit-1', 'audit-2', 'audit-3']);
    const second = await iot.send(new ListAuditTasksCommand({ ...window, nextToken: first.nextToken }));
    expect(second.tasks?.map((t) => t.taskId)).toEqual(['audit-4', 'running']);
    const completed = await iot.send(new ListAuditTasksCommand({ ...window, taskStatus: 'COMPLETED' }));
    expect(completed.tasks).toHaveLength(4);
    const scheduled = await iot.send(
      new ListAuditTasksCommand({ ...window, taskType: 'SCHEDULED_AUDIT_TASK' }),
    );
    expect(scheduled.tasks).toEqual([]);
    const bad = iot.send(new ListAuditTasksCommand({ ...window, nextToken: 'not-a-token' }));
    expect(await rejectionOf(bad)).toMatchObject({ name: 'InvalidRequestException', status: 400 });
  });
});

describe('findings', () => {
  it('pages through an audit’s findings with nextToken, 25 by default', async () => {
    const { iot, emulator } = await emulatorForTest();
    emulator.service.addAudit(sharedCertAudit('audit-1', 60));
    const ids: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await iot.send(new ListAuditFindingsCommand({ taskId: 'audit-1', nextToken }));
      ids.push(...(page.findings ?? []).map((f) => f.findingId!));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => `finding-${i + 1}`));
  });

  it('needs taskId xor a time window, and filters by check and resource', async () => {
    const { iot, emulator, clock } = await emulatorForTest();
    emulator.service.addAudit(sharedCertAudit('audit-1', 3));
    const both = iot.send(
      new ListAuditFindingsCommand({ taskId: 'audit-1', startTime: new Date(0), endTime: new Date() }),
    );
    expect(await rejectionOf(both)).toMatchObject({ name: 'InvalidRequestException', status: 400 });
    expect(await rejectionOf(iot.send(new ListAuditFindingsCommand({})))).toMatchObject({ status: 400 });
    const half = iot.send(new ListAuditFindingsCommand({ startTime: new Date(0) }));
    expect(await rejectionOf(half)).toMatchObject({ status: 400 });

    const window = { startTime: new Date(clock.now() - 1000), endTime: new Date(clock.now() + 1000) };
    expect((await iot.send(new ListAuditFindingsCommand(window))).findings).toHaveLength(3);
    const byCheck = await iot.send(
      new ListAuditFindingsCommand({ taskId: 'audit-1', checkName: 'LOGGING_DISABLED_CHECK' }),
    );
    expect(byCheck.findings).toEqual([]);
    const byResource = await iot.send(
      new ListAuditFindingsCommand({
        taskId: 'audit-1',
        resourceIdentifier: { deviceCertificateId: certId(2) },
      }),
    );
    expect(byResource.findings).toMatchObject([
      {
        findingId: 'finding-2',
        taskId: 'audit-1',
        checkName: CHECK,
        severity: 'CRITICAL',
        reasonForNonComplianceCode: 'CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES',
        nonCompliantResource: { resourceType: 'DEVICE_CERTIFICATE' },
        isSuppressed: false,
      },
    ]);
  });

  it('serves findings from a lazy source by index without materialising them', async () => {
    const { iot, emulator } = await emulatorForTest();
    let generated = 0;
    const million: CheckFindings = {
      count: 1_000_000,
      at: (index): StoredFinding => {
        generated++;
        return {
          ...deviceCertFinding(index + 1),
          checkName: CHECK,
          severity: 'CRITICAL',
          reasonForNonComplianceCode: 'X',
        } as StoredFinding;
      },
      indexOf: (id) => (/^finding-\d+$/.test(id) ? Number(id.slice(8)) - 1 : undefined),
    };
    emulator.service.addAudit({ taskId: 'big', checks: { [CHECK]: { findings: million } } });
    const first = await iot.send(new ListAuditFindingsCommand({ taskId: 'big', maxResults: 250 }));
    const second = await iot.send(
      new ListAuditFindingsCommand({ taskId: 'big', maxResults: 250, nextToken: first.nextToken }),
    );
    expect(second.findings?.[0]?.findingId).toBe('finding-251');
    expect(generated).toBeLessThan(1_000);
    const audit = await iot.send(new DescribeAuditTaskCommand({ taskId: 'big' }));
    expect(audit.auditDetails?.[CHECK]?.nonCompliantResourcesCount).toBe(1_000_000);
    expect(generated).toBeLessThan(1_000);
  });
});

describe('mitigation actions', () => {
  it('creates, describes and lists actions; duplicates are ResourceAlreadyExistsException (409)', async () => {
    const { iot, clock } = await emulatorForTest();
    const created = await createAction(iot, 'publish', snsParams);
    expect(created.actionArn).toBe('arn:aws:iot:us-east-1:123456789012:mitigationaction/publish');
    await createAction(iot, 'deactivate', deactivateParams);

    const described = await iot.send(new DescribeMitigationActionCommand({ actionName: 'publish' }));
    expect(described).toMatchObject({
      actionName: 'publish',
      actionType: 'PUBLISH_FINDING_TO_SNS',
      actionArn: created.actionArn,
      actionId: created.actionId,
      roleArn: ROLE_ARN,
      actionParams: snsParams,
      creationDate: new Date(clock.now()),
    });
    const duplicate = createAction(iot, 'publish', snsParams);
    await expect(duplicate).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    expect(await rejectionOf(createAction(iot, 'publish', snsParams))).toMatchObject({ status: 409 });
    expect(
      await rejectionOf(iot.send(new DescribeMitigationActionCommand({ actionName: 'nope' }))),
    ).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
    });

    const all = await iot.send(new ListMitigationActionsCommand({ maxResults: 1 }));
    expect(all.actionIdentifiers?.map((a) => a.actionName)).toEqual(['publish']);
    const next = await iot.send(
      new ListMitigationActionsCommand({ maxResults: 1, nextToken: all.nextToken }),
    );
    expect(next.actionIdentifiers?.map((a) => a.actionName)).toEqual(['deactivate']);
    expect(next.nextToken).toBeUndefined();
    const sns = await iot.send(new ListMitigationActionsCommand({ actionType: 'UPDATE_DEVICE_CERTIFICATE' }));
    expect(sns.actionIdentifiers?.map((a) => a.actionName)).toEqual(['deactivate']);
  });

  it('needs exactly one kind of actionParams', async () => {
    const { iot } = await emulatorForTest();
    const two = createAction(iot, 'two', { ...snsParams, ...deactivateParams });
    expect(await rejectionOf(two)).toMatchObject({ name: 'InvalidRequestException', status: 400 });
    expect(await rejectionOf(createAction(iot, 'none', {}))).toMatchObject({
      name: 'InvalidRequestException',
    });
  });
});

describe('suppressions', () => {
  it('creates and lists suppressions; findings of a later audit are hidden, counted and never mitigated', async () => {
    const { iot, emulator, clock } = await emulatorForTest();
    await createAction(iot, 'publish', snsParams);
    await suppress(iot, 2);
    expect(await rejectionOf(suppress(iot, 2))).toMatchObject({
      name: 'ResourceAlreadyExistsException',
      status: 409,
    });
    // The audit reports after the suppression was created.
    await clock.advance(1_000);
    emulator.service.addAudit(sharedCertAudit('audit-1', 3));

    const listed = await iot.send(new ListAuditSuppressionsCommand({ checkName: CHECK }));
    expect(listed.suppressions).toEqual([
      {
        checkName: CHECK,
        resourceIdentifier: { deviceCertificateId: certId(2) },
        suppressIndefinitely: true,
        description: 'lab device',
      },
    ]);
    expect(
      (await iot.send(new ListAuditSuppressionsCommand({ checkName: 'LOGGING_DISABLED_CHECK' })))
        .suppressions,
    ).toEqual([]);

    const visible = await iot.send(new ListAuditFindingsCommand({ taskId: 'audit-1' }));
    expect(visible.findings?.map((f) => f.findingId)).toEqual(['finding-1', 'finding-3']);
    const all = await iot.send(
      new ListAuditFindingsCommand({ taskId: 'audit-1', listSuppressedFindings: true }),
    );
    expect(all.findings?.map((f) => [f.findingId, f.isSuppressed])).toEqual([
      ['finding-1', false],
      ['finding-2', true],
      ['finding-3', false],
    ]);
    const audit = await iot.send(new DescribeAuditTaskCommand({ taskId: 'audit-1' }));
    expect(audit.auditDetails?.[CHECK]).toMatchObject({
      nonCompliantResourcesCount: 2,
      suppressedNonCompliantResourcesCount: 1,
    });

    await iot.send(
      new StartAuditMitigationActionsTaskCommand({
        taskId: 'task-s',
        clientRequestToken: 'task-s',
        target: { auditTaskId: 'audit-1' },
        auditCheckToActionsMapping: { [CHECK]: ['publish'] },
      }),
    );
    await clock.advance(60_000);
    const task = await iot.send(new DescribeAuditMitigationActionsTaskCommand({ taskId: 'task-s' }));
    expect(task.taskStatistics?.[CHECK]).toMatchObject({
      totalFindingsCount: 3,
      succeededFindingsCount: 2,
      skippedFindingsCount: 1,
    });
  });

  // `isSuppressed`: "whether the audit finding was suppressed or not during reporting"
  // (https://docs.aws.amazon.com/iot/latest/apireference/API_AuditFinding.html); what AWS does past that
  // is undocumented, the emulator's choice is in docs/aws-facts/audit-suppressions.md.
  it('hides findings only from audits that report after the suppression was created', async () => {
    const { iot, emulator, clock } = await emulatorForTest();
    await createAction(iot, 'publish', snsParams);
    // Distinct finding ids per audit, so that a findingIds target names one audit's finding.
    const audit = (taskId: string) =>
      sharedCertAudit(taskId, 3, {
        checks: {
          [CHECK]: {
            findings: [1, 2, 3].map((n) => deviceCertFinding(n, { findingId: `${taskId}-${n}` })),
            totalResourcesCount: 100,
          },
        },
      });
    emulator.service.addAudit(audit('before'));
    // At the instant the audit reports, as the local stack's planner acts on it: after the report.
    await suppress(iot, 2);
    await clock.advance(1_000);
    emulator.service.addAudit(audit('after'));

    const listed = async (taskId: string, listSuppressedFindings: boolean) =>
      (await iot.send(new ListAuditFindingsCommand({ taskId, listSuppressedFindings }))).findings?.map(
        (f) => `${f.findingId} ${f.isSuppressed}`,
      );
    expect(await listed('before', false)).toEqual(['before-1 false', 'before-2 false', 'before-3 false']);
    expect(await listed('after', false)).toEqual(['after-1 false', 'after-3 false']);
    expect(await listed('after', true)).toEqual(['after-1 false', 'after-2 true', 'after-3 false']);
    const counts = async (taskId: string) =>
      (await iot.send(new DescribeAuditTaskCommand({ taskId }))).auditDetails?.[CHECK];
    expect(await counts('before')).toMatchObject({
      nonCompliantResourcesCount: 3,
      suppressedNonCompliantResourcesCount: 0,
    });
    expect(await counts('after')).toMatchObject({
      nonCompliantResourcesCount: 2,
      suppressedNonCompliantResourcesCount: 1,
    });
    const byWindow = await iot.send(
      new ListAuditFindingsCommand({
        checkName: CHECK,
        startTime: new Date(clock.now() - 10_000),
        endTime: new Date(clock.now() + 1),
      }),
    );
    expect(byWindow.findings?.map((f) => f.findingId)).toEqual([
      'before-1',
      'before-2',
      'before-3',
      'after-1',
      'after-3',
    ]);

    // A task on the earlier audit mitigates the finding it reported unsuppressed, by audit or by id.
    const start = (taskId: string, target: object) =>
      iot.send(
        new StartAuditMitigationActionsTaskCommand({
          taskId,
          clientRequestToken: taskId,
          target,
          auditCheckToActionsMapping: { [CHECK]: ['publish'] },
        }),
      );
    await start('by-audit', { auditTaskId: 'before' });
    await start('by-ids', { findingIds: ['before-2', 'after-2'] });
    await start('later-audit', { auditTaskId: 'after' });
    await clock.advance(60_000);
    const statistics = async (taskId: string) =>
      (await iot.send(new DescribeAuditMitigationActionsTaskCommand({ taskId }))).taskStatistics?.[CHECK];
    expect(await statistics('by-audit')).toMatchObject({ totalFindingsCount: 3, succeededFindingsCount: 3 });
    expect(await statistics('by-ids')).toMatchObject({
      totalFindingsCount: 2,
      succeededFindingsCount: 1,
      skippedFindingsCount: 1,
    });
    expect(await statistics('later-audit')).toMatchObject({
      totalFindingsCount: 3,
      succeededFindingsCount: 2,
      skippedFindingsCount: 1,
    });
  });

  it('keeps an audit’s suppressed findings suppressed after the suppression expires or is deleted', async () => {
    const { iot, emulator, clock } = await emulatorForTest();
    await suppress(iot, 1, new Date(clock.now() + 60_000));
    await suppress(iot, 2);
    await clock.advance(1_000);
    emulator.service.addAudit(sharedCertAudit('while-suppressed', 3));
    await clock.advance(1_000);
    await iot.send(
      new DeleteAuditSuppressionCommand({
        checkName: CHECK,
        resourceIdentifier: { deviceCertificateId: certId(2) },
      }),
    );
    await clock.advance(60_000);
    emulator.service.addAudit(
      sharedCertAudit('after-both', 3, {
        checks: {
          [CHECK]: {
            findings: [1, 2, 3].map((n) => deviceCertFinding(n, { findingId: `later-${n}` })),
            totalResourcesCount: 100,
          },
        },
      }),
    );
    const suppressed = async (taskId: string) =>
      (
        await iot.send(new ListAuditFindingsCommand({ taskId, listSuppressedFindings: true }))
      ).findings?.flatMap((f) => (f.isSuppressed ? [f.findingId] : []));
    expect(await suppressed('while-suppressed')).toEqual(['finding-1', 'finding-2']);
    expect(await suppressed('after-both')).toEqual([]);
    // The deleted suppression is gone from the list and may be created again; the expired one is listed.
    const listed = await iot.send(new ListAuditSuppressionsCommand({ checkName: CHECK }));
    expect(listed.suppressions?.map((s) => s.resourceIdentifier?.deviceCertificateId)).toEqual([certId(1)]);
    await suppress(iot, 2);
    expect(
      (await iot.send(new ListAuditSuppressionsCommand({ checkName: CHECK }))).suppressions,
    ).toHaveLength(2);
  });

  it('rejects an unknown check and a past expiration date', async () => {
    const { iot, clock } = await emulatorForTest();
    const create = (checkName: string, expirationDate: Date) =>
      iot.send(
        new CreateAuditSuppressionCommand({
          checkName,
          resourceIdentifier: { clientId: 'c' },
          expirationDate,
          clientRequestToken: 'tok',
        }),
      );
    expect(await rejectionOf(create('NOT_A_CHECK', new Date(clock.now() + 1000)))).toMatchObject({
      status: 400,
    });
    expect(
      await rejectionOf(create('CONFLICTING_CLIENT_IDS_CHECK', new Date(clock.now() - 1000))),
    ).toMatchObject({
      name: 'InvalidRequestException',
    });
  });
});
