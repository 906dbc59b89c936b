/**
 * Checks a parsed input against the model's constraint traits: required, length (strings, lists,
 * maps), pattern, range and enum, recursively. Messages follow the service's validation wording.
 */
import { invalidRequest } from './errors.ts';
import { type MemberShape, type ServiceModel, type Shape, trait } from './model.ts';

interface Length {
  readonly min?: number;
  readonly max?: number;
}

export function validateInput(model: ServiceModel, shape: Shape, input: Record<string, unknown>): void {
  const violations: string[] = [];
  checkStructure(model, shape, input, '', violations);
  if (violations.length > 0) {
    const count = violations.length;
    throw invalidRequest(
      `${count} validation error${count === 1 ? '' : 's'} detected: ${violations.join('; ')}`,
    );
  }
}

/** Fills members that have a `default` trait and were not sent (e.g. listSuppressedFindings: false). */
export function applyDefaults(model: ServiceModel, shape: Shape, input: Record<string, unknown>): void {
  for (const [name, member] of Object.entries(shape.members ?? {})) {
    if (input[name] !== undefined) continue;
    const fallback =
      trait<unknown>(member.traits, 'default') ??
      trait<unknown>(model.shape(member.target).traits, 'default');
    if (fallback !== undefined && fallback !== null) input[name] = fallback;
  }
}

function checkStructure(
  model: ServiceModel,
  shape: Shape,
  value: Record<string, unknown>,
  path: string,
  violations: string[],
): void {
  for (const [name, member] of Object.entries(shape.members ?? {})) {
    const memberPath = path === '' ? name : `${path}.${name}`;
    if (value[name] === undefined) {
      if (trait(member.traits, 'required') !== undefined) {
        violations.push(
          `Value null at '${memberPath}' failed to satisfy constraint: Member must not be null`,
        );
      }
      continue;
    }
    checkValue(model, member, value[name], memberPath, violations);
  }
}

function checkValue(
  model: ServiceModel,
  member: MemberShape,
  value: unknown,
  path: string,
  violations: string[],
): void {
  const shape = model.shape(member.target);
  // Constraint traits may sit on the member or on its target shape.
  const traits = { ...shape.traits, ...member.traits };
  const fail = (constraint: string) =>
    violations.push(
      `Value '${describe(value)}' at '${path}' failed to satisfy constraint: Member must ${constraint}`,
    );

  const length = traits['smithy.api#length'] as Length | undefined;
  const size = sizeOf(value);
  if (length && size !== undefined && !within(size, length)) fail(`have length ${bounds(length)}`);

  const range = traits['smithy.api#range'] as Length | undefined;
  if (range && typeof value === 'number' && !within(value, range)) fail(`have value ${bounds(range)}`);

  const pattern = traits['smithy.api#pattern'] as string | undefined;
  if (pattern && typeof value === 'string' && !compilePattern(pattern).test(value)) {
    fail(`satisfy regular expression pattern: ${pattern}`);
  }

  if (shape.type === 'enum' && typeof value === 'string') {
    const allowed = Object.values(shape.members ?? {}).map((m) => trait<string>(m.traits, 'enumValue'));
    if (!allowed.includes(value)) fail(`satisfy enum value set: [${allowed.join(', ')}]`);
  }

  if (shape.type === 'structure') {
    checkStructure(model, shape, value as Record<string, unknown>, path, violations);
  } else if (shape.type === 'list' && shape.member) {
    for (const [i, item] of (value as unknown[]).entries()) {
      checkValue(model, shape.member, item, `${path}.${i + 1}.member`, violations);
    }
  } else if (shape.type === 'map' && shape.key && shape.value) {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      checkValue(model, shape.key, key, `${path}.${key}.key`, violations);
      checkValue(model, shape.value, item, `${path}.${key}.value`, violations);
    }
  }
}

function sizeOf(value: unknown): number | undefined {
  // Smithy counts string length in Unicode scalar values.
  if (typeof value === 'string') return [...value].length;
  if (Array.isArray(value)) return value.length;
  if (value !== null && typeof value === 'object' && !(value instanceof Date))
    return Object.keys(value).length;
  return undefined;
}

function within(n: number, { min, max }: Length): boolean {
  return (min === undefined || n >= min) && (max === undefined || n <= max);
}

function bounds({ min, max }: Length): string {
  if (max === undefined) return `greater than or equal to ${min}`;
  if (min === undefined) return `less than or equal to ${max}`;
  return `between ${min} and ${max}`;
}

function describe(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}

const compiled = new Map<string, RegExp>();

/** Smithy patterns are ECMA 262, except Java's POSIX `\p{Graph}` (printable ASCII), which JS lacks. */
function compilePattern(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = new RegExp(pattern.replaceAll('\\p{Graph}', '\\x21-\\x7E'), 'u');
    compiled.set(pattern, regex);
  }
  return regex;
}
