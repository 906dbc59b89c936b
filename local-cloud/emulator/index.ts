/**
 * An HTTP emulator of the AWS IoT Device Defender audit API, for the real `@aws-sdk/client-iot`.
 *
 *   const emu = await startEmulator({ clock });
 *   const iot = new IoTClient({ endpoint: emu.endpoint, ... });
 *   emu.service.addAudit({ taskId: 'audit-1', checks: { ... } });
 */
import type { AddressInfo } from 'node:net';
import type { Clock, ClockListener } from '../clock.ts';
import { loadModel, ServiceModel, type SmithyModel } from './model.ts';
import type { NotificationTarget } from './notifications.ts';
import { createEmulatorServer } from './server.ts';
import { DeviceDefenderService } from './service.ts';

export type { AuditFixture, CheckFixture, FindingFixture } from './audits/audit.ts';
export type { CheckFindings, DeclaredFailure, StoredFinding } from './audits/findings.ts';
export type { ActionFailureInjection, ThrottlingInjection } from './faults.ts';
export { deviceCertificateFinding } from './fixtures.ts';
export type * from './fleet/fleet.ts';
export { BLANK_POLICY } from './fleet/fleet-effects.ts';
export type {
  ActionExecutor,
  ActionOutcome,
  ActionRun,
  MitigationActionRecord,
} from './mitigation/executor.ts';
export { declaredFailures } from './mitigation/executor.ts';
export type { TaskProgress } from './mitigation/mitigation-task.ts';
export type { AuditNotification, AuditNotificationListener, NotificationTarget } from './notifications.ts';
export { presets } from './presets/presets.ts';
export { type AuditProgress, DeviceDefenderService } from './service.ts';

export interface EmulatorOptions {
  readonly clock: Clock;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly accountId?: string;
  readonly region?: string;
  /** The Smithy model to serve; defaults to the project's copy in local-cloud/model. */
  readonly model?: SmithyModel;
  /** Also POST each audit notification here (see notifications.ts for the formats). */
  readonly notificationTarget?: NotificationTarget;
}

export interface Emulator {
  /** `http://127.0.0.1:PORT`, for the SDK client's `endpoint`. */
  readonly endpoint: string;
  readonly service: DeviceDefenderService;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const model = new ServiceModel(options.model ?? loadModel());
  const service = new DeviceDefenderService({
    clock: options.clock,
    accountId: options.accountId ?? '123456789012',
    region: options.region ?? 'us-east-1',
  });
  if (options.notificationTarget) service.setNotificationTarget(options.notificationTarget);
  // A virtual clock tells us when time passes, so an audit is announced when it ends, not when asked.
  const stopListening = hasListeners(options.clock)
    ? options.clock.onAdvance(() => service.announceFinishedAudits())
    : undefined;
  const server = createEmulatorServer(model, service);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    service,
    close: () =>
      new Promise<void>((resolve, reject) => {
        stopListening?.();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function hasListeners(clock: Clock): clock is Clock & { onAdvance(listener: ClockListener): () => void } {
  return typeof (clock as { onAdvance?: unknown }).onAdvance === 'function';
}
