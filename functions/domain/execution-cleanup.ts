/**
 * The cleanup's pure parts: reading the "Step Functions Execution Status Change" event of a remediation
 * execution that ended badly, and the notice a person reads afterwards.
 */
import { type JsonSchema, type ValidationIssue, validate } from './json-schema.ts';

/** Outcomes the state machine reports itself before failing (DESIGN "Outcomes and error names"). */
export const REPORTED_OUTCOMES = [
  'TaskFailed',
  'TaskCanceled',
  'DeadlineExceeded',
  'StartRejected',
  'Paused',
];

export interface EndedExecution {
  readonly executionArn: string;
  /** Also the mitigation task id (one name for everything, DESIGN "Names and idempotency"). */
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
  if (execution.status === 'FAILED' && execution.error === 'StartRejected') return 'not-ours';
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

export function cleanupNotice(
  execution: EndedExecution,
  cleanup: TaskCleanup,
): { subject: string; message: string } {
  const what: Record<TaskCleanup, string> = {
    canceled: `Its mitigation task ${execution.name} was still running and has been canceled.`,
    'already-ended': `Its mitigation task ${execution.name} had already ended; nothing was canceled.`,
    'never-started': 'No mitigation task had been started.',
    'not-applicable': 'It was a dry run: no mitigation task is ever started.',
    'not-ours': `It started no mitigation task; a task named ${execution.name}, if any, is not its own and was left alone.`,
  };
  const lines = [
    `The remediation execution ${execution.name} ended ${execution.status}.`,
    what[cleanup],
    ...(execution.error ? [`Error: ${execution.error}`] : []),
    ...(execution.cause ? [`Cause: ${execution.cause.slice(0, 2000)}`] : []),
    `Execution: ${execution.executionArn}`,
    'The sweep does not retry this audit under the same name; an operator can re-run it (npm run rerun).',
  ];
  return {
    // SNS subjects are at most 100 characters.
    subject: `Remediation ${execution.status}: ${execution.name}`.slice(0, 100),
    message: `${lines.join('\n')}\n\n${JSON.stringify({ execution, cleanup })}`,
  };
}
