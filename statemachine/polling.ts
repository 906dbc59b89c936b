/**
 * The polling schedule of the remediation state machine (DESIGN "Polling"): each wait is about 10 % of
 * the time elapsed since the task started, at least 15 s and at most 15 minutes. JSONPath has no
 * multiply, so the waits are precomputed here and written into remediation.asl.json as literal arrays
 * (a test keeps the two in step); once a wait reaches the cap, every later wait is the cap.
 */
export const MIN_POLL_WAIT_SECONDS = 15;
export const MAX_POLL_WAIT_SECONDS = 900;

/** Waits by poll number, up to and including the first wait at the cap. */
export function pollWaitSchedule(): number[] {
  const waits: number[] = [];
  let elapsed = 0;
  for (;;) {
    // Rounded down, so a task that ends just after a poll is detected within 10 % of its duration.
    const wait = Math.min(MAX_POLL_WAIT_SECONDS, Math.max(MIN_POLL_WAIT_SECONDS, Math.floor(elapsed / 10)));
    waits.push(wait);
    if (wait === MAX_POLL_WAIT_SECONDS) return waits;
    elapsed += wait;
  }
}

/** The poll times (seconds since the start) the state machine follows until `deadlineSeconds`. */
export function pollTimes(deadlineSeconds: number): number[] {
  const schedule = pollWaitSchedule();
  const times: number[] = [];
  let elapsed = 0;
  for (let poll = 0; ; poll++) {
    elapsed += schedule[poll] ?? MAX_POLL_WAIT_SECONDS;
    if (elapsed >= deadlineSeconds) return times;
    times.push(elapsed);
  }
}
