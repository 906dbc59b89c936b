/**
 * The loop guard's reads and writes against a mocked IoT client (aws-sdk-client-mock): which tasks
 * count, by resource identifier; the bounds; the fail-safe side; the suppressions, enforce only.
 */
import {
  type AuditFinding,
  CreateAuditSuppressionCommand,
  DescribeAuditMitigationActionsTaskCommand,
  IoTClient,
  ListAuditFindingsCommand,
  ListAuditMitigationActionsTasksCommand,
  ResourceAlreadyExistsException,
  ThrottlingException,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { loopGuard, loopGuardIo, loopGuardNow, MAX_TASK_PAGES } from '#aws/loop-guard';
import type { Audit } from '#domain/audit';
import type { GuardedCheck, LoopGuardRecord } from '#domain/loop-guard';
import type { Policy } from '#domain/policy';
import type { RuntimeSwitch } from '#domain/switch';

const client = new IoTClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const iot = mockClient(client);
const NOW = Date.parse('2026-11-26T03:00:00Z');
const CHECK = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';
const CURRENT = 'a4';
const FIX = 'stack-Deactivate';
const check: GuardedCheck = {
  checkName: CHECK,
  fixingActions: [FIX],
  reasonCodes: ['CERTIFICATE_REVOKED_BY_ISSUER'],
  maxFindings: 100,
};
const request = { auditTaskId: CURRENT, checks: [check], afterAudits: 3, now: NOW };
const io = () => loopGuardIo(client, { minIntervalMs: 0 });

/** Findings of the check in an audit: each audit gives the same resource a new finding id. */
function findingsOf(auditTaskId: string, certificateIds: string[]): { findings: AuditFinding[] } {
  return {
    findings: certificateIds.map((id) => ({
      findingId: `${auditTaskId}-${id}`,
      checkName: CHECK,
      reasonForNonComplianceCode: 'CERTIFICATE_REVOKED_BY_ISSUER',
      nonCompliantResource: {
        resourceType: 'DEVICE_CERTIFICATE',
        resourceIdentifier: { deviceCertificateId: id },
      },
    })),
  };
}

function task(taskId: string, hoursAgo: number) {
  return { taskId, startTime: new Date(NOW - hoursAgo * 3_600_000), taskStatus: 'COMPLETED' as const };
}

function described(auditTaskId: string, overrides: Record<string, unknown> = {}) {
  return {
    taskStatus: 'COMPLETED' as const,
    target: { auditTaskId },
    auditCheckToActionsMapping: { [CHECK]: ['stack-Publish', FIX] },
    taskStatistics: { [CHECK]: { totalFindingsCount: 2, succeededFindingsCount: 2, failedFindingsCount: 0 } },
    ...overrides,
  };
}

/** Three earlier enforced remediations (a3 newest), plus tasks the guard must not count. */
function history(
  findings: Record<string, string[]>,
  overrides: Record<string, Record<string, unknown>> = {},
) {
  iot.on(ListAuditMitigationActionsTasksCommand).resolves({
    tasks: [
      task('enf-a1', 72),
      task('dry-a2', 48),
      task('enf-a2', 47),
      task('operator-task', 30),
      task('enf-a3', 24),
      task('enf-a4', 1),
    ],
  });
  for (const audit of ['a1', 'a2', 'a3', 'a4'])
    iot
      .on(DescribeAuditMitigationActionsTaskCommand, { taskId: `enf-${audit}` })
      .resolves(described(audit, overrides[audit]));
  for (const [audit, ids] of Object.entries(findings))
    iot.on(ListAuditFindingsCommand, { taskId: audit, checkName: CHECK }).resolves(findingsOf(audit, ids));
}

beforeEach(() => iot.reset());

describe('reading the history', () => {
  it('finds the resources of the current audit mitigated in each of the last 3 remediated audits, by identifier', async () => {
    history({ a4: ['c1', 'c2', 'c3'], a3: ['c1', 'c2'], a2: ['c1', 'c2'], a1: ['c1', 'c9'] });
    const answer = await io().readHistory(request);
    expect(answer.status).toBe('checked');
    const loop = answer.status === 'checked' ? answer.loops.get(CHECK) : undefined;
    expect(loop?.previousAudits).toEqual(['a3', 'a2', 'a1']);
    expect(loop?.resources).toEqual([
      {
        resourceType: 'DEVICE_CERTIFICATE',
        resourceIdentifier: { deviceCertificateId: 'c1' },
        resource: 'DEVICE_CERTIFICATE deviceCertificateId=c1',
      },
    ]);
    // The dry run's and the operator's tasks are never described; the current audit's own task is not counted.
    expect(iot).not.toHaveReceivedCommandWith(DescribeAuditMitigationActionsTaskCommand, {
      taskId: 'dry-a2',
    });
    expect(iot).not.toHaveReceivedCommandWith(DescribeAuditMitigationActionsTaskCommand, {
      taskId: 'operator-task',
    });
    expect(iot).toHaveReceivedCommandWith(ListAuditMitigationActionsTasksCommand, {
      startTime: new Date(NOW - 89 * 86_400_000),
      endTime: new Date(NOW),
    });
  });

  it('finds no loop when a task of the streak failed on a finding of the check', async () => {
    history(
      { a4: ['c1'], a3: ['c1'], a2: ['c1'], a1: ['c1'] },
      { a2: { taskStatistics: { [CHECK]: { totalFindingsCount: 1, failedFindingsCount: 1 } } } },
    );
    const answer = await io().readHistory(request);
    expect(answer).toEqual({ status: 'checked', loops: new Map() });
    expect(iot).not.toHaveReceivedCommand(ListAuditFindingsCommand);
  });

  it('finds no loop when a task of the streak mitigated the check only by publishing, or was canceled', async () => {
    history(
      { a4: ['c1'], a3: ['c1'], a2: ['c1'], a1: ['c1'] },
      {
        a3: { auditCheckToActionsMapping: { [CHECK]: ['stack-Publish'] } },
        a1: { taskStatus: 'CANCELED' },
      },
    );
    expect(await io().readHistory(request)).toEqual({ status: 'checked', loops: new Map() });
  });

  it('finds no loop with fewer remediated audits than afterAudits', async () => {
    history({ a4: ['c1'], a3: ['c1'], a2: ['c1'], a1: ['c1'] });
    expect(await io().readHistory({ ...request, afterAudits: 4 })).toEqual({
      status: 'checked',
      loops: new Map(),
    });
  });

  it('reads only the findings with the rule’s reason codes', async () => {
    history({ a3: ['c1'], a2: ['c1'], a1: ['c1'] });
    iot.on(ListAuditFindingsCommand, { taskId: CURRENT, checkName: CHECK }).resolves({
      findings: [{ ...findingsOf(CURRENT, ['c1']).findings[0]!, reasonForNonComplianceCode: 'OTHER' }],
    });
    expect(await io().readHistory(request)).toEqual({ status: 'checked', loops: new Map() });
  });

  it('makes no call when no check has a fixing action', async () => {
    expect(await io().readHistory({ ...request, checks: [] })).toEqual({
      status: 'checked',
      loops: new Map(),
    });
    expect(iot.calls()).toHaveLength(0);
  });
});

describe('failing safe', () => {
  it('is unreadable, naming the error, when IoT throttles past the retries', async () => {
    iot
      .on(ListAuditMitigationActionsTasksCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    expect(await io().readHistory(request)).toEqual({
      status: 'unreadable',
      detail: 'ThrottlingException: Rate exceeded',
    });
  });

  it('is unreadable when access is denied', async () => {
    const denied = Object.assign(new Error('not authorized to perform iot:ListAuditFindings'), {
      name: 'AccessDeniedException',
    });
    history({ a3: ['c1'], a2: ['c1'], a1: ['c1'] });
    iot.on(ListAuditFindingsCommand).rejects(denied);
    expect(await io().readHistory(request)).toMatchObject({
      status: 'unreadable',
      detail: 'AccessDeniedException: not authorized to perform iot:ListAuditFindings',
    });
  });

  it(`is unreadable past ${MAX_TASK_PAGES} pages of tasks`, async () => {
    iot.on(ListAuditMitigationActionsTasksCommand).resolves({ tasks: [task('x', 1)], nextToken: 'more' });
    expect(await io().readHistory(request)).toEqual({
      status: 'unreadable',
      detail: `more than ${MAX_TASK_PAGES * 250} audit mitigation tasks in 89 days`,
    });
    expect(iot).toHaveReceivedCommandTimes(ListAuditMitigationActionsTasksCommand, MAX_TASK_PAGES);
  });

  it('is unreadable past its call budget', async () => {
    history({ a4: ['c1'], a3: ['c1'], a2: ['c1'], a1: ['c1'] });
    const small = loopGuardIo(client, { minIntervalMs: 0, maxCalls: 3 });
    expect(await small.readHistory(request)).toEqual({
      status: 'unreadable',
      detail: 'the history needs more than 3 API calls',
    });
    expect(iot.calls()).toHaveLength(3);
  });

  it('is unreadable when a check has more findings than its cap', async () => {
    history({ a4: ['c1', 'c2', 'c3'], a3: ['c1'], a2: ['c1'], a1: ['c1'] });
    expect(await io().readHistory({ ...request, checks: [{ ...check, maxFindings: 2 }] })).toEqual({
      status: 'unreadable',
      detail: `audit a4 has more than 2 findings of ${CHECK} (its cap)`,
    });
  });
});

describe('suppressing', () => {
  const record: LoopGuardRecord = {
    status: 'checked',
    afterAudits: 3,
    suppressForDays: 30,
    guardedChecks: [CHECK],
    suppressions: ['c1', 'c2', 'c3'].map((id) => ({
      checkName: CHECK,
      resource: `DEVICE_CERTIFICATE deviceCertificateId=${id}`,
      resourceIdentifier: { deviceCertificateId: id },
      previousAudits: ['a3', 'a2', 'a1'],
      expiresAt: '2026-12-26T03:00:00.000Z',
      status: 'to-suppress' as const,
    })),
  };

  it('creates one expiring suppression per resource and records what IoT answered', async () => {
    iot.on(CreateAuditSuppressionCommand).resolves({});
    iot
      .on(CreateAuditSuppressionCommand, { resourceIdentifier: { deviceCertificateId: 'c2' } })
      .rejects(new ResourceAlreadyExistsException({ message: 'exists', $metadata: {} }));
    iot
      .on(CreateAuditSuppressionCommand, { resourceIdentifier: { deviceCertificateId: 'c3' } })
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const done = await io().suppress(CURRENT, 'my-stack', record);
    expect(done.status === 'checked' && done.suppressions.map((s) => [s.status, s.error])).toEqual([
      ['suppressed', undefined],
      ['already-suppressed', undefined],
      ['failed', 'AccessDeniedException: denied'],
    ]);
    expect(iot).toHaveReceivedCommandWith(CreateAuditSuppressionCommand, {
      checkName: CHECK,
      resourceIdentifier: { deviceCertificateId: 'c1' },
      expirationDate: new Date('2026-12-26T03:00:00.000Z'),
      suppressIndefinitely: false,
      description: expect.stringMatching(/^my-stack loop guard: /),
      clientRequestToken: expect.stringMatching(/^lg-a4-[0-9a-f]{16}$/),
    });
  });

  it('creates nothing in a dry run', async () => {
    const dry: LoopGuardRecord = {
      ...record,
      suppressions: record.suppressions.map((s) => ({ ...s, status: 'would-suppress' as const })),
    };
    expect(await io().suppress(CURRENT, 'my-stack', dry)).toEqual(dry);
    expect(iot).not.toHaveReceivedCommand(CreateAuditSuppressionCommand);
  });
});

describe('the planner’s loop guard', () => {
  const policy: Policy = {
    version: 1,
    mode: 'enforce',
    actions: {
      Publish: { type: 'PUBLISH_FINDING_TO_SNS' },
      Deactivate: { type: 'UPDATE_DEVICE_CERTIFICATE' },
    },
    defaults: { maxFindings: 100 },
    rules: [{ check: CHECK, actions: ['Publish', 'Deactivate'] }],
  };
  const audit: Audit = {
    auditTaskId: CURRENT,
    taskStatus: 'COMPLETED',
    taskType: 'SCHEDULED_AUDIT_TASK',
    taskStartTime: NOW - 3_600_000,
    checks: [
      {
        checkName: CHECK,
        known: true,
        checkRunStatus: 'COMPLETED_NON_COMPLIANT',
        nonCompliantResourcesCount: 1,
        totalResourcesCount: 10,
      },
    ],
  };
  const switchSet = Date.parse('2026-11-01T00:00:00Z');
  const enforce: RuntimeSwitch = { value: 'enforce', lastModified: switchSet, version: 2 };

  it('plans nothing for the looping check and suppresses it (enforce)', async () => {
    history({ a4: ['c1'], a3: ['c1'], a2: ['c1'], a1: ['c1'] });
    iot.on(CreateAuditSuppressionCommand).resolves({});
    const guard = loopGuard(client);
    const plan = await guard.plan(audit, policy, enforce, { actionNamePrefix: 'stack' });
    expect(plan).toMatchObject({ kind: 'nothing-to-do', reason: 'no-check-to-mitigate' });
    const done = await guard.suppress(plan, CURRENT, 'stack');
    expect(done.loopGuard?.status === 'checked' && done.loopGuard.suppressions[0]?.status).toBe('suppressed');
  });

  it('takes the later of its clock and the audit’s start as now (the local stack’s clock runs ahead)', () => {
    expect(loopGuardNow({ taskStartTime: NOW }, NOW - 3_600_000)).toBe(NOW);
    expect(loopGuardNow({ taskStartTime: NOW - 3_600_000 }, NOW)).toBe(NOW);
  });

  it('plans as usual when the policy turns it off, reading nothing', async () => {
    const plan = await loopGuard(client).plan(audit, { ...policy, loopGuard: { enabled: false } }, enforce, {
      actionNamePrefix: 'stack',
    });
    expect(plan.kind).toBe('plan');
    expect(iot.calls()).toHaveLength(0);
  });
});
