/**
 * restJson1 (de)serialisation driven by the model: an operation's input comes from URI labels,
 * query parameters and the JSON body as its members' traits say; timestamps are epoch seconds in
 * bodies and RFC 3339 in queries. Values that do not even have the right type are reported here;
 * constraints are checked afterwards by the validator.
 */
import { invalidRequest } from './errors.ts';
import { type Operation, type ServiceModel, type Shape, trait } from './model.ts';

export interface HttpRequestParts {
  readonly labels: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: string;
}

export type Input = Record<string, unknown>;

export function parseInput(model: ServiceModel, operation: Operation, request: HttpRequestParts): Input {
  const input: Input = {};
  const members = operation.input.members ?? {};
  const hasBodyMembers = Object.values(members).some((m) => isBodyMember(m.traits));
  const body = hasBodyMembers ? parseBody(request.body) : {};
  for (const [name, member] of Object.entries(members)) {
    const shape = model.shape(member.target);
    const label = trait<object>(member.traits, 'httpLabel');
    const queryName = trait<string>(member.traits, 'httpQuery');
    if (label !== undefined) {
      if (name in request.labels) input[name] = fromText(shape, request.labels[name] ?? '', name);
    } else if (queryName !== undefined) {
      const value = request.query.get(queryName);
      if (value !== null) input[name] = fromText(shape, value, name);
    } else if (body[name] !== undefined && body[name] !== null) {
      input[name] = fromJson(model, shape, body[name], name);
    }
  }
  return input;
}

/** Output members go into the JSON body; timestamps as epoch seconds, unknown members dropped. */
export function serialiseOutput(model: ServiceModel, shape: Shape, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      const record = value as Record<string, unknown>;
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        const serialised = serialiseOutput(model, model.shape(member.target), record[name]);
        if (serialised !== undefined) out[name] = serialised;
      }
      return out;
    }
    case 'list':
      return (value as unknown[]).map((item) =>
        serialiseOutput(model, model.shape(shape.member!.target), item),
      );
    case 'map':
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          k,
          serialiseOutput(model, model.shape(shape.value!.target), v),
        ]),
      );
    case 'timestamp':
      return (value as Date).getTime() / 1000;
    default:
      return value;
  }
}

function isBodyMember(traits: Readonly<Record<string, unknown>> | undefined): boolean {
  return !['httpLabel', 'httpQuery', 'httpHeader', 'httpQueryParams'].some(
    (t) => trait(traits, t) !== undefined,
  );
}

function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // reported below
  }
  throw invalidRequest('The request body is not a JSON object');
}

function typeError(path: string, expected: string): Error {
  return invalidRequest(`Value at '${path}' failed to satisfy constraint: Member must be ${expected}`);
}

/** Labels and query values arrive as text. */
function fromText(shape: Shape, text: string, path: string): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long': {
      if (!/^-?\d+$/.test(text)) throw typeError(path, 'an integer');
      return Number(text);
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw typeError(path, 'a boolean');
      return text === 'true';
    case 'timestamp': {
      // RFC 3339 date-time, as the SDK writes query timestamps.
      const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
      const ms = Date.parse(text);
      if (!rfc3339.test(text) || Number.isNaN(ms)) throw typeError(path, 'an RFC 3339 date-time');
      return new Date(ms);
    }
    default:
      return text;
  }
}

function fromJson(model: ServiceModel, shape: Shape, value: unknown, path: string): unknown {
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) throw typeError(path, 'an object');
      const record = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries(shape.members ?? {})) {
        if (record[name] === undefined || record[name] === null) continue;
        out[name] = fromJson(model, model.shape(member.target), record[name], `${path}.${name}`);
      }
      return out;
    }
    case 'list':
      if (!Array.isArray(value)) throw typeError(path, 'a list');
      return value.map((item, i) =>
        fromJson(model, model.shape(shape.member!.target), item, `${path}.${i + 1}`),
      );
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) throw typeError(path, 'a map');
      const valueShape = model.shape(shape.value!.target);
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          k,
          fromJson(model, valueShape, v, `${path}.${k}`),
        ]),
      );
    }
    case 'timestamp':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw typeError(path, 'epoch seconds');
      return new Date(Math.round(value * 1000));
    case 'integer':
    case 'long':
      if (!Number.isInteger(value)) throw typeError(path, 'an integer');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw typeError(path, 'a boolean');
      return value;
    default:
      if (typeof value !== 'string') throw typeError(path, 'a string');
      return value;
  }
}
