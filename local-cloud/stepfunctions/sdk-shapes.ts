/**
 * Step Functions' AWS SDK integration conventions, driven by a Smithy model: parameters and results
 * use PascalCase member names, while map keys (check names, ...) and every other piece of data stay
 * as they are. Only structure members are renamed, so the model is what tells a member from a key.
 */
import { readFileSync } from 'node:fs';

interface MemberRef {
  readonly target: string;
}

interface Shape {
  readonly type: string;
  readonly traits?: Readonly<Record<string, unknown>>;
  readonly members?: Readonly<Record<string, MemberRef>>;
  readonly member?: MemberRef;
  readonly value?: MemberRef;
  readonly input?: MemberRef;
  readonly output?: MemberRef;
}

export interface SmithyModel {
  readonly shapes: Readonly<Record<string, Shape>>;
}

export interface SdkOperation {
  /** PascalCase, as in `${name}Command`. */
  readonly name: string;
  readonly inputShape: string | undefined;
  readonly outputShape: string | undefined;
}

export class ParameterError extends Error {}

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

export function loadSmithyModel(url: URL): SmithyModel {
  return JSON.parse(readFileSync(url, 'utf8')) as SmithyModel;
}

export class SdkShapes {
  readonly #shapes: SmithyModel['shapes'];
  readonly #namespace: string;

  constructor(model: SmithyModel, namespace: string) {
    this.#shapes = model.shapes;
    this.#namespace = namespace;
  }

  /** The operation behind an integration action such as `startAuditMitigationActionsTask`. */
  operation(action: string): SdkOperation | undefined {
    const name = pascal(action);
    const shape = this.#shapes[`${this.#namespace}#${name}`];
    if (shape?.type !== 'operation') return undefined;
    return { name, inputShape: shape.input?.target, outputShape: shape.output?.target };
  }

  /** True for the error shapes the model declares; Step Functions names the rest `<Service>.<Service>Exception`. */
  isModelledError(name: string): boolean {
    return this.#shapes[`${this.#namespace}#${name}`]?.traits?.['smithy.api#error'] !== undefined;
  }

  /** Task parameters (PascalCase) -> the SDK command input (camelCase members, Date timestamps). */
  toSdkInput(shapeId: string | undefined, value: unknown, path = '$'): unknown {
    const shape = shapeId === undefined ? undefined : this.#shapes[shapeId];
    if (shape === undefined || value === null) return value;
    switch (shape.type) {
      case 'structure':
        return this.#renameMembers(shape, value, path);
      case 'list':
        return Array.isArray(value)
          ? value.map((item, i) => this.toSdkInput(shape.member?.target, item, `${path}[${i}]`))
          : value;
      case 'map':
        return mapValues(value, (item, key) => this.toSdkInput(shape.value?.target, item, `${path}.${key}`));
      case 'timestamp':
        return typeof value === 'string' || typeof value === 'number' ? toDate(value, path) : value;
      default:
        return value;
    }
  }

  /** An SDK result -> the task result Step Functions returns (PascalCase members, ISO timestamps). */
  toStatesOutput(shapeId: string | undefined, value: unknown): unknown {
    const shape = shapeId === undefined ? undefined : this.#shapes[shapeId];
    if (value instanceof Date) return renderTimestamp(value);
    if (shape === undefined || value === null || typeof value !== 'object') return value;
    switch (shape.type) {
      case 'structure': {
        const members = shape.members ?? {};
        const result: Record<string, unknown> = {};
        for (const [name, member] of Object.entries(value)) {
          if (name === '$metadata' || member === undefined) continue;
          result[pascal(name)] = this.toStatesOutput(members[name]?.target, member);
        }
        return result;
      }
      case 'list':
        return Array.isArray(value)
          ? value.map((item) => this.toStatesOutput(shape.member?.target, item))
          : value;
      case 'map':
        return mapValues(value, (item) => this.toStatesOutput(shape.value?.target, item));
      default:
        return value;
    }
  }

  #renameMembers(shape: Shape, value: unknown, path: string): unknown {
    if (typeof value !== 'object' || Array.isArray(value)) return value;
    const members = shape.members ?? {};
    const byPascalName = new Map(Object.keys(members).map((name) => [pascal(name), name]));
    const input: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as object)) {
      const name = byPascalName.get(key);
      if (name === undefined) {
        const known = [...byPascalName.keys()].join(', ');
        throw new ParameterError(`The field '${key}' at ${path} is not supported; expected one of: ${known}`);
      }
      input[name] = this.toSdkInput(members[name]?.target, item, `${path}.${key}`);
    }
    return input;
  }
}

/**
 * Step Functions renders SDK timestamps in task results as ISO 8601 strings with milliseconds in UTC,
 * e.g. "2013-08-23T01:02:15.422Z" (CloudFormation describeStacks `CreationTime` through the aws-sdk
 * integration, reported in functionless/functionless#489). AWS does not document the format (reference
 * section 7, open point 5); ISO strings are also what Choice's Timestamp* comparators accept.
 */
export function renderTimestamp(date: Date): string {
  return date.toISOString();
}

function toDate(value: string | number, path: string): Date {
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) throw new ParameterError(`${path} is not a valid timestamp: ${value}`);
  return date;
}

function mapValues(value: unknown, convert: (item: unknown, key: string) => unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, convert(item, key)]));
}
