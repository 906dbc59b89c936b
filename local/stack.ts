/**
 * The whole deployed flow, locally, on one virtual clock: the Device Defender emulator, the runtime
 * switch and policy in a local parameter store (served over SSM's protocol), the real remediation ASL
 * in the local Step Functions runner (served over SFN's protocol) with the real report function, and
 * the real planner and sweep handlers, whose real SDK clients find these endpoints through the
 * standard `AWS_ENDPOINT_URL_<SERVICE>` variables, as they would find AWS.
 *
 * One stack per process (per test file under vitest): like Lambda, the handlers read their endpoints and settings from the
 * environment, and their SDK clients keep the endpoint they first resolved.
 */
import { IoTClient } from '@aws-sdk/client-iot';
import type { Context } from 'aws-lambda';
import type { PlanRemediationResult } from '../functions/plan-remediation/index.ts';
import type { SweepResult } from '../functions/sweep-audits/index.ts';
import {
  localSubstitutions,
  REMEDIATION_ASL,
  type RemediationSubstitutions,
} from '../statemachine/substitutions.ts';
import { VirtualClock } from './clock.ts';
import type { AuditNotification } from './emulator/index.ts';
import { type Emulator, presets, startEmulator } from './emulator/index.ts';
import { type LocalSsmEndpoint, ParameterStore, startLocalSsmEndpoint } from './parameter-store.ts';
import { type LocalSfnEndpoint, LocalStepFunctions, startLocalSfnEndpoint } from './stepfunctions/index.ts';

export const ACCOUNT_ID = '123456789012';
export const REGION = 'us-east-1';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT_ID}:stateMachine:remediation`;
export const POLICY_PARAMETER = '/device-defender-remediation/policy';
const REPORT_FUNCTION = 'report-remediation';

export interface LocalStackOptions {
  /** An emulator preset to load: `demo` (a small fleet with every problem) or `large`. */
  readonly preset?: string;
  /** The runtime switch, set before anything else happens (so every later audit may be enforced). */
  readonly switchValue?: string;
  /** A policy document to serve from the policy parameter; without it the bundled default applies. */
  readonly policy?: unknown;
  readonly substitutions?: Partial<RemediationSubstitutions>;
  /** Where virtual time starts; by default an hour ahead of real time (see `deliver`). */
  readonly startMs?: number;
  /** Show the functions' logs (Powertools) instead of silencing them. */
  readonly verbose?: boolean;
}

export interface LocalStack {
  readonly clock: VirtualClock;
  readonly emulator: Emulator;
  readonly parameters: ParameterStore;
  readonly runner: LocalStepFunctions;
  /** A client of the emulator, for the things a person or the service would do (start an audit...). */
  readonly iot: IoTClient;
  /** Every audit notification the emulator announced, in order. */
  readonly notifications: AuditNotification[];
  /** Hands a notification to the planner as the bus would: an "Audit Completed" event. */
  deliver(notification: unknown): Promise<PlanRemediationResult>;
  /** Invokes the sweep as the schedule would, or with an operator's re-run event. */
  sweep(event?: unknown): Promise<SweepResult>;
  setSwitch(value: string): void;
  close(): Promise<void>;
}

/** A Lambda context as the runtime hands it to a handler of this account (or another, for tests). */
export function lambdaContext(functionName: string, account = ACCOUNT_ID): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${account}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 900_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The notification as the bus delivers it to the planner (the Pipe puts it in `detail.notification`). */
export function auditCompletedEvent(notification: unknown) {
  return {
    version: '0',
    id: crypto.randomUUID(),
    source: 'custom.devicedefender',
    'detail-type': 'Audit Completed',
    account: ACCOUNT_ID,
    time: new Date().toISOString(),
    region: REGION,
    resources: [],
    detail: { notification },
  };
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  // Virtual time runs ahead of real time, as it does once anything has waited: a fresh execution's
  // startDate then never looks older than the planner's call (its duplicate test).
  const clock = new VirtualClock(options.startMs ?? Date.now() + 3_600_000);
  const emulator = await startEmulator({ clock, accountId: ACCOUNT_ID, region: REGION });
  if (options.preset) {
    const preset = presets[options.preset];
    if (!preset)
      throw new Error(`unknown preset ${options.preset}; choose from ${Object.keys(presets).join(', ')}`);
    preset(emulator.service, clock.now());
  }
  const notifications: AuditNotification[] = [];
  emulator.service.onAuditNotification((notification) => {
    notifications.push(notification);
  });

  const substitutions = { ...localSubstitutions, ...options.substitutions };
  const parameters = new ParameterStore(clock);
  parameters.set(substitutions.SwitchParameterName, options.switchValue ?? 'dry-run');
  if (options.policy !== undefined) parameters.set(POLICY_PARAMETER, JSON.stringify(options.policy));

  const ssm: LocalSsmEndpoint = await startLocalSsmEndpoint(parameters);
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    AWS_ENDPOINT_URL_IOT: emulator.endpoint,
    AWS_ENDPOINT_URL_SSM: ssm.endpoint,
    STATE_MACHINE_ARN,
    SWITCH_PARAMETER_NAME: substitutions.SwitchParameterName,
    POWERTOOLS_SERVICE_NAME: 'device-defender-remediation',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...(options.verbose ? {} : { POWERTOOLS_LOG_LEVEL: 'SILENT' }),
  });
  if (options.policy !== undefined) process.env.POLICY_PARAMETER_NAME = POLICY_PARAMETER;
  else delete process.env.POLICY_PARAMETER_NAME;
  delete process.env.ACTION_NAME_PREFIX;

  // Imported only now: Powertools and the SDK clients read the environment when they load.
  const [{ handler: planRemediation }, { handler: sweepAudits }, { handler: reportRemediation }] =
    await Promise.all([
      import('../functions/plan-remediation/index.ts'),
      import('../functions/sweep-audits/index.ts'),
      import('../functions/report-remediation/index.ts'),
    ]);

  const runner = new LocalStepFunctions({
    clock,
    iotEndpoint: emulator.endpoint,
    lambdas: { [REPORT_FUNCTION]: (event, context) => reportRemediation(event, context) },
    ssmParameters: parameters.values,
    definitionSubstitutions: { ...substitutions },
  });
  const sfn: LocalSfnEndpoint = await startLocalSfnEndpoint({
    runner,
    stateMachines: { [STATE_MACHINE_ARN]: REMEDIATION_ASL },
  });
  process.env.AWS_ENDPOINT_URL_SFN = sfn.endpoint;

  const iot = new IoTClient({ endpoint: emulator.endpoint, region: REGION, maxAttempts: 1 });
  return {
    clock,
    emulator,
    parameters,
    runner,
    iot,
    notifications,
    deliver: (notification) =>
      planRemediation(auditCompletedEvent(notification), lambdaContext('plan-remediation')),
    sweep: (event = { source: 'aws.scheduler' }) => sweepAudits(event, lambdaContext('sweep-audits')),
    setSwitch: (value) => parameters.set(substitutions.SwitchParameterName, value),
    close: async () => {
      iot.destroy();
      await Promise.all([sfn.close(), ssm.close(), emulator.close()]);
    },
  };
}
