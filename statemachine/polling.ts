/**
 * The polling schedule of the remediation state machine (docs/decisions.md, "The polling schedule"): each wait is about 10 % of
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

/**
 * The runtime switch is re-read while a task runs, so that `paused` cancels it within
 * SWITCH_READ_GAP_SECONDS (README, "The remediation state machine"): reading it at every poll would add a
 * Task state to each of a 24-hour task's 139 polls, so it is read only at the polls where waiting for the
 * next one would leave it unread for longer than that. Once the waits reach the cap that is every poll.
 * History and cost: docs/aws-facts/step-functions.md.
 */
export const SWITCH_READ_GAP_SECONDS = 900;
/**
 * The switch was last read before the start; the first poll's wait counts from the start. Between the two
 * lie the start's own retries (2 + 4 + 8 + 16 + 32 s) and, when a task is adopted, the describe's retries
 * (as many again): this margin covers both.
 */
export const START_MARGIN_SECONDS = 150;

/**
 * The poll numbers (poll n comes after n waits) at which the switch is read before the task is
 * described, among the polls of `pollWaitSchedule()`: the latest polls that keep every gap between two
 * reads within SWITCH_READ_GAP_SECONDS. Every poll after the schedule reads it (its waits are the cap).
 */
export function switchReadPolls(): number[] {
  const schedule = pollWaitSchedule();
  const wait = (poll: number) => schedule[poll] ?? MAX_POLL_WAIT_SECONDS;
  const reads: number[] = [];
  let lastRead = -START_MARGIN_SECONDS;
  let time = 0;
  for (let poll = 1; poll <= schedule.length; poll++) {
    time += wait(poll - 1);
    // Not read now, it would next be read at the following poll: too late?
    if (time + wait(poll) - lastRead > SWITCH_READ_GAP_SECONDS) {
      reads.push(poll);
      lastRead = time;
    }
  }
  return reads;
}
