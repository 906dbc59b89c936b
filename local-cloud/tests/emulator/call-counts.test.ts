import {
  DescribeAuditTaskCommand,
  ListAuditFindingsCommand,
  ListMitigationActionsCommand,
  ThrottlingException,
} from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { emulatorForTest, sharedCertAudit } from './support.ts';

describe('call counts per operation (the cost benchmark reads IoT calls by API from them)', () => {
  it('counts each request by the operation it reached, and starts again after a reset', async () => {
    const t = await emulatorForTest();
    t.emulator.service.addAudit(sharedCertAudit('counted', 3));
    expect(t.emulator.service.callCounts()).toEqual({});

    await t.iot.send(new DescribeAuditTaskCommand({ taskId: 'counted' }));
    await t.iot.send(new DescribeAuditTaskCommand({ taskId: 'counted' }));
    await t.iot.send(new ListAuditFindingsCommand({ taskId: 'counted', maxResults: 2 }));
    expect(t.emulator.service.callCounts()).toEqual({ DescribeAuditTask: 2, ListAuditFindings: 1 });

    t.emulator.service.resetCallCounts();
    await t.iot.send(new ListMitigationActionsCommand({}));
    expect(t.emulator.service.callCounts()).toEqual({ ListMitigationActions: 1 });
  });

  it('counts refused requests too: a throttled call and an invalid one were still made', async () => {
    const t = await emulatorForTest();
    t.emulator.service.injectThrottling({ operations: ['DescribeAuditTask'] });
    const throttled = await t.iot
      .send(new DescribeAuditTaskCommand({ taskId: 'any' }))
      .catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(ThrottlingException);
    // maxResults 0 is below the model's range: refused by validation, after it was counted.
    const invalid = await fetch(`${t.emulator.endpoint}/audit/findings`, {
      method: 'POST',
      body: JSON.stringify({ taskId: 'any', maxResults: 0 }),
    });
    expect(invalid.status).toBe(400);
    expect(t.emulator.service.callCounts()).toEqual({ DescribeAuditTask: 1, ListAuditFindings: 1 });
  });

  it('counts nothing for a path that names no operation', async () => {
    const t = await emulatorForTest();
    const unknown = await fetch(`${t.emulator.endpoint}/no/such/operation`);
    expect(unknown.status).toBe(404);
    expect(t.emulator.service.callCounts()).toEqual({});
  });
});
