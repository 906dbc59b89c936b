import type { VirtualClock } from '../clock.ts';
import { RuntimeFailure } from './errors.ts';

/** The Parameters a rewritten Wait state passes (see `prepareDefinition`). */
interface WaitParameters {
  readonly input: unknown;
  readonly seconds?: unknown;
  readonly timestamp?: unknown;
}

/**
 * A Wait state on the virtual clock: sleeps exactly the waited time (Seconds/SecondsPath) or until the
 * timestamp (Timestamp/TimestampPath; one in the past does not wait), then passes its input on.
 */
export async function waitOnClock(
  clock: VirtualClock,
  parameters: unknown,
  signal: AbortSignal,
): Promise<unknown> {
  const { input, seconds, timestamp } = parameters as WaitParameters;
  if (seconds !== undefined) {
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new RuntimeFailure(`Wait seconds must be a non-negative integer, got ${JSON.stringify(seconds)}`);
    }
    await clock.sleep(seconds * 1000, signal);
  } else {
    const atMs = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
    if (Number.isNaN(atMs))
      throw new RuntimeFailure(`Wait timestamp is not ISO 8601: ${JSON.stringify(timestamp)}`);
    await clock.sleepUntil(atMs, signal);
  }
  return input;
}
