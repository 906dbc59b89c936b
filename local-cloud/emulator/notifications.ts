/**
 * The SNS audit notification (docs/aws-facts/planner-inputs.md) and its delivery: to in-process listeners, and optionally
 * by HTTP POST to a URL, either as SNS delivers to an HTTP subscriber (the notification as the JSON
 * string `Message` of a `Notification` envelope) or raw (the notification itself as the body).
 * A loss rate drops whole notifications, never delivered anywhere, as a lost SNS message would be.
 */
import { randomUUID } from 'node:crypto';
import type { DescribeAuditTaskResponse } from '@aws-sdk/client-iot';
import { uniformOf } from './faults.ts';

export interface AuditNotification {
  readonly accountId: string;
  readonly taskId: string;
  readonly taskStatus: 'COMPLETED' | 'FAILED' | 'CANCELED';
  readonly taskType: string;
  readonly scheduledAuditName?: string;
  readonly failedChecksCount: number;
  readonly canceledChecksCount: number;
  readonly nonCompliantChecksCount: number;
  readonly compliantChecksCount: number;
  readonly totalChecksCount: number;
  /** Epoch milliseconds, unlike the API's epoch seconds. */
  readonly taskStartTime: number;
  readonly auditDetails: readonly AuditNotificationCheck[];
}

export interface AuditNotificationCheck {
  readonly checkName: string;
  readonly checkRunStatus: string;
  readonly nonCompliantResourcesCount: number;
  readonly totalResourcesCount: number;
  readonly message?: string;
  readonly errorCode?: string;
}

export type AuditNotificationListener = (notification: AuditNotification) => void | Promise<void>;

export interface NotificationTarget {
  readonly url: string;
  /** `sns` (default): an SNS HTTP `Notification` envelope; `raw`: the notification as the body. */
  readonly format?: 'sns' | 'raw';
  /** The envelope's TopicArn. */
  readonly topicArn?: string;
}

/** The notification of a finished audit, from the audit as DescribeAuditTask sees it. */
export function auditNotification(
  accountId: string,
  taskId: string,
  audit: DescribeAuditTaskResponse,
): AuditNotification {
  const statistics = audit.taskStatistics ?? {};
  return {
    accountId,
    taskId,
    taskStatus: audit.taskStatus as AuditNotification['taskStatus'],
    taskType: audit.taskType!,
    ...(audit.scheduledAuditName && { scheduledAuditName: audit.scheduledAuditName }),
    failedChecksCount: statistics.failedChecks ?? 0,
    canceledChecksCount: statistics.canceledChecks ?? 0,
    nonCompliantChecksCount: statistics.nonCompliantChecks ?? 0,
    compliantChecksCount: statistics.compliantChecks ?? 0,
    totalChecksCount: statistics.totalChecks ?? 0,
    taskStartTime: audit.taskStartTime!.getTime(),
    auditDetails: Object.entries(audit.auditDetails ?? {}).map(([checkName, details]) => ({
      checkName,
      checkRunStatus: details.checkRunStatus!,
      nonCompliantResourcesCount: details.nonCompliantResourcesCount ?? 0,
      totalResourcesCount: details.totalResourcesCount ?? 0,
      ...(details.message && { message: details.message }),
      ...(details.errorCode && { errorCode: details.errorCode }),
    })),
  };
}

export class AuditNotifier {
  readonly #listeners = new Set<AuditNotificationListener>();
  #target: NotificationTarget | undefined;
  #lossRate = 0;
  #lossSeed = 1;

  constructor(private readonly region: string) {}

  subscribe(listener: AuditNotificationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  setTarget(target: NotificationTarget | undefined): void {
    this.#target = target;
  }

  setLossRate(rate: number, seed = 1): void {
    this.#lossRate = rate;
    this.#lossSeed = seed;
  }

  /** Delivers to every subscriber unless the notification is lost; settles when all have taken it. */
  async deliver(notification: AuditNotification, atMs: number): Promise<void> {
    if (uniformOf(this.#lossSeed, notification.taskId) < this.#lossRate) return;
    const deliveries = [...this.#listeners].map(async (listener) => listener(notification));
    if (this.#target) deliveries.push(this.#post(this.#target, notification, atMs));
    for (const result of await Promise.allSettled(deliveries)) {
      // A subscriber's failure is its own; the emulator keeps serving.
      if (result.status === 'rejected') console.error('audit notification delivery failed:', result.reason);
    }
  }

  async #post(target: NotificationTarget, notification: AuditNotification, atMs: number): Promise<void> {
    const body =
      target.format === 'raw'
        ? notification
        : {
            Type: 'Notification',
            MessageId: randomUUID(),
            TopicArn:
              target.topicArn ?? `arn:aws:sns:${this.region}:${notification.accountId}:audit-notifications`,
            Message: JSON.stringify(notification),
            Timestamp: new Date(atMs).toISOString(),
            SignatureVersion: '1',
          };
    const response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': target.format === 'raw' ? 'application/json' : 'text/plain; charset=UTF-8',
        ...(target.format !== 'raw' && { 'x-amz-sns-message-type': 'Notification' }),
      },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`POST ${target.url} answered ${response.status}`);
  }
}
