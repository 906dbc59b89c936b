/**
 * Real time, sped up, for a virtual clock: a local stack that people drive by hand (the AWS CLI, `npm
 * run local-stack`) cannot jump to the next wake-up, since it does not know when the next request
 * comes. Every tick the clock moves by the real time elapsed since the last one, times `speed`, as one
 * piece of the clock's work, so that, as in virtual time, it never moves while a task is served.
 */
import type { VirtualClock } from './clock.ts';

/** Real milliseconds between two moves of the clock. */
export const REAL_TIME_TICK_MS = 50;

/** Starts moving `clock` (built with `autoAdvance: false`) with real time; returns what stops it. */
export function driveWithRealTime(
  clock: VirtualClock,
  speed: number,
  tickMs = REAL_TIME_TICK_MS,
): () => void {
  if (!(speed > 0) || !Number.isFinite(speed))
    throw new RangeError(`speed must be a positive number, not ${speed}`);
  let last = performance.now();
  // The fraction of a virtual millisecond not spent yet, so that slow speeds still move the clock.
  let carry = 0;
  let moving = false;
  const timer = setInterval(() => {
    if (moving) return;
    moving = true;
    void clock
      .work(() => {
        const now = performance.now();
        const exact = (now - last) * speed + carry;
        last = now;
        const step = Math.floor(exact);
        carry = exact - step;
        return clock.advance(step);
      })
      .catch((error: unknown) => console.error('the local clock could not move:', error))
      .finally(() => {
        moving = false;
      });
  }, tickMs);
  // The servers keep a stack's process alive; the clock alone must not.
  timer.unref();
  return () => clearInterval(timer);
}
