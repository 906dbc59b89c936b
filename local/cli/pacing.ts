/**
 * Keeps a command's calls of one API under a rate: each call starts at least 1/rate seconds after
 * the one before, so a quota of N calls per second (docs/aws-facts/iot-api.md, "Request quotas") is
 * never reached by the command alone. Time is injected: tests move a clock instead of waiting.
 */

export interface PaceClock {
  /** Milliseconds, of any epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realTime: PaceClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Resolves when the next call may start. Each caller reserves its turn before it waits. */
export type Pace = () => Promise<void>;

export function pacer(callsPerSecond: number, clock: PaceClock = realTime): Pace {
  if (!(callsPerSecond > 0 && Number.isFinite(callsPerSecond)))
    throw new RangeError(`a pace needs a positive number of calls per second, got ${callsPerSecond}`);
  const spacingMs = 1000 / callsPerSecond;
  let nextStart = Number.NEGATIVE_INFINITY;
  return async () => {
    const now = clock.now();
    const start = Math.max(now, nextStart);
    nextStart = start + spacingMs;
    if (start > now) await clock.sleep(start - now);
  };
}
