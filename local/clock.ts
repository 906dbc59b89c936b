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

/** A clock that moves only when told to. */
export class VirtualClock implements Clock {
  #now: number;
  readonly #listeners = new Set<ClockListener>();

  constructor(startMs: number = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward and lets listeners (e.g. the emulator emitting notifications) react. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`cannot move a clock backwards (${ms} ms)`);
    this.#now += ms;
    for (const listener of this.#listeners) await listener(this.#now);
  }

  onAdvance(listener: ClockListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** Real time, sped up by `factor` from the moment it was created (for the standalone emulator). */
export class ScaledClock implements Clock {
  readonly #origin = Date.now();
  constructor(readonly factor = 1) {}
  now(): number {
    return this.#origin + (Date.now() - this.#origin) * this.factor;
  }
}
