import { describe, expect, it } from 'vitest';
import type { Audit, AuditCheckResult } from '#domain/audit';
import { formatIssue } from '#domain/json-schema';
import {
  type CheckRemediation,
  guardedChecks,
  isStackEnforcedTask,
  type LoopGuardHistory,
  type LoopGuardRecord,
  loopGuardLines,
  loopGuardOnlyReport,
  loopGuardRecord,
  loopGuardSettings,
  loopingResources,
  MAX_SUPPRESSIONS_PER_AUDIT,
  type PlannedSuppression,
  resourceKey,
  suppressionDescription,
  suppressionToken,
} from '#domain/loop-guard';
import { type NothingToDo, planRemediation, type RemediationPlan } from '#domain/plan';
import { type Policy, parsePolicy } from '#domain/policy';
import { buildRemediationReport } from '#domain/remediation-report';
import type { RuntimeSwitch } from '#domain/switch';

const NOW = Date.parse('2026-11-26T03:00:00Z');
const AUDIT_ID = '4e2bcd1ccbc2a5dd15292a82ab80c380';
const REVOKED = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';
const SHARED = 'DEVICE_CERTIFICATE_SHARED_CHECK';

const cert = (id: string) => ({
  resourceType: 'DEVICE_CERTIFICATE',
  resourceIdentifier: { deviceCertificateId: id },
});
const keys = (...ids: string[]) => new Set(ids.map((id) => resourceKey({ deviceCertificateId: id })));
const mitigated = (auditTaskId: string, ...ids: string[]): CheckRemediation => ({
  auditTaskId,
  mitigated: true,
  resources: keys(...ids),
});

const check = (checkName: string, overrides: Partial<AuditCheckResult> = {}): AuditCheckResult => ({
  checkName,
  known: true,
  checkRunStatus: 'COMPLETED_NON_COMPLIANT',
  nonCompliantResourcesCount: 3,
  totalResourcesCount: 1000,
  ...overrides,
});
const audit = (checks: AuditCheckResult[]): Audit => ({
  auditTaskId: AUDIT_ID,
  taskStatus: 'COMPLETED',
  taskType: 'SCHEDULED_AUDIT_TASK',
  taskStartTime: NOW - 3_600_000,
  checks,
});
const policy = (overrides: Partial<Policy> = {}): Policy => ({
  version: 1,
  mode: 'enforce',
  actions: {
    Publish: { type: 'PUBLISH_FINDING_TO_SNS' },
    Quarantine: { type: 'ADD_THINGS_TO_THING_GROUP' },
    Deactivate: { type: 'UPDATE_DEVICE_CERTIFICATE' },
  },
  defaults: { maxFindings: 100 },
  rules: [
    { check: SHARED, actions: ['Publish', 'Quarantine'] },
    { check: REVOKED, actions: ['Publish', 'Deactivate'], maxFindings: 20 },
  ],
  ...overrides,
});
const enforce: RuntimeSwitch = {
  value: 'enforce',
  lastModified: Date.parse('2026-11-01T00:00:00Z'),
  version: 3,
};
const dryRun: RuntimeSwitch = { ...enforce, value: 'dry-run' };

const settings = { enabled: true, afterAudits: 3, suppressForDays: 30 };
const looping = (ids: string[]): LoopGuardHistory => ({
  status: 'checked',
  loops: new Map([
    [
      REVOKED,
      {
        resources: ids.map((id) => ({
          ...cert(id),
          resource: `DEVICE_CERTIFICATE deviceCertificateId=${id}`,
        })),
        previousAudits: ['a3', 'a2', 'a1'],
      },
    ],
  ]),
});

function asPlan(result: RemediationPlan | NothingToDo): RemediationPlan {
  if (result.kind !== 'plan') throw new Error(`expected a plan: ${result.detail}`);
  return result;
}

describe('loopingResources (pure, by resource identifier)', () => {
  const current = [cert('c1'), cert('c2'), cert('c3')];
  const streak = [
    mitigated('a3', 'c1', 'c2'),
    mitigated('a2', 'c1', 'c2', 'c9'),
    mitigated('a1', 'c1', 'c2'),
  ];

  it('finds the resources of the current audit mitigated in each of the last N remediations', () => {
    expect(loopingResources(current, streak, 3)).toEqual([cert('c1'), cert('c2')]);
  });

  it('compares identifiers, not finding ids nor member order', () => {
    const reordered = [
      { resourceIdentifier: { policyVersionIdentifier: { policyVersionId: '1', policyName: 'p' } } },
    ];
    const earlier: CheckRemediation = {
      auditTaskId: 'a1',
      mitigated: true,
      resources: new Set([
        resourceKey({ policyVersionIdentifier: { policyName: 'p', policyVersionId: '1' } }),
      ]),
    };
    expect(loopingResources(reordered, [earlier], 1)).toEqual(reordered);
    expect(resourceKey({ a: '1', b: undefined })).toBe(resourceKey({ a: '1' }));
  });

  it('drops a resource missing from one earlier audit (fixed once, then back)', () => {
    const gap = [mitigated('a3', 'c1', 'c2'), mitigated('a2', 'c1'), mitigated('a1', 'c1', 'c2')];
    expect(loopingResources(current, gap, 3)).toEqual([cert('c1')]);
  });

  it('finds no loop with fewer remediations than N', () => {
    expect(loopingResources(current, streak.slice(0, 2), 3)).toEqual([]);
  });

  it('finds no loop when one of the last N did not mitigate the check (failed, canceled, no fixing action)', () => {
    const broken = [streak[0]!, { auditTaskId: 'a2', mitigated: false }, streak[2]!];
    expect(loopingResources(current, broken, 3)).toEqual([]);
  });

  it('looks only at the last N: an older remediation without the resource does not matter', () => {
    expect(loopingResources(current, [...streak, mitigated('a0')], 3)).toEqual([cert('c1'), cert('c2')]);
  });
});

describe('the policy setting loopGuard', () => {
  const base = policy();
  it('is on by default, after 3 audits, for 30 days', () => {
    expect(loopGuardSettings(base)).toEqual({ enabled: true, afterAudits: 3, suppressForDays: 30 });
  });

  it('accepts an explicit off and other bounds', () => {
    const parsed = parsePolicy({
      ...base,
      loopGuard: { enabled: false, afterAudits: 5, suppressForDays: 7 },
    });
    expect(parsed.ok).toBe(true);
    if (parsed.ok)
      expect(loopGuardSettings(parsed.policy)).toEqual({
        enabled: false,
        afterAudits: 5,
        suppressForDays: 7,
      });
  });

  it.each([
    [{ afterAudits: 1 }, 'loopGuard.afterAudits'],
    [{ afterAudits: 11 }, 'loopGuard.afterAudits'],
    [{ afterAudits: 2.5 }, 'loopGuard.afterAudits'],
    [{ suppressForDays: 0 }, 'loopGuard.suppressForDays'],
    [{ suppressForDays: 366 }, 'loopGuard.suppressForDays'],
    [{ enabled: 'no' }, 'loopGuard.enabled'],
    [{ forever: true }, 'loopGuard'],
  ])('refuses %j, naming %s', (loopGuard, field) => {
    const parsed = parsePolicy({ ...base, loopGuard });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.issues.map(formatIssue).join('\n')).toContain(`${field}`);
  });

  it('refuses a loopGuard that is not an object', () => {
    const parsed = parsePolicy({ ...base, loopGuard: false });
    expect(!parsed.ok && parsed.issues.map(formatIssue)).toEqual([expect.stringMatching(/^loopGuard: /)]);
  });
});

describe('guardedChecks', () => {
  it('names the mitigated checks with a fixing action, with their deployed names, reason codes and cap', () => {
    const plan = asPlan(
      planRemediation(audit([check(SHARED), check(REVOKED)]), policy(), enforce, { actionNamePrefix: 'st' }),
    );
    expect(guardedChecks(plan, policy(), (n) => `st-${n}`)).toEqual([
      {
        checkName: REVOKED,
        fixingActions: ['st-Deactivate'],
        reasonCodes: ['CERTIFICATE_REVOKED_BY_ISSUER'],
        maxFindings: 20,
      },
    ]);
  });
});

describe('the plan with the loop guard', () => {
  const twoChecks = audit([check(SHARED), check(REVOKED)]);

  it('takes a looping check out of the task, keeps the others, and carries the suppressions (enforce)', () => {
    const record = loopGuardRecord(looping(['c1']), settings, true, NOW);
    const plan = asPlan(planRemediation(twoChecks, policy(), enforce, { loopGuard: record }));
    expect(Object.keys(plan.auditCheckToActionsMapping)).toEqual([SHARED]);
    expect(Object.keys(plan.target.auditCheckToReasonCodeFilter)).toEqual([SHARED]);
    expect(plan.decisions.find((d) => d.checkName === REVOKED)).toMatchObject({
      outcome: 'skip',
      reason: 'loop-guard',
      detail: expect.stringContaining(
        '1 resource mitigated in each of the last 3 remediated audits is still non-compliant: suppressed for 30 days',
      ),
    });
    expect(plan.loopGuard).toEqual({
      status: 'checked',
      afterAudits: 3,
      suppressForDays: 30,
      guardedChecks: [REVOKED],
      suppressions: [
        {
          checkName: REVOKED,
          resource: 'DEVICE_CERTIFICATE deviceCertificateId=c1',
          resourceIdentifier: { deviceCertificateId: 'c1' },
          previousAudits: ['a3', 'a2', 'a1'],
          expiresAt: '2026-12-26T03:00:00.000Z',
          status: 'to-suppress',
        },
      ],
    });
    expect(plan.summary.checksToMitigate).toBe(1);
  });

  it('says "would be suppressed" in a dry run', () => {
    const record = loopGuardRecord(looping(['c1']), settings, false, NOW);
    const plan = asPlan(planRemediation(twoChecks, policy(), dryRun, { loopGuard: record }));
    expect(plan.loopGuard?.status === 'checked' && plan.loopGuard.suppressions[0]?.status).toBe(
      'would-suppress',
    );
    expect(plan.decisions.find((d) => d.checkName === REVOKED)?.detail).toContain('would be suppressed');
  });

  it('is nothing to do, with the suppressions, when the looping check was the only one', () => {
    const record = loopGuardRecord(looping(['c1']), settings, true, NOW);
    const result = planRemediation(audit([check(REVOKED)]), policy(), enforce, { loopGuard: record });
    expect(result).toMatchObject({
      kind: 'nothing-to-do',
      reason: 'no-check-to-mitigate',
      loopGuard: record,
    });
  });

  it('plans as usual when the history is unreadable, and says so', () => {
    const record = loopGuardRecord(
      { status: 'unreadable', detail: 'ThrottlingException: Rate exceeded' },
      settings,
      true,
      NOW,
    );
    const plan = asPlan(planRemediation(twoChecks, policy(), enforce, { loopGuard: record }));
    expect(Object.keys(plan.auditCheckToActionsMapping)).toEqual([SHARED, REVOKED]);
    expect(plan.loopGuard).toEqual({
      status: 'unreadable',
      afterAudits: 3,
      suppressForDays: 30,
      detail: 'ThrottlingException: Rate exceeded',
    });
  });

  it('suppresses at most MAX_SUPPRESSIONS_PER_AUDIT resources and counts the rest', () => {
    const ids = Array.from({ length: MAX_SUPPRESSIONS_PER_AUDIT + 7 }, (_, i) => `c${i}`);
    const record = loopGuardRecord(looping(ids), settings, true, NOW);
    expect(record.status === 'checked' && record.suppressions.length).toBe(MAX_SUPPRESSIONS_PER_AUDIT);
    expect(record.status === 'checked' && record.notSuppressed).toBe(7);
  });
});

describe('the suppression itself', () => {
  const suppression: PlannedSuppression = {
    checkName: REVOKED,
    resource: 'DEVICE_CERTIFICATE deviceCertificateId=c1',
    resourceIdentifier: { deviceCertificateId: 'c1' },
    previousAudits: ['a3', 'a2', 'a1'],
    expiresAt: '2026-12-26T03:00:00.000Z',
    status: 'to-suppress',
  };

  it('describes the stack and why, in printable ASCII within 1,000 characters', () => {
    const text = suppressionDescription('my-stack', suppression);
    expect(text).toMatch(
      /^my-stack loop guard: REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK fixing actions mitigated this resource in audits a3, a2, a1/,
    );
    expect(text).toContain('until 2026-12-26T03:00:00.000Z');
    expect(text).toMatch(/^[\x20-\x7e]*$/);
    const long = suppressionDescription('s\u00e9\n'.repeat(400), suppression);
    expect(long.length).toBe(1000);
    expect(long).toMatch(/^[\x20-\x7e]*$/);
  });

  it('has one client request token per audit, check and resource, within the API pattern', () => {
    const token = suppressionToken('a'.repeat(40), suppression);
    expect(token).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(suppressionToken('a'.repeat(40), suppression)).toBe(token);
    expect(
      suppressionToken('a'.repeat(40), { ...suppression, resourceIdentifier: { deviceCertificateId: 'c2' } }),
    ).not.toBe(token);
  });

  it("recognises the stack's enforced tasks of an audit, re-runs included, and nothing else", () => {
    expect(isStackEnforcedTask('enf-abc', 'abc')).toBe(true);
    expect(isStackEnforcedTask('enf-abc-r12', 'abc')).toBe(true);
    expect(isStackEnforcedTask('dry-abc', 'abc')).toBe(false);
    expect(isStackEnforcedTask('enf-abc-rx', 'abc')).toBe(false);
    expect(isStackEnforcedTask('enf-abcd', 'abc')).toBe(false);
    expect(isStackEnforcedTask('operator-task', 'abc')).toBe(false);
  });
});

describe('the report says what was suppressed, for which check, until when', () => {
  const record = loopGuardRecord(looping(['c1']), settings, true, NOW) as Extract<
    LoopGuardRecord,
    { status: 'checked' }
  >;
  const done: LoopGuardRecord = {
    ...record,
    suppressions: [{ ...record.suppressions[0]!, status: 'suppressed' }],
  };

  it('in the state machine report', async () => {
    const plan = asPlan(
      planRemediation(audit([check(SHARED), check(REVOKED)]), policy(), enforce, { loopGuard: done }),
    );
    const report = await buildRemediationReport(
      { plan, outcome: { name: 'Completed', cause: 'done' } },
      { auditFindings: async () => ({ findings: [] }), failedExecutions: async () => [] },
    );
    expect(report.summary.loopGuard).toEqual(done);
    expect(report.message.text).toContain(
      `- ${REVOKED}: DEVICE_CERTIFICATE deviceCertificateId=c1 suppressed until 2026-12-26T03:00:00.000Z; earlier audits a3, a2, a1`,
    );
  });

  it('escapes what the service wrote (a resource cannot start a line)', () => {
    const forged: LoopGuardRecord = {
      ...record,
      suppressions: [{ ...record.suppressions[0]!, resource: 'CLIENT_ID clientId=x\n- FAKE: line' }],
    };
    expect(loopGuardLines(forged).some((line) => line.startsWith('- FAKE'))).toBe(false);
  });

  it('says when the history could not be read', () => {
    expect(
      loopGuardLines({
        status: 'unreadable',
        afterAudits: 3,
        suppressForDays: 30,
        detail: 'AccessDeniedException: no',
      }).join('\n'),
    ).toContain(
      'Loop guard: the history could not be read (AccessDeniedException: no); nothing was suppressed',
    );
  });

  it('in the planner report when every check was left out', () => {
    const plan = planRemediation(audit([check(REVOKED)]), policy(), enforce, {
      loopGuard: done,
    }) as NothingToDo;
    const report = loopGuardOnlyReport(plan, audit([check(REVOKED)]));
    expect(report.subject).toContain('left out by the loop guard');
    expect(report.message).toContain('suppressed until 2026-12-26T03:00:00.000Z');
    expect(JSON.parse(report.report)).toMatchObject({ kind: 'all-loop-guarded', auditTaskId: AUDIT_ID });
  });
});
