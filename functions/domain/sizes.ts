/**
 * Sizes in bytes, never in characters: AWS counts a payload's UTF-8 bytes, and a name of multi-byte
 * characters is up to four times longer in bytes than `.length` says. Every bound the planner puts
 * on what it reads and what it starts is here, with why (docs/aws-facts/planner-inputs.md).
 */

/**
 * Step Functions refuses an execution input above 262,144 bytes "as a UTF-8 encoded string"
 * (https://docs.aws.amazon.com/step-functions/latest/dg/limits.html): the plan is measured before
 * StartExecution so that the refusal is ours, typed and named, and nothing is started.
 */
export const EXECUTION_INPUT_LIMIT_BYTES = 262_144;

/**
 * The largest event the planner reads. A real "Audit Completed" event holds one notification of at
 * most the 17 audit checks (a few KB); EventBridge itself admits events up to 1 MB
 * (https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb/),
 * so the bound is the planner's own, far above anything Device Defender sends.
 */
export const MAX_EVENT_BYTES = 65_536;

/**
 * The largest DescribeAuditTask answer the planner reads (its JSON, timestamps as text). AWS documents
 * no size; 17 checks take a few KB. Past this the answer is refused before it is parsed.
 */
export const MAX_AUDIT_ANSWER_BYTES = 1_048_576;

/** What was too large. */
export type SizedThing = 'event' | 'DescribeAuditTask answer' | 'execution input';

/** A payload above its bound: what it is, its size and the bound, in bytes. */
export class TooLargeError extends Error {
  override readonly name = 'TooLargeError';
  readonly what: SizedThing;
  readonly bytes: number;
  readonly limit: number;

  constructor(what: SizedThing, bytes: number, limit: number) {
    super(`the ${what} is ${bytes} bytes (UTF-8), above the limit of ${limit} bytes`);
    this.what = what;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** The UTF-8 size of a text. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * The UTF-8 size of a value as JSON, without building the text when the value holds something JSON
 * cannot write (undefined: 0 bytes).
 */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : utf8Bytes(text);
}

/** Throws a TooLargeError when `bytes` is above `limit`. */
export function assertWithin(what: SizedThing, bytes: number, limit: number): void {
  if (bytes > limit) throw new TooLargeError(what, bytes, limit);
}
