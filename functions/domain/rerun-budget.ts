/**
 * How many re-runs an operator may start: at most 3 re-runs of one audit in 24 hours, unless the
 * request says `force` (the plan then records `rerunForced: true`). A re-run is an operator's request
 * put on the bus by anyone who may call PutEvents there; the limit bounds what a stolen or careless
 * hand can start.
 *
 * The count reads the executions themselves (their names are the record): before re-run n starts,
 * DescribeExecution looks up re-runs n, n-1, n-2 and n-3 under both names (`dry-<audit>-r<k>`,
 * `enf-<audit>-r<k>`). The rules, in order:
 *
 * 1. The name this re-run would start exists already: allowed (StartExecution answers a duplicate).
 * 2. Re-run n ran under the other mode's name: refused (`rerun-number-used`), ask for n+1.
 * 3. n >= 2 and re-run n-1 exists under neither name: refused (`rerun-out-of-sequence`). Numbers go up
 *    one at a time, so skipping numbers (10, 20, 30...) cannot dodge the count.
 * 4. Re-runs n-1, n-2 and n-3 all started within the last 24 hours: refused (`rerun-limit`), unless
 *    forced.
 *
 * Why this is sound: by rule 3 re-run k starts only after k-1 exists, so start times grow with k; a
 * fourth unforced re-run d within any 24 hours would find d-1, d-2 and d-3 (all later than or equal to
 * the first of the four) started within 24 hours, and is refused by rule 4. Closed executions stay
 * describable for 90 days (https://docs.aws.amazon.com/step-functions/latest/dg/limits.html), the same
 * 90 days Device Defender keeps an audit's findings
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_ListAuditFindings.html): a re-run n-1 that
 * is gone was closed more than 90 days ago, long outside the 24 hours. Limits: DescribeExecution is
 * eventually consistent, so a re-run asked for within moments of the previous one may be refused as
 * out of sequence (ask again); two requests for the same number at the same instant under different
 * modes (the switch changed between them) may both start.
 */
import { runName } from './names.ts';
import { iso } from './switch.ts';

export const MAX_RERUNS_PER_WINDOW = 3;
export const RERUN_WINDOW_MS = 24 * 3_600_000;

export type RerunRefusalReason = 'rerun-number-used' | 'rerun-out-of-sequence' | 'rerun-limit';

export type RerunDecision =
  | { readonly allowed: true; readonly limitLifted: boolean }
  | { readonly allowed: false; readonly reason: RerunRefusalReason; readonly detail: string };

/** Both names of re-run k of an audit: dry run and enforce. */
function namesOf(auditTaskId: string, k: number): [string, string] {
  return [runName('dry-run', auditTaskId, k), runName('enforce', auditTaskId, k)];
}

/** The execution names to look up before re-run `rerun` starts: re-runs n .. n-3, both modes. */
export function rerunNamesToLookUp(auditTaskId: string, rerun: number): string[] {
  const names: string[] = [];
  for (let k = rerun; k >= Math.max(1, rerun - MAX_RERUNS_PER_WINDOW); k -= 1)
    names.push(...namesOf(auditTaskId, k));
  return names;
}

export interface RerunRequestState {
  readonly auditTaskId: string;
  readonly rerun: number;
  /** The execution name the plan would start. */
  readonly executionName: string;
  readonly force: boolean;
  /** Epoch milliseconds. */
  readonly now: number;
  /** When each looked-up execution started (epoch milliseconds); absent: no such execution. */
  readonly startedAt: ReadonlyMap<string, number>;
}

export function decideRerun(state: RerunRequestState): RerunDecision {
  const { auditTaskId, rerun, executionName, force, now, startedAt } = state;
  if (startedAt.has(executionName)) return { allowed: true, limitLifted: false };

  const other = namesOf(auditTaskId, rerun).find((name) => name !== executionName && startedAt.has(name));
  if (other !== undefined)
    return {
      allowed: false,
      reason: 'rerun-number-used',
      detail: `re-run ${rerun} of audit ${auditTaskId} already started as ${other} (${iso(startedAt.get(other)!)}); ask for re-run ${rerun + 1}`,
    };

  if (rerun >= 2 && !namesOf(auditTaskId, rerun - 1).some((name) => startedAt.has(name)))
    return {
      allowed: false,
      reason: 'rerun-out-of-sequence',
      detail: `re-run numbers go up one at a time: re-run ${rerun - 1} of audit ${auditTaskId} was never started (or closed more than 90 days ago); ask for the lowest number not used yet`,
    };

  const recent: { k: number; at: number }[] = [];
  for (let k = rerun - 1; k >= Math.max(1, rerun - MAX_RERUNS_PER_WINDOW); k -= 1) {
    const starts = namesOf(auditTaskId, k)
      .map((name) => startedAt.get(name))
      .filter((at): at is number => at !== undefined);
    const latest = starts.length > 0 ? Math.max(...starts) : undefined;
    if (latest !== undefined && latest > now - RERUN_WINDOW_MS) recent.push({ k, at: latest });
  }
  if (recent.length < MAX_RERUNS_PER_WINDOW) return { allowed: true, limitLifted: false };
  if (force) return { allowed: true, limitLifted: true };
  const earliest = Math.min(...recent.map((r) => r.at));
  return {
    allowed: false,
    reason: 'rerun-limit',
    detail: `${MAX_RERUNS_PER_WINDOW} re-runs of audit ${auditTaskId} started in the last 24 hours (${recent
      .map((r) => `r${r.k} at ${iso(r.at)}`)
      .join(
        ', ',
      )}); the next is allowed from ${iso(earliest + RERUN_WINDOW_MS)}, or ask again with --force (the plan records a forced re-run)`,
  };
}
