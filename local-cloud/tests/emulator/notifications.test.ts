import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CancelAuditTaskCommand,
  DescribeAuditTaskCommand,
  IoTClient,
  ListAuditTasksCommand,
  StartOnDemandAuditTaskCommand,
} from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { type AuditNotification, startEmulator } from '../../emulator/index.ts';
import { demoFleet } from '../../emulator/presets/demo-fleet.ts';
import { auditNow, emulatorForTest, type TestEmulator } from './support.ts';

async function demoWithListener(): Promise<TestEmulator & { received: AuditNotification[] }> {
  const t = await emulatorForTest();
  demoFleet(t.emulator.service, t.clock.now());
  const received: AuditNotification[] = [];
  t.emulator.service.onAuditNotification((n) => {
    received.push(n);
  });
  return { ...t, received };
}

const startLoggingAudit = (t: TestEmulator) =>
  t.iot.send(new StartOnDemandAuditTaskCommand({ targetCheckNames: ['LOGGING_DISABLED_CHECK'] }));

describe('audit notifications', () => {
  it('announces an audit once, when virtual time passes its end, as docs/aws-facts/planner-inputs.md describes', async () => {
    const t = await demoWithListener();
    const startMs = t.clock.now();
    const taskId = await auditNow(t);
    expect(t.received).toHaveLength(1);
    const [notification] = t.received;

    expect(notification).toMatchObject({
      accountId: '123456789012',
      taskId,
      taskStatus: 'COMPLETED',
      taskType: 'ON_DEMAND_AUDIT_TASK',
      taskStartTime: startMs,
      failedChecksCount: 0,
      canceledChecksCount: 0,
      nonCompliantChecksCount: 16,
      compliantChecksCount: 0,
      totalChecksCount: 16,
    });
    expect(Number.isInteger(notification!.taskStartTime)).toBe(true);
    expect(notification!.auditDetails).toContainEqual({
      checkName: 'DEVICE_CERTIFICATE_SHARED_CHECK',
      checkRunStatus: 'COMPLETED_NON_COMPLIANT',
      nonCompliantResourcesCount: 1,
      totalResourcesCount: 33,
    });
    expect(notification).not.toHaveProperty('scheduledAuditName');

    await t.clock.advance(3_600_000);
    await t.iot.send(new DescribeAuditTaskCommand({ taskId }));
    expect(t.received).toHaveLength(1);
  });

  it('announces scheduled and canceled audits', async () => {
    const t = await demoWithListener();
    const scheduled = t.emulator.service.runScheduledAudit('DailyAudit');
    const { taskId: canceled } = await startLoggingAudit(t);
    await t.iot.send(new CancelAuditTaskCommand({ taskId: canceled }));
    await t.clock.advance(60_000);

    expect(t.received.map((n) => [n.taskId, n.taskStatus])).toEqual([
      [canceled, 'CANCELED'],
      [scheduled, 'COMPLETED'],
    ]);
    expect(t.received[0]).toMatchObject({
      canceledChecksCount: 1,
      totalChecksCount: 1,
      auditDetails: [{ checkName: 'LOGGING_DISABLED_CHECK', checkRunStatus: 'CANCELED' }],
    });
    expect(t.received[1]).toMatchObject({
      taskType: 'SCHEDULED_AUDIT_TASK',
      scheduledAuditName: 'DailyAudit',
    });
  });

  it('announces on the next API call when the clock cannot tell that time passed', async () => {
    let now = Date.UTC(2026, 0, 1);
    const emulator = await startEmulator({ clock: { now: () => now } });
    try {
      const iot = new IoTClient({
        endpoint: emulator.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      });
      const received: string[] = [];
      emulator.service.onAuditNotification((n) => {
        received.push(n.taskId);
      });
      const { taskId } = await iot.send(
        new StartOnDemandAuditTaskCommand({ targetCheckNames: ['LOGGING_DISABLED_CHECK'] }),
      );
      now += 60_000;
      expect(received).toEqual([]);
      await iot.send(new DescribeAuditTaskCommand({ taskId }));
      expect(received).toEqual([taskId]);
    } finally {
      await emulator.close();
    }
  });

  it('POSTs the notification to a URL in an SNS envelope, or raw', async () => {
    const bodies: { headers: Record<string, unknown>; body: string }[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        bodies.push({ headers: request.headers, body });
        response.end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/audit`;

    const t = await demoWithListener();
    let first: string;
    let second: string;
    try {
      t.emulator.service.setNotificationTarget({
        url,
        topicArn: 'arn:aws:sns:us-east-1:123456789012:audits',
      });
      first = await auditNow(t);
      t.emulator.service.setNotificationTarget({ url, format: 'raw' });
      second = await auditNow(t);
    } finally {
      server.close();
    }

    expect(bodies).toHaveLength(2);
    const envelope = JSON.parse(bodies[0]!.body);
    expect(bodies[0]!.headers['x-amz-sns-message-type']).toBe('Notification');
    expect(envelope).toMatchObject({
      Type: 'Notification',
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:audits',
      Message: expect.any(String),
    });
    // The POSTed notification is the one listeners get (tests/contract/notifications.test.ts: the
    // product's parser takes it).
    expect(JSON.parse(envelope.Message)).toMatchObject({ taskId: first, taskStatus: 'COMPLETED' });
    expect(JSON.parse(bodies[1]!.body)).toMatchObject({ taskId: second, taskStatus: 'COMPLETED' });
  });

  it('loses notifications at the configured rate, deterministically; lost audits are still listed', async () => {
    const t = await demoWithListener();
    t.emulator.service.setNotificationLoss(1);
    const lost = await auditNow(t);
    expect(t.received).toEqual([]);
    const listed = await t.iot.send(
      new ListAuditTasksCommand({
        startTime: new Date(t.clock.now() - 3_600_000),
        endTime: new Date(t.clock.now()),
        taskStatus: 'COMPLETED',
      }),
    );
    expect(listed.tasks?.map((task) => task.taskId)).toEqual([lost]);

    t.emulator.service.setNotificationLoss(0.5, 7);
    for (let batch = 0; batch < 2; batch++) {
      for (let i = 0; i < 10; i++) await startLoggingAudit(t);
      await t.clock.advance(60_000);
    }
    expect(t.received.length).toBeGreaterThan(3);
    expect(t.received.length).toBeLessThan(17);
  });
});
