import { readFileSync } from 'node:fs';
import type { DescribeAuditTaskCommandOutput } from '@aws-sdk/client-iot';
import { lambdaContext as localLambdaContext } from '@device-defender-remediation/local-cloud';
import type { Context } from 'aws-lambda';

export const ACCOUNT = '123456789012';
export const STATE_MACHINE_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:remediation`;
export const SWITCH_PARAMETER = '/ddr/switch';

export const sampleNotification = () =>
  JSON.parse(readFileSync(new URL('../../local/samples/audit-notification.json', import.meta.url), 'utf8'));

/**
 * A hand-made "Audit Completed" event for handler unit tests: the notification in `detail.notification`,
 * as the template's Pipe puts it there. The local stack builds no such event: it runs the wiring
 * (tests/wiring shows the event it produces).
 */
export const auditCompletedEvent = (notification: unknown = sampleNotification()) => ({
  version: '0',
  id: crypto.randomUUID(),
  source: 'custom.devicedefender',
  'detail-type': 'Audit Completed',
  account: ACCOUNT,
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: [],
  detail: { notification },
});

/**
 * DescribeAuditTask's answer (as the SDK returns it) for the audit a notification announces: what the
 * planner reads, since an event only names the audit. `overrides` change the answer, not the event.
 */
export function describeAnswerOf(
  notification: {
    taskStatus: string;
    taskType: string;
    scheduledAuditName?: string;
    taskStartTime: number;
    auditDetails: { checkName: string; [key: string]: unknown }[];
  } = sampleNotification(),
  overrides: Record<string, unknown> = {},
): DescribeAuditTaskCommandOutput {
  return {
    taskStatus: notification.taskStatus,
    taskType: notification.taskType,
    ...(notification.scheduledAuditName === undefined
      ? {}
      : { scheduledAuditName: notification.scheduledAuditName }),
    taskStartTime: new Date(notification.taskStartTime),
    auditDetails: Object.fromEntries(
      notification.auditDetails.map(({ checkName, ...details }) => [checkName, details]),
    ),
    ...overrides,
    $metadata: {},
  } as DescribeAuditTaskCommandOutput;
}

/** The stack's mitigation actions as the handler tests deploy them (prefix `ddr`), by type. */
export const DEPLOYED_ACTION_TYPES: Readonly<Record<string, string>> = {
  'ddr-PublishFinding': 'PUBLISH_FINDING_TO_SNS',
  'ddr-QuarantineDevice': 'ADD_THINGS_TO_THING_GROUP',
  'ddr-DeactivateDeviceCertificate': 'UPDATE_DEVICE_CERTIFICATE',
  'ddr-DeactivateCaCertificate': 'UPDATE_CA_CERTIFICATE',
};

export const lambdaContext = (functionName = 'plan-remediation', account = ACCOUNT): Context =>
  localLambdaContext(functionName, `arn:aws:lambda:us-east-1:${account}:function:${functionName}`);

/**
 * The stack's environment for the handlers. A function reads it once, when its module loads: set it
 * before the import (or load the function with `coldStart`).
 */
export function setStackEnvironment(extra: Record<string, string | undefined> = {}) {
  const env = {
    STATE_MACHINE_ARN,
    SWITCH_PARAMETER_NAME: SWITCH_PARAMETER,
    POLICY_PARAMETER_NAME: undefined,
    ACTION_NAME_PREFIX: 'ddr',
    REPORTS_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:reports`,
    SWEEP_WINDOW_HOURS: '48',
    APPROVAL_PARAMETER_PATH: '/ddr/approvals',
    ...extra,
  };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

interface FunctionModules {
  'plan-remediation': typeof import('../../functions/plan-remediation/index.ts');
  'sweep-audits': typeof import('../../functions/sweep-audits/index.ts');
  'cleanup-execution': typeof import('../../functions/cleanup-execution/index.ts');
  'report-remediation': typeof import('../../functions/report-remediation/index.ts');
  'audit-configuration': typeof import('../../functions/audit-configuration/index.ts');
  'approve-held-back': typeof import('../../functions/approve-held-back/index.ts');
}

let coldStarts = 0;

/**
 * A function as Lambda loads it into a new container: the stack's environment (with `extra`) set
 * first, then its index.ts evaluated afresh, reading that environment once. The modules it imports
 * (Powertools utilities, the remediation path) are the ones the test file already has.
 */
export async function coldStart<Name extends keyof FunctionModules>(
  name: Name,
  extra: Record<string, string | undefined> = {},
): Promise<FunctionModules[Name]> {
  setStackEnvironment(extra);
  coldStarts += 1;
  const entry = new URL(`../../functions/${name}/index.ts?cold-start=${coldStarts}`, import.meta.url);
  return (await import(/* @vite-ignore */ entry.href)) as FunctionModules[Name];
}
