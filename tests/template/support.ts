/**
 * Reads template.yaml (CloudFormation short-form tags through yaml-cfn), the ASL it deploys and the
 * function sources, and answers the questions the template tests ask: what a value refers to, what
 * a role grants, which AWS calls a function's code makes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { yamlParse } from 'yaml-cfn';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly Metadata?: Record<string, Json>;
  readonly Condition?: string;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}
export interface Template {
  readonly Parameters: Record<string, { Type: string; Default?: Json; AllowedValues?: Json[] }>;
  readonly Conditions: Record<string, Json>;
  readonly Globals: { Function: Record<string, Json> };
  readonly Resources: Record<string, Resource>;
  readonly Outputs: Record<string, { Value: Json }>;
}

export const template = yamlParse(readFileSync(join(ROOT, 'template.yaml'), 'utf8')) as Template;
export const resources = template.Resources;

export function resourcesOfType(type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/** The one resource of a type (throws when there is not exactly one). */
export function only(type: string): Resource {
  const found = resourcesOfType(type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]![1];
}

export function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{Ref: X}`, `{Fn::GetAtt: ...}` and friends: a single key naming an intrinsic function. */
export function isIntrinsic(value: unknown): value is Record<string, Json> {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::') || keys[0] === 'Condition');
}

/** The names a Sub string refers to: `${X}` and `${X.Attr}`, not `${!Literal}`. */
export function subReferences(text: string): { name: string; attribute?: string }[] {
  return [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((m) => {
    const [name, ...rest] = m[1]!.split('.');
    return rest.length > 0 ? { name: name!, attribute: rest.join('.') } : { name: name! };
  });
}

export interface Reference {
  readonly kind: 'Ref' | 'GetAtt' | 'Sub';
  readonly name: string;
  readonly attribute?: string;
}

/** Every Ref, GetAtt and Sub reference inside a value (Sub's own variable map excluded). */
export function referencesIn(value: unknown): Reference[] {
  const found: Reference[] = [];
  const walk = (v: unknown, locals: ReadonlySet<string>) => {
    if (Array.isArray(v)) for (const item of v) walk(item, locals);
    else if (isObject(v)) {
      if (typeof v.Ref === 'string') found.push({ kind: 'Ref', name: v.Ref });
      else if ('Fn::GetAtt' in v) {
        const target = v['Fn::GetAtt'];
        const [name, ...attribute] = Array.isArray(target) ? (target as string[]) : String(target).split('.');
        found.push({ kind: 'GetAtt', name: name!, attribute: attribute.join('.') });
      } else if ('Fn::Sub' in v) {
        const sub = v['Fn::Sub'];
        const [text, variables] = Array.isArray(sub) ? [sub[0] as string, sub[1]] : [sub as string, {}];
        const names = new Set([...locals, ...Object.keys(isObject(variables) ? variables : {})]);
        for (const ref of subReferences(text)) if (!names.has(ref.name)) found.push({ kind: 'Sub', ...ref });
        walk(variables, locals);
      } else for (const item of Object.values(v)) walk(item, locals);
    }
  };
  walk(value, new Set());
  return found;
}

/** The logical ids (resources and parameters) a value mentions. */
export function mentions(value: unknown): Set<string> {
  return new Set(referencesIn(value).map((r) => r.name));
}

/** Both branches of every Fn::If, with AWS::NoValue dropped: what a list may contain. */
export function flattenIf(value: Json | undefined): Json[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => flattenIf(v));
  if (isObject(value) && 'Fn::If' in value) {
    const [, yes, no] = value['Fn::If'] as Json[];
    return [...flattenIf(yes), ...flattenIf(no)];
  }
  if (isObject(value) && value.Ref === 'AWS::NoValue') return [];
  return [value];
}

export function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

// --- IAM ------------------------------------------------------------------------------------------

export interface Statement {
  readonly Effect: string;
  readonly Action: string[];
  readonly Resource: Json[];
  readonly Condition?: Record<string, Record<string, Json>>;
  readonly Principal?: Json;
}

export function statements(document: Json | undefined): Statement[] {
  if (!isObject(document)) return [];
  return asList(document.Statement as Json[] | Json).map((s) => {
    const statement = s as Record<string, Json>;
    return {
      ...(statement as object),
      Effect: statement.Effect as string,
      Action: asList(statement.Action as string | string[]),
      Resource: flattenIf(statement.Resource),
    } as Statement;
  });
}

/** The inline statements of an AWS::IAM::Role. */
export function roleStatements(roleId: string): Statement[] {
  const role = resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role of the template`);
  return asList(role.Properties?.Policies as Json[]).flatMap((p) =>
    statements((p as Record<string, Json>).PolicyDocument),
  );
}

export function grantedActions(roleId: string): Set<string> {
  return new Set(roleStatements(roleId).flatMap((s) => (s.Effect === 'Allow' ? s.Action : [])));
}

/** The statements of a role that allow the action, optionally on a resource mentioning `target`. */
export function grants(roleId: string, action: string, target?: string): Statement[] {
  return roleStatements(roleId).filter(
    (s) =>
      s.Effect === 'Allow' &&
      s.Action.includes(action) &&
      (target === undefined || s.Resource.some((r) => mentions(r).has(target))),
  );
}

/** The role a resource runs with: `!GetAtt <Role>.Arn` in the given property. */
export function roleOf(value: Json | undefined): string | undefined {
  const refs = referencesIn(value).filter((r) => r.kind === 'GetAtt' && r.attribute === 'Arn');
  const role = refs.find((r) => resources[r.name]?.Type === 'AWS::IAM::Role');
  return role?.name;
}

// --- Mitigation actions -------------------------------------------------------------------------

/** What each mitigation action type needs (https://docs.aws.amazon.com/iot-device-defender/latest/devguide/dd-mitigation-actions.html). */
export const ACTION_TYPE_PERMISSIONS: Record<string, readonly string[]> = {
  UPDATE_DEVICE_CERTIFICATE: ['iot:UpdateCertificate'],
  UPDATE_CA_CERTIFICATE: ['iot:UpdateCACertificate'],
  ADD_THINGS_TO_THING_GROUP: ['iot:ListPrincipalThings', 'iot:AddThingToThingGroup'],
  REPLACE_DEFAULT_POLICY_VERSION: ['iot:CreatePolicyVersion'],
  ENABLE_IOT_LOGGING: ['iot:SetV2LoggingOptions', 'iam:PassRole'],
  PUBLISH_FINDING_TO_SNS: ['sns:Publish'],
};

export const ACTION_PARAMS_TYPE: Record<string, string> = {
  UpdateDeviceCertificateParams: 'UPDATE_DEVICE_CERTIFICATE',
  UpdateCACertificateParams: 'UPDATE_CA_CERTIFICATE',
  AddThingsToThingGroupParams: 'ADD_THINGS_TO_THING_GROUP',
  ReplaceDefaultPolicyVersionParams: 'REPLACE_DEFAULT_POLICY_VERSION',
  EnableIoTLoggingParams: 'ENABLE_IOT_LOGGING',
  PublishFindingToSnsParams: 'PUBLISH_FINDING_TO_SNS',
};

// --- Functions ------------------------------------------------------------------------------------

export const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function']);

/** Environment variables of a function, Globals merged in as SAM does (function keys win). */
export function functionEnvironment(functionId: string): Record<string, Json> {
  const globalEnv = (template.Globals.Function.Environment as Record<string, Json> | undefined)?.Variables;
  const ownEnv = (resources[functionId]?.Properties?.Environment as Record<string, Json> | undefined)
    ?.Variables;
  return { ...(globalEnv as object), ...(ownEnv as object) } as Record<string, Json>;
}

/** A function property, falling back to Globals.Function. */
export function functionProperty(functionId: string, name: string): Json | undefined {
  return resources[functionId]?.Properties?.[name] ?? template.Globals.Function[name];
}

export function entryPointOf(functionId: string): string {
  const metadata = resources[functionId]?.Metadata as { BuildProperties?: { EntryPoints?: string[] } };
  const entry = metadata?.BuildProperties?.EntryPoints?.[0];
  if (!entry) throw new Error(`${functionId} has no esbuild entry point`);
  return entry;
}

/** Handler folders under functions/ (each with index.ts): what the template must deploy. */
export function handlerFolders(): string[] {
  return readdirSync(join(ROOT, 'functions'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'functions', d.name, 'index.ts')))
    .map((d) => d.name)
    .sort();
}

const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  imports: Record<string, string>;
};

function resolveImport(from: string, specifier: string): string | undefined {
  let path: string | undefined;
  if (specifier.startsWith('.')) path = resolve(dirname(from), specifier);
  else if (specifier.startsWith('#')) {
    for (const [pattern, target] of Object.entries(packageJson.imports)) {
      const prefix = pattern.replace('*', '');
      if (specifier.startsWith(prefix))
        path = join(ROOT, target.replace('*', specifier.slice(prefix.length)));
    }
  }
  if (!path) return undefined;
  for (const candidate of [path, path.replace(/\.js$/, '.ts'), `${path}.ts`])
    if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  return undefined;
}

/** The project's own source files a handler bundles (relative and #subpath imports, transitively). */
export function sourceClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    // Static imports and re-exports, and import('...') of a module loaded on demand.
    for (const m of text.matchAll(/(?:(?:import|export)\s[^'"]*?from\s+|import\(\s*)'([^']+)'/g)) {
      const next = resolveImport(file, m[1]!);
      if (next) visit(next);
    }
  };
  visit(join(ROOT, entry));
  return [...seen].sort();
}

/** IAM prefix of each AWS SDK v3 client package the functions use. */
export const SDK_PACKAGE_SERVICE: Record<string, string> = {
  '@aws-sdk/client-iot': 'iot',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-eventbridge': 'events',
};

export interface SdkCall {
  readonly action: string;
  readonly file: string;
}

/**
 * The AWS calls in the given files, as IAM actions: `new XCommand(` and `paginateX(` of an
 * imported @aws-sdk client, and Powertools' SSM `getParameter(` (ssm:GetParameter).
 */
export function sdkCalls(files: readonly string[]): SdkCall[] {
  const calls: SdkCall[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const imported = new Map<string, string>();
    for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'([^']+)'/g))
      for (const name of m[1]!.split(',').map((n) => n.trim().replace(/^type\s+/, '')))
        if (name) imported.set(name, m[2]!);
    for (const m of text.matchAll(/new\s+(\w+)Command\s*\(/g)) {
      const pkg = imported.get(`${m[1]}Command`);
      const service = pkg && SDK_PACKAGE_SERVICE[pkg];
      if (!service) throw new Error(`${file}: ${m[1]}Command comes from an unmapped package ${pkg}`);
      calls.push({ action: `${service}:${m[1]}`, file });
    }
    for (const m of text.matchAll(/\bpaginate(\w+)\s*\(/g)) {
      const pkg = imported.get(`paginate${m[1]}`);
      const service = pkg && SDK_PACKAGE_SERVICE[pkg];
      if (!service) throw new Error(`${file}: paginate${m[1]} comes from an unmapped package ${pkg}`);
      calls.push({ action: `${service}:${m[1]}`, file });
    }
    if (
      imported.get('getParameter') === '@aws-lambda-powertools/parameters/ssm' &&
      /\bgetParameter\s*\(/.test(text)
    )
      calls.push({ action: 'ssm:GetParameter', file });
  }
  return calls;
}

/** The files that read `process.env` themselves (only the functions' configuration module may). */
export function environmentReaders(files: readonly string[]): string[] {
  return files
    .filter((file) => /\bprocess\.env\b|\bprocess\s*\[\s*['"]env['"]\s*\]/.test(readFileSync(file, 'utf8')))
    .map((file) => relative(ROOT, file));
}

/** The declaration a handler reads its environment with: `readConfig(FUNCTION_ENVIRONMENTS['<name>'])`. */
export function declarationsRead(entry: string): string[] {
  const text = readFileSync(join(ROOT, entry), 'utf8');
  return [...text.matchAll(/readConfig\(\s*FUNCTION_ENVIRONMENTS\[\s*'([^']+)'\s*\]/g)].map((m) => m[1]!);
}

// --- The state machine ----------------------------------------------------------------------------

export interface AslTask {
  readonly state: string;
  readonly resource: string;
  readonly parameters: Json | undefined;
}

export function stateMachineDefinition(stateMachineId: string): { text: string; tasks: AslTask[] } {
  const uri = resources[stateMachineId]?.Properties?.DefinitionUri;
  if (typeof uri !== 'string') throw new Error(`${stateMachineId} has no local DefinitionUri`);
  const text = readFileSync(join(ROOT, uri), 'utf8');
  const tasks: AslTask[] = [];
  const walk = (states: Record<string, Record<string, Json>>) => {
    for (const [state, body] of Object.entries(states)) {
      if (body.Type === 'Task')
        tasks.push({ state, resource: body.Resource as string, parameters: body.Parameters });
      for (const branch of asList(body.Branches as Json[]))
        walk((branch as { States: Record<string, Record<string, Json>> }).States);
      const iterator = (body.ItemProcessor ?? body.Iterator) as {
        States?: Record<string, Record<string, Json>>;
      };
      if (iterator?.States) walk(iterator.States);
    }
  };
  walk((JSON.parse(text) as { States: Record<string, Record<string, Json>> }).States);
  return { text, tasks };
}

/** `${Name}` placeholders of an ASL text. */
export function aslPlaceholders(text: string): Set<string> {
  return new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!));
}

const SDK_INTEGRATION_SERVICE: Record<string, string> = { sfn: 'states' };

/**
 * The IAM action a Task resource needs, with the placeholders its parameters use (whose
 * substitutions name the resources the grant must cover).
 */
export function taskPermission(task: AslTask): { action: string; placeholders: Set<string> } {
  const resource = task.resource.replace(/^arn:\$\{Partition\}:states:::/, '');
  const placeholders = aslPlaceholders(JSON.stringify(task.parameters ?? {}));
  // A callback (.waitForTaskToken) needs the same action as the call it makes.
  const sdk = /^aws-sdk:(\w+):(\w+)(?:\.waitForTaskToken)?$/.exec(resource);
  if (sdk) {
    const service = SDK_INTEGRATION_SERVICE[sdk[1]!] ?? sdk[1]!;
    return { action: `${service}:${sdk[2]![0]!.toUpperCase()}${sdk[2]!.slice(1)}`, placeholders };
  }
  const optimised: Record<string, string> = {
    'lambda:invoke': 'lambda:InvokeFunction',
    'sns:publish': 'sns:Publish',
    'sqs:sendMessage': 'sqs:SendMessage',
    'events:putEvents': 'events:PutEvents',
  };
  const action = optimised[resource];
  if (!action) throw new Error(`${task.state}: no IAM mapping for the integration ${task.resource}`);
  return { action, placeholders };
}
