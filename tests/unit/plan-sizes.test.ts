// Sizes in bytes (functions/domain/sizes.ts): what AWS counts is UTF-8 bytes, not characters.
import { describe, expect, it } from 'vitest';
import {
  assertWithin,
  EXECUTION_INPUT_LIMIT_BYTES,
  jsonBytes,
  MAX_AUDIT_ANSWER_BYTES,
  MAX_EVENT_BYTES,
  TooLargeError,
  utf8Bytes,
} from '#domain/sizes';

describe('sizes in bytes', () => {
  it("counts UTF-8 bytes: '界' is one character and three bytes, an emoji two characters and four", () => {
    expect(utf8Bytes('abc')).toBe(3);
    expect(utf8Bytes('界')).toBe(3);
    expect('🛰'.length).toBe(2);
    expect(utf8Bytes('🛰')).toBe(4);
    expect(jsonBytes({ name: '界' })).toBe(14);
    expect(jsonBytes(undefined)).toBe(0);
  });

  it('knows the limits it enforces', () => {
    expect(EXECUTION_INPUT_LIMIT_BYTES).toBe(262_144);
    expect(MAX_EVENT_BYTES).toBeLessThan(EXECUTION_INPUT_LIMIT_BYTES);
    expect(MAX_AUDIT_ANSWER_BYTES).toBeGreaterThan(EXECUTION_INPUT_LIMIT_BYTES);
  });

  it('refuses above the limit with a typed error naming the size and the limit', () => {
    expect(() =>
      assertWithin('execution input', EXECUTION_INPUT_LIMIT_BYTES, EXECUTION_INPUT_LIMIT_BYTES),
    ).not.toThrow();
    const text = '界'.repeat(90_000); // 90,000 characters, 270,000 bytes
    expect(text.length).toBeLessThan(EXECUTION_INPUT_LIMIT_BYTES);
    let thrown: unknown;
    try {
      assertWithin('execution input', utf8Bytes(text), EXECUTION_INPUT_LIMIT_BYTES);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TooLargeError);
    expect(thrown).toMatchObject({
      name: 'TooLargeError',
      what: 'execution input',
      bytes: 270_000,
      limit: 262_144,
      message: 'the execution input is 270000 bytes (UTF-8), above the limit of 262144 bytes',
    });
  });
});
