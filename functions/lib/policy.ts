/**
 * The remediation policy: which checks to mitigate with which mitigation actions, under which caps.
 * Validation fails closed and reports every error at once, each naming its path and what would be
 * valid. The JSON Schema for editors is generated from the same definitions (`policySchema`).
 */
import { createHash } from 'node:crypto';
import {
  CHECK_NAMES,
  changesFleet,
  checkCatalogue,
  MITIGATION_ACTION_TYPES,
  type MitigationActionType,
} from './catalogue.js';
import { childPath, describeValue, type JsonSchema, type ValidationIssue, validate } from './json-schema.js';

export const POLICY_MODES = ['dry-run', 'enforce'] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];

export interface Caps {
  readonly maxFindings?: number;
  readonly maxPercent?: number;
}

export interface PolicyAction {
  readonly type: MitigationActionType;
  readonly description?: string;
}

export interface PolicyRule extends Caps {
  readonly check: string;
  /** Absent: every reason code of the check. */
  readonly reasonCodes?: readonly string[];
  /** Mitigation action names, applied in this order. */
  readonly actions: readonly string[];
  readonly enabled?: boolean;
}

export interface Policy {
  readonly version: 1;
  readonly mode?: PolicyMode;
  readonly description?: string;
  readonly actions: Readonly<Record<string, PolicyAction>>;
  readonly defaults?: Caps;
  readonly rules: readonly PolicyRule[];
}

export type PolicyParseResult =
  | { readonly ok: true; readonly policy: Policy }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/** At most 5 actions per check and 25 reason codes per filter (reference 2.4). */
export const MAX_ACTIONS_PER_RULE = 5;
export const MAX_REASON_CODES_PER_RULE = 25;
/** Leaves room for a stack-name prefix within the 128 characters of a mitigation action name. */
export const ACTION_NAME_PATTERN = '^[a-zA-Z0-9_-]{1,64}$';

const caps = {
  maxFindings: {
    type: 'integer',
    minimum: 1,
    description: 'Hold the check back (never trim it) when it has more non-compliant resources than this.',
  },
  maxPercent: {
    type: 'number',
    exclusiveMinimum: 0,
    maximum: 100,
    description:
      "Hold the check back when its non-compliant resources exceed this percentage of the check's total.",
  },
} satisfies Record<string, JsonSchema>;

/** The policy's JSON Schema: the structural half of validation, and the editors' schema. */
export function policySchema(): JsonSchema & { type: 'object' } {
  return {
    type: 'object',
    description: 'Device Defender remediation policy (version 1).',
    required: ['version', 'actions', 'rules'],
    additionalProperties: false,
    properties: {
      version: { type: 'integer', enum: [1] },
      mode: {
        type: 'string',
        enum: POLICY_MODES,
        description:
          'dry-run (default) or enforce; enforce takes effect only when the runtime switch also says enforce.',
      },
      description: { type: 'string' },
      actions: {
        type: 'object',
        description: 'The mitigation actions the rules may use, by name, each with its action type.',
        minProperties: 1,
        propertyNames: { type: 'string', pattern: ACTION_NAME_PATTERN },
        additionalProperties: {
          type: 'object',
          required: ['type'],
          additionalProperties: false,
          properties: {
            type: { type: 'string', enum: MITIGATION_ACTION_TYPES },
            description: { type: 'string' },
          },
        },
      },
      defaults: {
        type: 'object',
        description:
          'Caps applied to every rule whose actions change the fleet, unless the rule sets its own.',
        additionalProperties: false,
        properties: caps,
      },
      rules: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['check', 'actions'],
          additionalProperties: false,
          properties: {
            check: { type: 'string', enum: CHECK_NAMES, description: 'Audit check, by its API name.' },
            reasonCodes: {
              type: 'array',
              items: { type: 'string' },
              minItems: 1,
              maxItems: MAX_REASON_CODES_PER_RULE,
              uniqueItems: true,
              description: 'Only findings with these reason codes; default: every code of the check.',
            },
            actions: {
              type: 'array',
              items: { type: 'string' },
              minItems: 1,
              maxItems: MAX_ACTIONS_PER_RULE,
              uniqueItems: true,
              description: 'Action names from `actions`, applied in this order.',
            },
            ...caps,
            enabled: { type: 'boolean', description: 'false keeps the rule but acts on nothing.' },
          },
        },
      },
    },
  };
}

/** The schema as a standalone JSON Schema document, for `config/policy.schema.json`. */
export function policyJsonSchemaDocument(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://github.com/device-defender-auto-remediation/policy.schema.json',
    title: 'Device Defender remediation policy',
    ...policySchema(),
  };
}

export function parsePolicy(document: unknown): PolicyParseResult {
  const issues = validate(policySchema(), document);
  // The structure may be partly wrong: the cross-checks read it defensively and report the rest.
  issues.push(...crossCheck(document));
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, policy: document as Policy };
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** What JSON Schema cannot say: reason codes of the check, declared actions of allowed types, caps. */
function crossCheck(document: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const policy = asRecord(document);
  const rules = policy?.rules;
  if (!policy || !Array.isArray(rules)) return issues;
  const actions = asRecord(policy.actions) ?? {};
  const defaults = asRecord(policy.defaults) ?? {};
  const firstRuleFor = new Map<string, number>();

  rules.forEach((value, index) => {
    const rule = asRecord(value);
    const at = childPath('rules', index);
    if (!rule) return;
    // An unknown check is the schema's to report; its actions are still checked here.
    const check = typeof rule.check === 'string' ? checkCatalogue.get(rule.check) : undefined;

    const earlier = check && firstRuleFor.get(check.name);
    if (check && earlier !== undefined)
      issues.push({
        path: childPath(at, 'check'),
        message: `${check.name} already has a rule (rules[${earlier}]); merge them`,
      });
    else if (check) firstRuleFor.set(check.name, index);

    if (check && Array.isArray(rule.reasonCodes)) {
      rule.reasonCodes.forEach((code, i) => {
        if (typeof code === 'string' && !check.reasonCodes.includes(code))
          issues.push({
            path: childPath(childPath(at, 'reasonCodes'), i),
            message: `${describeValue(code)} is not a reason code of ${check.name}; expected one of ${check.reasonCodes.join(', ')}`,
          });
      });
    }

    let changesTheFleet = false;
    if (Array.isArray(rule.actions)) {
      rule.actions.forEach((name, i) => {
        if (typeof name !== 'string') return;
        const path = childPath(childPath(at, 'actions'), i);
        const declared = Object.hasOwn(actions, name) ? asRecord(actions[name]) : undefined;
        if (!declared) {
          const known = Object.keys(actions);
          issues.push({
            path,
            message: `${describeValue(name)} is not declared in actions; expected one of ${known.length ? known.join(', ') : '(none declared)'}`,
          });
          return;
        }
        const type = declared.type as MitigationActionType;
        if (!MITIGATION_ACTION_TYPES.includes(type)) return; // reported by the schema
        if (check && !check.allowedActionTypes.includes(type))
          issues.push({
            path,
            message: `${name} is a ${type} action, which ${check.name} does not allow; allowed types: ${check.allowedActionTypes.join(', ')}`,
          });
        if (changesFleet(type)) changesTheFleet = true;
      });
    }

    const capped = ['maxFindings', 'maxPercent'].some(
      (cap) => rule[cap] !== undefined || defaults[cap] !== undefined,
    );
    if (changesTheFleet && !capped)
      issues.push({
        path: at,
        message: `${check?.name ?? 'the rule'} changes the fleet but has no cap; set maxFindings or maxPercent on the rule or in defaults`,
      });
  });
  return issues;
}

/** The rule's caps, with the policy's defaults filling in for rules that change the fleet. */
export function effectiveCaps(policy: Policy, rule: PolicyRule): Caps {
  const fleetChanging = rule.actions.some((name) => {
    const action = policy.actions[name];
    return action !== undefined && changesFleet(action.type);
  });
  const defaults = fleetChanging ? (policy.defaults ?? {}) : {};
  const maxFindings = rule.maxFindings ?? defaults.maxFindings;
  const maxPercent = rule.maxPercent ?? defaults.maxPercent;
  return {
    ...(maxFindings === undefined ? {} : { maxFindings }),
    ...(maxPercent === undefined ? {} : { maxPercent }),
  };
}

/** A digest of what the policy means: formatting and key order do not change it; array order does. */
export function policyDigest(policy: Policy): string {
  return `sha256:${createHash('sha256').update(canonicalJson(policy)).digest('hex')}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
