/**
 * The Smithy model (JSON AST) of the IoT operations the emulator serves. Routing, parsing, validation
 * and serialisation all read it, so the emulator answers as the model says, not as we remember.
 */
import { readFileSync } from 'node:fs';

export type Traits = Readonly<Record<string, unknown>>;

export interface MemberShape {
  readonly target: string;
  readonly traits?: Traits;
}

export interface Shape {
  readonly type: string;
  readonly traits?: Traits;
  readonly members?: Readonly<Record<string, MemberShape>>;
  /** list */
  readonly member?: MemberShape;
  /** map */
  readonly key?: MemberShape;
  readonly value?: MemberShape;
  /** operation */
  readonly input?: { readonly target: string };
  readonly output?: { readonly target: string };
  readonly errors?: readonly { readonly target: string }[];
  /** service */
  readonly operations?: readonly { readonly target: string }[];
}

export interface SmithyModel {
  readonly shapes: Readonly<Record<string, Shape>>;
}

export interface HttpTrait {
  readonly method: string;
  readonly uri: string;
  readonly code: number;
}

export interface Operation {
  readonly name: string;
  readonly http: HttpTrait;
  readonly input: Shape;
  readonly output: Shape;
  readonly errorNames: readonly string[];
}

const NAMESPACE = 'com.amazonaws.iot#';
const PRELUDE_UNIT = 'smithy.api#Unit';

export const MODEL_PATH = new URL('../model/iot-model-subset.json', import.meta.url);

export function loadModel(path: URL | string = MODEL_PATH): SmithyModel {
  return JSON.parse(readFileSync(path, 'utf8')) as SmithyModel;
}

/** Lookups over one model; every other module goes through this. */
export class ServiceModel {
  readonly operations: readonly Operation[];

  constructor(readonly source: SmithyModel) {
    const service = Object.values(source.shapes).find((s) => s.type === 'service');
    if (!service?.operations) throw new Error('the model has no service shape');
    this.operations = service.operations.map((ref) => this.#operation(ref.target));
  }

  shape(id: string): Shape {
    const shape = this.source.shapes[id];
    if (shape) return shape;
    if (id === PRELUDE_UNIT) return { type: 'structure', members: {} };
    if (id.startsWith('smithy.api#')) return { type: id.slice('smithy.api#'.length).toLowerCase() };
    throw new Error(`shape ${id} is not in the model`);
  }

  /** HTTP status of an error shape, from its `httpError` trait. */
  errorStatus(errorName: string): number {
    const shape = this.source.shapes[NAMESPACE + errorName];
    const status = shape?.traits?.['smithy.api#httpError'];
    return typeof status === 'number' ? status : 500;
  }

  #operation(id: string): Operation {
    const shape = this.shape(id);
    const http = shape.traits?.['smithy.api#http'] as HttpTrait | undefined;
    if (!http || !shape.input || !shape.output)
      throw new Error(`operation ${id} lacks http, input or output`);
    return {
      name: id.slice(id.indexOf('#') + 1),
      http,
      input: this.shape(shape.input.target),
      output: this.shape(shape.output.target),
      errorNames: (shape.errors ?? []).map((e) => e.target.slice(e.target.indexOf('#') + 1)),
    };
  }
}

export function trait<T>(traits: Traits | undefined, name: string): T | undefined {
  return traits?.[`smithy.api#${name}`] as T | undefined;
}
