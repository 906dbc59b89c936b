import type { Retrier } from './definition.ts';

// Defaults of the States language, as aws-local-stepfunctions applies them.
const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_INTERVAL_SECONDS = 1;
const DEFAULT_BACKOFF_RATE = 2;

/**
 * Follows one execution's Retry fields so that the pause before each retry is spent on the virtual
 * clock: aws-local-stepfunctions is told to pause 0 ms and the runner sleeps the interval it would
 * have used (IntervalSeconds x BackoffRate^attempt, capped by MaxDelaySeconds) before it rethrows.
 * JitterStrategy FULL is ignored, so that runs stay deterministic. Attempts are counted per state
 * name, which is exact as long as one state name does not run in several Map iterations at once.
 */
export class RetryTracker {
  readonly #retriers: (stateName: string) => readonly Retrier[];
  readonly #attempts = new Map<string, number[]>();

  constructor(retriers: (stateName: string) => readonly Retrier[]) {
    this.#retriers = retriers;
  }

  /** The state left successfully: its next entry starts counting afresh. */
  succeeded(stateName: string): void {
    this.#attempts.delete(stateName);
  }

  /** Milliseconds to pause before the engine retries `stateName` after `error`, or undefined if it will not. */
  delayAfter(stateName: string, error: unknown): number | undefined {
    const retriers = this.#retriers(stateName);
    const attempts = this.#attempts.get(stateName) ?? retriers.map(() => 0);
    const index = retriers.findIndex((retrier) => matches(retrier, error));
    const retrier = retriers[index];
    const attempt = attempts[index] ?? 0;
    if (retrier === undefined || attempt >= (retrier.MaxAttempts ?? DEFAULT_MAX_ATTEMPTS)) {
      this.#attempts.delete(stateName);
      return undefined;
    }
    attempts[index] = attempt + 1;
    this.#attempts.set(stateName, attempts);
    const interval =
      (retrier.IntervalSeconds ?? DEFAULT_INTERVAL_SECONDS) *
      (retrier.BackoffRate ?? DEFAULT_BACKOFF_RATE) ** attempt;
    return Math.min(interval, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY) * 1000;
  }
}

function matches(retrier: Retrier, error: unknown): boolean {
  const { name, isRetryable } = error as { name?: string; isRetryable?: boolean };
  if (isRetryable === false) return false;
  return retrier.ErrorEquals.some(
    (wanted) =>
      wanted === name ||
      wanted === 'States.ALL' ||
      (wanted === 'States.TaskFailed' && name !== 'States.Timeout'),
  );
}
