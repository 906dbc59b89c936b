/**
 * The remediation policy: which checks to mitigate with which mitigation actions, under which caps.
 * One definition, `POLICY_SCHEMA`, is the policy's TypeScript type (`Policy`, derived with
 * `FromSchema`), the structural half of its validation and the editors' `config/policy.schema.json`;
 * the named checks in `policy-checks.ts` are the other half. Validation fails closed and reports every
 * error at once, each naming its path and what would be valid. Design and alternatives weighed:
 * docs/decisions/policy-validation.md.
 */
import { createHash } from 'node:crypto';
import { CHECK_NAMES, changesFleet, MITIGATION_ACTION_TYPES } from './catalogue.ts';
import {
  type FromSchema,
  INVALID,
  inDocumentOrder,
  type JsonSchema,
  parse,
  type ValidationIssue,
} from './json-schema.ts';
import { MAX_FINDINGS_CEILING, POLICY_CHECKS } from './policy-checks.ts';

export { MAX_FINDINGS_CEILING };

export const POLICY_MODES = ['dry-run', 'enforce'] as const;

/** The loop guard's bounds: a few audits, and suppressions that expire within a year. */
export const LOOP_GUARD_LIMITS = {
  afterAudits: { minimum: 2, maximum: 10, default: 3 },
  suppressForDays: { minimum: 1, maximum: 365, default: 30 },
} as const;

/** At most 5 actions per check and 25 reason codes per filter (https://docs.aws.amazon.com/iot/latest/apireference/API_StartAuditMitigationActionsTask.html). */
export const MAX_ACTIONS_PER_RULE = 5;
export const MAX_REASON_CODES_PER_RULE = 25;
/** Leaves room for a stack-name prefix within the 128 characters of a mitigation action name. */
export const ACTION_NAME_PATTERN = '^[a-zA-Z0-9_-]{1,64}$';

const caps = {
  maxFindings: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_FINDINGS_CEILING,
    description:
      'Hold the check back (never trim it) when it has more non-compliant resources than this (at most 10000). Every rule whose actions change the fleet needs one, its own or in defaults.',
  },
  maxPercent: {
    type: 'number',
    exclusiveMinimum: 0,
    maximum: 100,
    description:
      "Hold the check back when its non-compliant resources exceed this percentage of the check's total.",
  },
} as const satisfies Record<string, JsonSchema>;

/** The policy's JSON Schema: the policy's type, the structural half of validation, the editors' schema. */
export const POLICY_SCHEMA = {
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
    verify: {
      type: 'boolean',
      description:
        'true (default): after an enforced task completes, an on-demand audit of the checks mitigated with fixing actions (certificate updates, policy version replacement, logging) shows what it fixed (README "Verification"); false turns it off.',
    },
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
    loopGuard: {
      type: 'object',
      description:
        'The loop guard (on by default): a resource that the same check\'s fixing actions mitigated in the last afterAudits remediated audits and that is still non-compliant is not mitigated again but suppressed for suppressForDays (README "Loop guard").',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', description: 'false turns the loop guard off.' },
        afterAudits: {
          type: 'integer',
          minimum: LOOP_GUARD_LIMITS.afterAudits.minimum,
          maximum: LOOP_GUARD_LIMITS.afterAudits.maximum,
          description: 'How many consecutive remediated audits must have mitigated the resource (default 3).',
        },
        suppressForDays: {
          type: 'integer',
          minimum: LOOP_GUARD_LIMITS.suppressForDays.minimum,
          maximum: LOOP_GUARD_LIMITS.suppressForDays.maximum,
          description: 'How long the audit suppression lasts before it expires by itself (default 30).',
        },
      },
    },
    defaults: {
      type: 'object',
      description: 'Caps applied to every rule whose actions change the fleet, unless the rule sets its own.',
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
} as const satisfies JsonSchema;

/** A valid policy: the type of what `POLICY_SCHEMA` accepts. */
export type Policy = FromSchema<typeof POLICY_SCHEMA>;
export type PolicyMode = (typeof POLICY_MODES)[number];
export type PolicyAction = Policy['actions'][string];
/** A rule; absent `reasonCodes`: every reason code of the check; `actions` apply in their order. */
export type PolicyRule = Policy['rules'][number];
export type Caps = NonNullable<Policy['defaults']>;

export type PolicyParseResult =
  | { readonly ok: true; readonly policy: Policy }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/** The schema as a standalone JSON Schema document, for `config/policy.schema.json`. */
export function policyJsonSchemaDocument(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://github.com/device-defender-auto-remediation/policy.schema.json',
    title: 'Device Defender remediation policy',
    ...POLICY_SCHEMA,
  };
}

/**
 * The schema, then every named check, even on a policy the schema rejected (on what of it is valid):
 * all errors at once. The checks' issues follow the schema's, in document order.
 */
export function parsePolicy(document: unknown): PolicyParseResult {
  const parsed = parse(POLICY_SCHEMA, document);
  const draft = parsed.ok ? parsed.value : parsed.draft;
  const issues = parsed.ok ? [] : [...parsed.issues];
  if (draft !== INVALID)
    issues.push(
      ...inDocumentOrder(
        POLICY_SCHEMA,
        POLICY_CHECKS.flatMap(({ check }) => check(draft)),
      ),
    );
  if (!parsed.ok || issues.length > 0) return { ok: false, issues };
  return { ok: true, policy: parsed.value };
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
