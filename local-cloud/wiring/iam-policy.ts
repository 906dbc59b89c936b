/**
 * Resource-based policies as AWS evaluates them, for the resources the local stack guards with one
 * (the event bus's policy on PutEvents, the topic and key policies a rule's SNS target needs). A small
 * evaluator of what AWS documents, refusing loudly what it does not know:
 *
 * - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html:
 *   an explicit Deny in any policy wins; otherwise an Allow is needed.
 * - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html:
 *   within one account, "if either the identity-based policy or the resource-based policy ... allows
 *   the request ... the request is still allowed": a resource policy without an Allow leaves the
 *   account's own principals to their IAM permissions (`implicit`, which the caller decides on).
 * - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html:
 *   condition operators and keys are ANDed, a key's values ORed, a negated operator's values NORed.
 * - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html:
 *   a key absent from the request makes a condition false, a negated one (StringNotEquals,
 *   ArnNotLike...) true; `...IfExists` is true when the key is absent.
 * - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html:
 *   ForAnyValue is true when some value of the request's key satisfies the operator (false when the
 *   key is absent or empty); ForAllValues when every value does (true when absent or empty).
 */

export type PolicyValue = string | readonly string[];

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: '*' | { readonly AWS?: PolicyValue; readonly Service?: PolicyValue };
  readonly Action: PolicyValue;
  readonly Resource?: PolicyValue;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, PolicyValue | boolean>>>>;
}

/** Who asks: an IAM principal (its ARN; a role's ARN for its sessions) or an AWS service. */
export type Caller =
  | { readonly principalArn: string; readonly service?: undefined }
  | { readonly service: string; readonly principalArn?: undefined };

export interface PolicyRequest {
  readonly caller: Caller;
  readonly action: string;
  readonly resource: string;
  /** The request context's condition keys (global keys like aws:PrincipalArn are added from the caller). */
  readonly context?: Readonly<Record<string, PolicyValue | undefined>>;
}

export interface PolicyDecision {
  /** `implicit`: no statement applies (the account's own principals fall back to their IAM policies). */
  readonly decision: 'deny' | 'allow' | 'implicit';
  /** The Sid (or index) of the statement that decided. */
  readonly statement?: string;
}

export class UnsupportedPolicyError extends Error {
  override readonly name = 'UnsupportedPolicyError';
}

const list = (value: PolicyValue | boolean | undefined): string[] =>
  value === undefined ? [] : typeof value === 'boolean' ? [String(value)] : [value].flat();

/** `*` and `?` wildcards, as Action, Resource, StringLike and ArnLike use them. */
function glob(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/** The account an IAM ARN belongs to (`arn:partition:iam::<account>:...`). */
export function accountOf(arn: string): string | undefined {
  return /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1];
}

function principalMatches(principal: PolicyStatement['Principal'], caller: Caller): boolean {
  if (principal === undefined)
    throw new UnsupportedPolicyError('a resource policy statement needs a Principal');
  if (principal === '*') return true;
  if (caller.service !== undefined) return list(principal.Service).includes(caller.service);
  return list(principal.AWS).some((p) => {
    if (p === '*') return true;
    // An account (its ID or its root) in Principal stands for the account's principals, whose own
    // IAM policies must then allow the request too (the same-account evaluation above).
    const account = /^\d{12}$/.test(p) ? p : /^arn:[^:]+:iam::(\d{12}):root$/.exec(p)?.[1];
    if (account !== undefined) return accountOf(caller.principalArn) === account;
    return p === caller.principalArn;
  });
}

type Matcher = (policyValue: string, requestValue: string) => boolean;

const MATCHERS: Record<string, { readonly match: Matcher; readonly negated: boolean }> = {
  StringEquals: { match: (p, v) => p === v, negated: false },
  StringNotEquals: { match: (p, v) => p === v, negated: true },
  StringEqualsIgnoreCase: { match: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { match: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: true },
  StringLike: { match: (p, v) => glob(p, v), negated: false },
  StringNotLike: { match: (p, v) => glob(p, v), negated: true },
  // ArnEquals and ArnLike both take wildcards in each of the ARN's six colon-separated parts.
  ArnEquals: { match: (p, v) => arnMatches(p, v), negated: false },
  ArnLike: { match: (p, v) => arnMatches(p, v), negated: false },
  ArnNotEquals: { match: (p, v) => arnMatches(p, v), negated: true },
  ArnNotLike: { match: (p, v) => arnMatches(p, v), negated: true },
  Bool: { match: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
};

function arnMatches(pattern: string, value: string): boolean {
  const p = pattern.split(':');
  const v = value.split(':');
  if (p.length < 6 || v.length < 6) return false;
  const head = (parts: string[]) => [...parts.slice(0, 5), parts.slice(5).join(':')];
  return head(p).every((part, i) => glob(part, head(v)[i]!));
}

/** One operator of a Condition block against the request's keys. */
function conditionHolds(
  operator: string,
  keys: Readonly<Record<string, PolicyValue | boolean>>,
  context: ReadonlyMap<string, readonly string[]>,
): boolean {
  const [, set, base = '', ifExists] =
    /^(?:(ForAnyValue|ForAllValues):)?(\w+?)(IfExists)?$/.exec(operator) ?? [];
  return Object.entries(keys).every(([key, policyValues]) => {
    const values = list(policyValues);
    const present = context.get(key.toLowerCase());
    if (base === 'Null') {
      // Null: true means the key must be absent, false that it must be present.
      const wantsAbsent = values[0]?.toLowerCase() === 'true';
      return wantsAbsent === (present === undefined || present.length === 0);
    }
    const operation = MATCHERS[base];
    if (operation === undefined)
      throw new UnsupportedPolicyError(`condition operator ${operator} is not evaluated locally`);
    // One request value against the policy's values: OR for an operator, NOR for a negated one.
    const one = (requestValue: string) => {
      const any = values.some((policyValue) => operation.match(policyValue, requestValue));
      return operation.negated ? !any : any;
    };
    if (present === undefined || present.length === 0) {
      if (ifExists) return true;
      if (set === 'ForAllValues') return true;
      if (set === 'ForAnyValue') return false;
      return operation.negated;
    }
    if (set === 'ForAllValues') return present.every(one);
    // ForAnyValue, or a plain operator on a key the request gives more than one value.
    return present.some(one);
  });
}

/** The decision of one resource-based policy on one request. */
export function evaluatePolicy(
  statements: readonly PolicyStatement[],
  request: PolicyRequest,
): PolicyDecision {
  const context = new Map<string, readonly string[]>();
  for (const [key, value] of Object.entries(request.context ?? {}))
    if (value !== undefined) context.set(key.toLowerCase(), list(value));
  if (request.caller.principalArn !== undefined) {
    context.set('aws:principalarn', [request.caller.principalArn]);
    const account = accountOf(request.caller.principalArn);
    if (account !== undefined) context.set('aws:principalaccount', [account]);
  }
  const applies = (s: PolicyStatement) =>
    principalMatches(s.Principal, request.caller) &&
    list(s.Action).some((a) => glob(a, request.action, true)) &&
    (s.Resource === undefined || list(s.Resource).some((r) => glob(r, request.resource))) &&
    Object.entries(s.Condition ?? {}).every(([operator, keys]) => conditionHolds(operator, keys, context));
  const name = (s: PolicyStatement) => s.Sid ?? `statement ${statements.indexOf(s)}`;
  const deny = statements.find((s) => s.Effect === 'Deny' && applies(s));
  if (deny) return { decision: 'deny', statement: name(deny) };
  const allow = statements.find((s) => s.Effect === 'Allow' && applies(s));
  if (allow) return { decision: 'allow', statement: name(allow) };
  return { decision: 'implicit' };
}

/** The statements of a policy document (one statement or a list), as a template gives it. */
export function statementsOf(document: unknown): PolicyStatement[] {
  if (typeof document === 'string') return statementsOf(JSON.parse(document) as unknown);
  if (typeof document !== 'object' || document === null) return [];
  const statement = (document as { Statement?: unknown }).Statement;
  if (statement === undefined) return [];
  return [statement].flat() as PolicyStatement[];
}
