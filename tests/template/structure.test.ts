/**
 * template.yaml is well formed without an AWS account: every resource type and property exists in
 * the CloudFormation resource specification (@aws-cdk/aws-service-spec), required properties are
 * present, every reference resolves, and the state machine's placeholders are all substituted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { PropertyType, Resource as SpecResource, TypeDefinition } from '@aws-cdk/service-spec-types';
import { describe, expect, it } from 'vitest';
import {
  declaredVariables,
  FUNCTION_ENVIRONMENTS,
  OBSERVABILITY_ENVIRONMENT,
} from '../../functions/aws/config.ts';
import { ESBUILD_SETTINGS } from '../../scripts/build-functions.ts';
import {
  aslPlaceholders,
  declarationsRead,
  entryPointOf,
  environmentReaders,
  FUNCTION_TYPES,
  handlerFolders,
  isIntrinsic,
  isObject,
  type Json,
  ROOT,
  referencesIn,
  resources,
  resourcesOfType,
  sourceClosure,
  stateMachineDefinition,
  taskPermission,
  template,
} from './support.ts';

const db = loadAwsServiceSpecSync();

function specOf(type: string): SpecResource | undefined {
  return db.lookup('resource', 'cloudFormationType', 'equals', type)[0];
}

/**
 * Properties SAM supports that the SAM part of the spec database predates; each is checked by hand
 * in the function tests instead.
 */
const SAM_PROPERTIES_NEWER_THAN_SPEC: Record<string, readonly string[]> = {
  'AWS::Serverless::Function': ['LoggingConfig'],
};

/**
 * Required flags of the SAM part of the spec database that SAM itself does not enforce: SAM's
 * EventInvokeDestinationConfiguration documents OnSuccess and OnFailure as optional each.
 */
const SAM_NOT_REQUIRED = new Set(['EventInvokeConfig.DestinationConfig.OnSuccess']);

/** GetAtt attributes of SAM resources (the spec database lists none for them). */
const SAM_ATTRIBUTES: Record<string, readonly string[]> = {
  'AWS::Serverless::Function': ['Arn'],
  'AWS::Serverless::StateMachine': ['Arn', 'Name'],
};

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::Region',
  'AWS::Partition',
  'AWS::StackName',
  'AWS::StackId',
  'AWS::URLSuffix',
  'AWS::NoValue',
  'AWS::NotificationARNs',
]);

/** Checks a value against a spec type; returns the problems, each with its path. */
function checkValue(value: Json, type: PropertyType, path: string): string[] {
  if (isIntrinsic(value)) {
    const [fn, args] = Object.entries(value)[0]!;
    // Both branches of a condition must fit the type.
    if (fn === 'Fn::If' && Array.isArray(args))
      return args.slice(1).flatMap((branch, i) => checkValue(branch as Json, type, `${path}[if ${i}]`));
    return [];
  }
  switch (type.type) {
    case 'ref': {
      const definition = db.get('typeDefinition', type.reference.$ref) as TypeDefinition;
      return checkProperties(value, definition.properties, path);
    }
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected a list`];
      return value.flatMap((item, i) => checkValue(item, type.element, `${path}[${i}]`));
    case 'map':
      if (!isObject(value)) return [`${path}: expected a map`];
      return Object.entries(value).flatMap(([k, v]) => checkValue(v, type.element, `${path}.${k}`));
    case 'union': {
      const attempts = type.types.map((t) => checkValue(value, t, path));
      return attempts.some((problems) => problems.length === 0) ? [] : attempts[0]!;
    }
    case 'string':
      if (typeof value === 'object') return [`${path}: expected a string`];
      if (
        'allowedValues' in type &&
        Array.isArray(type.allowedValues) &&
        !type.allowedValues.includes(String(value))
      )
        return [`${path}: ${String(value)} is not one of ${type.allowedValues.join(', ')}`];
      return [];
    case 'integer':
    case 'number':
      return Number.isNaN(Number(value)) || typeof value === 'object' ? [`${path}: expected a number`] : [];
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false'
        ? []
        : [`${path}: expected a boolean`];
    default:
      return [];
  }
}

function checkProperties(
  value: Json,
  properties: Record<string, { required?: boolean; type: PropertyType }>,
  path: string,
  allowed: readonly string[] = [],
): string[] {
  if (!isObject(value)) return [`${path}: expected an object`];
  const problems: string[] = [];
  for (const [name, property] of Object.entries(properties))
    if (property.required && !(name in value)) problems.push(`${path}.${name}: required`);
  for (const [name, v] of Object.entries(value)) {
    const property = properties[name];
    if (!property) {
      if (!allowed.includes(name)) problems.push(`${path}.${name}: no such property`);
      continue;
    }
    problems.push(...checkValue(v, property.type, `${path}.${name}`));
  }
  return problems;
}

describe('template.yaml against the CloudFormation resource specification', () => {
  it('uses only resource types the specification knows', () => {
    const unknown = Object.entries(resources)
      .filter(([, r]) => !specOf(r.Type))
      .map(([id, r]) => `${id}: ${r.Type}`);
    expect(unknown).toEqual([]);
  });

  it.each(Object.entries(resources).map(([id, r]) => [id, r.Type] as const))(
    '%s (%s): every property exists, every required one is present',
    (id, type) => {
      const spec = specOf(type)!;
      const properties = (resources[id]!.Properties ?? {}) as Record<string, Json>;
      // A custom resource's own properties go to its provider as they are; the provider's tests
      // check them (tests/template/audit-configuration.test.ts).
      const allowed =
        type === 'AWS::CloudFormation::CustomResource'
          ? Object.keys(properties)
          : SAM_PROPERTIES_NEWER_THAN_SPEC[type];
      const problems = checkProperties(properties, spec.properties, id, allowed).filter(
        (p) =>
          !(
            type.startsWith('AWS::Serverless::') && SAM_NOT_REQUIRED.has(p.replace(/^\w+\.|: required$/g, ''))
          ),
      );
      expect(problems).toEqual([]);
    },
  );
});

describe('template.yaml references', () => {
  const parameters = new Set(Object.keys(template.Parameters));
  const conditions = new Set(Object.keys(template.Conditions));
  const sections = {
    Resources: resources,
    Outputs: template.Outputs,
    Globals: template.Globals,
    Conditions: template.Conditions,
  };

  it('every Ref, GetAtt and Sub names a parameter, a pseudo parameter or a resource', () => {
    const problems: string[] = [];
    for (const [section, body] of Object.entries(sections))
      for (const ref of referencesIn(body as Json)) {
        const known = parameters.has(ref.name) || PSEUDO_PARAMETERS.has(ref.name) || ref.name in resources;
        if (!known) problems.push(`${section}: ${ref.kind} ${ref.name}`);
        if (ref.kind !== 'Ref' && ref.attribute) {
          const target = resources[ref.name];
          if (!target) {
            if (!PSEUDO_PARAMETERS.has(ref.name)) problems.push(`${section}: ${ref.name}.${ref.attribute}`);
            continue;
          }
          const attributes =
            SAM_ATTRIBUTES[target.Type] ?? Object.keys(specOf(target.Type)?.attributes ?? {});
          if (!attributes.includes(ref.attribute))
            problems.push(`${section}: ${ref.name} (${target.Type}) has no attribute ${ref.attribute}`);
        }
      }
    expect(problems).toEqual([]);
  });

  it('every DependsOn and Condition names what exists', () => {
    const problems: string[] = [];
    for (const [id, r] of Object.entries(resources)) {
      for (const dependency of [r.DependsOn ?? []].flat())
        if (!(dependency in resources)) problems.push(`${id} DependsOn ${dependency}`);
      if (r.Condition && !conditions.has(r.Condition)) problems.push(`${id} Condition ${r.Condition}`);
    }
    const walk = (value: unknown, where: string) => {
      if (Array.isArray(value)) for (const v of value) walk(v, where);
      else if (isObject(value)) {
        if ('Fn::If' in value) {
          const name = (value['Fn::If'] as Json[])[0] as string;
          if (!conditions.has(name)) problems.push(`${where}: Fn::If ${name}`);
        }
        if (
          typeof value.Condition === 'string' &&
          Object.keys(value).length === 1 &&
          !conditions.has(value.Condition)
        )
          problems.push(`${where}: Condition ${value.Condition}`);
        for (const v of Object.values(value)) walk(v, where);
      }
    };
    for (const [section, body] of Object.entries(sections)) walk(body, section);
    expect(problems).toEqual([]);
  });

  it('a resource that references a conditional resource has the same condition', () => {
    const problems: string[] = [];
    for (const [id, r] of Object.entries(resources))
      for (const ref of referencesIn(r.Properties as Json)) {
        const target = resources[ref.name];
        if (target?.Condition && target.Condition !== r.Condition)
          problems.push(`${id} refers to ${ref.name} (only when ${target.Condition})`);
      }
    expect(problems).toEqual([]);
  });

  it('writes down no account, region or partition (StackSets-ready)', () => {
    const text = readFileSync(join(ROOT, 'template.yaml'), 'utf8');
    expect(text).not.toMatch(/arn:aws(-cn|-us-gov)?:/);
    expect(text).not.toMatch(/\b\d{12}\b/);
    expect(text).not.toMatch(
      /\b(us|eu|ap|sa|ca|me|af|il|mx)-(east|west|north|south|central|northeast|southeast|northwest|southwest)-\d\b/,
    );
  });
});

describe('the state machine and its DefinitionSubstitutions', () => {
  const machines = resourcesOfType('AWS::Serverless::StateMachine');

  it('deploys a definition file of the repository', () => {
    expect(machines.length).toBeGreaterThan(0);
    for (const [, machine] of machines)
      expect(existsSync(join(ROOT, machine.Properties?.DefinitionUri as string))).toBe(true);
  });

  it.each(machines.map(([id]) => [id]))(
    '%s: every placeholder of the ASL has a substitution, and none is unused',
    (id) => {
      const { text } = stateMachineDefinition(id);
      const substitutions = Object.keys((resources[id]!.Properties?.DefinitionSubstitutions ?? {}) as object);
      expect([...aslPlaceholders(text)].sort()).toEqual(substitutions.sort());
    },
  );

  it.each(machines.map(([id]) => [id]))(
    '%s: every Lambda the ASL invokes is a function of this template',
    (id) => {
      const { tasks } = stateMachineDefinition(id);
      const substitutions = (resources[id]!.Properties?.DefinitionSubstitutions ?? {}) as Record<
        string,
        Json
      >;
      const invokes = tasks.filter((t) => taskPermission(t).action === 'lambda:InvokeFunction');
      expect(invokes.length).toBeGreaterThan(0);
      for (const task of invokes) {
        const name = (task.parameters as { FunctionName?: string }).FunctionName ?? '';
        const placeholder = /^\$\{(\w+)\}$/.exec(name)?.[1];
        expect(placeholder, `${task.state} names its function through a substitution`).toBeDefined();
        const [target] = referencesIn(substitutions[placeholder!]);
        expect(
          target && FUNCTION_TYPES.has(resources[target.name]?.Type ?? ''),
          `${task.state}: ${name}`,
        ).toBe(true);
      }
    },
  );

  it('hands in every mitigation action of the template, and nothing else, as MitigationActionNames', () => {
    const actions = resourcesOfType('AWS::IoT::MitigationAction').map(([id]) => id);
    expect(actions.length).toBeGreaterThan(0);
    for (const [id] of machines) {
      const substitutions = resources[id]!.Properties?.DefinitionSubstitutions as Record<string, Json>;
      // Names joined by commas (action names are [a-zA-Z0-9_-]+): the ASL splits them with States.StringSplit.
      expect(substitutions.MitigationActionNames).toEqual({
        'Fn::Join': [',', actions.map((action) => ({ Ref: action }))],
      });
    }
  });

  it('substitutes the partition, never a literal one', () => {
    for (const [id] of machines) {
      const substitutions = resources[id]!.Properties?.DefinitionSubstitutions as Record<string, Json>;
      expect(substitutions.Partition).toEqual({ Ref: 'AWS::Partition' });
    }
  });

  it('logs and traces every execution with its own role', () => {
    for (const [, machine] of machines) {
      const p = machine.Properties!;
      expect(referencesIn(p.Role).some((r) => resources[r.name]?.Type === 'AWS::IAM::Role')).toBe(true);
      expect(p.Policies).toBeUndefined();
      // The stack's TracingMode (tests/template/build.test.ts).
      expect(p.Tracing).toEqual({ Enabled: { 'Fn::If': ['TracingActive', true, false] } });
      const logging = p.Logging as { Level: string; Destinations: Json[] };
      expect(logging.Level).not.toBe('OFF');
      const [group] = referencesIn(logging.Destinations);
      expect(resources[group!.name]?.Type).toBe('AWS::Logs::LogGroup');
    }
  });
});

describe('functions', () => {
  const functions = resourcesOfType('AWS::Serverless::Function');
  const esbuildBuildProperties = {
    Format: ESBUILD_SETTINGS.format,
    Target: ESBUILD_SETTINGS.target,
    Minify: ESBUILD_SETTINGS.minify,
    Sourcemap: ESBUILD_SETTINGS.sourcemap,
    MainFields: (ESBUILD_SETTINGS.mainFields ?? []).join(','),
    OutExtension: ['.js=.mjs'],
    Banner: [`js=${ESBUILD_SETTINGS.banner?.js}`],
    External: ESBUILD_SETTINGS.external,
  };

  it('run on nodejs22.x, arm64, traced as TracingMode says, with no source map to parse at start (Globals)', () => {
    const globals = template.Globals.Function;
    expect(globals.Runtime).toBe('nodejs22.x');
    expect(globals.Architectures).toEqual(['arm64']);
    expect(globals.Tracing).toEqual({ Ref: 'TracingMode' });
    // Sourcemap false in every BuildProperties; a stack trace is read with npm run build's map (README.md).
    expect(
      (globals.Environment as { Variables: Record<string, Json> }).Variables.NODE_OPTIONS,
    ).toBeUndefined();
    for (const [id, f] of functions) {
      for (const key of ['Runtime', 'Architectures', 'Tracing'])
        expect(f.Properties?.[key], `${id} overrides ${key}`).toBeUndefined();
    }
  });

  it.each(functions.map(([id]) => [id]))(
    '%s: built by SAM through the Makefile with the esbuild settings of scripts/build-functions.ts',
    (id) => {
      const f = resources[id]!;
      const metadata = f.Metadata as { BuildMethod: string; BuildProperties: Record<string, Json> };
      // SAM runs the Makefile's build-<LogicalId> target (tests/template/build.test.ts), which reads these.
      expect(metadata.BuildMethod).toBe('makefile');
      const { EntryPoints, ...rest } = metadata.BuildProperties;
      expect(rest).toEqual(esbuildBuildProperties);
      expect(EntryPoints).toHaveLength(1);
      expect(existsSync(join(ROOT, (EntryPoints as string[])[0]!))).toBe(true);
      // CodeUri at the root: package.json "imports" (#domain/*, #aws/*) resolve; one entry -> index.mjs.
      expect(f.Properties?.CodeUri).toBe('.');
      expect(f.Properties?.Handler).toBe('index.handler');
    },
  );

  it('deploy every handler folder of functions/, once', () => {
    const deployed = functions.map(([id]) => /^functions\/([^/]+)\/index\.ts$/.exec(entryPointOf(id))?.[1]);
    expect(deployed.sort()).toEqual(handlerFolders());
  });

  it.each(functions.map(([id]) => [id]))(
    '%s: an explicit role and an explicit JSON log group with retention',
    (id) => {
      const p = resources[id]!.Properties!;
      expect(referencesIn(p.Role).some((r) => resources[r.name]?.Type === 'AWS::IAM::Role')).toBe(true);
      expect(p.Policies).toBeUndefined();
      expect(p.Events).toBeUndefined();
      const logging = p.LoggingConfig as { LogFormat: string; LogGroup: Json };
      expect(logging.LogFormat).toBe('JSON');
      const [group] = referencesIn(logging.LogGroup);
      const logGroup = resources[group!.name]!;
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties?.RetentionInDays).toBeDefined();
    },
  );

  // Tuning knobs with a default in the code; leaving them unset is deliberate.
  const tuningKnobs = new Set(['REPORT_CALL_BUDGET_PER_CHECK']);
  const folderOf = (id: string) =>
    /^functions\/([^/]+)\/index\.ts$/.exec(entryPointOf(id))![1]! as keyof typeof FUNCTION_ENVIRONMENTS;
  const names = (variables: readonly { name: string }[]) => variables.map((v) => v.name).sort();

  it('declare the environment of every handler folder, once', () => {
    expect(Object.keys(FUNCTION_ENVIRONMENTS).sort()).toEqual(handlerFolders());
  });

  it.each(functions.map(([id]) => [id]))(
    '%s: reads its environment only through its own declaration, and the template sets exactly it',
    (id) => {
      const folder = folderOf(id);
      expect(environmentReaders(sourceClosure(entryPointOf(id)))).toEqual(['functions/aws/config.ts']);
      expect(declarationsRead(entryPointOf(id))).toEqual([folder]);
      const declared = declaredVariables(FUNCTION_ENVIRONMENTS[folder]);
      const own = (resources[id]!.Properties?.Environment as { Variables?: Record<string, Json> } | undefined)
        ?.Variables;
      expect(Object.keys(own ?? {}).sort()).toEqual(names(declared.filter((v) => !tuningKnobs.has(v.name))));
      for (const knob of declared.filter((v) => tuningKnobs.has(v.name)))
        expect(knob.required, `${knob.name} has a default`).toBe(false);
    },
  );

  it('set the shared Powertools settings in Globals, and only what the functions or Node.js read', () => {
    const globals = (template.Globals.Function.Environment as { Variables: Record<string, Json> }).Variables;
    const observability = names(declaredVariables(OBSERVABILITY_ENVIRONMENT));
    expect(Object.keys(globals).sort()).toEqual(observability.sort());
  });
});
