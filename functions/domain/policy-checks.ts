/**
 * What JSON Schema cannot say about a policy, as named checks: each takes the policy as far as it
 * is valid (a `Draft`: it also runs when the schema rejected other parts, so that every error is
 * reported at once) and returns its issues. `parsePolicy` runs them all, in this order.
 */
import { type AuditCheck, changesFleet, checkCatalogue } from './catalogue.ts';
import { childPath, type Draft, describeValue, isPresent, type ValidationIssue } from './json-schema.ts';
import type { Policy, PolicyAction, PolicyRule } from './policy.ts';

/**
 * The highest `maxFindings` a policy may set (the schema's maximum): one run of a fleet-changing rule
 * never touches more than 10,000 resources. A fleet that needs more is remediated in steps an operator
 * watches (raise the cap, re-run), not by one automatic run. Every fleet-changing rule needs a
 * `maxFindings` (its own or the defaults'): a percentage alone does not bound how many devices one run
 * changes. Why 10,000: README "The policy document".
 */
export const MAX_FINDINGS_CEILING = 10_000;

export interface PolicyCheck {
  readonly name: string;
  check(policy: Draft<Policy>): ValidationIssue[];
}

interface RuleInContext {
  readonly rule: Draft<PolicyRule>;
  readonly index: number;
  readonly path: string;
  /** The rule's check in the catalogue; absent when the schema rejected its name. */
  readonly check: AuditCheck | undefined;
}

function* rulesOf(policy: Draft<Policy>): Generator<RuleInContext> {
  if (!isPresent(policy.rules)) return;
  for (const [index, rule] of policy.rules.entries()) {
    if (!isPresent(rule)) continue;
    const check = isPresent(rule.check) ? checkCatalogue.get(rule.check) : undefined;
    yield { rule, index, path: childPath('rules', index), check };
  }
}

/** Each action name of the rule with its path and its declaration (absent when not declared). */
function* actionsOf(
  policy: Draft<Policy>,
  { rule, path }: RuleInContext,
): Generator<{ name: string; path: string; declared: Draft<PolicyAction> | undefined }> {
  if (!isPresent(rule.actions)) return;
  const actions = isPresent(policy.actions) ? policy.actions : {};
  for (const [i, name] of rule.actions.entries()) {
    if (!isPresent(name)) continue;
    const declared = Object.hasOwn(actions, name) ? actions[name] : undefined;
    yield {
      name,
      path: childPath(childPath(path, 'actions'), i),
      declared: isPresent(declared) ? declared : undefined,
    };
  }
}

/** Whether any of the rule's declared actions changes the fleet. */
const changesTheFleet = (policy: Draft<Policy>, rule: RuleInContext) =>
  Array.from(actionsOf(policy, rule)).some(
    ({ declared }) => declared !== undefined && isPresent(declared.type) && changesFleet(declared.type),
  );

export const POLICY_CHECKS = [
  {
    // Two rules for one check would each start a filter for it: which one wins is not what was meant.
    name: 'one-rule-per-check',
    check(policy) {
      const issues: ValidationIssue[] = [];
      const firstRuleFor = new Map<string, number>();
      for (const { check, index, path } of rulesOf(policy)) {
        if (!check) continue;
        const earlier = firstRuleFor.get(check.name);
        if (earlier === undefined) firstRuleFor.set(check.name, index);
        else
          issues.push({
            path: childPath(path, 'check'),
            message: `${check.name} already has a rule (rules[${earlier}]); merge them`,
          });
      }
      return issues;
    },
  },
  {
    name: 'reason-codes-of-the-check',
    check(policy) {
      const issues: ValidationIssue[] = [];
      for (const { rule, check, path } of rulesOf(policy)) {
        if (!check || !isPresent(rule.reasonCodes)) continue;
        for (const [i, code] of rule.reasonCodes.entries())
          if (isPresent(code) && !check.reasonCodes.includes(code))
            issues.push({
              path: childPath(childPath(path, 'reasonCodes'), i),
              message: `${describeValue(code)} is not a reason code of ${check.name}; expected one of ${check.reasonCodes.join(', ')}`,
            });
      }
      return issues;
    },
  },
  {
    name: 'actions-declared',
    check(policy) {
      const issues: ValidationIssue[] = [];
      const known = isPresent(policy.actions) ? Object.keys(policy.actions) : [];
      for (const rule of rulesOf(policy))
        for (const { name, path, declared } of actionsOf(policy, rule))
          if (!declared)
            issues.push({
              path,
              message: `${describeValue(name)} is not declared in actions; expected one of ${known.length ? known.join(', ') : '(none declared)'}`,
            });
      return issues;
    },
  },
  {
    name: 'action-types-allowed',
    check(policy) {
      const issues: ValidationIssue[] = [];
      for (const rule of rulesOf(policy)) {
        const { check } = rule;
        if (!check) continue;
        for (const { name, path, declared } of actionsOf(policy, rule)) {
          const type = declared?.type;
          if (isPresent(type) && !check.allowedActionTypes.includes(type))
            issues.push({
              path,
              message: `${name} is a ${type} action, which ${check.name} does not allow; allowed types: ${check.allowedActionTypes.join(', ')}`,
            });
        }
      }
      return issues;
    },
  },
  {
    // Every fleet-changing rule needs a maxFindings, its own or the defaults': a percentage alone does
    // not bound how many devices one run changes (1 % of a million is ten thousand), and maxPercent 100
    // holds nothing back. A cap that is set but not valid still counts as set: the schema reports it.
    name: 'fleet-changes-capped',
    check(policy) {
      const issues: ValidationIssue[] = [];
      const defaults = isPresent(policy.defaults) ? policy.defaults : {};
      const advice = `set maxFindings (1 to ${MAX_FINDINGS_CEILING}) on the rule or in defaults`;
      for (const rule of rulesOf(policy)) {
        if (!changesTheFleet(policy, rule)) continue;
        if (rule.rule.maxFindings !== undefined || defaults.maxFindings !== undefined) continue;
        const maxPercent = rule.rule.maxPercent !== undefined ? rule.rule.maxPercent : defaults.maxPercent;
        const what = rule.check?.name ?? 'the rule';
        issues.push({
          path: rule.path,
          message:
            maxPercent === undefined
              ? `${what} changes the fleet but has no cap; ${advice}`
              : maxPercent === 100
                ? `${what} changes the fleet and its only cap is maxPercent 100, which holds nothing back: it is not a cap; ${advice}`
                : `${what} changes the fleet but has no maxFindings: maxPercent alone does not bound how many resources one run changes; ${advice}`,
        });
      }
      return issues;
    },
  },
] as const satisfies readonly PolicyCheck[];

/** What DescribeMitigationAction answered for one deployed action: its type, or that it does not exist. */
export type DeployedAction =
  | { readonly exists: true; readonly type: string | undefined }
  | { readonly exists: false };

/**
 * The policy cannot lie about an action: each action a plan would use must exist in the account and
 * region with the type the policy declares (an action changed outside the stack counts). `used` are
 * the policy's action names, `deployed` maps each to what AWS answered under its deployed name
 * (`resolve`). Issues carry the path of the action's declaration.
 */
export function deployedActionIssues(
  policy: Policy,
  used: readonly string[],
  deployed: ReadonlyMap<string, DeployedAction>,
  resolve: (name: string) => string,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const name of [...new Set(used)].sort()) {
    const declared = policy.actions[name];
    const answer = deployed.get(name);
    if (declared === undefined || answer === undefined) continue;
    const path = childPath('actions', name);
    if (!answer.exists)
      issues.push({
        path,
        message: `mitigation action ${resolve(name)} does not exist in this account and region; deploy it or remove ${name} from the rules that use it`,
      });
    else if (answer.type !== declared.type)
      issues.push({
        path: childPath(path, 'type'),
        message: `declared ${declared.type}, but mitigation action ${resolve(name)} is ${answer.type === undefined ? 'of no type' : `a ${answer.type} action`}`,
      });
  }
  return issues;
}

export type PolicyCheckName = (typeof POLICY_CHECKS)[number]['name'];

export function policyCheck(name: PolicyCheckName): PolicyCheck {
  return POLICY_CHECKS.find((check) => check.name === name)!;
}
