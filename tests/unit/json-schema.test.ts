import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  childPath,
  describeValue,
  type FromSchema,
  formatIssue,
  INVALID,
  inDocumentOrder,
  isPresent,
  type JsonSchema,
  parse,
  pathSteps,
  validate,
} from '#domain/json-schema';

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

const order = {
  type: 'object',
  required: ['id', 'lines'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[a-z]+$' },
    lines: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['sku'],
        properties: { sku: { type: 'string', enum: ['A', 'B'] }, qty: { type: 'integer', minimum: 1 } },
      },
    },
    tags: { type: 'object', additionalProperties: { type: 'boolean' } },
    mode: { type: 'number', enum: [1, 2] },
  },
} as const satisfies JsonSchema;

describe('FromSchema and parse: one definition for the type and the validation', () => {
  it('derives the type: required and optional keys, maps, arrays, enums', () => {
    expectTypeOf<FromSchema<typeof order>>().toEqualTypeOf<{
      readonly id: string;
      readonly lines: readonly { readonly sku: 'A' | 'B'; readonly qty?: number }[];
      readonly tags?: { readonly [key: string]: boolean };
      readonly mode?: 1 | 2;
    }>();
  });

  it('returns the valid value itself, with the derived type', () => {
    const value = { id: 'x', lines: [{ sku: 'A', note: 'open object' }] };
    const result = parse(order, value);
    expect(result).toEqual({ ok: true, value });
    if (result.ok) {
      expect(result.value).toBe(value);
      expectTypeOf(result.value).toEqualTypeOf<FromSchema<typeof order>>();
    }
  });

  it('returns every issue and a draft: wrong types and failed keywords INVALID, closed objects without unknown keys', () => {
    const value = {
      id: 'X1',
      lines: [{ sku: 'C', qty: 0, note: 'kept' }, 7, { sku: 'B', qty: 2 }],
      extra: 1,
    };
    const result = parse(order, value, 'order');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map(formatIssue)).toEqual([
      'order.id: "X1" does not match ^[a-z]+$',
      'order.lines[0].sku: "C" is not valid; expected one of A, B',
      'order.lines[0].qty: expected at least 1, got 0',
      'order.lines[1]: expected an object, got 7',
      'order.extra: unknown key; expected one of id, lines, tags, mode',
    ]);
    expect(result.draft).toEqual({
      id: INVALID,
      lines: [{ sku: INVALID, qty: INVALID, note: 'kept' }, INVALID, { sku: 'B', qty: 2 }],
    });
  });

  it('keeps containers that fail only their own size or key keywords', () => {
    const result = parse(order, { id: 'x', lines: [], tags: { a: true, b: 'no' } });
    expect(!result.ok && result.draft).toEqual({ id: 'x', lines: [], tags: { a: true, b: INVALID } });
    const map = {
      type: 'object',
      propertyNames: { type: 'string', pattern: '^[a-z]$' },
      additionalProperties: { type: 'boolean' },
    } as const;
    const keys = parse(map, JSON.parse('{"__proto__": true, "ok": false}'));
    expect(!keys.ok && Object.getPrototypeOf(keys.draft)).toBe(Object.prototype);
    expect(!keys.ok && keys.draft !== INVALID && Object.entries(keys.draft)).toEqual([
      ['__proto__', true],
      ['ok', false],
    ]);
  });

  it('makes a value of the wrong type INVALID as a whole, and tells present from absent', () => {
    expect(parse(order, [])).toMatchObject({ ok: false, draft: INVALID });
    expect([undefined, INVALID, 0, ''].map(isPresent)).toEqual([false, false, true, true]);
  });

  it('gives the issues validate gives (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = parse(order, { id: 'x', lines: [value], tags: value, mode: value });
        expect(result.ok ? [] : result.issues).toEqual(
          validate(order, { id: 'x', lines: [value], tags: value, mode: value }),
        );
      }),
    );
  });
});

describe('document order', () => {
  it('reads back the steps childPath wrote (property)', () => {
    const step = fc.oneof(fc.nat(), fc.string({ minLength: 1 }));
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.array(step), (first, rest) => {
        expect(pathSteps(rest.reduce<string>(childPath, childPath('', first)))).toEqual([first, ...rest]);
      }),
    );
    expect(pathSteps('')).toEqual([]);
  });

  it("sorts by the schema's property order and by index, a part before its whole, stably", () => {
    const issue = (path: string, message = '') => ({ path, message });
    const sorted = inDocumentOrder(order, [
      issue('mode'),
      issue('lines[1]'),
      issue('lines[0].qty', 'first'),
      issue('unknown'),
      issue('lines[0].qty', 'second'),
      issue('tags.b'),
      issue('lines[0].sku'),
      issue('lines[0]'),
      issue('tags.a'),
      issue('id'),
      issue(''),
    ]);
    expect(sorted.map(({ path, message }) => `${path}${message && `:${message}`}`)).toEqual([
      'id',
      'lines[0].sku',
      'lines[0].qty:first',
      'lines[0].qty:second',
      'lines[0]',
      'lines[1]',
      'tags.b',
      'tags.a',
      'mode',
      'unknown',
      '',
    ]);
  });
});
