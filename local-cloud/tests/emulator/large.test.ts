import {
  DescribeAuditMitigationActionsTaskCommand,
  DescribeAuditTaskCommand,
  ListAuditFindingsCommand,
  StartAuditMitigationActionsTaskCommand,
} from '@aws-sdk/client-iot';
import { expect, it } from 'vitest';
import {
  generatedFindingId,
  LARGE_AUDIT_ID,
  LARGE_FINDING_COUNT,
  largeAudit,
} from '../../emulator/presets/large-audit.ts';
import { emulatorForTest } from './support.ts';

const CHECK = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';
const MB = 1024 * 1024;

// How long a page takes is measured by `npm run bench -- findings-pages`, not asserted here.
it('pages through a million lazily generated findings in little memory', async () => {
  const { iot, emulator, clock } = await emulatorForTest();
  largeAudit(emulator.service, clock.now());
  const audit = await iot.send(new DescribeAuditTaskCommand({ taskId: LARGE_AUDIT_ID }));
  expect(audit.auditDetails?.[CHECK]?.nonCompliantResourcesCount).toBe(LARGE_FINDING_COUNT);

  const heapBefore = process.memoryUsage().heapUsed;
  let nextToken: string | undefined;
  let count = 0;
  let pages = 0;
  do {
    const page = emulator.service.listAuditFindings({ taskId: LARGE_AUDIT_ID, maxResults: 250, nextToken });
    pages += 1;
    count += page.findings?.length ?? 0;
    nextToken = page.nextToken;
  } while (nextToken);
  expect(count).toBe(LARGE_FINDING_COUNT);
  expect(pages).toBe(LARGE_FINDING_COUNT / 250);
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * MB);
  expect(process.memoryUsage().rss).toBeLessThan(1024 * MB);

  const first = await iot.send(
    new ListAuditFindingsCommand({ taskId: LARGE_AUDIT_ID, checkName: CHECK, maxResults: 1 }),
  );
  expect(first.findings?.[0]?.findingId).toBe(generatedFindingId(0));
});

it('mitigates a million findings lazily: the fleet shows a million deactivated certificates', async () => {
  const { iot, emulator, clock } = await emulatorForTest();
  largeAudit(emulator.service, clock.now());
  emulator.service.setTaskProgress({ findingsPerSecond: 1000 });
  await iot.send(
    new StartAuditMitigationActionsTaskCommand({
      taskId: 'large',
      clientRequestToken: 'large',
      target: { auditTaskId: LARGE_AUDIT_ID },
      auditCheckToActionsMapping: { [CHECK]: ['DeactivateDeviceCertificate'] },
    }),
  );
  await clock.advance(502_000);
  const halfway = await iot.send(new DescribeAuditMitigationActionsTaskCommand({ taskId: 'large' }));
  expect(halfway.taskStatistics?.[CHECK]?.succeededFindingsCount).toBe(500_000);
  expect(emulator.service.fleetSummary().deviceCertificates).toEqual({
    ACTIVE: 500_000,
    INACTIVE: 500_000,
    REVOKED: 0,
  });

  await clock.advance(500_000);
  const done = await iot.send(new DescribeAuditMitigationActionsTaskCommand({ taskId: 'large' }));
  expect(done.taskStatus).toBe('COMPLETED');
  expect(emulator.service.fleetSummary().deviceCertificates.INACTIVE).toBe(LARGE_FINDING_COUNT);
});
