/**
 * EventBridge event patterns, as the event bus matches them (and as Pipes filter criteria do). No
 * maintained npm library covers the documented operators (docs/aws-facts/eventbridge.md, "Event
 * patterns"), so this is a small pure matcher of what AWS documents:
 *
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html (fields AND, values OR,
 *   same nesting as the event)
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html (an array in the
 *   event matches when the intersection with the pattern's values is not empty)
 * - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (prefix,
 *   suffix, equals-ignore-case, wildcard, anything-but with values, prefix, suffix, equals-ignore-case
 *   and wildcard, numeric, exists, cidr, null and empty values, `$or`)
 *
 * `matchesEventPattern(pattern, event)` answers as TestEventPattern would; `validateEventPattern`
 * refuses what PutRule would refuse, so a broken pattern in the template fails loudly, not silently.
 */

export type EventPattern = { readonly [field: string]: unknown };

export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternException';
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses a pattern given as JSON text (as the API takes it) or as an object (as the template has it). */
export function parseEventPattern(pattern: unknown): EventPattern {
  const parsed = typeof pattern === 'string' ? (JSON.parse(pattern) as unknown) : pattern;
  validateEventPattern(parsed);
  return parsed as EventPattern;
}

export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  validateEventPattern(pattern);
  return matchObject(pattern as EventPattern, event);
}

// --- Validation -------------------------------------------------------------------------------------

const NUMERIC_OPERATORS = new Set(['=', '<', '<=', '>', '>=']);

export function validateEventPattern(pattern: unknown, path = ''): void {
  if (!isObject(pattern))
    throw new InvalidEventPatternError(`${path || 'the pattern'} must be a JSON object`);
  for (const [key, value] of Object.entries(pattern)) {
    const at = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2)
        throw new InvalidEventPatternError(`${at} must be an array of at least two patterns`);
      for (const [i, branch] of value.entries()) validateEventPattern(branch, `${at}[${i}]`);
    } else if (Array.isArray(value)) {
      for (const condition of value) validateCondition(condition, at);
    } else if (isObject(value)) {
      validateEventPattern(value, at);
    } else {
      throw new InvalidEventPatternError(`${at}: a leaf must be an array of values or conditions`);
    }
  }
}

function validateCondition(condition: unknown, at: string): void {
  if (!isObject(condition)) return; // string, number, boolean or null: an exact value
  const keys = Object.keys(condition);
  if (keys.length !== 1) throw new InvalidEventPatternError(`${at}: a condition has exactly one operator`);
  const [operator] = keys as [string];
  const operand = condition[operator];
  const text = (value: unknown) => typeof value === 'string';
  const textOrIgnoreCase = (value: unknown) =>
    text(value) || (isObject(value) && Object.keys(value).length === 1 && text(value['equals-ignore-case']));
  switch (operator) {
    case 'prefix':
    case 'suffix':
      if (!textOrIgnoreCase(operand)) throw new InvalidEventPatternError(`${at}: ${operator} takes a string`);
      return;
    case 'equals-ignore-case':
      if (!text(operand)) throw new InvalidEventPatternError(`${at}: equals-ignore-case takes a string`);
      return;
    case 'wildcard':
      if (!text(operand)) throw new InvalidEventPatternError(`${at}: wildcard takes a string`);
      wildcardRegExp(operand as string);
      return;
    case 'exists':
      if (typeof operand !== 'boolean')
        throw new InvalidEventPatternError(`${at}: exists takes true or false`);
      return;
    case 'numeric':
      numericRange(operand, at);
      return;
    case 'cidr':
      if (!text(operand) || cidrMatcher(operand as string) === undefined)
        throw new InvalidEventPatternError(`${at}: cidr takes an IPv4 CIDR block (IPv6 is not emulated)`);
      return;
    case 'anything-but':
      validateAnythingBut(operand, at);
      return;
    default:
      throw new InvalidEventPatternError(`${at}: unknown operator ${operator}`);
  }
}

function validateAnythingBut(operand: unknown, at: string): void {
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number';
  if (scalar(operand)) return;
  if (Array.isArray(operand)) {
    if (operand.length === 0 || !operand.every(scalar))
      throw new InvalidEventPatternError(`${at}: anything-but takes a non-empty list of strings or numbers`);
    return;
  }
  if (isObject(operand) && Object.keys(operand).length === 1) {
    const [inner] = Object.keys(operand) as [string];
    const value = operand[inner];
    const strings = (v: unknown) =>
      typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string'));
    if ((inner === 'prefix' || inner === 'suffix') && typeof value === 'string') return;
    if ((inner === 'equals-ignore-case' || inner === 'wildcard') && strings(value)) {
      if (inner === 'wildcard') for (const w of [value].flat() as string[]) wildcardRegExp(w);
      return;
    }
  }
  throw new InvalidEventPatternError(`${at}: unsupported anything-but operand ${JSON.stringify(operand)}`);
}

// --- Matching ---------------------------------------------------------------------------------------

function matchObject(pattern: EventPattern, value: unknown): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') return (expected as EventPattern[]).some((branch) => matchObject(branch, value));
    const present = isObject(value) && Object.hasOwn(value, key);
    const actual = present ? value[key] : undefined;
    if (Array.isArray(expected)) return matchLeaf(expected, present, actual);
    // A nested pattern needs an object in the event; in an array, any element may match it.
    if (Array.isArray(actual)) return actual.some((item) => matchObject(expected as EventPattern, item));
    return isObject(actual) && matchObject(expected as EventPattern, actual);
  });
}

/** The values to compare: an array's elements (intersection semantics), else the value itself. */
function leafValues(present: boolean, actual: unknown): unknown[] {
  if (!present) return [];
  return Array.isArray(actual) ? actual.flat(Number.POSITIVE_INFINITY) : [actual];
}

function matchLeaf(conditions: readonly unknown[], present: boolean, actual: unknown): boolean {
  const values = leafValues(present, actual).filter((v) => !isObject(v));
  // "Exists matching only works on leaf nodes": an object, or an empty array, is not a present leaf.
  const leafPresent = values.length > 0;
  return conditions.some((condition) => {
    if (isObject(condition) && 'exists' in condition) return condition.exists === leafPresent;
    return values.some((value) => matchValue(condition, value));
  });
}

function matchValue(condition: unknown, value: unknown): boolean {
  if (!isObject(condition)) return equalScalars(condition, value);
  const [operator] = Object.keys(condition) as [string];
  const operand = condition[operator];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && affix(operand, value, (v, p) => v.startsWith(p));
    case 'suffix':
      return typeof value === 'string' && affix(operand, value, (v, s) => v.endsWith(s));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === (operand as string).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcardRegExp(operand as string).test(value);
    case 'numeric':
      return typeof value === 'number' && numericRange(operand, '').every((test) => test(value));
    case 'cidr':
      return typeof value === 'string' && cidrMatcher(operand as string)!(value);
    case 'anything-but':
      return !anythingButExcludes(operand, value);
    default:
      return false;
  }
}

function equalScalars(expected: unknown, value: unknown): boolean {
  if (typeof expected === 'number' && typeof value === 'number') return expected === value;
  return expected === value;
}

function affix(operand: unknown, value: string, test: (value: string, affix: string) => boolean): boolean {
  if (typeof operand === 'string') return test(value, operand);
  const ignoreCase = (operand as Record<string, string>)['equals-ignore-case']!;
  return test(value.toLowerCase(), ignoreCase.toLowerCase());
}

/** True when `value` is one of the things anything-but names (so the condition does not match). */
function anythingButExcludes(operand: unknown, value: unknown): boolean {
  if (Array.isArray(operand)) return operand.some((excluded) => equalScalars(excluded, value));
  if (!isObject(operand)) return equalScalars(operand, value);
  const [inner] = Object.keys(operand) as [string];
  const arg = operand[inner];
  if (typeof value !== 'string') return false;
  switch (inner) {
    case 'prefix':
      return value.startsWith(arg as string);
    case 'suffix':
      return value.endsWith(arg as string);
    case 'equals-ignore-case':
      return ([arg].flat() as string[]).some((s) => s.toLowerCase() === value.toLowerCase());
    case 'wildcard':
      return ([arg].flat() as string[]).some((w) => wildcardRegExp(w).test(value));
    default:
      return false;
  }
}

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function wildcardRegExp(wildcard: string): RegExp {
  let source = '';
  for (let i = 0; i < wildcard.length; i++) {
    const char = wildcard[i]!;
    if (char === '\\') {
      const next = wildcard[i + 1];
      if (next !== '*' && next !== '\\')
        throw new InvalidEventPatternError(
          `wildcard ${JSON.stringify(wildcard)}: a backslash escapes * or \\`,
        );
      source += `\\${next}`;
      i++;
    } else if (char === '*') {
      if (wildcard[i + 1] === '*')
        throw new InvalidEventPatternError(
          `wildcard ${JSON.stringify(wildcard)}: consecutive * are not allowed`,
        );
      source += '[\\s\\S]*';
    } else source += char.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function numericRange(operand: unknown, at: string): ((value: number) => boolean)[] {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0)
    throw new InvalidEventPatternError(`${at}: numeric takes operator/number pairs`);
  const tests: ((value: number) => boolean)[] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const [operator, bound] = [operand[i], operand[i + 1]];
    if (typeof operator !== 'string' || !NUMERIC_OPERATORS.has(operator) || typeof bound !== 'number')
      throw new InvalidEventPatternError(`${at}: numeric ${JSON.stringify(operand)} is not valid`);
    tests.push(
      {
        '=': (v: number) => v === bound,
        '<': (v: number) => v < bound,
        '<=': (v: number) => v <= bound,
        '>': (v: number) => v > bound,
        '>=': (v: number) => v >= bound,
      }[operator as '=' | '<' | '<=' | '>' | '>=']!,
    );
  }
  return tests;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function cidrMatcher(cidr: string): ((value: string) => boolean) | undefined {
  const [address, bitsText] = cidr.split('/');
  const base = ipv4(address ?? '');
  const bits = Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  const start = Math.floor(base / size) * size;
  return (value) => {
    const ip = ipv4(value);
    return ip !== undefined && ip >= start && ip < start + size;
  };
}
