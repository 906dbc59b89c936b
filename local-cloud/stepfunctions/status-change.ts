/**
 * The "Step Functions Execution Status Change" event a Standard workflow sends to the default event
 * bus whenever an execution's status changes, with the detail shape of
 * https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
 * (docs/aws-facts/step-functions-events.md): dates in epoch milliseconds, `stopDate` null while
 * running, `input` and `output` as JSON strings (`output` only on success), each dropped past the
 * event size quota and flagged in `inputDetails` / `outputDetails`; `error` and `cause` as the
 * execution ended with them (null otherwise).
 */
import { randomUUID } from 'node:crypto';
import type { LocalExecution } from './execution.ts';

export interface ExecutionStatusChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'Step Functions Execution Status Change';
  readonly source: 'aws.states';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly executionArn: string;
    readonly stateMachineArn: string;
    readonly name: string;
    readonly status: LocalExecution['status'];
    readonly startDate: number;
    readonly stopDate: number | null;
    readonly input: string | null;
    readonly inputDetails: { readonly included: boolean };
    readonly output: string | null;
    readonly outputDetails: { readonly included: boolean } | null;
    readonly error: string | null;
    readonly cause: string | null;
  };
}

/** "If the combined escaped input and escaped output sent to EventBridge exceeds 248 KiB, then the input will be excluded." */
const PAYLOAD_QUOTA_BYTES = 248 * 1024;

const escapedSize = (text: string | null) =>
  text === null ? 0 : Buffer.byteLength(JSON.stringify(text), 'utf8');

/** The event for the execution's current status, stamped at `nowMs` (virtual time). */
export function executionStatusChangeEvent(
  execution: LocalExecution,
  nowMs: number,
): ExecutionStatusChangeEvent {
  const [, , , region = 'us-east-1', account = '123456789012'] = execution.executionArn.split(':');
  const succeeded = execution.status === 'SUCCEEDED';
  let output = succeeded ? JSON.stringify(execution.output ?? null) : null;
  let input: string | null = JSON.stringify(execution.input);
  const outputIncluded = escapedSize(output) <= PAYLOAD_QUOTA_BYTES;
  if (!outputIncluded) output = null;
  const inputIncluded = escapedSize(input) + escapedSize(output) <= PAYLOAD_QUOTA_BYTES;
  if (!inputIncluded) input = null;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account,
    // Events carry whole seconds: "2019-02-26T19:42:21Z".
    time: new Date(Math.floor(nowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime(),
      stopDate: execution.stopDate === undefined ? null : execution.stopDate.getTime(),
      input,
      inputDetails: { included: inputIncluded },
      output,
      outputDetails: succeeded ? { included: outputIncluded } : null,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}
