/**
 * An HTTP emulator of the AWS IoT Device Defender audit API, for the real `@aws-sdk/client-iot`.
 *
 *   const emu = await startEmulator({ clock });
 *   const iot = new IoTClient({ endpoint: emu.endpoint, ... });
 *   emu.service.addAudit({ taskId: 'audit-1', checks: { ... } });
 */
import type { AddressInfo } from 'node:net';
import type { Clock } from '../clock.ts';
import { loadModel, ServiceModel, type SmithyModel } from './model.ts';
import { createEmulatorServer } from './server.ts';
import { DeviceDefenderService } from './service.ts';

export type { AuditFixture, CheckFixture, FindingFixture } from './audits.ts';
export type { ActionExecutor, ActionOutcome, ActionRun, MitigationActionRecord } from './executor.ts';
export { declaredFailures } from './executor.ts';
export type { CheckFindings, DeclaredFailure, StoredFinding } from './findings.ts';
export type { TaskProgress } from './mitigation-task.ts';
export { DeviceDefenderService } from './service.ts';

export interface EmulatorOptions {
  readonly clock: Clock;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly accountId?: string;
  readonly region?: string;
  /** The Smithy model to serve; defaults to the project's copy in local/model. */
  readonly model?: SmithyModel;
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
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
