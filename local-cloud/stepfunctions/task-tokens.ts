/**
 * The callback pattern (`.waitForTaskToken`) on the virtual clock: each attempt of a callback Task gets
 * a fresh token, the state's integration is called with it, and the state then waits until
 * SendTaskSuccess / SendTaskFailure closes the token, or its TimeoutSeconds elapse (States.Timeout), or
 * the execution stops. The API's errors follow its reference (docs/aws-facts/step-functions.md,
 * "Callback tasks"): a token that is not one of ours is InvalidToken, one never issued
 * TaskDoesNotExist, one already closed (succeeded, failed, timed out, execution stopped) TaskTimedOut.
 */
import { randomBytes } from 'node:crypto';
import type { VirtualClock } from '../clock.ts';
import { SfnApiError, TaskFailure } from './errors.ts';

/** Stands for `$$.Task.Token` in a rewritten callback state's Parameters (see `prepareDefinition`). */
export const TASK_TOKEN_PLACEHOLDER = '__local_task_token__';

/** SendTaskSuccess's output, at most 262,144 bytes (the API reference). */
const MAX_OUTPUT_BYTES = 262_144;
const TOKEN_PREFIX = 'local1.';

interface Pending {
  readonly executionArn: string;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
}

export class TaskTokens {
  readonly #clock: VirtualClock;
  readonly #pending = new Map<string, Pending>();
  readonly #issued = new Set<string>();

  constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  /** A new token, opaque as Step Functions' own (printable ASCII, well under the API's 2,048 characters). */
  issue(): string {
    const token = `${TOKEN_PREFIX}${randomBytes(48).toString('base64url')}`;
    this.#issued.add(token);
    return token;
  }

  /**
   * Waits for the token to be closed. `timeoutSeconds` ends the wait with States.Timeout; aborting
   * `signal` (the execution stopped) closes the token too.
   */
  wait(token: string, executionArn: string, timeoutSeconds: number, signal: AbortSignal): Promise<unknown> {
    let resolve!: (output: unknown) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<unknown>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    const timer = new AbortController();
    const close = () => {
      this.#pending.delete(token);
      timer.abort();
      signal.removeEventListener('abort', onStop);
    };
    const onStop = () => {
      close();
      reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    this.#pending.set(token, {
      executionArn,
      resolve: (output) => {
        close();
        resolve(output);
      },
      reject: (error) => {
        close();
        reject(error);
      },
    });
    if (signal.aborted) onStop();
    else signal.addEventListener('abort', onStop, { once: true });
    this.#clock.sleep(timeoutSeconds * 1000, timer.signal).then(
      () => {
        if (!this.#pending.has(token)) return;
        close();
        reject(
          new TaskFailure('States.Timeout', `The task did not report back within ${timeoutSeconds} seconds`),
        );
      },
      () => {},
    );
    return promise;
  }

  /** The execution a pending token belongs to (for tests and diagnostics). */
  executionOf(token: string): string | undefined {
    return this.#pending.get(token)?.executionArn;
  }

  /** Tokens still waiting, oldest first. */
  get waiting(): string[] {
    return [...this.#pending.keys()];
  }

  sendTaskSuccess(token: unknown, output: unknown): void {
    const pending = this.#open(token);
    if (typeof output !== 'string') throw new SfnApiError('ValidationException', 'output is required');
    if (Buffer.byteLength(output, 'utf8') > MAX_OUTPUT_BYTES)
      throw new SfnApiError(
        'ValidationException',
        `1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to ${MAX_OUTPUT_BYTES}`,
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new SfnApiError('InvalidOutput', 'Invalid Output: the output is not JSON');
    }
    pending.resolve(parsed);
  }

  sendTaskFailure(token: unknown, error: unknown, cause: unknown): void {
    const pending = this.#open(token);
    pending.reject(
      new TaskFailure(typeof error === 'string' ? error : '', typeof cause === 'string' ? cause : ''),
    );
  }

  #open(token: unknown): Pending {
    if (typeof token !== 'string' || token.length < 1 || token.length > 2048)
      throw new SfnApiError('ValidationException', 'taskToken must be 1 to 2048 characters');
    if (!token.startsWith(TOKEN_PREFIX)) throw new SfnApiError('InvalidToken', 'Invalid token');
    if (!this.#issued.has(token)) throw new SfnApiError('TaskDoesNotExist', 'Task Does Not Exist');
    const pending = this.#pending.get(token);
    if (pending === undefined) throw new SfnApiError('TaskTimedOut', 'Task Timed Out');
    return pending;
  }
}

/** Puts `token` wherever the rewritten Parameters hold the placeholder (whole values or inside strings). */
export function withTaskToken(value: unknown, token: string): unknown {
  if (typeof value === 'string') return value.split(TASK_TOKEN_PLACEHOLDER).join(token);
  if (Array.isArray(value)) return value.map((item) => withTaskToken(item, token));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withTaskToken(v, token)]));
  return value;
}
