import { describe, expect, it } from 'vitest';
import { childPath, describeValue, formatIssue, type JsonSchema, validate } from '#lib/json-schema';

const messages = (schema: JsonSchema, value: unknown) => validate(schema, value).map(formatIssue);

describe('validate', () => {
  it('checks maps: entry count, key schema and value schema', () => {
    const map: JsonSchema = {
      type: 'object',
      minProperties: 1,
      propertyNames: { type: 'string', pattern: '^[A-Z]+$' },
      additionalProperties: { type: 'boolean' },
    };
    expect(messages(map, {})).toEqual(['(document): expected at least 1 entries, got 0']);
    expect(messages(map, { ok: true, FINE: 'yes' })).toEqual([
      'ok: key "ok" does not match ^[A-Z]+$',
      'FINE: expected a boolean, got "yes"',
    ]);
    expect(messages(map, { A: false })).toEqual([]);
  });

  it('checks arrays: sizes and duplicates', () => {
    const list: JsonSchema = {
      type: 'array',
      items: { type: 'string' },
      minItems: 1,
      maxItems: 2,
      uniqueItems: true,
    };
    expect(messages(list, [])).toEqual(['(document): expected at least 1 items, got 0']);
    expect(messages(list, ['a', 'a', 'b'])).toEqual([
      '(document): expected at most 2 items, got 3',
      '[1]: "a" is listed twice',
    ]);
  });

  it('checks strings and numbers against their bounds', () => {
    expect(messages({ type: 'string', minLength: 2, maxLength: 3 }, 'a')).toEqual([
      '(document): expected at least 2 characters, got 1',
    ]);
    expect(messages({ type: 'string', maxLength: 3 }, 'abcd')).toEqual([
      '(document): expected at most 3 characters, got 4',
    ]);
    expect(messages({ type: 'number', minimum: 0, maximum: 100 }, 100.5)).toEqual([
      '(document): expected at most 100, got 100.5',
    ]);
    expect(messages({ type: 'number' }, Number.NaN)).toEqual(['(document): expected a number, got NaN']);
    expect(messages({ type: 'integer' }, 2 ** 60)).toHaveLength(1);
  });

  it('rejects unknown keys of a closed object and accepts them in an open one', () => {
    const closed: JsonSchema = {
      type: 'object',
      properties: { a: { type: 'string' } },
      additionalProperties: false,
    };
    expect(messages(closed, { a: 'x', b: 1 })).toEqual(['b: unknown key; expected one of a']);
    expect(messages({ ...closed, additionalProperties: true }, { a: 'x', b: 1 })).toEqual([]);
  });

  it('does not treat inherited names as declared properties', () => {
    const closed: JsonSchema = { type: 'object', properties: {}, additionalProperties: false };
    expect(messages(closed, JSON.parse('{"toString": 1, "__proto__": 2}'))).toHaveLength(2);
  });
});

describe('paths and values', () => {
  it('quotes keys that are not identifiers', () => {
    expect(childPath('', 'rules')).toBe('rules');
    expect(childPath('rules', 2)).toBe('rules[2]');
    expect(childPath('detail', 'detail-type')).toBe('detail.detail-type');
    expect(childPath('a', 'has space')).toBe('a."has space"');
  });

  it('renders values briefly', () => {
    expect(describeValue('x'.repeat(100))).toHaveLength(62);
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue([1])).toBe('an array');
  });
});
