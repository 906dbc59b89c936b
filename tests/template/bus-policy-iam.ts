/**
 * A small evaluator of resource-based policies, for the template tests of the bus, topic and key
 * policies (bus-policy.test.ts, topic-policies.test.ts, switch-announcements.test.ts). It evaluates
 * only what those policies use, as the IAM User Guide documents it, and refuses anything else:
 *
 * - an explicit Deny wins, then an Allow; within one account, when no statement applies, the
 *   principal's IAM policies decide ("implicit": allowed for a principal that holds the permission):
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
 * - operators and keys ANDed, a key's values ORed, a negated operator's values NORed:
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
 * - an absent key fails a condition and passes a negated one:
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * - ForAnyValue: some value of the (multivalued) key satisfies the operator; false when absent:
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 * - aws:PrincipalArn of a role's session is the role's ARN:
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 *
 * It is written apart from the local cloud's evaluator (local-cloud/wiring/iam-policy.ts) on purpose:
 * the template's policies are checked against the documentation, not against the emulator.
 */
import {
  DeployedTemplate,
  parseTemplate,
  readTemplateText,
  statementsOf,
} from '@device-defender-remediation/local-cloud';

export const ACCOUNT = '123456789012';
export const STACK = 'ddr';
export const ROOT_ARN = `arn:aws:iam::${ACCOUNT}:root`;

export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** An IAM principal (role or user ARN; the account root) or an AWS service principal. */
export type Who = { readonly arn: string } | { readonly service: string };

export interface Request {
  readonly who: Who;
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request besides aws:PrincipalArn (taken from `who`). */
  readonly keys?: Readonly<Record<string, string | readonly string[]>>;
}

export type Decision = 'deny' | 'allow' | 'implicit';

const asList = <T>(value: T | readonly T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? [...value] : [value as T];

function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function arnLike(pattern: string, arn: string): boolean {
  const split = (text: string) => {
    const parts = text.split(':');
    return [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const p = split(pattern);
  const a = split(arn);
  return p.length === 6 && a.length === 6 && p.every((part, i) => wildcard(part, a[i]!));
}

const OPERATORS: Record<string, { test: (policy: string, request: string) => boolean; negated: boolean }> = {
  StringEquals: { test: (p, r) => p === r, negated: false },
  StringNotEquals: { test: (p, r) => p === r, negated: true },
  ArnEquals: { test: arnLike, negated: false },
  ArnLike: { test: arnLike, negated: false },
  ArnNotEquals: { test: arnLike, negated: true },
  ArnNotLike: { test: arnLike, negated: true },
};

function principalMatches(principal: unknown, who: Who): boolean {
  if (principal === '*') return true;
  const { AWS, Service } = (principal ?? {}) as { AWS?: string | string[]; Service?: string | string[] };
  if ('service' in who) return asList(Service).includes(who.service);
  return asList(AWS).some(
    (p) => p === '*' || p === who.arn || (p === ROOT_ARN && who.arn.includes(`::${ACCOUNT}:`)),
  );
}

function conditionHolds(
  operator: string,
  keys: Record<string, string | string[]>,
  request: Request,
): boolean {
  const [, set, base] = /^(ForAnyValue:)?(\w+)$/.exec(operator) ?? [];
  const op = OPERATORS[base ?? ''];
  if (!op) throw new Error(`the test evaluator does not know the condition operator ${operator}`);
  return Object.entries(keys).every(([key, policyValues]) => {
    const values =
      key.toLowerCase() === 'aws:principalarn'
        ? 'arn' in request.who
          ? [request.who.arn]
          : []
        : asList(
            Object.entries(request.keys ?? {}).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1] as
              | string
              | string[]
              | undefined,
          );
    const one = (value: string) => {
      const any = asList(policyValues).some((p) => op.test(p, value));
      return op.negated ? !any : any;
    };
    if (values.length === 0) return set ? false : op.negated;
    return values.some(one);
  });
}

/** The decision of a resource-based policy on a request. */
export function decide(statements: readonly Statement[], request: Request): Decision {
  const applies = (s: Statement) =>
    principalMatches(s.Principal, request.who) &&
    asList(s.Action).some((a) => wildcard(a, request.action, true)) &&
    (s.Resource === undefined || asList(s.Resource).some((r) => wildcard(r, request.resource))) &&
    Object.entries(s.Condition ?? {}).every(([operator, keys]) => conditionHolds(operator, keys, request));
  if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return 'deny';
  if (statements.some((s) => s.Effect === 'Allow' && applies(s))) return 'allow';
  return 'implicit';
}

/**
 * template.yaml deployed on paper (intrinsics and conditions resolved) as stack `ddr`. Parameters the
 * template does not declare are left out, so that an older template still deploys and its tests fail
 * on what it lets through rather than on a missing parameter.
 */
export function deploy(parameters: Record<string, string> = {}): DeployedTemplate {
  const parsed = parseTemplate(readTemplateText());
  const declared = Object.fromEntries(
    Object.entries(parameters).filter(([name]) => parsed.Parameters?.[name] !== undefined),
  );
  return new DeployedTemplate(parsed, {
    stackName: STACK,
    accountId: ACCOUNT,
    region: 'us-east-1',
    partition: 'aws',
    parameters: declared,
  });
}

/** The statements of every policy resource of a type that governs `target` (a bus, topic or key). */
export function policyOn(deployed: DeployedTemplate, target: string): Statement[] {
  const statements: Statement[] = [];
  const type = deployed.template.Resources[target]?.Type;
  if (type === 'AWS::Events::EventBus') {
    statements.push(...(statementsOf(deployed.property(target, 'Policy')) as Statement[]));
    for (const id of deployed.resourceIds('AWS::Events::EventBusPolicy'))
      if (deployed.property(id, 'EventBusName') === deployed.ref(target))
        statements.push(deployed.property(id, 'Statement') as Statement);
  } else if (type === 'AWS::SNS::Topic') {
    for (const id of deployed.resourceIds('AWS::SNS::TopicPolicy'))
      if ((deployed.property(id, 'Topics') as string[]).includes(String(deployed.ref(target))))
        statements.push(...(statementsOf(deployed.property(id, 'PolicyDocument')) as Statement[]));
  } else if (type === 'AWS::KMS::Key') {
    statements.push(...(statementsOf(deployed.property(target, 'KeyPolicy')) as Statement[]));
  } else throw new Error(`${target}: no policy to read for ${type}`);
  return statements;
}

/** A role of the template, as the principal of its sessions. */
export const role = (deployed: DeployedTemplate, id: string): Who => ({
  arn: String(deployed.getAtt(id, 'Arn')),
});
