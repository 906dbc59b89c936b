import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { MitigationActionType } from '#domain/catalogue';
import { type Draft, formatIssue, INVALID, type Invalid } from '#domain/json-schema';
import {
  type Caps,
  effectiveCaps,
  MAX_FINDINGS_CEILING,
  type Policy,
  type PolicyAction,
  type PolicyMode,
  type PolicyRule,
  parsePolicy,
  policyDigest,
  policyJsonSchemaDocument,
} from '#domain/policy';
import {
  deployedActionIssues,
  POLICY_CHECKS,
  type PolicyCheckName,
  policyCheck,
} from '#domain/policy-checks';
import { DEFAULT_POLICY_YAML, parsePolicyText, readPolicyFile } from '../../local/policy-file.ts';

const minimal = () => ({
  version: 1,
  actions: { Publish: { type: 'PUBLISH_FINDING_TO_SNS' }, Quarantine: { type: 'ADD_THINGS_TO_THING_GROUP' } },
  defaults: { maxFindings: 10 },
  rules: [{ check: 'DEVICE_CERTIFICATE_SHARED_CHECK', actions: ['Publish', 'Quarantine'] }],
});

function valid(document: unknown): Policy {
  const result = parsePolicy(document);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.policy;
}

function errorsOf(document: unknown): string[] {
  const result = parsePolicy(document);
  if (result.ok) throw new Error('expected the policy to be rejected');
  return result.issues.map(formatIssue);
}

describe('parsePolicy accepts', () => {
  it('a minimal policy', () => {
    expect(parsePolicy(minimal())).toMatchObject({ ok: true, policy: { version: 1 } });
  });

  it('the default policy in config/', () => {
    const result = readPolicyFile(DEFAULT_POLICY_YAML);
    expect(result.ok).toBe(true);
  });

  it('an SNS-only rule without any cap', () => {
    const { defaults: _, ...policy } = {
      ...minimal(),
      rules: [{ check: 'LOGGING_DISABLED_CHECK', actions: ['Publish'] }],
    };
    expect(parsePolicy(policy).ok).toBe(true);
  });
});

describe('parsePolicy fails closed, naming the path and what would be valid', () => {
  it.each<[string, (p: ReturnType<typeof minimal>) => unknown, string]>([
    [
      'unknown check',
      (p) => ({ ...p, rules: [{ check: 'FOO_CHECK', actions: ['Publish'] }] }),
      'rules[0].check: "FOO_CHECK" is not valid; expected one of AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
    ],
    [
      'reason code of another check',
      (p) => ({ ...p, rules: [{ ...p.rules[0], reasonCodes: ['FOO'] }] }),
      'rules[0].reasonCodes[0]: "FOO" is not a reason code of DEVICE_CERTIFICATE_SHARED_CHECK; expected one of CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES',
    ],
    [
      'undeclared action',
      (p) => ({ ...p, rules: [{ ...p.rules[0], actions: ['Publish', 'Nuke'] }] }),
      'rules[0].actions[1]: "Nuke" is not declared in actions; expected one of Publish, Quarantine',
    ],
    [
      'action type the check does not allow',
      (p) => ({ ...p, rules: [{ check: 'LOGGING_DISABLED_CHECK', actions: ['Quarantine'] }] }),
      'rules[0].actions[0]: Quarantine is a ADD_THINGS_TO_THING_GROUP action, which LOGGING_DISABLED_CHECK does not allow; allowed types: PUBLISH_FINDING_TO_SNS, ENABLE_IOT_LOGGING',
    ],
    [
      'more than 5 actions',
      (p) => ({
        ...p,
        actions: Object.fromEntries(
          ['A', 'B', 'C', 'D', 'E', 'F'].map((n) => [n, { type: 'PUBLISH_FINDING_TO_SNS' }]),
        ),
        rules: [{ check: 'LOGGING_DISABLED_CHECK', actions: ['A', 'B', 'C', 'D', 'E', 'F'] }],
      }),
      'rules[0].actions: expected at most 5 items, got 6',
    ],
    [
      'more than 25 reason codes',
      (p) => ({
        ...p,
        rules: [{ ...p.rules[0], reasonCodes: Array.from({ length: 26 }, (_, i) => `C${i}`) }],
      }),
      'rules[0].reasonCodes: expected at most 25 items, got 26',
    ],
    [
      'two rules for one check',
      (p) => ({
        ...p,
        rules: [p.rules[0], { check: 'LOGGING_DISABLED_CHECK', actions: ['Publish'] }, p.rules[0]],
      }),
      'rules[2].check: DEVICE_CERTIFICATE_SHARED_CHECK already has a rule (rules[0]); merge them',
    ],
    [
      'fleet-changing rule with no cap',
      (p) => ({ ...p, defaults: {} }),
      'rules[0]: DEVICE_CERTIFICATE_SHARED_CHECK changes the fleet but has no cap; set maxFindings (1 to 10000) on the rule or in defaults',
    ],
    [
      'fleet-changing rule capped by a percentage only',
      (p) => ({ ...p, defaults: { maxPercent: 5 } }),
      'rules[0]: DEVICE_CERTIFICATE_SHARED_CHECK changes the fleet but has no maxFindings: maxPercent alone does not bound how many resources one run changes; set maxFindings (1 to 10000) on the rule or in defaults',
    ],
    [
      'fleet-changing rule whose only cap is maxPercent 100',
      (p) => ({ ...p, defaults: {}, rules: [{ ...p.rules[0], maxPercent: 100 }] }),
      'rules[0]: DEVICE_CERTIFICATE_SHARED_CHECK changes the fleet and its only cap is maxPercent 100, which holds nothing back: it is not a cap; set maxFindings (1 to 10000) on the rule or in defaults',
    ],
    [
      'maxFindings above the ceiling',
      (p) => ({ ...p, defaults: { maxFindings: 10_001 } }),
      'defaults.maxFindings: expected at most 10000, got 10001',
    ],
    [
      'unknown top-level key',
      (p) => ({ ...p, mdoe: 'enforce' }),
      'mdoe: unknown key; expected one of version, mode, description, verify, actions, loopGuard, defaults, rules',
    ],
    [
      'unknown rule key',
      (p) => ({ ...p, rules: [{ ...p.rules[0], max: 3 }] }),
      'rules[0].max: unknown key; expected one of check, reasonCodes, actions, maxFindings, maxPercent, enabled',
    ],
    [
      'unknown action key',
      (p) => ({ ...p, actions: { ...p.actions, Publish: { type: 'PUBLISH_FINDING_TO_SNS', topic: 'x' } } }),
      'actions.Publish.topic: unknown key; expected one of type, description',
    ],
    ['wrong version', (p) => ({ ...p, version: 2 }), 'version: 2 is not valid; expected 1'],
    [
      'bad mode',
      (p) => ({ ...p, mode: 'yolo' }),
      'mode: "yolo" is not valid; expected one of dry-run, enforce',
    ],
    [
      'bad action type',
      (p) => ({ ...p, actions: { Publish: { type: 'PUBLISH_FINDINGS_TO_SNS' } } }),
      'actions.Publish.type: "PUBLISH_FINDINGS_TO_SNS" is not valid',
    ],
    [
      'bad action name',
      (p) => ({ ...p, actions: { ...p.actions, 'has space': { type: 'PUBLISH_FINDING_TO_SNS' } } }),
      'actions."has space": key "has space" does not match',
    ],
    [
      'zero maxPercent',
      (p) => ({ ...p, defaults: { maxPercent: 0 } }),
      'defaults.maxPercent: expected more than 0, got 0',
    ],
    [
      'fractional maxFindings',
      (p) => ({ ...p, rules: [{ ...p.rules[0], maxFindings: 2.5 }] }),
      'rules[0].maxFindings: expected an integer, got 2.5',
    ],
    ['no rules', (p) => ({ ...p, rules: [] }), 'rules: expected at least 1 items, got 0'],
    ['missing actions', ({ actions: _, ...p }) => p, 'actions: is required'],
  ])('%s', (_, mutate, message) => {
    const errors = errorsOf(mutate(minimal()));
    expect(errors.some((e) => e.startsWith(message))).toBe(true);
  });

  it('reports every error at once', () => {
    const policy = {
      version: 1,
      mode: 'enforce',
      actions: {
        Publish: { type: 'PUBLISH_FINDING_TO_SNS' },
        Deactivate: { type: 'UPDATE_DEVICE_CERTIFICATE' },
      },
      rules: [
        { check: 'DEVICE_CERTIFICATE_SHARED_CHECK', actions: ['Deactivate'] },
        { check: 'LOGGING_DISABLED_CHECK', actions: ['Deactivate', 'Missing'], reasonCodes: ['NOPE'] },
        { check: 'NOT_A_CHECK', actions: [] },
      ],
    };
    expect(errorsOf(policy)).toEqual([
      expect.stringMatching(/^rules\[2\]\.check: "NOT_A_CHECK" is not valid; expected one of /),
      'rules[2].actions: expected at least 1 items, got 0',
      'rules[0]: DEVICE_CERTIFICATE_SHARED_CHECK changes the fleet but has no cap; set maxFindings (1 to 10000) on the rule or in defaults',
      'rules[1].reasonCodes[0]: "NOPE" is not a reason code of LOGGING_DISABLED_CHECK; expected one of LOGGING_DISABLED',
      'rules[1].actions[0]: Deactivate is a UPDATE_DEVICE_CERTIFICATE action, which LOGGING_DISABLED_CHECK does not allow; allowed types: PUBLISH_FINDING_TO_SNS, ENABLE_IOT_LOGGING',
      'rules[1].actions[1]: "Missing" is not declared in actions; expected one of Publish, Deactivate',
      'rules[1]: LOGGING_DISABLED_CHECK changes the fleet but has no cap; set maxFindings (1 to 10000) on the rule or in defaults',
    ]);
  });

  it('says when no action is declared at all', () => {
    expect(errorsOf({ ...minimal(), actions: {} })).toContain(
      'rules[0].actions[0]: "Publish" is not declared in actions; expected one of (none declared)',
    );
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = parsePolicy(value);
        if (!result.ok) expect(result.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom('version', 'mode', 'actions', 'defaults', 'rules'),
        fc.jsonValue(),
        (key, value) => {
          parsePolicy({ ...minimal(), [key]: value });
          parsePolicy({
            ...minimal(),
            rules: [{ ...minimal().rules[0], [key === 'mode' ? 'check' : key]: value }],
          });
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('one definition: the Policy type is derived from POLICY_SCHEMA', () => {
  it('has the types the schema says (checked by tsc)', () => {
    expectTypeOf<Policy['version']>().toEqualTypeOf<1>();
    expectTypeOf<Policy['mode']>().toEqualTypeOf<PolicyMode | undefined>();
    expectTypeOf<Policy['description']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Policy['actions']>().toEqualTypeOf<{ readonly [name: string]: PolicyAction }>();
    expectTypeOf<PolicyAction>().toEqualTypeOf<{
      readonly type: MitigationActionType;
      readonly description?: string;
    }>();
    expectTypeOf<Caps>().toEqualTypeOf<{ readonly maxFindings?: number; readonly maxPercent?: number }>();
    expectTypeOf<PolicyRule>().toEqualTypeOf<{
      readonly check: string;
      readonly reasonCodes?: readonly string[];
      readonly actions: readonly string[];
      readonly maxFindings?: number;
      readonly maxPercent?: number;
      readonly enabled?: boolean;
    }>();
    expectTypeOf<keyof Policy>().toEqualTypeOf<
      'version' | 'mode' | 'description' | 'verify' | 'actions' | 'defaults' | 'rules' | 'loopGuard'
    >();
  });

  it('returns the document itself, typed, when it is valid', () => {
    const document = minimal();
    const result = parsePolicy(document);
    expect(result.ok && result.policy).toBe(document);
  });
});

/** A valid policy, typed without validation: the named checks take policies as TypeScript writes them. */
const typed: Policy = {
  version: 1,
  actions: {
    Publish: { type: 'PUBLISH_FINDING_TO_SNS' },
    Quarantine: { type: 'ADD_THINGS_TO_THING_GROUP' },
    Deactivate: { type: 'UPDATE_DEVICE_CERTIFICATE' },
  },
  defaults: { maxFindings: 10 },
  rules: [
    {
      check: 'DEVICE_CERTIFICATE_SHARED_CHECK',
      actions: ['Publish', 'Quarantine'],
      reasonCodes: ['CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES'],
    },
    { check: 'LOGGING_DISABLED_CHECK', actions: ['Publish'] },
  ],
};
const withRules = (...rules: (Draft<PolicyRule> | Invalid)[]): Draft<Policy> => ({ ...typed, rules });
const issuesOf = (name: PolicyCheckName, policy: Draft<Policy>) =>
  policyCheck(name).check(policy).map(formatIssue);

/** Every named check, by name; tsc requires an entry for each, the last test that there is no other. */
const namedCheckTests: Record<PolicyCheckName, () => void> = {
  'one-rule-per-check': () => {
    it('passes one rule per check', () => {
      expect(issuesOf('one-rule-per-check', typed)).toEqual([]);
    });
    it('names the earlier rule of the same check, once per later rule', () => {
      const [shared, logging] = typed.rules;
      expect(issuesOf('one-rule-per-check', withRules(shared!, logging!, shared!, shared!))).toEqual([
        'rules[2].check: DEVICE_CERTIFICATE_SHARED_CHECK already has a rule (rules[0]); merge them',
        'rules[3].check: DEVICE_CERTIFICATE_SHARED_CHECK already has a rule (rules[0]); merge them',
      ]);
    });
    it('leaves rules without a valid check to the schema', () => {
      const unknown = { check: INVALID, actions: ['Publish'] } as const;
      expect(issuesOf('one-rule-per-check', withRules(unknown, unknown, INVALID, INVALID))).toEqual([]);
    });
  },
  'reason-codes-of-the-check': () => {
    it("passes the check's own reason codes", () => {
      expect(issuesOf('reason-codes-of-the-check', typed)).toEqual([]);
    });
    it("names each code that is not the check's, with the check's codes", () => {
      const rule: Draft<PolicyRule> = {
        check: 'LOGGING_DISABLED_CHECK',
        actions: ['Publish'],
        reasonCodes: ['X', INVALID],
      };
      expect(issuesOf('reason-codes-of-the-check', withRules(rule))).toEqual([
        'rules[0].reasonCodes[0]: "X" is not a reason code of LOGGING_DISABLED_CHECK; expected one of LOGGING_DISABLED',
      ]);
    });
    it('leaves rules without a valid check or valid reason codes to the schema', () => {
      expect(
        issuesOf(
          'reason-codes-of-the-check',
          withRules(
            { check: INVALID, reasonCodes: ['X'] },
            { check: 'LOGGING_DISABLED_CHECK', reasonCodes: INVALID },
          ),
        ),
      ).toEqual([]);
    });
  },
  'actions-declared': () => {
    it('passes actions declared in actions', () => {
      expect(issuesOf('actions-declared', typed)).toEqual([]);
    });
    it('names each undeclared action with the declared names, inherited names included', () => {
      const rule: Draft<PolicyRule> = {
        check: 'LOGGING_DISABLED_CHECK',
        actions: ['Nuke', 'Publish', 'toString', INVALID],
      };
      expect(issuesOf('actions-declared', withRules(rule))).toEqual([
        'rules[0].actions[0]: "Nuke" is not declared in actions; expected one of Publish, Quarantine, Deactivate',
        'rules[0].actions[2]: "toString" is not declared in actions; expected one of Publish, Quarantine, Deactivate',
      ]);
    });
    it('counts a declaration that is not an object as undeclared, and says when none is declared', () => {
      const rule = { check: 'LOGGING_DISABLED_CHECK', actions: ['Publish'] };
      expect(issuesOf('actions-declared', { ...withRules(rule), actions: { Publish: INVALID } })).toEqual([
        'rules[0].actions[0]: "Publish" is not declared in actions; expected one of Publish',
      ]);
      expect(issuesOf('actions-declared', { ...withRules(rule), actions: INVALID })).toEqual([
        'rules[0].actions[0]: "Publish" is not declared in actions; expected one of (none declared)',
      ]);
    });
  },
  'action-types-allowed': () => {
    it('passes action types the check allows', () => {
      expect(issuesOf('action-types-allowed', typed)).toEqual([]);
    });
    it("names each action of a type the check does not allow, with the check's types", () => {
      const rule = { check: 'LOGGING_DISABLED_CHECK', actions: ['Publish', 'Quarantine', 'Nuke'] };
      expect(issuesOf('action-types-allowed', withRules(rule))).toEqual([
        'rules[0].actions[1]: Quarantine is a ADD_THINGS_TO_THING_GROUP action, which LOGGING_DISABLED_CHECK does not allow; allowed types: PUBLISH_FINDING_TO_SNS, ENABLE_IOT_LOGGING',
      ]);
    });
    it('leaves invalid checks and action types to the schema', () => {
      const policy = { ...withRules({ check: INVALID, actions: ['Quarantine'] }) };
      expect(issuesOf('action-types-allowed', policy)).toEqual([]);
      const logging = { check: 'LOGGING_DISABLED_CHECK', actions: ['Quarantine'] };
      expect(
        issuesOf('action-types-allowed', {
          ...withRules(logging),
          actions: { Quarantine: { type: INVALID } },
        }),
      ).toEqual([]);
    });
  },
  'fleet-changes-capped': () => {
    const quarantine = { check: 'DEVICE_CERTIFICATE_SHARED_CHECK', actions: ['Publish', 'Quarantine'] };
    it('passes fleet-changing rules with a maxFindings of the defaults or of the rule, and publish-only rules without caps', () => {
      expect(issuesOf('fleet-changes-capped', typed)).toEqual([]);
      const { defaults: _, ...noDefaults } = typed;
      expect(
        issuesOf('fleet-changes-capped', {
          ...noDefaults,
          rules: [
            { ...quarantine, maxFindings: 10, maxPercent: 5 },
            { check: 'LOGGING_DISABLED_CHECK', actions: ['Publish'] },
          ],
        }),
      ).toEqual([]);
      expect(
        issuesOf('fleet-changes-capped', {
          ...withRules({ ...quarantine, maxPercent: 100 }),
          defaults: { maxFindings: 100 },
        }),
      ).toEqual([]);
    });
    it('names a fleet-changing rule capped by a percentage only, and says maxPercent 100 is no cap', () => {
      expect(
        issuesOf('fleet-changes-capped', {
          ...withRules(
            { ...quarantine, maxPercent: 100 },
            { ...quarantine, check: 'DEVICE_CERTIFICATE_KEY_QUALITY_CHECK' },
          ),
          defaults: { maxPercent: 5 },
        }),
      ).toEqual([
        'rules[0]: DEVICE_CERTIFICATE_SHARED_CHECK changes the fleet and its only cap is maxPercent 100, which holds nothing back: it is not a cap; set maxFindings (1 to 10000) on the rule or in defaults',
        'rules[1]: DEVICE_CERTIFICATE_KEY_QUALITY_CHECK changes the fleet but has no maxFindings: maxPercent alone does not bound how many resources one run changes; set maxFindings (1 to 10000) on the rule or in defaults',
      ]);
    });
    it('names a fleet-changing rule with no cap anywhere', () => {
      expect(
        issuesOf('fleet-changes-capped', {
          ...withRules(quarantine, { ...quarantine, check: INVALID }),
          defaults: {},
        }),
      ).toEqual([
        'rules[0]: DEVICE_CERTIFICATE_SHARED_CHECK changes the fleet but has no cap; set maxFindings (1 to 10000) on the rule or in defaults',
        'rules[1]: the rule changes the fleet but has no cap; set maxFindings (1 to 10000) on the rule or in defaults',
      ]);
    });
    it('counts a cap that is set but invalid as set (the schema reports it), and undeclared actions as none', () => {
      expect(
        issuesOf('fleet-changes-capped', { ...withRules(quarantine), defaults: { maxFindings: INVALID } }),
      ).toEqual([]);
      expect(
        issuesOf('fleet-changes-capped', {
          ...withRules({ ...quarantine, actions: ['Nuke', INVALID] }),
          defaults: INVALID,
        }),
      ).toEqual([]);
    });
  },
};

describe('named checks', () => {
  for (const [name, tests] of Object.entries(namedCheckTests)) describe(name, tests);

  it('are each tested above, by name', () => {
    expect(Object.keys(namedCheckTests)).toEqual(POLICY_CHECKS.map((check) => check.name));
  });
});

describe('policy files', () => {
  it('reports YAML syntax errors with their line', () => {
    const result = parsePolicyText('version: 1\nrules: [\n');
    expect(result.ok).toBe(false);
    expect(!result.ok && formatIssue(result.issues[0]!)).toMatch(/^line \d+, column \d+: /);
  });

  it('rejects duplicate keys in YAML', () => {
    expect(parsePolicyText('version: 1\nversion: 1\n').ok).toBe(false);
  });

  it('reports an unreadable file', () => {
    const result = readPolicyFile('/nonexistent/policy.yaml');
    expect(!result.ok && formatIssue(result.issues[0]!)).toMatch(
      /^\/nonexistent\/policy.yaml: cannot read the policy/,
    );
  });

  it('keeps config/default-policy.json compiled from the YAML (npx tsx scripts/compile-policy.ts)', () => {
    const compiled = JSON.parse(
      readFileSync(new URL('../../config/default-policy.json', import.meta.url), 'utf8'),
    );
    const fromYaml = readPolicyFile(DEFAULT_POLICY_YAML);
    expect(fromYaml.ok && fromYaml.policy).toEqual(compiled);
  });

  it('keeps config/policy.schema.json generated from the definitions (npx tsx scripts/compile-policy.ts)', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../config/policy.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(JSON.parse(JSON.stringify(policyJsonSchemaDocument())));
  });
});

describe('the default policy is conservative', () => {
  const result = readPolicyFile(DEFAULT_POLICY_YAML);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  const { policy } = result;

  it('is a dry run with a rule for each of the 17 checks, each publishing to SNS first', () => {
    expect(policy.mode).toBe('dry-run');
    expect(policy.rules).toHaveLength(17);
    for (const rule of policy.rules)
      expect(policy.actions[rule.actions[0]!]?.type).toBe('PUBLISH_FINDING_TO_SNS');
  });

  it('changes the fleet only for shared, weak-key, revoked-chain or revoked certificates, always capped', () => {
    const fleetChanging = policy.rules
      .filter((rule) => rule.actions.some((a) => policy.actions[a]?.type !== 'PUBLISH_FINDING_TO_SNS'))
      .map((rule) => rule.check)
      .sort();
    expect(fleetChanging).toEqual([
      'DEVICE_CERTIFICATE_KEY_QUALITY_CHECK',
      'DEVICE_CERTIFICATE_SHARED_CHECK',
      'INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK',
      'REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK',
      'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
    ]);
    for (const rule of policy.rules) {
      const caps = effectiveCaps(policy, rule);
      const changes = rule.actions.some((a) => policy.actions[a]?.type !== 'PUBLISH_FINDING_TO_SNS');
      if (changes) expect(caps.maxFindings).toBeLessThanOrEqual(MAX_FINDINGS_CEILING);
      else expect(caps).toEqual({});
    }
  });

  it('never deactivates for expiry and never replaces a policy', () => {
    const types = (check: string) =>
      policy.rules.find((r) => r.check === check)!.actions.map((a) => policy.actions[a]!.type);
    expect(types('DEVICE_CERTIFICATE_EXPIRING_CHECK')).toEqual(['PUBLISH_FINDING_TO_SNS']);
    expect(types('CA_CERTIFICATE_EXPIRING_CHECK')).toEqual(['PUBLISH_FINDING_TO_SNS']);
    expect(Object.values(policy.actions).map((a) => a.type)).not.toContain('REPLACE_DEFAULT_POLICY_VERSION');
  });
});

describe('policyDigest', () => {
  it('ignores key order and formatting but not the order of actions', () => {
    const a = valid(minimal());
    const reordered = JSON.parse(
      JSON.stringify({ rules: a.rules, defaults: a.defaults, actions: a.actions, version: 1 }),
    );
    expect(policyDigest(reordered)).toBe(policyDigest(a));
    const yaml = parsePolicyText(
      'version: 1\nactions: {Publish: {type: PUBLISH_FINDING_TO_SNS}, Quarantine: {type: ADD_THINGS_TO_THING_GROUP}}\ndefaults: {maxFindings: 10}\nrules:\n  - actions: [Publish, Quarantine]\n    check: DEVICE_CERTIFICATE_SHARED_CHECK\n',
    );
    expect(yaml.ok && policyDigest(yaml.policy)).toBe(policyDigest(a));
    const swapped = { ...a, rules: [{ ...a.rules[0]!, actions: ['Quarantine', 'Publish'] }] };
    expect(policyDigest(swapped)).not.toBe(policyDigest(a));
    expect(policyDigest(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('is invariant under any reordering of object keys (property)', () => {
    const shuffleKeys = (value: unknown, seed: number): unknown => {
      if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, seed));
      if (typeof value !== 'object' || value === null) return value;
      const entries = Object.entries(value);
      const rotated = entries
        .slice(seed % Math.max(entries.length, 1))
        .concat(entries.slice(0, seed % Math.max(entries.length, 1)));
      return Object.fromEntries(rotated.reverse().map(([k, v]) => [k, shuffleKeys(v, seed + 1)]));
    };
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        const policy = {
          ...minimal(),
          description: JSON.stringify(value),
          extra: value,
        } as unknown as Policy;
        expect(policyDigest(shuffleKeys(policy, seed) as Policy)).toBe(policyDigest(policy));
      }),
      { numRuns: 500 },
    );
  });
});

describe('the deployed actions (deployedActionIssues)', () => {
  const policy = {
    version: 1,
    actions: {
      Publish: { type: 'PUBLISH_FINDING_TO_SNS' },
      Quarantine: { type: 'ADD_THINGS_TO_THING_GROUP' },
      Deactivate: { type: 'UPDATE_DEVICE_CERTIFICATE' },
    },
    defaults: { maxFindings: 10 },
    rules: [{ check: 'DEVICE_CERTIFICATE_SHARED_CHECK', actions: ['Publish', 'Quarantine'] }],
  } as const satisfies Policy;
  const resolve = (name: string) => `stack-${name}`;

  it('passes actions that exist with the declared type', () => {
    const deployed = new Map([
      ['Publish', { exists: true as const, type: 'PUBLISH_FINDING_TO_SNS' }],
      ['Quarantine', { exists: true as const, type: 'ADD_THINGS_TO_THING_GROUP' }],
    ]);
    expect(deployedActionIssues(policy, ['Publish', 'Quarantine'], deployed, resolve)).toEqual([]);
  });

  it('names each action of another type, or missing, by its declaration, once, in name order', () => {
    const deployed = new Map([
      ['Quarantine', { exists: true as const, type: 'PUBLISH_FINDING_TO_SNS' }],
      ['Deactivate', { exists: false as const }],
      ['Publish', { exists: true as const, type: undefined }],
    ]);
    expect(
      deployedActionIssues(
        policy,
        ['Quarantine', 'Publish', 'Deactivate', 'Quarantine'],
        deployed,
        resolve,
      ).map(formatIssue),
    ).toEqual([
      'actions.Deactivate: mitigation action stack-Deactivate does not exist in this account and region; deploy it or remove Deactivate from the rules that use it',
      'actions.Publish.type: declared PUBLISH_FINDING_TO_SNS, but mitigation action stack-Publish is of no type',
      'actions.Quarantine.type: declared ADD_THINGS_TO_THING_GROUP, but mitigation action stack-Quarantine is a PUBLISH_FINDING_TO_SNS action',
    ]);
  });

  it('says nothing of names it was not given an answer for, or the policy does not declare', () => {
    expect(deployedActionIssues(policy, ['Publish', 'Nuke'], new Map(), resolve)).toEqual([]);
  });
});
