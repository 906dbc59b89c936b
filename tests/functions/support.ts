import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';

export const ACCOUNT = '123456789012';
export const STATE_MACHINE_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:remediation`;
export const SWITCH_PARAMETER = '/ddr/switch';

export const sampleNotification = () =>
  JSON.parse(readFileSync(new URL('../../local/samples/audit-notification.json', import.meta.url), 'utf8'));

export const auditCompletedEvent = (detail: unknown = sampleNotification()) => ({
  version: '0',
  id: 'e1',
  source: 'custom.devicedefender',
  'detail-type': 'Audit Completed',
  account: ACCOUNT,
  time: '2026-11-26T03:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

export const lambdaContext = (functionName = 'plan-remediation', account = ACCOUNT): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:${account}:function:${functionName}`,
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 's',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** The stack's environment for the handlers. */
export function setStackEnvironment(extra: Record<string, string | undefined> = {}) {
  const env = {
    STATE_MACHINE_ARN,
    SWITCH_PARAMETER_NAME: SWITCH_PARAMETER,
    POLICY_PARAMETER_NAME: undefined,
    ACTION_NAME_PREFIX: 'ddr',
    REPORTS_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:reports`,
    SWEEP_WINDOW_HOURS: '48',
    ...extra,
  };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}
