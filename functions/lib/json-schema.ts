/**
 * A small JSON Schema subset, validated here without a library: the same definitions describe the
 * notification and the policy to editors (as JSON Schema) and validate them at run time, so the two
 * cannot drift. Every issue names its path; every issue is reported, not only the first.
 */

export type JsonSchema =
  | {
      type: 'object';
      properties: Record<string, JsonSchema>;
      required?: string[];
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

function collect(schema: JsonSchema, value: unknown, path: string, issues: ValidationIssue[]): void {
  const report = (message: string, at = path) => issues.push({ path: at, message });

  if (!typeMatches(schema.type, value)) {
    report(`expected ${article(schema.type)}, got ${describeValue(value)}`);
    return;
  }
  switch (schema.type) {
    case 'object': {
      const record = value as Record<string, unknown>;
      if ('properties' in schema) {
        for (const key of schema.required ?? []) {
          if (!Object.hasOwn(record, key)) report('is required', childPath(path, key));
        }
        const known = Object.keys(schema.properties);
        for (const [key, item] of Object.entries(record)) {
          const propertySchema = Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
          if (propertySchema) collect(propertySchema, item, childPath(path, key), issues);
          else if (schema.additionalProperties === false)
            report(`unknown key; expected one of ${known.join(', ')}`, childPath(path, key));
        }
      } else {
        const entries = Object.entries(record);
        if (schema.minProperties !== undefined && entries.length < schema.minProperties)
          report(`expected at least ${schema.minProperties} entries, got ${entries.length}`);
        for (const [key, item] of entries) {
          const at = childPath(path, key);
          if (schema.propertyNames)
            for (const issue of validate(schema.propertyNames, key, at)) report(`key ${issue.message}`, at);
          collect(schema.additionalProperties, item, at, issues);
        }
      }
      break;
    }
    case 'array': {
      const items = value as unknown[];
      if (schema.minItems !== undefined && items.length < schema.minItems)
        report(`expected at least ${schema.minItems} items, got ${items.length}`);
      if (schema.maxItems !== undefined && items.length > schema.maxItems)
        report(`expected at most ${schema.maxItems} items, got ${items.length}`);
      items.forEach((item, index) => {
        collect(schema.items, item, childPath(path, index), issues);
        if (schema.uniqueItems && items.indexOf(item) < index)
          report(`${describeValue(item)} is listed twice`, childPath(path, index));
      });
      break;
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
}
