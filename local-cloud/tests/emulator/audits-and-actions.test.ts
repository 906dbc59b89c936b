import {
  CreateAuditSuppressionCommand,
  DescribeAuditMitigationActionsTaskCommand,
  DescribeAuditTaskCommand,
  DescribeMitigationActionCommand,
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
  it('creates and lists suppressions; suppressed findings are hidden, counted and never mitigated', async () => {
    const { iot, emulator, clock } = await emulatorForTest();
    emulator.service.addAudit(sharedCertAudit('audit-1', 3));
    await createAction(iot, 'publish', snsParams);
    const suppress = (n: number) =>
      iot.send(
        new CreateAuditSuppressionCommand({
          checkName: CHECK,
          resourceIdentifier: { deviceCertificateId: certId(n) },
          suppressIndefinitely: true,
          description: 'lab device',
          clientRequestToken: `suppress-${n}`,
        }),
      );
    await suppress(2);
    expect(await rejectionOf(suppress(2))).toMatchObject({
      name: 'ResourceAlreadyExistsException',
      status: 409,
    });

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
