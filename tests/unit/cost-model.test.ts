import { describe, expect, it } from 'vitest';
import {
  BILLING_CHUNK_BYTES,
  billedMilliseconds,
  chunkedRequests,
  gbSecondPrice,
  gigabyteSeconds,
  invocationBilledMs,
  PRICES,
  priceAudit,
  priceFindingPublishes,
} from '../../bench/cost-model.ts';

const usage = {
  stateTransitions: 400,
  lambda: { invocations: 3, gbSeconds: 0.75, architecture: 'arm64' as const },
  snsChunks: 3,
  emailDeliveries: 0,
  sqsRequests: 6,
  customEvents: 2,
  pipeRequests: 2,
};

describe('cost model: the billing arithmetic of bench/cost.ts', () => {
  it('rounds a Lambda duration up to the next millisecond, INIT and handler each', () => {
    expect(billedMilliseconds(0)).toBe(0);
    expect(billedMilliseconds(1)).toBe(1);
    expect(billedMilliseconds(1.0001)).toBe(2);
    expect(invocationBilledMs(417.4, 172.1)).toBe(418 + 173);
    expect(invocationBilledMs(351.5, 0)).toBe(352);
  });

  it('turns billed milliseconds at a memory size into GB-seconds (1,024 MB = 1 GB)', () => {
    expect(gigabyteSeconds(1000, 1024)).toBe(1);
    expect(gigabyteSeconds(591, 512)).toBeCloseTo(0.2955, 10);
    expect(gigabyteSeconds(1, 128)).toBeCloseTo(0.000125, 12);
  });

  it('bills a payload in 64 KB chunks, at least one', () => {
    expect(BILLING_CHUNK_BYTES).toBe(65_536);
    expect(chunkedRequests(0)).toBe(1);
    expect(chunkedRequests(65_536)).toBe(1);
    expect(chunkedRequests(65_537)).toBe(2);
    expect(chunkedRequests(262_144)).toBe(4);
  });

  it('prices each line at its published price and sums them; lines of nothing are left out', () => {
    const { lines, totalUsd } = priceAudit(usage);
    expect(lines.map((l) => l.item)).toEqual([
      'stateTransition',
      'lambdaRequest',
      'lambdaGbSecondArm',
      'snsPublish',
      'sqsRequest',
      'customEvent',
      'pipeRequest',
    ]);
    expect(lines[0]).toEqual({ item: 'stateTransition', quantity: 400, usd: 0.01 });
    expect(totalUsd).toBeCloseTo(
      400 * 0.000025 +
        3 * 0.0000002 +
        0.75 * 0.0000133334 +
        3 * 0.0000005 +
        6 * 0.0000004 +
        2 * 0.000001 +
        2 * 0.0000004,
      12,
    );
    expect(totalUsd).toBeCloseTo(
      lines.reduce((sum, l) => sum + l.usd, 0),
      15,
    );
  });

  it('prices x86_64 GB-seconds at the x86 price, and e-mail deliveries when there are some', () => {
    const { lines } = priceAudit({
      ...usage,
      lambda: { ...usage.lambda, architecture: 'x86_64' },
      emailDeliveries: 1,
    });
    expect(lines.find((l) => l.item === 'lambdaGbSecondX86')?.usd).toBeCloseTo(0.75 * 0.0000166667, 12);
    expect(lines.find((l) => l.item === 'snsEmailDelivery')?.usd).toBe(0.00002);
    expect(gbSecondPrice('arm64')).toBe(PRICES.lambdaGbSecondArm);
  });

  it('prices the per-finding publishes on their own: one request per 64 KB chunk of each message', () => {
    expect(priceFindingPublishes(1_000_000, 1_000)).toBeCloseTo(0.5, 12);
    expect(priceFindingPublishes(10, 70_000)).toBeCloseTo(20 * 0.0000005, 15);
    expect(priceFindingPublishes(0, 1_000)).toBe(0);
  });

  it('every price names its page', () => {
    for (const price of Object.values(PRICES)) expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
  });

  it('refuses what is no quantity, naming it', () => {
    expect(() => billedMilliseconds(-1)).toThrow(/duration/);
    expect(() => billedMilliseconds(Number.NaN)).toThrow(/duration/);
    expect(() => chunkedRequests(-5)).toThrow(/bytes/);
    expect(() => gigabyteSeconds(100, 64)).toThrow(/memoryMb/);
    expect(() => gigabyteSeconds(100, 512.5)).toThrow(/memoryMb/);
    expect(() => priceFindingPublishes(1.5, 10)).toThrow(/findings/);
    expect(() => priceAudit({ ...usage, stateTransitions: Number.POSITIVE_INFINITY })).toThrow(
      /stateTransition/,
    );
  });
});
