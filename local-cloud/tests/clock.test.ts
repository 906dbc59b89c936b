import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../clock.ts';

describe('VirtualClock as a scheduler', () => {
  it('jumps to each wake-up in order, and only when no work is pending', async () => {
    const clock = new VirtualClock(0);
    const woken: string[] = [];
    let releaseWork!: () => void;
    const work = clock.work(() => new Promise<void>((resolve) => (releaseWork = resolve)));
    const sleepers = [
      clock.sleep(30_000).then(() => woken.push(`b@${clock.now()}`)),
      clock.sleep(10_000).then(() => woken.push(`a@${clock.now()}`)),
      clock.sleep(30_000).then(() => woken.push(`c@${clock.now()}`)),
    ];
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clock.now()).toBe(0);

    releaseWork();
    await work;
    await Promise.all(sleepers);
    expect(woken).toEqual(['a@10000', 'b@30000', 'c@30000']);
  });

  it('drops an aborted sleep, rejecting it with the reason, so the clock never jumps for it', async () => {
    const clock = new VirtualClock(0, { autoAdvance: false });
    const stop = new AbortController();
    const sleeping = clock.sleep(60_000, stop.signal);
    stop.abort(new Error('stopped'));
    await expect(sleeping).rejects.toThrow('stopped');
    expect(clock.sleepers).toBe(0);
  });

  it('still lets a test move time by hand, listeners first, then the sleepers due', async () => {
    const clock = new VirtualClock(0, { autoAdvance: false });
    const seen: string[] = [];
    clock.onAdvance((now) => {
      seen.push(`listener@${now}`);
    });
    const sleeping = clock.sleep(5_000).then(() => seen.push(`sleeper@${clock.now()}`));
    await clock.advance(4_000);
    await clock.advance(1_000);
    await sleeping;
    expect(seen).toEqual(['listener@4000', 'listener@5000', 'sleeper@5000']);
  });
});
