import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import {
  auditCompletedEvent as stackAuditCompletedEvent,
  lambdaContext as stackLambdaContext,
} from '../../local/stack.ts';

export const ACCOUNT = '123456789012';
export const STATE_MACHINE_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:remediation`;
export const SWITCH_PARAMETER = '/ddr/switch';

export const sampleNotification = () =>
  JSON.parse(readFileSync(new URL('../../local/samples/audit-notification.json', import.meta.url), 'utf8'));

export const auditCompletedEvent = (detail: unknown = sampleNotification()) =>
  stackAuditCompletedEvent(detail);

export const lambdaContext = (functionName = 'plan-remediation', account = ACCOUNT): Context =>
  stackLambdaContext(functionName, account);

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
