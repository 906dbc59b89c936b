/**
 * Cold start of the planner: bundle size, and fresh Node processes that each load the planner bundle
 * and handle one "Audit Completed" event against local endpoints (SSM for the switch, Step Functions
 * for the start), median of N runs, as a ratio to a bare `node -e 0` measured in the same run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  deviceCertificateFinding,
  LocalStepFunctions,
  ParameterStore,
  startEmulator,
  startLocalSfnEndpoint,
  startLocalSsmEndpoint,
  VirtualClock,
} from '@device-defender-remediation/local-cloud';
import { buildFunction } from '../scripts/build-functions.ts';
import { median, timeProcess } from './process-timing.ts';

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:remediation';
const SAMPLE = new URL('../local/samples/audit-notification.json', import.meta.url);

export interface ColdStartResult {
  readonly bundleBytes: number;
  readonly runs: number;
  readonly plannerMedianMs: number;
  readonly bareNodeMedianMs: number;
  readonly ratio: number;
  readonly executionsStarted: number;
}

export async function measureColdStart(runs = 15): Promise<ColdStartResult> {
  const built = await buildFunction('plan-remediation', mkdtempSync(join(tmpdir(), 'ddr-bench-')));
  // Ahead of real time, as virtual time is once it has waited: startDate never looks like an earlier delivery's.
  const clock = new VirtualClock(Date.now() + 3_600_000);
  const parameters = new ParameterStore(clock);
  parameters.set('/ddr/switch', 'dry-run');
  const runner = new LocalStepFunctions({ clock });
  const sfn = await startLocalSfnEndpoint({
    runner,
    stateMachines: { [STATE_MACHINE_ARN]: { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } } },
  });
  const ssm = await startLocalSsmEndpoint(parameters);
  // The planner reads the audit with DescribeAuditTask: the emulator holds one per run.
  const iot = await startEmulator({ clock, accountId: '123456789012', region: 'us-east-1' });
  // The default policy's actions for the check, which the planner reads with DescribeMitigationAction.
  const roleArn = 'arn:aws:iam::123456789012:role/bench-action';
  iot.service.createMitigationAction({
    actionName: 'PublishFinding',
    roleArn,
    actionParams: { publishFindingToSnsParams: { topicArn: 'arn:aws:sns:us-east-1:123456789012:findings' } },
  });
  iot.service.createMitigationAction({
    actionName: 'QuarantineDevice',
    roleArn,
    actionParams: { addThingsToThingGroupParams: { thingGroupNames: ['quarantine'] } },
  });
  const addAudit = (taskId: string) => {
    iot.service.addAudit({
      taskId,
      checks: {
        DEVICE_CERTIFICATE_SHARED_CHECK: {
          totalResourcesCount: 100,
          findings: [1, 2, 3].map((n) => deviceCertificateFinding(n)),
        },
      },
    });
    return taskId;
  };
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_SFN: sfn.endpoint,
    AWS_ENDPOINT_URL_SSM: ssm.endpoint,
    AWS_ENDPOINT_URL_IOT: iot.endpoint,
    REPORTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:reports',
    STATE_MACHINE_ARN,
    SWITCH_PARAMETER_NAME: '/ddr/switch',
    POWERTOOLS_SERVICE_NAME: 'plan-remediation',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  };
  const bundleUrl = pathToFileURL(built.outfile).href;
  const invoke = (taskId: string) =>
    [
      `const { readFileSync } = await import('node:fs');`,
      // The notification in detail.notification, where the template's Pipe puts it.
      `const notification = { ...JSON.parse(readFileSync(new URL(${JSON.stringify(SAMPLE.href)}), 'utf8')), taskId: ${JSON.stringify(taskId)} };`,
      `const detail = { notification };`,
      `const { handler } = await import(${JSON.stringify(bundleUrl)});`,
      `const result = await handler({ source: 'custom.devicedefender', 'detail-type': 'Audit Completed', detail },`,
      `  { functionName: 'plan-remediation', awsRequestId: 'r', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:plan-remediation', getRemainingTimeInMillis: () => 30000 });`,
      `if (result.outcome !== 'started') { console.error(JSON.stringify(result)); process.exit(3); }`,
    ].join('\n');

  const planner: number[] = [];
  const bare: number[] = [];
  try {
    // Interleaved, so both see the same machine load.
    for (let run = 0; run < runs; run += 1) {
      bare.push(await timeProcess(['-e', '0'], env));
      planner.push(
        await timeProcess(['--input-type=module', '-e', invoke(addAudit(`bench-${Date.now()}-${run}`))], env),
      );
    }
  } finally {
    await sfn.close();
    await ssm.close();
    await iot.close();
  }
  const plannerMedianMs = median(planner);
  const bareNodeMedianMs = median(bare);
  return {
    bundleBytes: built.bytes,
    runs,
    plannerMedianMs,
    bareNodeMedianMs,
    ratio: plannerMedianMs / bareNodeMedianMs,
    executionsStarted: runner.executions.length,
  };
}
