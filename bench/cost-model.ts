/**
 * What one remediation costs as AWS would bill it: the published us-east-1 prices (each with its page
 * and the day it was read: docs/aws-facts/pricing.md) and the pure arithmetic that turns counted usage
 * into US dollars. Free tiers are left out on purpose: a figure per audit must hold for the account
 * that has used its free tier up elsewhere.
 */

/** The day the prices below were read. */
export const PRICES_READ_ON = '2026-11-30';

export interface Price {
  /** US dollars per unit. */
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
  /** How the figure was read: from the page itself, or a copy of it when the page was not reachable. */
  readonly via?: string;
}

const STEP_FUNCTIONS = 'https://aws.amazon.com/step-functions/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const SNS = 'https://aws.amazon.com/sns/pricing/';
const SQS = 'https://aws.amazon.com/sqs/pricing/';
const EVENTBRIDGE = 'https://aws.amazon.com/eventbridge/pricing/';

/** us-east-1, read on PRICES_READ_ON (docs/aws-facts/pricing.md has the words each figure rests on). */
export const PRICES = {
  stateTransition: { usd: 0.025 / 1000, unit: 'state transition (Standard)', source: STEP_FUNCTIONS },
  lambdaRequest: { usd: 0.2 / 1e6, unit: 'Lambda request', source: LAMBDA, via: 'third-party copies' },
  lambdaGbSecondArm: {
    usd: 0.0000133334,
    unit: 'Lambda GB-second, arm64 (first 7.5 billion GB-s a month)',
    source: LAMBDA,
    via: 'third-party copies',
  },
  lambdaGbSecondX86: {
    usd: 0.0000166667,
    unit: 'Lambda GB-second, x86_64 (first 6 billion GB-s a month)',
    source: LAMBDA,
    via: 'third-party copies',
  },
  snsPublish: {
    usd: 0.5 / 1e6,
    unit: 'SNS standard-topic request (each 64 KB chunk of a publish)',
    source: SNS,
    via: 'third-party copies',
  },
  snsEmailDelivery: { usd: 2 / 100_000, unit: 'SNS e-mail delivery', source: SNS, via: 'third-party copies' },
  sqsRequest: {
    usd: 0.4 / 1e6,
    unit: 'SQS standard-queue request (each 64 KB chunk)',
    source: SQS,
    via: 'third-party copies',
  },
  customEvent: {
    usd: 1 / 1e6,
    unit: 'EventBridge custom event put on a bus (each 64 KB chunk)',
    source: EVENTBRIDGE,
    via: 'third-party copies',
  },
  pipeRequest: {
    usd: 0.4 / 1e6,
    unit: 'EventBridge Pipes request after filtering (each 64 KB chunk)',
    source: EVENTBRIDGE,
    via: 'third-party copies',
  },
} as const satisfies Record<string, Price>;

/** SNS, SQS, EventBridge and Pipes bill a payload in 64 KB chunks, each as one request. */
export const BILLING_CHUNK_BYTES = 64 * 1024;

/** Requests billed for one payload of `bytes`: at least one, one more per started 64 KB. */
export function chunkedRequests(bytes: number): number {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`bytes must be a size, not ${bytes}`);
  return Math.max(1, Math.ceil(bytes / BILLING_CHUNK_BYTES));
}

/** Lambda rounds a duration up to the next millisecond. */
export function billedMilliseconds(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`duration must be >= 0 ms, not ${ms}`);
  return Math.ceil(ms);
}

/**
 * One invocation's billed duration: INIT (billed for managed runtimes since 1 August 2025) and the
 * handler, each rounded up to the millisecond (rounding them apart bills at most 1 ms more than
 * together: the pricing page does not say which).
 */
export function invocationBilledMs(initMs: number, handlerMs: number): number {
  return billedMilliseconds(initMs) + billedMilliseconds(handlerMs);
}

export function gigabyteSeconds(billedMs: number, memoryMb: number): number {
  if (!Number.isInteger(memoryMb) || memoryMb < 128 || memoryMb > 10_240)
    throw new RangeError(`memoryMb must be an integer from 128 to 10,240, not ${memoryMb}`);
  return (billedMs / 1000) * (memoryMb / 1024);
}

export type Architecture = 'arm64' | 'x86_64';

export const gbSecondPrice = (architecture: Architecture): Price =>
  architecture === 'arm64' ? PRICES.lambdaGbSecondArm : PRICES.lambdaGbSecondX86;

/** What one audit used, as counted on the local stack. */
export interface AuditUsage {
  readonly stateTransitions: number;
  readonly lambda: {
    readonly invocations: number;
    readonly gbSeconds: number;
    readonly architecture: Architecture;
  };
  /** The stack's own publishes (notifications in, reports out): 64 KB chunks, summed over messages. */
  readonly snsChunks: number;
  /** E-mail deliveries of the stack's reports (one per report when ReportEmail is set). */
  readonly emailDeliveries: number;
  readonly sqsRequests: number;
  readonly customEvents: number;
  readonly pipeRequests: number;
}

export interface PriceLine {
  readonly item: keyof typeof PRICES;
  readonly quantity: number;
  readonly usd: number;
}

/** The bill of one audit, line by line (lines of zero quantity left out), and its total. */
export function priceAudit(usage: AuditUsage): { lines: PriceLine[]; totalUsd: number } {
  const quantities: [keyof typeof PRICES, number][] = [
    ['stateTransition', usage.stateTransitions],
    ['lambdaRequest', usage.lambda.invocations],
    [
      usage.lambda.architecture === 'arm64' ? 'lambdaGbSecondArm' : 'lambdaGbSecondX86',
      usage.lambda.gbSeconds,
    ],
    ['snsPublish', usage.snsChunks],
    ['snsEmailDelivery', usage.emailDeliveries],
    ['sqsRequest', usage.sqsRequests],
    ['customEvent', usage.customEvents],
    ['pipeRequest', usage.pipeRequests],
  ];
  const lines = quantities
    .filter(([, quantity]) => quantity > 0)
    .map(([item, quantity]) => {
      if (!Number.isFinite(quantity))
        throw new RangeError(`${item}: quantity must be finite, not ${quantity}`);
      return { item, quantity, usd: quantity * PRICES[item].usd };
    });
  return { lines, totalUsd: lines.reduce((sum, line) => sum + line.usd, 0) };
}

/** The per-finding PUBLISH_FINDING_TO_SNS messages: one publish per finding, priced on their own. */
export function priceFindingPublishes(findings: number, messageBytes: number): number {
  if (!Number.isInteger(findings) || findings < 0)
    throw new RangeError(`findings must be a whole number, not ${findings}`);
  return findings * chunkedRequests(messageBytes) * PRICES.snsPublish.usd;
}

/** US cents, for the table. */
export const cents = (usd: number) => usd * 100;
