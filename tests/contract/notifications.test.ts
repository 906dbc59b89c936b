/**
 * The product's parser (functions/domain/audit.ts) takes every audit notification the Device Defender
 * emulator sends: completed on-demand and scheduled audits and canceled ones, as an object and as the
 * JSON text an SNS envelope's Message or a raw SQS body carries. The emulator's side of the notification
 * (its members, when and how it is delivered) is local-cloud/tests/emulator/notifications.test.ts.
 */
import {
  type AuditNotification,
  type Emulator,
  presets,
  startEmulator,
  VirtualClock,
} from '@device-defender-remediation/local-cloud';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAuditNotification } from '#domain/audit';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** The demo fleet in the emulator, and the notifications it announces while `act` runs. */
async function notificationsOf(
  act: (service: Emulator['service'], clock: VirtualClock) => Promise<void>,
): Promise<AuditNotification[]> {
  const clock = new VirtualClock();
  emulator = await startEmulator({ clock });
  presets.demo!(emulator.service, clock.now());
  const received: AuditNotification[] = [];
  emulator.service.onAuditNotification((n) => {
    received.push(n);
  });
  await act(emulator.service, clock);
  return received;
}

describe("the planner's parser and the emulator's audit notifications", () => {
  it('parses a completed on-demand audit of every enabled check, as JSON text', async () => {
    let startMs = 0;
    let taskId: string | undefined;
    const [notification, ...more] = await notificationsOf(async (service, clock) => {
      const { auditCheckConfigurations = {} } = service.describeAccountAuditConfiguration();
      const targetCheckNames = Object.keys(auditCheckConfigurations).filter(
        (name) => auditCheckConfigurations[name]?.enabled,
      );
      startMs = clock.now();
      ({ taskId } = service.startOnDemandAuditTask({ targetCheckNames }));
      await clock.advance(60_000);
    });
    expect(more).toEqual([]);
    expect(notification).toMatchObject({ taskId, taskStatus: 'COMPLETED' });
    expect(parseAuditNotification(JSON.stringify(notification))).toMatchObject({
      ok: true,
      audit: { auditTaskId: taskId, taskStartTime: startMs },
    });
  });

  it('parses scheduled and canceled audits', async () => {
    const received = await notificationsOf(async (service, clock) => {
      service.runScheduledAudit('DailyAudit');
      const { taskId } = service.startOnDemandAuditTask({ targetCheckNames: ['LOGGING_DISABLED_CHECK'] });
      service.cancelAuditTask({ taskId });
      await clock.advance(60_000);
    });
    expect(received.map((n) => n.taskStatus).sort()).toEqual(['CANCELED', 'COMPLETED']);
    for (const n of received) {
      expect(parseAuditNotification(n)).toMatchObject({ ok: true, audit: { auditTaskId: n.taskId } });
      expect(parseAuditNotification(JSON.stringify(n))).toMatchObject({ ok: true });
    }
  });
});
