/**
 * One local cloud per test: the Device Defender emulator (behind a fault proxy), the local Step
 * Functions runner on the same virtual clock running statemachine/remediation.asl.json, the real
 * report-remediation handler in-process, and the runtime switch as an SSM parameter.
 */
import { readFileSync } from 'node:fs';
import { IoTClient, type MitigationActionParams } from '@aws-sdk/client-iot';
import {
  type AuditFixture,
  deviceCertificateFinding,
  type FindingFixture,
  type LambdaHandler,
  LocalStepFunctions,
  ParameterStore,
  startEmulator,
  VirtualClock,
} from '@device-defender-remediation/local-cloud';
import { afterEach } from 'vitest';
import type { RemediationPlan } from '#domain/plan';
import type { RemediationReport } from '#domain/remediation-report';
import {
  type LOCAL_MITIGATION_ACTION_NAMES,
  localSubstitutions,
  REMEDIATION_ASL,
  type RemediationSubstitutions,
} from '../../statemachine/substitutions.ts';
import { type FaultProxy, startFaultProxy } from './fault-proxy.ts';

// Powertools reads these when the handler module loads: no metric blobs or logs in the test output.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const { createReportHandler } = await import('../../functions/report-remediation/index.ts');
const { iotMitigationRecords } = await import('#aws/iot-mitigation-records');
const { iotAuditFindings } = await import('#aws/iot-audit-findings');

export const START = Date.UTC(2026, 0, 1);
const JSON_MARKER = '--- JSON ---\n';
export const SWITCH = localSubstitutions.SwitchParameterName;
export const PLAN: RemediationPlan = JSON.parse(
  readFileSync(new URL('../fixtures/remediation-plan.json', import.meta.url), 'utf8'),
);
export const SHARED = 'DEVICE_CERTIFICATE_SHARED_CHECK';
export const REVOKED = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/device-defender-mitigation';

/** The stack's four mitigation actions (template.yaml), as the harness creates them in the emulator. */
const ACTIONS: Record<(typeof LOCAL_MITIGATION_ACTION_NAMES)[number], MitigationActionParams> = {
  'remediation-PublishFinding': {
    publishFindingToSnsParams: { topicArn: 'arn:aws:sns:us-east-1:123456789012:findings' },
  },
  'remediation-QuarantineDevice': { addThingsToThingGroupParams: { thingGroupNames: ['quarantine'] } },
  'remediation-DeactivateDeviceCertificate': { updateDeviceCertificateParams: { action: 'DEACTIVATE' } },
  'remediation-DeactivateCaCertificate': { updateCACertificateParams: { action: 'DEACTIVATE' } },
};
/** What the template hands the state machine as MitigationActionNames: the stack's actions, no others. */
export const STACK_ACTION_NAMES = Object.keys(ACTIONS).join(',');

/** Parameter Store (versions included) counting reads, to see how often the state machine read the switch. */
export class CountingParameters extends ParameterStore {
  reads = 0;
  override get(name: string) {
    this.reads++;
    return super.get(name);
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

/** The emulator's device certificate finding (finding-N, certificate id N in hex). */
export const deviceCertificate = deviceCertificateFinding;

/** The fixture plan's audit: 3 shared certificates, 2 revoked ones (finding-1 ... finding-5). */
export function planAudit(
  auditTaskId = PLAN.auditTaskId,
  failing: Record<number, FindingFixture['failure']> = {},
) {
  const finding = (n: number) => deviceCertificate(n, failing[n] ? { failure: failing[n] } : {});
  return {
    taskId: auditTaskId,
    taskStartTime: START,
    checks: {
      [SHARED]: { totalResourcesCount: 1200, findings: [1, 2, 3].map(finding) },
      [REVOKED]: { totalResourcesCount: 1200, findings: [4, 5].map(finding) },
    },
  } satisfies AuditFixture;
}

/** The fixture plan for another audit and mode (names follow docs/decisions.md). */
export function planFor(auditTaskId: string, effective: 'enforce' | 'dry-run' = 'enforce'): RemediationPlan {
  const name = `${effective === 'enforce' ? 'enf' : 'dry'}-${auditTaskId}`;
  return {
    ...PLAN,
    auditTaskId,
    mode: { ...PLAN.mode, effective, ...(effective === 'dry-run' && { reason: 'the policy says dry-run' }) },
    names: { executionName: name, mitigationTaskId: name, clientRequestToken: name },
    target: { ...PLAN.target, auditTaskId },
  };
}

type Service = Awaited<ReturnType<typeof startEmulator>>['service'];

/** Ten running tasks of another audit: the account's limit, so the next start is refused. */
export function occupyAllCapacity(service: Service, runMs: number) {
  service.addAudit(planAudit('blocking-audit'));
  service.setTaskProgress({ startDelayMs: runMs });
  for (let i = 0; i < 10; i++)
    service.startAuditMitigationActionsTask({
      taskId: `blocker-${i}`,
      clientRequestToken: `blocker-${i}`,
      target: { ...PLAN.target, auditTaskId: 'blocking-audit' } as never,
      auditCheckToActionsMapping: PLAN.auditCheckToActionsMapping as never,
    });
  service.setTaskProgress({ startDelayMs: 2_000 });
}

/** Every mitigation task the emulator holds (started within the last 90 days), by id. */
export function mitigationTasks(service: Service, now: number) {
  const { tasks = [] } = service.listAuditMitigationActionsTasks({
    startTime: new Date(now - 89 * 86_400_000),
    endTime: new Date(now),
    maxResults: 250,
  });
  return Object.fromEntries(tasks.map((t) => [t.taskId, t.taskStatus]));
}

export interface HarnessOptions {
  readonly substitutions?: Partial<RemediationSubstitutions>;
  readonly switchValue?: string;
  /** The switch's Version when the run starts; by default the one the fixture plan saw. */
  readonly switchVersion?: number;
  /** Replaces the real report handler, e.g. with one that fails. */
  readonly reportHandler?: LambdaHandler;
  /** Adapts the Parameter Store the engine reads and writes, e.g. to refuse some writes. */
  readonly parameters?: (store: CountingParameters) => CountingParameters;
}

export async function remediationHarness(options: HarnessOptions = {}) {
  const clock = new VirtualClock(START);
  const emulator = await startEmulator({ clock });
  const proxy: FaultProxy = await startFaultProxy(emulator.endpoint);
  cleanups.push(
    () => proxy.close(),
    () => emulator.close(),
  );
  const service = emulator.service;
  for (const [actionName, actionParams] of Object.entries(ACTIONS))
    service.createMitigationAction({ actionName, roleArn: ROLE_ARN, actionParams });

  const reportIot = new IoTClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const store = new CountingParameters(clock);
  const switchParameter = options.parameters ? options.parameters(store) : store;
  // Every set is a new version, as in Parameter Store: set until the version the plan saw.
  for (let version = 0; version < (options.switchVersion ?? PLAN.mode.switch.version); version++)
    switchParameter.set(SWITCH, options.switchValue ?? 'enforce');
  const sfn = new LocalStepFunctions({
    clock,
    iotEndpoint: proxy.endpoint,
    lambdas: {
      'report-remediation':
        options.reportHandler ??
        createReportHandler(iotMitigationRecords(reportIot), iotAuditFindings(reportIot)),
    },
    ssmParameters: switchParameter,
    definitionSubstitutions: {
      ...localSubstitutions,
      MitigationActionNames: STACK_ACTION_NAMES,
      ...options.substitutions,
    },
  });

  /**
   * Runs the plan, under its own name unless told another (an execution started by hand); resolves with
   * the outcome, the execution and the one report it published.
   */
  async function run(plan: RemediationPlan, name = plan.names.executionName) {
    return runInput(plan, name);
  }

  /** Starts an execution with any input under `name`, as anyone with states:StartExecution may. */
  async function runInput(input: unknown, name: string) {
    const startedAt = clock.now();
    const execution = sfn.startExecution({ definition: REMEDIATION_ASL, name, input });
    const outcome = await execution.result;
    const published = sfn.snsMessages.filter((m) => m.executionArn === execution.executionArn);
    const message = published[0]?.message ?? '';
    const json = message.indexOf(JSON_MARKER);
    // The summary travels as the report attribute, or (formerly) after the marker in the text.
    const attribute = (
      published[0]?.messageAttributes as Record<string, { StringValue?: string }> | undefined
    )?.report?.StringValue;
    const summary = (
      attribute !== undefined
        ? JSON.parse(attribute)
        : json < 0
          ? null
          : JSON.parse(message.slice(json + JSON_MARKER.length))
    ) as RemediationReport;
    return { outcome, execution, published, message, summary, elapsedMs: clock.now() - startedAt };
  }

  return { clock, service, proxy, sfn, switchParameter, run, runInput };
}
