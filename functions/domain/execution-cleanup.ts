/**
 * The cleanup's pure parts: reading the "Step Functions Execution Status Change" event of a remediation
 * execution that ended badly, and the notice a person reads afterwards. The notice's text escapes every
 * value (an error's cause may carry a device's or a service's text: functions/domain/text.ts); its
 * machine-readable part travels apart, as the message attribute `notice`.
 */
import { type JsonSchema, type ValidationIssue, validate } from './json-schema.ts';
import { byteLength, capped, safe, snsSubject, truncateUtf8 } from './text.ts';

/** Outcomes the state machine reports itself before failing (README "The remediation state machine", Outcomes). */
export const REPORTED_OUTCOMES = [
  'TaskFailed',
  'TaskCanceled',
  'DeadlineExceeded',
  'StartRejected',
  'PlanRefused',
  'Paused',
];

export interface EndedExecution {
  readonly executionArn: string;
  /** Also the mitigation task id (one name for everything, docs/decisions.md). */
  readonly name: string;
  readonly status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly error?: string;
  readonly cause?: string;
}

const statusChangeSchema: JsonSchema = {
  type: 'object',
  required: ['detail'],
  properties: {
    detail: {
      type: 'object',
      required: ['executionArn', 'name', 'status'],
      properties: {
        executionArn: { type: 'string', minLength: 1 },
        name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,80}$' },
        status: { type: 'string', enum: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
    },
  },
};

export function parseEndedExecution(
  event: unknown,
): { ok: true; execution: EndedExecution } | { ok: false; issues: readonly ValidationIssue[] } {
  const issues = validate(statusChangeSchema, event);
  if (issues.length > 0) return { ok: false, issues };
  const detail = (event as { detail: Record<string, unknown> }).detail;
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
  const error = text(detail.error);
  const cause = text(detail.cause);
  return {
    ok: true,
    execution: {
      executionArn: detail.executionArn as string,
      name: detail.name as string,
      status: detail.status as EndedExecution['status'],
      ...(error === undefined ? {} : { error }),
      ...(cause === undefined ? {} : { cause }),
    },
  };
}

export type TaskCleanup = 'canceled' | 'already-ended' | 'never-started' | 'not-applicable' | 'not-ours';

/**
 * Whether a task named after the execution can be the execution's own. Dry runs start none. A
 * StartRejected execution started none either: a task of that name belongs to someone else (the
 * state machine refused to adopt it), so cancelling it would stop another remediation.
 */
export function taskToLookFor(execution: EndedExecution): 'look' | 'not-applicable' | 'not-ours' {
  if (execution.name.startsWith('dry-')) return 'not-applicable';
  // PlanRefused: the state machine refused the plan before any start (a task of that name is not its own).
  if (
    execution.status === 'FAILED' &&
    (execution.error === 'StartRejected' || execution.error === 'PlanRefused')
  )
    return 'not-ours';
  return 'look';
}

/** The state machine already reported its own named failures; anything else needs a notice. */
export function needsNotice(execution: EndedExecution, cleanup: TaskCleanup): boolean {
  if (cleanup === 'canceled') return true;
  return !(
    execution.status === 'FAILED' &&
    execution.error !== undefined &&
    REPORTED_OUTCOMES.includes(execution.error)
  );
}

/** The SNS message attribute that carries the notice's JSON: `{ execution, cleanup }`. */
export const NOTICE_ATTRIBUTE = 'notice';
/** The cause a person reads: its first 2,000 bytes (Step Functions allows 32,768 characters). */
const MAX_CAUSE_TEXT_BYTES = 2_000;
/**
 * The cause the attribute keeps: its first 16 KiB, so that the JSON (at most six bytes a byte, for
 * escaped controls) and the text stay well within SNS's 262,144 bytes (docs/aws-facts/sns-sqs.md).
 */
export const MAX_CAUSE_ATTRIBUTE_BYTES = 16_384;

export interface CleanupNotice {
  /** Printable ASCII, fewer than 100 characters, as SNS requires. */
  readonly subject: string;
  /** For a person: every value escaped, nothing else in it. */
  readonly message: string;
  /** For machines: `notice` (the JSON of `{ execution, cleanup }`), `status`, `executionName`. */
  readonly attributes: Readonly<
    Record<string, { readonly DataType: 'String'; readonly StringValue: string }>
  >;
}

export function cleanupNotice(execution: EndedExecution, cleanup: TaskCleanup): CleanupNotice {
  const what: Record<TaskCleanup, string> = {
    canceled: safe`Its mitigation task ${execution.name} was still running and has been canceled.`,
    'already-ended': safe`Its mitigation task ${execution.name} had already ended; nothing was canceled.`,
    'never-started': 'No mitigation task had been started.',
    'not-applicable': 'It was a dry run: no mitigation task is ever started.',
    'not-ours': safe`It started no mitigation task; a task named ${execution.name}, if any, is not its own and was left alone.`,
  };
  const lines = [
    safe`The remediation execution ${execution.name} ended ${execution.status}.`,
    what[cleanup],
    ...(execution.error ? [safe`Error: ${execution.error}`] : []),
    ...(execution.cause ? [safe`Cause: ${capped(execution.cause, MAX_CAUSE_TEXT_BYTES)}`] : []),
    safe`Execution: ${execution.executionArn}`,
    'The sweep does not retry this audit under the same name; an operator can re-run it (npm run rerun).',
  ];
  const cause = execution.cause && truncateUtf8(execution.cause, MAX_CAUSE_ATTRIBUTE_BYTES);
  const recorded =
    cause === undefined || cause === execution.cause
      ? execution
      : { ...execution, cause, causeTruncated: true as const };
  return {
    subject: snsSubject(`Remediation ${execution.status}: ${execution.name}`),
    message: lines.join('\n'),
    attributes: {
      [NOTICE_ATTRIBUTE]: {
        DataType: 'String',
        StringValue: JSON.stringify({ execution: recorded, cleanup }),
      },
      status: { DataType: 'String', StringValue: execution.status },
      executionName: { DataType: 'String', StringValue: execution.name },
    },
  };
}

/** The notice's size as SNS counts it: the message, the subject and every attribute's name, type and value. */
export function noticeBytes(notice: CleanupNotice): number {
  return Object.entries(notice.attributes).reduce(
    (sum, [name, value]) =>
      sum + byteLength(name) + byteLength(value.DataType) + byteLength(value.StringValue),
    byteLength(notice.message) + byteLength(notice.subject),
  );
}
