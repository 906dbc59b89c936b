import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Audit, AuditCheckResult } from '#domain/audit';
import { CHECK_NAMES, checkCatalogue } from '#domain/catalogue';
import { NAME_LIMITS, runName } from '#domain/names';
import { type NothingToDo, planRemediation, type RemediationPlan } from '#domain/plan';
import type { Policy } from '#domain/policy';
import { decideMode, type RuntimeSwitch } from '#domain/switch';

const AUDIT_START = Date.parse('2026-11-26T02:00:00Z');
const SWITCH_SET = Date.parse('2026-11-01T00:00:00Z');

const check = (checkName: string, overrides: Partial<AuditCheckResult> = {}): AuditCheckResult => ({
  checkName,
  known: true,
  checkRunStatus: 'COMPLETED_NON_COMPLIANT',
  nonCompliantResourcesCount: 3,
  totalResourcesCount: 1000,
  ...overrides,
});

const audit = (checks: AuditCheckResult[], overrides: Partial<Audit> = {}): Audit => ({
  auditTaskId: '4e2bcd1ccbc2a5dd15292a82ab80c380',
  accountId: '123456789012',
  taskStatus: 'COMPLETED',
  taskType: 'ON_DEMAND_AUDIT_TASK',
  taskStartTime: AUDIT_START,
  checks,
  ...overrides,
});

const policy = (overrides: Partial<Policy> = {}): Policy => ({
  version: 1,
  mode: 'enforce',
  actions: {
    Publish: { type: 'PUBLISH_FINDING_TO_SNS' },
    Quarantine: { type: 'ADD_THINGS_TO_THING_GROUP' },
    Deactivate: { type: 'UPDATE_DEVICE_CERTIFICATE' },
  },
  defaults: { maxFindings: 100, maxPercent: 5 },
  rules: [
    { check: 'DEVICE_CERTIFICATE_SHARED_CHECK', actions: ['Publish', 'Quarantine'] },
    {
      check: 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
      actions: ['Publish', 'Deactivate'],
      maxFindings: 2,
    },
    {
      check: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
      actions: ['Publish'],
      reasonCodes: ['CERTIFICATE_PAST_EXPIRATION'],
    },
    { check: 'LOGGING_DISABLED_CHECK', actions: ['Publish'], enabled: false },
  ],
  ...overrides,
});

const enforce: RuntimeSwitch = { value: 'enforce', lastModified: SWITCH_SET, version: 3 };

function asPlan(result: RemediationPlan | NothingToDo): RemediationPlan {
  if (result.kind !== 'plan') throw new Error(`expected a plan, got nothing to do: ${result.detail}`);
  return result;
}

describe('planRemediation', () => {
  it('builds the target, the actions mapping and the names for an enforce run', () => {
    const plan = asPlan(
      planRemediation(
        audit([
          check('DEVICE_CERTIFICATE_SHARED_CHECK'),
          check('DEVICE_CERTIFICATE_EXPIRING_CHECK', { nonCompliantResourcesCount: 40 }),
        ]),
        policy(),
        enforce,
      ),
    );
    expect(plan.names).toEqual({
      executionName: 'enf-4e2bcd1ccbc2a5dd15292a82ab80c380',
      mitigationTaskId: 'enf-4e2bcd1ccbc2a5dd15292a82ab80c380',
      clientRequestToken: 'enf-4e2bcd1ccbc2a5dd15292a82ab80c380',
    });
    expect(plan.target).toEqual({
      auditTaskId: '4e2bcd1ccbc2a5dd15292a82ab80c380',
      auditCheckToReasonCodeFilter: {
        DEVICE_CERTIFICATE_SHARED_CHECK: ['CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES'],
        DEVICE_CERTIFICATE_EXPIRING_CHECK: ['CERTIFICATE_PAST_EXPIRATION'],
      },
    });
    expect(plan.auditCheckToActionsMapping).toEqual({
      DEVICE_CERTIFICATE_SHARED_CHECK: ['Publish', 'Quarantine'],
      DEVICE_CERTIFICATE_EXPIRING_CHECK: ['Publish'],
    });
    expect(plan.mode).toEqual({
      effective: 'enforce',
      policy: 'enforce',
      switch: { value: 'enforce', lastModified: '2026-11-01T00:00:00.000Z', version: 3 },
      reason: 'policy and switch say enforce',
    });
    expect(plan.summary).toEqual({
      checksToMitigate: 2,
      findingsToMitigate: 43,
      checksHeldBack: 0,
      checksSkipped: 0,
    });
    expect(plan.auditStartTime).toBe('2026-11-26T02:00:00.000Z');
    expect(plan.accountId).toBe('123456789012');
    expect(plan.policyDigest).toMatch(/^sha256:/);
  });

  it('prefixes deployed action names with the stack name', () => {
    const plan = asPlan(
      planRemediation(audit([check('DEVICE_CERTIFICATE_SHARED_CHECK')]), policy(), enforce, {
        actionNamePrefix: 'ddr',
      }),
    );
    expect(plan.auditCheckToActionsMapping).toEqual({
      DEVICE_CERTIFICATE_SHARED_CHECK: ['ddr-Publish', 'ddr-Quarantine'],
    });
  });

  it.each<[string, AuditCheckResult, string]>([
    ['unknown-check', check('MYSTERY_CHECK', { known: false }), 'never acted on'],
    ['not-in-policy', check('CONFLICTING_CLIENT_IDS_CHECK'), 'no rule'],
    [
      'rule-disabled',
      check('LOGGING_DISABLED_CHECK', { totalResourcesCount: 1, nonCompliantResourcesCount: 1 }),
      'disabled',
    ],
    [
      'not-non-compliant',
      check('DEVICE_CERTIFICATE_SHARED_CHECK', { checkRunStatus: 'FAILED' }),
      'ran FAILED',
    ],
    [
      'no-findings',
      check('DEVICE_CERTIFICATE_SHARED_CHECK', { nonCompliantResourcesCount: 0 }),
      'no non-compliant',
    ],
    [
      'all-suppressed',
      check('DEVICE_CERTIFICATE_SHARED_CHECK', { suppressedNonCompliantResourcesCount: 3 }),
      'suppressed',
    ],
  ])('skips a check with reason %s', (reason, c, detail) => {
    const result = planRemediation(audit([c]), policy(), enforce);
    expect(result).toMatchObject({ kind: 'nothing-to-do', reason: 'no-check-to-mitigate' });
    expect(result.decisions).toEqual([
      expect.objectContaining({ outcome: 'skip', reason, detail: expect.stringContaining(detail) }),
    ]);
  });

  it('holds back a check above maxFindings (the rule overriding defaults), never trimming it', () => {
    const result = planRemediation(
      audit([
        check('REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK'),
        check('DEVICE_CERTIFICATE_SHARED_CHECK'),
      ]),
      policy(),
      enforce,
    );
    const plan = asPlan(result);
    expect(plan.decisions[0]).toMatchObject({
      outcome: 'hold-back',
      reason: 'above-max-findings',
      cap: { name: 'maxFindings', value: 2 },
      detail: '3 non-compliant resources exceed maxFindings 2',
    });
    expect(Object.keys(plan.auditCheckToActionsMapping)).toEqual(['DEVICE_CERTIFICATE_SHARED_CHECK']);
    expect(plan.summary.checksHeldBack).toBe(1);
  });

  it('holds back a check above maxPercent of its total resources', () => {
    const result = planRemediation(
      audit([
        check('DEVICE_CERTIFICATE_SHARED_CHECK', { nonCompliantResourcesCount: 6, totalResourcesCount: 100 }),
      ]),
      policy(),
      enforce,
    );
    expect(result.decisions[0]).toMatchObject({
      outcome: 'hold-back',
      reason: 'above-max-percent',
      cap: { name: 'maxPercent', value: 5 },
      detail: '6 of 100 resources (6.00 %) exceed maxPercent 5',
    });
    const exactly = planRemediation(
      audit([
        check('DEVICE_CERTIFICATE_SHARED_CHECK', { nonCompliantResourcesCount: 5, totalResourcesCount: 100 }),
      ]),
      policy(),
      enforce,
    );
    expect(exactly.kind).toBe('plan');
  });

  it('holds back findings without any counted resource (total 0) under a percentage cap', () => {
    const result = planRemediation(
      audit([check('DEVICE_CERTIFICATE_SHARED_CHECK', { totalResourcesCount: 0 })]),
      policy(),
      enforce,
    );
    expect(result.decisions[0]).toMatchObject({
      outcome: 'hold-back',
      detail: '3 of 0 resources (all %) exceed maxPercent 5',
    });
  });

  it('does not apply the default caps to rules that only publish', () => {
    const result = planRemediation(
      audit([check('DEVICE_CERTIFICATE_EXPIRING_CHECK', { nonCompliantResourcesCount: 900 })]),
      policy(),
      enforce,
    );
    expect(result.kind).toBe('plan');
  });

  it('counts suppressed resources out of the findings to mitigate, but into the caps', () => {
    const plan = asPlan(
      planRemediation(
        audit([
          check('DEVICE_CERTIFICATE_SHARED_CHECK', {
            nonCompliantResourcesCount: 5,
            suppressedNonCompliantResourcesCount: 2,
          }),
        ]),
        policy(),
        enforce,
      ),
    );
    expect(plan.summary.findingsToMitigate).toBe(3);
    const held = planRemediation(
      audit([
        check('REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK', { suppressedNonCompliantResourcesCount: 2 }),
      ]),
      policy(),
      enforce,
    );
    expect(held.decisions[0]).toMatchObject({ outcome: 'hold-back' });
  });

  it('plans only completed audits', () => {
    for (const taskStatus of ['FAILED', 'CANCELED', 'IN_PROGRESS'] as const) {
      expect(
        planRemediation(audit([check('DEVICE_CERTIFICATE_SHARED_CHECK')], { taskStatus }), policy(), enforce),
      ).toMatchObject({
        kind: 'nothing-to-do',
        reason: 'audit-not-completed',
      });
    }
  });

  it('plans nothing while the switch is paused, or holds anything unexpected', () => {
    for (const value of ['paused', 'ENFORCE', '']) {
      expect(
        planRemediation(audit([check('DEVICE_CERTIFICATE_SHARED_CHECK')]), policy(), {
          value,
          lastModified: SWITCH_SET,
          version: 4,
        }),
      ).toMatchObject({
        kind: 'nothing-to-do',
        reason: 'paused',
      });
    }
  });

  it('runs dry when only one key says enforce, and records both keys', () => {
    const a = audit([check('DEVICE_CERTIFICATE_SHARED_CHECK')]);
    const policyDry = asPlan(planRemediation(a, policy({ mode: 'dry-run' }), enforce));
    expect(policyDry.mode).toMatchObject({
      effective: 'dry-run',
      policy: 'dry-run',
      switch: { value: 'enforce' },
    });
    expect(policyDry.names.executionName).toBe('dry-4e2bcd1ccbc2a5dd15292a82ab80c380');
    const switchDry = asPlan(
      planRemediation(a, policy(), { value: 'dry-run', lastModified: SWITCH_SET, version: 2 }),
    );
    expect(switchDry.mode).toMatchObject({
      effective: 'dry-run',
      policy: 'enforce',
      switch: { value: 'dry-run' },
    });
    const { mode: _, ...noMode } = policy();
    expect(asPlan(planRemediation(a, noMode, enforce)).mode.effective).toBe('dry-run');
  });

  it('never enforces an audit that started before the switch was set to enforce, unless an operator re-runs it', () => {
    const old = audit([check('DEVICE_CERTIFICATE_SHARED_CHECK')], { taskStartTime: SWITCH_SET - 1 });
    const automatic = asPlan(planRemediation(old, policy(), enforce));
    expect(automatic.mode.effective).toBe('dry-run');
    expect(automatic.mode.reason).toContain('before the switch was set to enforce');
    const rerun = asPlan(planRemediation(old, policy(), enforce, { rerun: 2 }));
    expect(rerun.mode.effective).toBe('enforce');
    expect(rerun.names.executionName).toBe('enf-4e2bcd1ccbc2a5dd15292a82ab80c380-r2');
    expect(rerun.rerun).toBe(2);
    expect(rerun).not.toHaveProperty('requestedBy');
    expect(rerun).not.toHaveProperty('rerunForced');
  });

  it('writes who asked for a re-run, and a forced re-run, in the plan; never for an automatic run', () => {
    const a = audit([check('DEVICE_CERTIFICATE_SHARED_CHECK')]);
    const asked = { requestedBy: 'arn:aws:sts::123456789012:assumed-role/Operator/alice', rerunForced: true };
    expect(asPlan(planRemediation(a, policy(), enforce, { rerun: 4, ...asked }))).toMatchObject({
      rerun: 4,
      requestedBy: 'arn:aws:sts::123456789012:assumed-role/Operator/alice',
      rerunForced: true,
    });
    expect(
      asPlan(planRemediation(a, policy(), enforce, { rerun: 4, rerunForced: false })),
    ).not.toHaveProperty('rerunForced');
    const automatic = asPlan(planRemediation(a, policy(), enforce, asked));
    expect(automatic).not.toHaveProperty('requestedBy');
    expect(automatic).not.toHaveProperty('rerunForced');
  });

  it.each([0, -1, 1.5, 1_000_000, Number.NaN])('rejects the re-run number %s', (rerun) => {
    expect(
      planRemediation(audit([check('DEVICE_CERTIFICATE_SHARED_CHECK')]), policy(), enforce, { rerun }),
    ).toMatchObject({
      kind: 'nothing-to-do',
      reason: 'invalid-rerun',
    });
  });

  it('renders an unusable time as it is rather than throwing', () => {
    expect(
      decideMode('enforce', { value: 'enforce', lastModified: Number.NaN, version: 1 }, 0, false),
    ).toMatchObject({
      effective: 'dry-run',
      reason: expect.stringContaining('NaN'),
    });
  });
});

// --- properties ---------------------------------------------------------------------------------

const auditTaskIdArb = fc.stringMatching(/^[a-zA-Z0-9-]{1,40}$/);
const checkArb = fc.record({
  checkName: fc.oneof(fc.constantFrom(...CHECK_NAMES), fc.string()),
  known: fc.boolean(),
  checkRunStatus: fc.constantFrom(
    'IN_PROGRESS',
    'WAITING_FOR_DATA_COLLECTION',
    'CANCELED',
    'COMPLETED_COMPLIANT',
    'COMPLETED_NON_COMPLIANT',
    'FAILED' as const,
  ),
  nonCompliantResourcesCount: fc.nat({ max: 2_000_000 }),
  totalResourcesCount: fc.nat({ max: 2_000_000 }),
  suppressedNonCompliantResourcesCount: fc.option(fc.nat({ max: 10 }), { nil: undefined }),
});
const auditArb = fc.record({
  auditTaskId: auditTaskIdArb,
  taskStatus: fc.constantFrom('IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELED' as const),
  taskType: fc.constantFrom('ON_DEMAND_AUDIT_TASK', 'SCHEDULED_AUDIT_TASK' as const),
  taskStartTime: fc.integer({ min: 0, max: 4_000_000_000_000 }),
  checks: fc.uniqueArray(checkArb, { selector: (c) => c.checkName, maxLength: 20 }),
}) as fc.Arbitrary<Audit>;
const switchArb = fc.record({
  value: fc.oneof(fc.constantFrom('dry-run', 'enforce', 'paused'), fc.string()),
  lastModified: fc.oneof(fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.constant(Number.NaN)),
  version: fc.integer({ min: 1, max: 1_000 }),
});
const policyArb = fc
  .record({
    mode: fc.constantFrom('dry-run', 'enforce' as const),
    checks: fc.uniqueArray(fc.constantFrom(...CHECK_NAMES), { minLength: 1 }),
    maxFindings: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
    maxPercent: fc.option(fc.double({ min: 0.01, max: 100, noNaN: true }), { nil: undefined }),
  })
  .map(
    ({ mode, checks, maxFindings, maxPercent }): Policy => ({
      version: 1,
      mode,
      actions: { Publish: { type: 'PUBLISH_FINDING_TO_SNS' } },
      rules: checks.map((name) => ({
        check: name,
        actions: ['Publish'],
        ...(maxFindings ? { maxFindings } : {}),
        ...(maxPercent ? { maxPercent } : {}),
      })),
    }),
  );
const rerunArb = fc.option(fc.integer({ min: 1, max: 999_999 }), { nil: undefined });

describe('planRemediation properties', () => {
  it('never throws, and is deterministic', () => {
    fc.assert(
      fc.property(auditArb, policyArb, switchArb, rerunArb, (a, p, s, rerun) => {
        const first = planRemediation(a, p, s, { rerun });
        expect(planRemediation(structuredClone(a), structuredClone(p), { ...s }, { rerun })).toEqual(first);
      }),
      { numRuns: 1000 },
    );
  });

  it('names fit every AWS pattern and length for any valid audit id', () => {
    fc.assert(
      fc.property(
        auditTaskIdArb,
        fc.constantFrom('dry-run', 'enforce' as const),
        rerunArb,
        (id, mode, rerun) => {
          const name = runName(mode, id, rerun);
          for (const limit of Object.values(NAME_LIMITS)) expect(name).toMatch(limit.pattern);
        },
      ),
    );
  });

  it('enforces only when both keys say so, for an audit after the switch or an operator re-run', () => {
    fc.assert(
      fc.property(auditArb, policyArb, switchArb, rerunArb, (a, p, s, rerun) => {
        const result = planRemediation(a, p, s, { rerun });
        if (result.kind === 'plan' && result.mode.effective === 'enforce') {
          expect(p.mode).toBe('enforce');
          expect(s.value).toBe('enforce');
          if (rerun === undefined) expect(a.taskStartTime).toBeGreaterThanOrEqual(s.lastModified);
          expect(result.names.executionName.startsWith('enf-')).toBe(true);
        } else if (result.kind === 'plan') {
          expect(result.names.executionName.startsWith('dry-')).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("mitigates only known, non-compliant checks within their caps, with the check's own codes", () => {
    fc.assert(
      fc.property(auditArb, policyArb, switchArb, (a, p, s) => {
        const result = planRemediation(a, p, s);
        if (result.kind !== 'plan') return;
        for (const [name, codes] of Object.entries(result.target.auditCheckToReasonCodeFilter)) {
          const c = a.checks.find((x) => x.checkName === name)!;
          expect(
            c.known && c.checkRunStatus === 'COMPLETED_NON_COMPLIANT' && c.nonCompliantResourcesCount > 0,
          ).toBe(true);
          expect(codes.every((code) => checkCatalogue.get(name)!.reasonCodes.includes(code))).toBe(true);
        }
        expect(Object.keys(result.auditCheckToActionsMapping)).toEqual(
          Object.keys(result.target.auditCheckToReasonCodeFilter),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('is the same size for 10 and 1,000,000 non-compliant resources, and under 8 KB with all 17 checks', () => {
    const planFor = (n: number) =>
      JSON.stringify(
        planRemediation(
          audit(
            CHECK_NAMES.map((name) =>
              check(name, { nonCompliantResourcesCount: n, totalResourcesCount: 2_000_000 }),
            ),
          ),
          policy({
            defaults: { maxFindings: 2_000_000 },
            rules: CHECK_NAMES.map((name) => ({ check: name, actions: ['Publish'] })),
          }),
          enforce,
        ),
      );
    const [small, large] = [planFor(10), planFor(1_000_000)];
    // Only the digits of the counts differ.
    expect(large.replace(/\d+/g, '0')).toBe(small.replace(/\d+/g, '0'));
    expect(large.length).toBeLessThan(8 * 1024);
  });
});
