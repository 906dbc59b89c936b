// The re-run budget (functions/domain/rerun-budget.ts): at most 3 re-runs of an audit in 24 hours
// unless forced, numbers one at a time, decided from when the earlier re-runs' executions started.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideRerun,
  MAX_RERUNS_PER_WINDOW,
  RERUN_WINDOW_MS,
  rerunNamesToLookUp,
} from '#domain/rerun-budget';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const hoursAgo = (h: number) => NOW - h * 3_600_000;
const decide = (
  rerun: number,
  startedAt: Record<string, number>,
  force = false,
  executionName = `dry-a-r${rerun}`,
) =>
  decideRerun({
    auditTaskId: 'a',
    rerun,
    executionName,
    force,
    now: NOW,
    startedAt: new Map(Object.entries(startedAt)),
  });

describe('rerunNamesToLookUp', () => {
  it('names re-runs n to n-3 under both modes, never below 1', () => {
    expect(rerunNamesToLookUp('a', 5)).toEqual([
      'dry-a-r5',
      'enf-a-r5',
      'dry-a-r4',
      'enf-a-r4',
      'dry-a-r3',
      'enf-a-r3',
      'dry-a-r2',
      'enf-a-r2',
    ]);
    expect(rerunNamesToLookUp('a', 1)).toEqual(['dry-a-r1', 'enf-a-r1']);
  });
});

describe('decideRerun', () => {
  it('allows the first three re-runs of a day', () => {
    expect(decide(1, {})).toEqual({ allowed: true, limitLifted: false });
    expect(decide(2, { 'dry-a-r1': hoursAgo(1) })).toEqual({ allowed: true, limitLifted: false });
    expect(decide(3, { 'dry-a-r1': hoursAgo(2), 'enf-a-r2': hoursAgo(1) })).toMatchObject({ allowed: true });
  });

  it('refuses a fourth within 24 hours, saying when the next is allowed and how to force it', () => {
    const started = { 'dry-a-r1': hoursAgo(5), 'dry-a-r2': hoursAgo(3), 'enf-a-r3': hoursAgo(1) };
    expect(decide(4, started)).toEqual({
      allowed: false,
      reason: 'rerun-limit',
      detail:
        '3 re-runs of audit a started in the last 24 hours (r3 at 2026-11-30T11:00:00.000Z, r2 at 2026-11-30T09:00:00.000Z, r1 at 2026-11-30T07:00:00.000Z); the next is allowed from 2026-12-01T07:00:00.000Z, or ask again with --force (the plan records a forced re-run)',
    });
    expect(decide(4, started, true)).toEqual({ allowed: true, limitLifted: true });
    // Once the oldest of the three is more than 24 hours old, the next one is allowed again.
    expect(decide(4, { ...started, 'dry-a-r1': hoursAgo(25) })).toEqual({
      allowed: true,
      limitLifted: false,
    });
  });

  it('refuses a number whose predecessor never ran, so that skipping numbers cannot dodge the count', () => {
    expect(
      decide(10, { 'dry-a-r1': hoursAgo(1), 'dry-a-r2': hoursAgo(1), 'dry-a-r3': hoursAgo(1) }),
    ).toMatchObject({
      allowed: false,
      reason: 'rerun-out-of-sequence',
    });
    expect(decide(2, {}, true)).toMatchObject({ allowed: false, reason: 'rerun-out-of-sequence' });
  });

  it('refuses a number already used under the other mode, and lets a repeat of the same name through', () => {
    expect(decide(2, { 'dry-a-r1': hoursAgo(2), 'enf-a-r2': hoursAgo(1) })).toMatchObject({
      allowed: false,
      reason: 'rerun-number-used',
      detail: expect.stringContaining('ask for re-run 3'),
    });
    const all = {
      'dry-a-r1': hoursAgo(3),
      'dry-a-r2': hoursAgo(2),
      'dry-a-r3': hoursAgo(1),
      'dry-a-r4': hoursAgo(0),
    };
    expect(decide(4, all)).toEqual({ allowed: true, limitLifted: false });
  });

  it('never lets more than 3 unforced re-runs start within any 24 hours (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gapMinutes: fc.nat({ max: 48 * 60 }), force: fc.boolean() }), { maxLength: 30 }),
        (requests) => {
          const startedAt = new Map<string, number>();
          const starts: { at: number; forced: boolean }[] = [];
          let now = Date.parse('2026-01-01T00:00:00Z');
          let next = 1;
          for (const { gapMinutes, force } of requests) {
            now += gapMinutes * 60_000;
            const name = `dry-a-r${next}`;
            const decision = decideRerun({
              auditTaskId: 'a',
              rerun: next,
              executionName: name,
              force,
              now,
              startedAt,
            });
            if (decision.allowed) {
              startedAt.set(name, now);
              starts.push({ at: now, forced: decision.limitLifted });
              next += 1;
            }
          }
          // Unforced starts: no four within 24 hours of each other.
          const unforced = starts.filter((s) => !s.forced).map((s) => s.at);
          for (let i = MAX_RERUNS_PER_WINDOW; i < unforced.length; i += 1)
            expect(unforced[i]! - unforced[i - MAX_RERUNS_PER_WINDOW]!).toBeGreaterThanOrEqual(
              RERUN_WINDOW_MS,
            );
        },
      ),
      { numRuns: 300, seed: 20_261_130 },
    );
  });
});
