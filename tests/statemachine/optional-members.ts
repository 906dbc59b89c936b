/**
 * A static check of a state machine definition: no state may read a member of an AWS result that AWS
 * may omit unless an IsPresent guard proved it there. A path that does not resolve fails the execution
 * with States.Runtime, which no Catch handles (docs/aws-facts/mitigation-tasks.md).
 *
 * It walks every path from StartAt and tracks, per state:
 * - which locations of the state may hold a raw AWS result (a Task's whole result, written by its
 *   ResultPath without ResultSelector), and of which output shape: a union over the incoming paths;
 * - which paths are known to be present: an intersection over the incoming paths. A Choice rule adds
 *   what its match (or its failure to match, for the rules after it) proves: `IsPresent: true` on the
 *   way to its Next, `Not IsPresent` on the way to the later rules and the Default, and a comparison
 *   that was evaluated proves its Variable (else the execution would have failed there).
 * A read (Parameters and intrinsic arguments, ResultSelector, Choice Variable and ...Path comparators,
 * InputPath, OutputPath, SecondsPath, CausePath, ...) under a raw result must then follow members the
 * model marks `smithy.api#required`, or members known to be present. The members of AWS results
 * outside the local IoT model (SSM, Lambda) count as optional. Guards inside one `And` are not
 * accepted: AWS does not document that `And` stops at its first false rule.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface SmithyShape {
  readonly type: string;
  readonly members?: Readonly<Record<string, { readonly target: string; readonly traits?: JsonObject }>>;
  readonly value?: { readonly target: string };
  readonly output?: { readonly target: string };
}
export interface SmithyModel {
  readonly shapes: Readonly<Record<string, SmithyShape>>;
}

export interface Definition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** Where a raw AWS result may sit in the state, and its output shape (undefined: outside the model). */
interface RawResult {
  readonly location: string;
  readonly shape: string | undefined;
  readonly writer: string;
}

interface Facts {
  readonly raw: ReadonlyMap<string, RawResult>;
  readonly present: ReadonlySet<string>;
}

const IOT_ACTION = /^arn:[\w-]+:states:::aws-sdk:iot:(\w+)$/;
const AWS_RESULT = /^arn:[\w-]+:states:::(aws-sdk:\w+:\w+|lambda:invoke)$/;
const SIMPLE_PATH = /^\$(\.[A-Za-z0-9_]+)*$/;

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const under = (path: string, location: string) =>
  location === '$' || path === location || path.startsWith(`${location}.`);

/** The problems found, one line each (`State: path ...`); empty when every read is safe. */
export function unguardedOptionalReads(definition: Definition, model: SmithyModel): string[] {
  const { States } = definition;
  const problems = new Set<string>();
  const entry = new Map<string, Facts>();
  const work: string[] = [definition.StartAt];
  entry.set(definition.StartAt, { raw: new Map(), present: new Set() });

  const flow = (to: string, facts: Facts) => {
    const before = entry.get(to);
    const after = before ? join(before, facts) : facts;
    if (before && same(before, after)) return;
    entry.set(to, after);
    work.push(to);
  };

  while (work.length > 0) {
    const name = work.pop()!;
    const state = States[name] as JsonObject | undefined;
    if (!state) throw new Error(`no state ${name}`);
    const facts = entry.get(name)!;
    if (state.Type === 'Map' || state.Type === 'Parallel')
      throw new Error(`${name}: ${state.Type} states are not supported by this check`);
    const read = (path: string, present: ReadonlySet<string>, field: string) => {
      for (const problem of checkRead(path, { raw: facts.raw, present }, model))
        problems.add(`${name} (${field}): ${problem}`);
    };
    if (state.InputPath !== undefined && state.InputPath !== '$')
      throw new Error(`${name}: InputPath is not supported by this check`);
    if (state.OutputPath !== undefined && state.OutputPath !== '$') {
      if (state.Type !== 'Succeed' && state.End !== true)
        throw new Error(`${name}: OutputPath is only supported on an end state`);
      read(String(state.OutputPath), facts.present, 'OutputPath');
    }

    if (state.Type === 'Choice') {
      const rules = (state.Choices as JsonObject[]) ?? [];
      let present = new Set(facts.present);
      for (const [i, rule] of rules.entries()) {
        for (const [path, field] of ruleReads(rule)) read(path, present, `Choices[${i}].${field}`);
        flow(String(rule.Next), { raw: facts.raw, present: new Set([...present, ...proves(rule, true)]) });
        present = new Set([...present, ...proves(rule, false)]);
      }
      if (state.Default !== undefined) flow(String(state.Default), { raw: facts.raw, present });
      continue;
    }

    for (const [path, field] of templateReads(state.Parameters, 'Parameters'))
      read(path, facts.present, field);
    for (const field of [
      'ItemsPath',
      'SecondsPath',
      'TimestampPath',
      'TimeoutSecondsPath',
      'HeartbeatSecondsPath',
    ])
      if (typeof state[field] === 'string') read(String(state[field]), facts.present, field);
    for (const field of ['CausePath', 'ErrorPath'])
      if (typeof state[field] === 'string')
        for (const path of pathsIn(String(state[field]))) read(path, facts.present, field);

    const resource = typeof state.Resource === 'string' ? state.Resource : '';
    const resultShape = outputShape(resource, model);
    if (state.ResultSelector !== undefined) {
      // Evaluated against the result itself, before any guard can run: only required members will do.
      const result: RawResult = { location: '$', shape: resultShape, writer: name };
      for (const [path, field] of templateReads(state.ResultSelector, 'ResultSelector'))
        for (const problem of checkRead(
          path,
          { raw: new Map([['$', result]]), present: new Set(['$']) },
          model,
        ))
          problems.add(`${name} (${field}): ${problem}`);
    }

    const next = typeof state.Next === 'string' ? state.Next : undefined;
    if (next !== undefined) {
      // Only Task and Pass states write a result; a Pass without Parameters or Result passes its input on.
      const resultPath = state.ResultPath === undefined ? '$' : state.ResultPath;
      const writes =
        resultPath !== null &&
        (state.Type === 'Task' || (state.Type === 'Pass' && ('Parameters' in state || 'Result' in state)));
      const raw = state.Type === 'Task' && AWS_RESULT.test(resource) && state.ResultSelector === undefined;
      const result = { location: String(resultPath), shape: resultShape, writer: name };
      flow(next, writes ? written(facts, String(resultPath), raw ? result : undefined) : facts);
    }
    for (const catcher of (state.Catch as JsonObject[] | undefined) ?? []) {
      const resultPath = catcher.ResultPath === undefined ? '$' : catcher.ResultPath;
      flow(String(catcher.Next), resultPath === null ? facts : written(facts, String(resultPath), undefined));
    }
  }
  return [...problems].sort();
}

/** The facts after a write at `location`: what was there is gone; a raw result is recorded as such. */
function written(facts: Facts, location: string, raw: RawResult | undefined): Facts {
  const rawAfter = new Map([...facts.raw].filter(([at]) => !under(at, location)));
  const present = new Set([...facts.present].filter((path) => !under(path, location)));
  present.add(location);
  if (raw) rawAfter.set(location, raw);
  return { raw: rawAfter, present };
}

function join(a: Facts, b: Facts): Facts {
  const raw = new Map(a.raw);
  for (const [location, result] of b.raw) {
    const known = raw.get(location);
    // Two writers of different shapes at one location: keep the stricter (outside the model).
    raw.set(location, known && known.shape !== result.shape ? { ...result, shape: undefined } : result);
  }
  return { raw, present: new Set([...a.present].filter((path) => b.present.has(path))) };
}

function same(a: Facts, b: Facts): boolean {
  return (
    a.present.size === b.present.size &&
    [...a.present].every((path) => b.present.has(path)) &&
    a.raw.size === b.raw.size &&
    [...a.raw].every(([location, result]) => b.raw.get(location)?.shape === result.shape)
  );
}

function outputShape(resource: string, model: SmithyModel): string | undefined {
  const action = IOT_ACTION.exec(resource)?.[1];
  if (action === undefined) return undefined;
  const operation = model.shapes[`com.amazonaws.iot#${pascal(action)}`];
  if (operation?.type !== 'operation') throw new Error(`iot:${action} is not in the model`);
  return operation.output?.target;
}

/** Why reading `path` may fail: each member on the way must be required or known to be present. */
function checkRead(path: string, facts: Facts, model: SmithyModel): string[] {
  if (path.startsWith('$$')) return [];
  const result = [...facts.raw.values()]
    .filter((r) => under(path, r.location) && path !== r.location)
    .sort((a, b) => b.location.length - a.location.length)[0];
  if (!result) return [];
  if (!SIMPLE_PATH.test(path))
    return [`${path} is not a plain member path into the result of ${result.writer}`];
  const known = (at: string) =>
    facts.present.has(at) || [...facts.present].some((fact) => fact.startsWith(`${at}.`));
  if (result.location !== '$' && !known(result.location))
    return [`${path}: ${result.location} may not hold the result of ${result.writer} here`];
  const segments = (result.location === '$' ? path.slice(2) : path.slice(result.location.length + 1)).split(
    '.',
  );
  const problems: string[] = [];
  let shape: string | undefined = result.shape;
  let at = result.location;
  for (const segment of segments) {
    at = at === '$' ? `$.${segment}` : `${at}.${segment}`;
    const member = memberOf(model, shape, segment);
    if (member.notAMember) {
      problems.push(`${at} is not a member of ${shape}`);
      return problems;
    }
    if (!member.required && !known(at))
      problems.push(
        `${at} may be omitted by AWS (${shape === undefined ? 'a result outside the model' : `${shape} does not require it`}) and no IsPresent guard proves it`,
      );
    shape = member.target;
  }
  return problems;
}

function memberOf(
  model: SmithyModel,
  shapeId: string | undefined,
  segment: string,
): { required: boolean; target: string | undefined; notAMember?: true } {
  const shape = shapeId === undefined ? undefined : model.shapes[shapeId];
  if (shape === undefined) return { required: false, target: undefined };
  if (shape.type === 'map') return { required: false, target: shape.value?.target };
  if (shape.type !== 'structure') return { required: false, target: undefined, notAMember: true };
  const name = Object.keys(shape.members ?? {}).find((member) => pascal(member) === segment);
  if (name === undefined) return { required: false, target: undefined, notAMember: true };
  const member = shape.members![name]!;
  return { required: member.traits?.['smithy.api#required'] !== undefined, target: member.target };
}

/** Paths a Parameters or ResultSelector template reads, with the field they come from. */
function templateReads(template: Json | undefined, field: string): [string, string][] {
  if (Array.isArray(template)) return template.flatMap((item, i) => templateReads(item, `${field}[${i}]`));
  if (!isObject(template)) return [];
  return Object.entries(template).flatMap(([key, value]): [string, string][] => {
    if (key.endsWith('.$') && typeof value === 'string')
      return pathsIn(value).map((path): [string, string] => [path, `${field}.${key}`]);
    return templateReads(value, `${field}.${key}`);
  });
}

/** The paths of a `.$` value: the path itself, or every path argument of an intrinsic function. */
function pathsIn(value: string): string[] {
  if (value.startsWith('$')) return [value];
  const withoutStrings = value.replace(/'(?:\\.|[^'\\])*'/g, "''");
  return [...withoutStrings.matchAll(/\$\$?[^,()\s]*/g)]
    .map((match) => match[0])
    .filter((p) => !p.startsWith('$$'));
}

/** The paths a Choice rule reads (IsPresent reads nothing: it is the guard). */
function ruleReads(rule: JsonObject, field = 'rule'): [string, string][] {
  if (Array.isArray(rule.And) || Array.isArray(rule.Or)) {
    const operator = Array.isArray(rule.And) ? 'And' : 'Or';
    return (rule[operator] as JsonObject[]).flatMap((inner, i) =>
      ruleReads(inner, `${field}.${operator}[${i}]`),
    );
  }
  if (isObject(rule.Not)) return ruleReads(rule.Not, `${field}.Not`);
  const reads: [string, string][] = [];
  if (typeof rule.Variable === 'string' && !('IsPresent' in rule))
    reads.push([rule.Variable, `${field}.Variable`]);
  for (const [key, value] of Object.entries(rule))
    if (key.endsWith('Path') && typeof value === 'string') reads.push([value, `${field}.${key}`]);
  return reads;
}

/** Paths a rule proves present when it matched (`matched`) or when it did not. */
function proves(rule: JsonObject, matched: boolean): string[] {
  if (isObject(rule.Not)) return proves(rule.Not, !matched);
  if (Array.isArray(rule.And))
    return matched ? (rule.And as JsonObject[]).flatMap((r) => proves(r, true)) : [];
  if (Array.isArray(rule.Or)) return [];
  if (typeof rule.Variable !== 'string') return [];
  if ('IsPresent' in rule) return rule.IsPresent === matched ? [rule.Variable] : [];
  // Any other test was evaluated, matched or not, so its paths resolved (else the execution failed).
  const paths = [rule.Variable];
  for (const [key, value] of Object.entries(rule))
    if (key.endsWith('Path') && typeof value === 'string') paths.push(value);
  return paths;
}
