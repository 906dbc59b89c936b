/**
 * template.yaml as CloudFormation would deploy it into a fake account: parameters (defaults and
 * overrides, checked against their constraints), conditions, SAM Globals for functions, and the
 * intrinsic functions the wiring needs (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If, Fn::Select,
 * Fn::Split, Fn::FindInMap, Fn::Base64, Fn::GetAZs, Fn::Equals/Not/And/Or, Condition), resolved to the
 * names and ARNs resources would get. A resource whose Condition is false does not exist: referring
 * to it fails, as deploying the template would.
 *
 * Physical names: a name property given in the template (Name, QueueName, ThingGroupName...) wins;
 * otherwise `<stack>-<LogicalId>`, a deterministic stand-in for CloudFormation's generated name
 * (which adds a random suffix).
 */
import { readFileSync } from 'node:fs';
import { yamlParse } from 'yaml-cfn';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface CfnResource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
  Condition?: string;
  DependsOn?: string | string[];
  [key: string]: unknown;
}

export interface CfnParameter {
  Type: string;
  Default?: Json;
  AllowedValues?: Json[];
  AllowedPattern?: string;
  MinValue?: number;
  MaxValue?: number;
  MinLength?: number;
  MaxLength?: number;
}

export interface CfnTemplate {
  Parameters?: Record<string, CfnParameter>;
  Conditions?: Record<string, Json>;
  Mappings?: Record<string, Record<string, Record<string, Json>>>;
  Globals?: { Function?: Record<string, Json> };
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: Json }>;
  [key: string]: unknown;
}

export const TEMPLATE_URL = new URL('../../template.yaml', import.meta.url);

export function parseTemplate(text: string): CfnTemplate {
  return yamlParse(text) as CfnTemplate;
}

export function readTemplateText(url: URL = TEMPLATE_URL): string {
  return readFileSync(url, 'utf8');
}

export interface DeploymentTarget {
  readonly stackName: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  /** Parameter overrides, as `sam deploy --parameter-overrides` gives them (strings). */
  readonly parameters?: Readonly<Record<string, string>>;
}

/** Marks a value `Ref: AWS::NoValue` resolved to: the property is removed. */
const NO_VALUE = Symbol('AWS::NoValue');

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The property holding a resource's name, by type, when the template gives one. */
const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::Events::Archive': 'ArchiveName',
  'AWS::Serverless::Function': 'FunctionName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Serverless::StateMachine': 'Name',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::SSM::Parameter': 'Name',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::IoT::ThingGroup': 'ThingGroupName',
  'AWS::IoT::MitigationAction': 'ActionName',
  'AWS::Pipes::Pipe': 'Name',
  'AWS::Scheduler::Schedule': 'Name',
  'AWS::Scheduler::ScheduleGroup': 'Name',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::KMS::Alias': 'AliasName',
};

/** The template, deployed (on paper) into one account and region under one stack name. */
export class DeployedTemplate {
  readonly template: CfnTemplate;
  readonly target: DeploymentTarget;
  readonly parameterValues: Readonly<Record<string, string>>;
  readonly #conditions = new Map<string, boolean>();

  constructor(template: CfnTemplate, target: DeploymentTarget) {
    this.template = template;
    this.target = target;
    this.parameterValues = resolveParameters(template.Parameters ?? {}, target.parameters ?? {});
  }

  get stackName(): string {
    return this.target.stackName;
  }

  /** Logical ids of the resources that exist (their Condition, if any, is true), optionally of one type. */
  resourceIds(type?: string): string[] {
    return Object.entries(this.template.Resources)
      .filter(([id, r]) => (type === undefined || r.Type === type) && this.exists(id))
      .map(([id]) => id);
  }

  exists(logicalId: string): boolean {
    const resource = this.template.Resources[logicalId];
    if (resource === undefined) return false;
    return resource.Condition === undefined || this.condition(resource.Condition);
  }

  resource(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (resource === undefined) throw new Error(`template.yaml has no resource ${logicalId}`);
    if (!this.exists(logicalId))
      throw new Error(`${logicalId} does not exist: its condition ${resource.Condition} is false`);
    return resource;
  }

  /** A resource's property, resolved (`undefined` when absent or AWS::NoValue). */
  property(logicalId: string, name: string): unknown {
    const value = this.resource(logicalId).Properties?.[name];
    return value === undefined ? undefined : this.resolve(value);
  }

  /** Properties of a SAM function with Globals.Function merged in (Environment.Variables merged key by key). */
  functionProperty(logicalId: string, name: string): unknown {
    const resource = this.resource(logicalId);
    const globals =
      resource.Type === 'AWS::Serverless::Function' ? (this.template.Globals?.Function ?? {}) : {};
    if (name === 'Environment') {
      const variables = {
        ...(((globals.Environment as Record<string, Json> | undefined)?.Variables as object) ?? {}),
        ...(((resource.Properties?.Environment as Record<string, Json> | undefined)?.Variables as object) ??
          {}),
      };
      return { Variables: this.resolve(variables as Json) };
    }
    const own = resource.Properties?.[name];
    const value = own ?? globals[name];
    return value === undefined ? undefined : this.resolve(value);
  }

  condition(name: string): boolean {
    const known = this.#conditions.get(name);
    if (known !== undefined) return known;
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new Error(`template.yaml has no condition ${name}`);
    const value = this.#evaluateCondition(definition);
    this.#conditions.set(name, value);
    return value;
  }

  /** Resolves every intrinsic function in a value; AWS::NoValue removes object keys and list items. */
  resolve(value: Json): unknown {
    const resolved = this.#resolve(value);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  /** `Ref` of a parameter, pseudo parameter or resource. */
  ref(name: string): unknown {
    const pseudo = this.#pseudo(name);
    if (pseudo !== undefined) return pseudo;
    if (Object.hasOwn(this.parameterValues, name)) {
      const type = this.template.Parameters?.[name]?.Type ?? 'String';
      const value = this.parameterValues[name]!;
      return type.startsWith('List<') || type === 'CommaDelimitedList' ? value.split(',') : value;
    }
    const resource = this.resource(name);
    const { region, accountId } = this.target;
    const physical = this.physicalName(name);
    switch (resource.Type) {
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${accountId}/${physical}`;
      case 'AWS::SNS::Topic':
      case 'AWS::Serverless::StateMachine':
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SNS::Subscription':
        return this.getAtt(name, 'Arn');
      case 'AWS::KMS::Key':
        return keyId(name);
      default:
        return physical;
    }
  }

  /** `Fn::GetAtt` of a resource: the ARNs and names the wiring reads. */
  getAtt(name: string, attribute: string): unknown {
    const resource = this.resource(name);
    const { partition, region, accountId } = this.target;
    const physical = this.physicalName(name);
    const arn = (service: string, resourcePart: string, regional = true) =>
      `arn:${partition}:${service}:${regional ? region : ''}:${accountId}:${resourcePart}`;
    const type = resource.Type;
    const byType: Record<string, () => unknown> = {
      'AWS::SQS::Queue': () =>
        ({
          Arn: arn('sqs', physical),
          QueueName: physical,
          QueueUrl: this.ref(name),
        })[attribute],
      'AWS::SNS::Topic': () =>
        ({ TopicArn: arn('sns', physical), TopicName: physical, Arn: arn('sns', physical) })[attribute],
      'AWS::SNS::Subscription': () =>
        attribute === 'Arn' ? `${this.#topicArnOf(name)}:${keyId(name)}` : undefined,
      'AWS::Events::EventBus': () =>
        ({ Arn: arn('events', `event-bus/${physical}`), Name: physical })[attribute],
      'AWS::Events::Rule': () => {
        const bus = this.property(name, 'EventBusName');
        const busName = typeof bus === 'string' ? bus.replace(/^arn:.*:event-bus\//, '') : 'default';
        return attribute === 'Arn'
          ? arn('events', busName === 'default' ? `rule/${physical}` : `rule/${busName}/${physical}`)
          : undefined;
      },
      'AWS::Events::Archive': () =>
        ({ Arn: arn('events', `archive/${physical}`), ArchiveName: physical })[attribute],
      'AWS::Serverless::Function': () => ({ Arn: arn('lambda', `function:${physical}`) })[attribute],
      'AWS::Lambda::Function': () => ({ Arn: arn('lambda', `function:${physical}`) })[attribute],
      'AWS::Serverless::StateMachine': () =>
        ({ Arn: arn('states', `stateMachine:${physical}`), Name: physical })[attribute],
      'AWS::StepFunctions::StateMachine': () =>
        ({ Arn: arn('states', `stateMachine:${physical}`), Name: physical })[attribute],
      'AWS::IAM::Role': () =>
        ({ Arn: `arn:${partition}:iam::${accountId}:role/${physical}`, RoleId: keyId(name) })[attribute],
      'AWS::KMS::Key': () => ({ Arn: arn('kms', `key/${keyId(name)}`), KeyId: keyId(name) })[attribute],
      'AWS::Logs::LogGroup': () => ({ Arn: arn('logs', `log-group:${physical}:*`) })[attribute],
      'AWS::IoT::ThingGroup': () => ({ Arn: arn('iot', `thinggroup/${physical}`) })[attribute],
      'AWS::IoT::MitigationAction': () =>
        ({
          MitigationActionArn: arn('iot', `mitigationaction/${physical}`),
          MitigationActionId: keyId(name),
        })[attribute],
      'AWS::Pipes::Pipe': () => ({ Arn: arn('pipes', `pipe/${physical}`) })[attribute],
      'AWS::Scheduler::Schedule': () => {
        const group = this.property(name, 'GroupName');
        return attribute === 'Arn'
          ? arn('scheduler', `schedule/${typeof group === 'string' ? group : 'default'}/${physical}`)
          : undefined;
      },
      'AWS::Scheduler::ScheduleGroup': () =>
        ({ Arn: arn('scheduler', `schedule-group/${physical}`) })[attribute],
      'AWS::CloudWatch::Alarm': () => ({ Arn: arn('cloudwatch', `alarm:${physical}`) })[attribute],
    };
    const value = byType[type]?.();
    if (value !== undefined) return value;
    if (attribute === 'Arn') {
      const service = type.split('::')[1]?.toLowerCase() ?? 'unknown';
      return arn(service, physical);
    }
    throw new Error(`Fn::GetAtt ${name}.${attribute}: not emulated for ${type}`);
  }

  /** The resource's name: its name property when the template gives one, else `<stack>-<LogicalId>`. */
  physicalName(logicalId: string): string {
    const resource = this.resource(logicalId);
    const property = NAME_PROPERTIES[resource.Type];
    const given = property ? resource.Properties?.[property] : undefined;
    if (given !== undefined) {
      const name = this.resolve(given);
      if (typeof name === 'string' && name !== '') return name;
    }
    return `${this.stackName}-${logicalId}`;
  }

  /** The logical id of the resource of a type whose ARN (or name) is `arnOrName`. */
  findResource(type: string | readonly string[], arnOrName: string): string | undefined {
    const types = [type].flat();
    return this.resourceIds().find((id) => {
      const resource = this.template.Resources[id]!;
      if (!types.includes(resource.Type)) return false;
      const candidates = [this.physicalName(id)];
      try {
        candidates.push(String(this.getAtt(id, 'Arn')));
      } catch {
        // no Arn attribute for this type
      }
      return candidates.includes(arnOrName);
    });
  }

  #topicArnOf(subscriptionId: string): string {
    return String(this.property(subscriptionId, 'TopicArn'));
  }

  #pseudo(name: string): unknown {
    const { stackName, region, accountId, partition } = this.target;
    switch (name) {
      case 'AWS::StackName':
        return stackName;
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return accountId;
      case 'AWS::Partition':
        return partition;
      case 'AWS::URLSuffix':
        return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
      case 'AWS::StackId':
        return `arn:${partition}:cloudformation:${region}:${accountId}:stack/${stackName}/00000000-0000-4000-8000-000000000000`;
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return [];
      default:
        return undefined;
    }
  }

  #evaluateCondition(value: Json): boolean {
    if (!isObject(value)) throw new Error(`a condition must be a function, got ${JSON.stringify(value)}`);
    const [fn, args] = Object.entries(value)[0] as [string, Json];
    const list = args as Json[];
    switch (fn) {
      case 'Fn::Equals':
        return stringify(this.resolve(list[0]!)) === stringify(this.resolve(list[1]!));
      case 'Fn::Not':
        return !this.#evaluateCondition(list[0]!);
      case 'Fn::And':
        return list.every((c) => this.#evaluateCondition(c));
      case 'Fn::Or':
        return list.some((c) => this.#evaluateCondition(c));
      case 'Condition':
        return this.condition(args as string);
      default:
        throw new Error(`${fn} is not a condition function`);
    }
  }

  #resolve(value: Json): unknown {
    if (Array.isArray(value)) return value.map((v) => this.#resolve(v)).filter((v) => v !== NO_VALUE);
    if (!isObject(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const args = value[key] as Json;
      switch (key) {
        case 'Ref':
          return this.ref(args as string);
        case 'Fn::GetAtt': {
          const [name, ...attribute] = Array.isArray(args) ? (args as string[]) : String(args).split('.');
          return this.getAtt(name!, attribute.join('.'));
        }
        case 'Fn::Sub':
          return this.#sub(args);
        case 'Fn::Join': {
          const [separator, items] = args as [string, Json];
          return (this.#resolve(items) as unknown[]).map(stringify).join(separator);
        }
        case 'Fn::If': {
          const [condition, yes, no] = args as [string, Json, Json];
          return this.#resolve(this.condition(condition) ? yes : no);
        }
        case 'Fn::Select': {
          const [index, items] = args as [Json, Json];
          return (this.#resolve(items) as unknown[])[Number(this.#resolve(index))];
        }
        case 'Fn::Split': {
          const [separator, text] = args as [string, Json];
          return String(this.#resolve(text)).split(separator);
        }
        case 'Fn::FindInMap': {
          const [map, top, second] = (args as Json[]).map((a) => String(this.#resolve(a)));
          const found = this.template.Mappings?.[map!]?.[top!]?.[second!];
          if (found === undefined) throw new Error(`Fn::FindInMap ${map}.${top}.${second}: no such entry`);
          return this.#resolve(found);
        }
        case 'Fn::Base64':
          return Buffer.from(String(this.#resolve(args))).toString('base64');
        case 'Fn::GetAZs':
          return ['a', 'b', 'c'].map((zone) => `${this.target.region}${zone}`);
        case 'Fn::ImportValue':
          throw new Error("Fn::ImportValue: another stack's exports are not emulated");
        case 'Condition':
          return this.condition(args as string);
        default:
          break;
      }
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = this.#resolve(item as Json);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  #sub(args: Json): string {
    const [text, variables] = Array.isArray(args)
      ? [args[0] as string, args[1] as Json]
      : [args as string, {}];
    const locals = isObject(variables) ? variables : {};
    return text.replace(/\$\{([^}]*)\}/g, (whole, expression: string) => {
      if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
      if (Object.hasOwn(locals, expression)) return stringify(this.#resolve(locals[expression] as Json));
      const dot = expression.indexOf('.');
      if (dot > 0 && !expression.startsWith('AWS::'))
        return stringify(this.getAtt(expression.slice(0, dot), expression.slice(dot + 1)));
      const resolved = this.ref(expression);
      if (resolved === undefined) throw new Error(`Fn::Sub: cannot resolve ${whole}`);
      return stringify(resolved);
    });
  }
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(stringify).join(',');
  return JSON.stringify(value);
}

/** A stable id-like string for resources whose Ref is a generated id (KMS keys, subscriptions). */
function keyId(logicalId: string): string {
  let hash = 0x811c9dc5;
  for (const char of logicalId) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  const hex = hash.toString(16).padStart(8, '0');
  return `${hex}-0000-4000-8000-${hex}${hex.slice(0, 4)}`;
}

/** Defaults, overrides and the parameter constraints CloudFormation enforces before deploying. */
function resolveParameters(
  declared: Record<string, CfnParameter>,
  overrides: Readonly<Record<string, string>>,
): Record<string, string> {
  for (const name of Object.keys(overrides))
    if (!Object.hasOwn(declared, name)) throw new Error(`template.yaml has no parameter ${name}`);
  const values: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(declared)) {
    const value =
      overrides[name] ?? (parameter.Default === undefined ? undefined : stringify(parameter.Default));
    if (value === undefined) throw new Error(`parameter ${name} has no default and no value was given`);
    const fail = (why: string) => {
      throw new Error(`parameter ${name}=${JSON.stringify(value)}: ${why}`);
    };
    if (parameter.AllowedValues && !parameter.AllowedValues.map(stringify).includes(value))
      fail(`not one of ${parameter.AllowedValues.map(stringify).join(', ')}`);
    if (parameter.AllowedPattern && !new RegExp(`^(?:${parameter.AllowedPattern})$`).test(value))
      fail(`does not match ${parameter.AllowedPattern}`);
    if (parameter.Type === 'Number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) fail('not a number');
      if (parameter.MinValue !== undefined && n < parameter.MinValue) fail(`below ${parameter.MinValue}`);
      if (parameter.MaxValue !== undefined && n > parameter.MaxValue) fail(`above ${parameter.MaxValue}`);
    }
    if (parameter.MinLength !== undefined && value.length < parameter.MinLength) fail('too short');
    if (parameter.MaxLength !== undefined && value.length > parameter.MaxLength) fail('too long');
    values[name] = value;
  }
  return values;
}
