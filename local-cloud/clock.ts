/**
 * Time for the local cloud. The emulator and the local Step Functions runner share one clock, so a
 * 24-hour mitigation task can be simulated in seconds and results never depend on machine speed.
 *
 * Contract: the emulator only reads `now()` (epoch milliseconds) and derives every state from it
 * lazily; whoever drives time (tests, the runner's Wait states, the demo) moves the clock.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export type ClockListener = (nowMs: number) => void | Promise<void>;

export interface VirtualClockOptions {
  /**
   * When every piece of work is idle and someone sleeps, jump to the earliest wake-up (default true).
   * Tests that step time by hand with `advance()` turn it off.
   */
  autoAdvance?: boolean;
}

interface WakeUp {
  readonly atMs: number;
  readonly order: number;
  readonly resolve: () => void;
}

/**
 * A clock that moves only when told to, and a discrete-event scheduler on top of it.
 *
 * Runners `sleep()` on it and wrap their work in `work()`. Work runs one piece at a time in FIFO order
 * and time stands still while any is pending; when nothing is pending and someone sleeps, the clock
 * jumps to the earliest wake-up. Results therefore depend only on the order of events, never on the
 * machine's speed, even with many executions running at once.
 */
export class VirtualClock implements Clock {
  #now: number;
  readonly #listeners = new Set<ClockListener>();
  readonly #autoAdvance: boolean;
  readonly #wakeUps = new Set<WakeUp>();
  #wakeUpCount = 0;
  #pendingWork = 0;
  #workQueue: Promise<unknown> = Promise.resolve();
  #idleCheckScheduled = false;

  constructor(startMs: number = Date.UTC(2026, 0, 1), options: VirtualClockOptions = {}) {
    this.#now = startMs;
    this.#autoAdvance = options.autoAdvance ?? true;
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward, lets listeners (e.g. the emulator emitting notifications) react, then wakes sleepers. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`cannot move a clock backwards (${ms} ms)`);
    this.#now += ms;
    for (const listener of this.#listeners) await listener(this.#now);
    this.#wakeDue();
  }

  onAdvance(listener: ClockListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once the clock has moved `ms` forward; aborting `signal` drops the wake-up and rejects with its reason. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.sleepUntil(this.#now + Math.max(0, ms), signal);
  }

  sleepUntil(atMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (this.#wakeUps.delete(wakeUp)) reject(signal?.reason);
      };
      // A woken sleeper stops listening, or a long execution's signal would collect a listener per wait.
      const wakeUp: WakeUp = {
        atMs,
        order: this.#wakeUpCount++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.#wakeUps.add(wakeUp);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (atMs <= this.#now) this.#wakeDue();
      this.#scheduleIdleCheck();
    });
  }

  /** Runs `task` when all work queued before it has settled; time does not move until it settles. */
  work<T>(task: () => Promise<T>): Promise<T> {
    this.#pendingWork++;
    const turn = this.#workQueue.then(task).finally(() => {
      this.#pendingWork--;
      this.#scheduleIdleCheck();
    });
    this.#workQueue = turn.catch(() => {});
    return turn;
  }

  /** How many sleepers wait for the clock (for tests and diagnostics). */
  get sleepers(): number {
    return this.#wakeUps.size;
  }

  #wakeDue(): void {
    const due = [...this.#wakeUps].filter((w) => w.atMs <= this.#now).sort(byWakeOrder);
    for (const wakeUp of due) {
      this.#wakeUps.delete(wakeUp);
      wakeUp.resolve();
    }
  }

  // setImmediate runs after every pending microtask, so executions woken by the last jump have
  // reached their next sleep or their next piece of work before the clock decides to move again.
  #scheduleIdleCheck(): void {
    if (!this.#autoAdvance || this.#idleCheckScheduled) return;
    this.#idleCheckScheduled = true;
    setImmediate(() => {
      this.#idleCheckScheduled = false;
      if (this.#pendingWork > 0 || this.#wakeUps.size === 0) return;
      const next = Math.min(...[...this.#wakeUps].map((w) => w.atMs));
      void this.work(() => this.advance(Math.max(0, next - this.#now)));
    });
  }
}

const byWakeOrder = (a: WakeUp, b: WakeUp) => a.atMs - b.atMs || a.order - b.order;

/** Real time, sped up by `factor` from the moment it was created (for the standalone emulator). */
export class ScaledClock implements Clock {
  readonly #origin = Date.now();
  constructor(readonly factor = 1) {}
  now(): number {
    return this.#origin + (Date.now() - this.#origin) * this.factor;
  }
}
