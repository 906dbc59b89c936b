/**
 * A small JSON Schema subset, validated here without a library: the same definitions describe the
 * notification and the policy to editors (as JSON Schema) and validate them at run time, so the two
 * cannot drift. Every issue names its path; every issue is reported, not only the first.
 *
 * A schema written as a `const` object also gives the TypeScript type of what it accepts
 * (`FromSchema`), and `parse` returns the value with that type: the type, the JSON Schema document and
 * the validation are one definition. Why no library: docs/decisions/policy-validation.md.
 */

/** Arrays are `readonly` so that a schema written `as const` (for `FromSchema`) is still a `JsonSchema`. */
export type JsonSchema =
  | {
      type: 'object';
      properties: Record<string, JsonSchema>;
      required?: readonly string[];
      additionalProperties?: boolean;
      description?: string;
    }
  | {
      type: 'object';
      additionalProperties: JsonSchema;
      propertyNames?: JsonSchema;
      minProperties?: number;
      description?: string;
    }
  | {
      type: 'array';
      items: JsonSchema;
      minItems?: number;
      maxItems?: number;
      uniqueItems?: boolean;
      description?: string;
    }
  | {
      type: 'string';
      enum?: readonly string[];
      pattern?: string;
      minLength?: number;
      maxLength?: number;
      description?: string;
    }
  | {
      type: 'integer' | 'number';
      enum?: readonly number[];
      minimum?: number;
      maximum?: number;
      exclusiveMinimum?: number;
      description?: string;
    }
  | { type: 'boolean'; description?: string };

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The type of the values a schema accepts, for a schema written `as const`: an object's `required`
 * properties are required, the others optional (an object type is open in TypeScript whatever
 * `additionalProperties` says); an `enum` is the union of its values. What a type cannot say
 * (closed objects, pattern, bounds, sizes, uniqueness) is left to `parse`.
 */
export type FromSchema<S> = S extends { readonly type: 'object'; readonly properties: infer P }
  ? Simplify<
      {
        readonly [K in keyof P as K extends RequiredOf<S> ? K : never]: FromSchema<P[K]>;
      } & {
        readonly [K in keyof P as K extends RequiredOf<S> ? never : K]?: FromSchema<P[K]>;
      }
    >
  : S extends { readonly type: 'object'; readonly additionalProperties: infer V }
    ? { readonly [key: string]: FromSchema<V> }
    : S extends { readonly type: 'array'; readonly items: infer I }
      ? readonly FromSchema<I>[]
      : S extends { readonly enum: readonly (infer E)[] }
        ? E
        : S extends { readonly type: 'string' }
          ? string
          : S extends { readonly type: 'integer' | 'number' }
            ? number
            : S extends { readonly type: 'boolean' }
              ? boolean
              : never;

type RequiredOf<S> = S extends { readonly required: readonly (infer R)[] } ? R : never;

/** Stands, in a `Draft`, for a value that is there but not valid (absent is `undefined`). */
export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

/**
 * An invalid document as far as it can be read: each part of the right type is kept (its own size,
 * uniqueness and key-name issues notwithstanding); a value of the wrong type, or a string or number
 * failing its enum, pattern or bounds, is `INVALID`; unknown keys of a closed object are left out.
 * A valid `T` is a `Draft<T>`, so code written for drafts takes valid values too.
 */
export type Draft<T> = T extends readonly (infer I)[]
  ? readonly (Draft<I> | Invalid)[]
  : T extends object
    ? { readonly [K in keyof T]?: Draft<T[K]> | Invalid }
    : T;

/** Whether a part of a draft is there and valid. */
export const isPresent = <T>(value: T | Invalid | undefined): value is T =>
  value !== undefined && value !== INVALID;

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: ValidationIssue[]; readonly draft: Draft<T> | Invalid };

export interface ValidationIssue {
  /** Where, as a reader would write it: `rules[2].reasonCodes[0]`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
}

export function formatIssue(issue: ValidationIssue): string {
  return `${issue.path || '(document)'}: ${issue.message}`;
}

export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const safe = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${safe}` : safe;
}

/** A path's steps, read back from what `childPath` wrote: `a."b c"[2]` -> `['a', 'b c', 2]`. */
export function pathSteps(path: string): (string | number)[] {
  return Array.from(path.matchAll(/\[(\d+)\]|\.?("(?:[^"\\]|\\.)*"|[^.[]+)/g), ([, index, key = '']) =>
    index !== undefined ? Number(index) : key.startsWith('"') ? (JSON.parse(key) as string) : key,
  );
}

/** A short, bounded rendering of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

function typeMatches(type: JsonSchema['type'], value: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return typeof value === type;
  }
}

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

export function validate(schema: JsonSchema, value: unknown, path = ''): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  collect(schema, value, path, issues);
  return issues;
}

/**
 * Validates a value against a schema written `as const`: the value with the schema's type, or every
 * issue and the draft of what was valid (for checks that need more than one value at a time).
 */
export function parse<const S extends JsonSchema>(
  schema: S,
  value: unknown,
  path = '',
): Parsed<FromSchema<S>> {
  const issues: ValidationIssue[] = [];
  const draft = collect(schema, value, path, issues);
  // The one place a value gets its type: `collect` has just checked it against the schema the type
  // is derived from (tests/unit/json-schema.test.ts).
  if (issues.length === 0) return { ok: true, value: value as FromSchema<S> };
  return { ok: false, issues, draft: draft as Draft<FromSchema<S>> | Invalid };
}

/** Reports the value's issues; returns its draft. */
function collect(schema: JsonSchema, value: unknown, path: string, issues: ValidationIssue[]): unknown {
  const before = issues.length;
  const report = (message: string, at = path) => issues.push({ path: at, message });

  if (!typeMatches(schema.type, value)) {
    report(`expected ${article(schema.type)}, got ${describeValue(value)}`);
    return INVALID;
  }
  switch (schema.type) {
    case 'object': {
      const record = value as Record<string, unknown>;
      const draft: [string, unknown][] = [];
      if ('properties' in schema) {
        for (const key of schema.required ?? []) {
          if (!Object.hasOwn(record, key)) report('is required', childPath(path, key));
        }
        const known = Object.keys(schema.properties);
        for (const [key, item] of Object.entries(record)) {
          const propertySchema = Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
          if (propertySchema) draft.push([key, collect(propertySchema, item, childPath(path, key), issues)]);
          else if (schema.additionalProperties === false)
            report(`unknown key; expected one of ${known.join(', ')}`, childPath(path, key));
          else draft.push([key, item]);
        }
      } else {
        const entries = Object.entries(record);
        if (schema.minProperties !== undefined && entries.length < schema.minProperties)
          report(`expected at least ${schema.minProperties} entries, got ${entries.length}`);
        for (const [key, item] of entries) {
          const at = childPath(path, key);
          if (schema.propertyNames)
            for (const issue of validate(schema.propertyNames, key, at)) report(`key ${issue.message}`, at);
          draft.push([key, collect(schema.additionalProperties, item, at, issues)]);
        }
      }
      // fromEntries defines own properties: a key "__proto__" stays a key.
      return Object.fromEntries(draft);
    }
    case 'array': {
      const items = value as unknown[];
      if (schema.minItems !== undefined && items.length < schema.minItems)
        report(`expected at least ${schema.minItems} items, got ${items.length}`);
      if (schema.maxItems !== undefined && items.length > schema.maxItems)
        report(`expected at most ${schema.maxItems} items, got ${items.length}`);
      return items.map((item, index) => {
        const draft = collect(schema.items, item, childPath(path, index), issues);
        if (schema.uniqueItems && items.indexOf(item) < index)
          report(`${describeValue(item)} is listed twice`, childPath(path, index));
        return draft;
      });
    }
    case 'string': {
      const text = value as string;
      if (schema.enum && !schema.enum.includes(text))
        report(`${describeValue(text)} is not valid; expected one of ${schema.enum.join(', ')}`);
      if (schema.minLength !== undefined && text.length < schema.minLength)
        report(`expected at least ${schema.minLength} characters, got ${text.length}`);
      if (schema.maxLength !== undefined && text.length > schema.maxLength)
        report(`expected at most ${schema.maxLength} characters, got ${text.length}`);
      if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(text))
        report(`${describeValue(text)} does not match ${schema.pattern}`);
      break;
    }
    case 'integer':
    case 'number': {
      const number = value as number;
      if (schema.enum && !schema.enum.includes(number))
        report(`${number} is not valid; expected ${schema.enum.join(' or ')}`);
      if (schema.exclusiveMinimum !== undefined && number <= schema.exclusiveMinimum)
        report(`expected more than ${schema.exclusiveMinimum}, got ${number}`);
      if (schema.minimum !== undefined && number < schema.minimum)
        report(`expected at least ${schema.minimum}, got ${number}`);
      if (schema.maximum !== undefined && number > schema.maximum)
        report(`expected at most ${schema.maximum}, got ${number}`);
      break;
    }
  }
  // A string, number or boolean: valid, or INVALID when it failed a keyword above.
  return issues.length === before ? value : INVALID;
}

/**
 * Issues sorted as a reader meets their places in the document: by the schema's property order and
 * by array index, the issues of a part before those of the whole it belongs to (a rule is judged
 * whole after its parts). The sort is stable: issues at one place keep their order.
 */
export function inDocumentOrder(schema: JsonSchema, issues: readonly ValidationIssue[]): ValidationIssue[] {
  return issues
    .map((issue) => ({ issue, steps: pathSteps(issue.path) }))
    .sort((a, b) => compareSteps(schema, a.steps, b.steps, 0))
    .map(({ issue }) => issue);
}

function compareSteps(
  schema: JsonSchema | undefined,
  a: readonly (string | number)[],
  b: readonly (string | number)[],
  at: number,
): number {
  if (at === a.length || at === b.length) return b.length - a.length;
  const [x, y] = [a[at]!, b[at]!];
  if (x === y) return compareSteps(childSchema(schema, x), a, b, at + 1);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  const keys = schema?.type === 'object' && 'properties' in schema ? Object.keys(schema.properties) : [];
  const rank = (step: string | number) => {
    const index = keys.indexOf(String(step));
    return index < 0 ? keys.length : index;
  };
  return rank(x) - rank(y);
}

function childSchema(schema: JsonSchema | undefined, step: string | number): JsonSchema | undefined {
  if (schema?.type === 'array') return schema.items;
  if (schema?.type !== 'object') return undefined;
  if (!('properties' in schema)) return schema.additionalProperties;
  return Object.hasOwn(schema.properties, step) ? schema.properties[step] : undefined;
}
