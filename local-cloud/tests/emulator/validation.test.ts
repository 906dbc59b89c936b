/**
 * Refusals where the model or the service is explicit: the actions mapping's list sizes, reason codes
 * that the filtered check reports, and page tokens that only the listing which issued them accepts.
 */
import {
  type IoTClient,
  ListAuditFindingsCommand,
  ListAuditTasksCommand,
  ListMitigationActionsCommand,
  StartAuditMitigationActionsTaskCommand,
  type StartAuditMitigationActionsTaskRequest,
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

const SHARED = 'DEVICE_CERTIFICATE_SHARED_CHECK';
const EXPIRING = 'DEVICE_CERTIFICATE_EXPIRING_CHECK';

/** Audit `audit-1`: 3 shared-certificate findings and 2 expiring ones (one past, one approaching). */
async function withAudit(): Promise<TestEmulator> {
  const t = await emulatorForTest();
  t.emulator.service.addAudit(
    sharedCertAudit('audit-1', 3, {
      checks: {
        [SHARED]: { findings: [1, 2, 3].map((n) => deviceCertFinding(n)) },
        [EXPIRING]: {
          findings: [
            deviceCertFinding(4, { reasonForNonComplianceCode: 'CERTIFICATE_PAST_EXPIRATION' }),
            deviceCertFinding(5, { reasonForNonComplianceCode: 'CERTIFICATE_APPROACHING_EXPIRATION' }),
          ],
        },
      },
    }),
  );
  for (const [name, params] of [
    ['publish', snsParams],
    ['deactivate', deactivateParams],
    ['quarantine', quarantineParams],
  ] as const) {
    await createAction(t.iot, name, params);
  }
  return t;
}

function start(iot: IoTClient, overrides: Partial<StartAuditMitigationActionsTaskRequest>) {
  return iot.send(
    new StartAuditMitigationActionsTaskCommand({
      taskId: 'task-1',
      clientRequestToken: 'task-1',
      target: { auditTaskId: 'audit-1' },
      auditCheckToActionsMapping: { [SHARED]: ['publish'] },
      ...overrides,
    }),
  );
}

describe('auditCheckToActionsMapping: 1 to 5 action names per check (model: MitigationActionNameList)', () => {
  it.each([
    ['no action name', [], 'have length between 1 and 5'],
    [
      'six action names',
      ['publish', 'deactivate', 'quarantine', 'publish', 'deactivate', 'quarantine'],
      'have length between 1 and 5',
    ],
  ])('refuses %s with InvalidRequestException naming the map value', async (_, names, constraint) => {
    const { iot } = await withAudit();
    const refusal = await rejectionOf(start(iot, { auditCheckToActionsMapping: { [SHARED]: names } }));
    expect(refusal).toMatchObject({ name: 'InvalidRequestException', status: 400 });
    expect(refusal.message).toContain(`at 'auditCheckToActionsMapping.${SHARED}.value'`);
    expect(refusal.message).toContain(constraint);
  });

  it('accepts five action names, the upper bound', async () => {
    const { iot } = await withAudit();
    const names = ['publish', 'deactivate', 'quarantine', 'publish', 'deactivate'];
    expect((await start(iot, { auditCheckToActionsMapping: { [SHARED]: names } })).taskId).toBe('task-1');
  });
});

describe('auditCheckToReasonCodeFilter: only reason codes the check reports', () => {
  const filtered = (filter: Record<string, string[]>) => ({
    target: { auditTaskId: 'audit-1', auditCheckToReasonCodeFilter: filter },
    auditCheckToActionsMapping: { [SHARED]: ['publish'], [EXPIRING]: ['publish'] },
  });

  it.each([
    ['a made-up reason code', { [SHARED]: ['CERT_SHARED'] }, 'CERT_SHARED'],
    [
      "another check's reason code",
      { [SHARED]: ['CERTIFICATE_PAST_EXPIRATION'] },
      'CERTIFICATE_PAST_EXPIRATION',
    ],
    [
      'one unknown code among known ones',
      { [EXPIRING]: ['CERTIFICATE_PAST_EXPIRATION', 'CERTIFICATE_EXPIRED'] },
      'CERTIFICATE_EXPIRED',
    ],
  ])('refuses %s with InvalidRequestException naming it', async (_, filter, code) => {
    const { iot } = await withAudit();
    const refusal = await rejectionOf(start(iot, filtered(filter)));
    expect(refusal).toMatchObject({ name: 'InvalidRequestException', status: 400 });
    expect(refusal.message).toContain(code);
    // Nothing was started: the same task id is still free.
    expect((await start(iot, {})).taskId).toBe('task-1');
  });

  it("accepts each check's own reason codes", async () => {
    const { iot } = await withAudit();
    const filter = {
      [SHARED]: ['CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES'],
      [EXPIRING]: ['CERTIFICATE_PAST_EXPIRATION', 'CERTIFICATE_APPROACHING_EXPIRATION'],
    };
    expect((await start(iot, filtered(filter))).taskId).toBe('task-1');
  });
});

describe('nextToken: accepted only by the listing that issued it', () => {
  const firstPage = (iot: IoTClient, checkName = SHARED) =>
    iot.send(new ListAuditFindingsCommand({ taskId: 'audit-1', checkName, maxResults: 1 }));

  it('continues the same listing, even with another page size', async () => {
    const { iot } = await withAudit();
    const first = await firstPage(iot);
    expect(first.nextToken).toBeDefined();
    const rest = await iot.send(
      new ListAuditFindingsCommand({ taskId: 'audit-1', checkName: SHARED, nextToken: first.nextToken }),
    );
    expect(rest.findings?.map((f) => f.findingId)).toEqual(['finding-2', 'finding-3']);
    // A token may be used again (the AWS CLI re-reads a page to resume a truncated one).
    const again = await iot.send(
      new ListAuditFindingsCommand({ taskId: 'audit-1', checkName: SHARED, nextToken: first.nextToken }),
    );
    expect(again.findings).toEqual(rest.findings);
  });

  it('refuses a token of the same operation with other filter parameters', async () => {
    const { iot } = await withAudit();
    const { nextToken } = await firstPage(iot);
    const otherCheck = iot.send(
      new ListAuditFindingsCommand({ taskId: 'audit-1', checkName: EXPIRING, nextToken }),
    );
    const refusal = await rejectionOf(otherCheck);
    expect(refusal).toMatchObject({ name: 'InvalidRequestException', status: 400 });
    expect(refusal.message).toContain('nextToken');
    const noCheck = iot.send(new ListAuditFindingsCommand({ taskId: 'audit-1', nextToken }));
    expect(await rejectionOf(noCheck)).toMatchObject({ name: 'InvalidRequestException', status: 400 });
    const suppressedToo = iot.send(
      new ListAuditFindingsCommand({
        taskId: 'audit-1',
        checkName: SHARED,
        listSuppressedFindings: true,
        nextToken,
      }),
    );
    expect(await rejectionOf(suppressedToo)).toMatchObject({ name: 'InvalidRequestException', status: 400 });
  });

  it('refuses a token issued by another operation', async () => {
    const { iot, clock } = await withAudit();
    const actions = await iot.send(new ListMitigationActionsCommand({ maxResults: 1 }));
    expect(actions.nextToken).toBeDefined();
    const window = { startTime: new Date(clock.now() - 60_000), endTime: new Date(clock.now()) };
    const foreign = iot.send(new ListAuditTasksCommand({ ...window, nextToken: actions.nextToken }));
    expect(await rejectionOf(foreign)).toMatchObject({ name: 'InvalidRequestException', status: 400 });
  });

  it('refuses a token from another emulator, an altered one and a forged position', async () => {
    const { iot } = await withAudit();
    const other = await withAudit();
    const { nextToken } = await firstPage(other.iot);
    const list = (token: string) =>
      rejectionOf(
        iot.send(new ListAuditFindingsCommand({ taskId: 'audit-1', checkName: SHARED, nextToken: token })),
      );

    const [body, mac] = nextToken!.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { p: string };
    const skipAhead = Buffer.from(
      JSON.stringify({ ...payload, p: Buffer.from('[0,0,2]').toString('base64url') }),
    );
    for (const forged of [
      nextToken!,
      `${skipAhead.toString('base64url')}.${mac}`,
      Buffer.from('[0,0,2]').toString('base64url'),
      'not-a-token',
    ]) {
      expect(await list(forged)).toMatchObject({
        name: 'InvalidRequestException',
        status: 400,
        message: 'The nextToken is invalid',
      });
    }
  });
});
