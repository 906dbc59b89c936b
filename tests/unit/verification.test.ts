import { describe, expect, it } from 'vitest';
import { type Policy, parsePolicy } from '#domain/policy';
import {
  type AuditFindingsSource,
  auditOrigin,
  checksToVerify,
  compareAudits,
  resourceKey,
  unfixedResources,
  VERIFICATION_CLOCK_SKEW_MS,
  VERIFICATION_PENDING_MS,
  VERIFICATION_START_WINDOW_MS,
  verificationMarkerName,
  verificationMarkerPath,
  verificationStartingName,
} from '#domain/verification';

const policy = (extra: Partial<Policy> = {}): Policy => {
  const document = {
    version: 1,
    actions: {
      Publish: { type: 'PUBLISH_FINDING_TO_SNS' },
      Quarantine: { type: 'ADD_THINGS_TO_THING_GROUP' },
      Deactivate: { type: 'UPDATE_DEVICE_CERTIFICATE' },
      Logging: { type: 'ENABLE_IOT_LOGGING' },
    },
    defaults: { maxFindings: 100 },
    rules: [
      { check: 'DEVICE_CERTIFICATE_SHARED_CHECK', actions: ['Publish', 'Quarantine'] },
      { check: 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK', actions: ['Publish', 'Deactivate'] },
      { check: 'LOGGING_DISABLED_CHECK', actions: ['Logging'] },
      { check: 'CA_CERTIFICATE_EXPIRING_CHECK', actions: ['Publish'] },
    ],
    ...extra,
  };
  const parsed = parsePolicy(document);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.policy;
};
const ALL = [
  'DEVICE_CERTIFICATE_SHARED_CHECK',
  'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
  'LOGGING_DISABLED_CHECK',
  'CA_CERTIFICATE_EXPIRING_CHECK',
];

describe('the checks to verify', () => {
  it('are the mitigated checks with a fixing action, never publish- or quarantine-only ones', () => {
    expect(checksToVerify(policy(), ALL)).toEqual([
      'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
      'LOGGING_DISABLED_CHECK',
    ]);
  });
  it('are only those mitigated in this plan', () => {
    expect(checksToVerify(policy(), ['DEVICE_CERTIFICATE_SHARED_CHECK'])).toEqual([]);
  });
  it('are none when the policy says verify: false; verify: true is the default', () => {
    expect(checksToVerify(policy({ verify: false }), ALL)).toEqual([]);
    expect(checksToVerify(policy({ verify: true }), ALL)).toHaveLength(2);
  });
  it('refuses a verify that is not a boolean, naming the field', () => {
    const parsed = parsePolicy({ ...policy(), verify: 'no' });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.issues.map((i) => i.path)).toContain('verify');
  });
});

describe('recognising a verification audit', () => {
  const now = Date.UTC(2026, 0, 1, 12);
  const onDemand = { auditTaskId: 'a1b2', taskType: 'ON_DEMAND_AUDIT_TASK', taskStartTime: now - 60_000 };
  it('puts the markers beside the switch, where the template puts them', () => {
    const path = verificationMarkerPath('/my-stack/runtime-switch');
    expect(path).toBe('/my-stack/verification-audits');
    expect(verificationMarkerName(path, 'abc')).toBe('/my-stack/verification-audits/abc');
    // `_` is in no audit id ([a-zA-Z0-9-]+): the starting marker is never an audit's.
    expect(verificationStartingName(path)).toBe('/my-stack/verification-audits/_starting');
  });
  it('a marked on-demand audit is a verification', () => {
    expect(auditOrigin(onDemand, 'enf-x', undefined, now)).toEqual({
      kind: 'verification',
      startedBy: 'enf-x',
    });
  });
  it('a scheduled audit never is, marker or not', () => {
    expect(auditOrigin({ ...onDemand, taskType: 'SCHEDULED_AUDIT_TASK' }, 'enf-x', now, now).kind).toBe(
      'other',
    );
  });
  it('an unmarked on-demand audit started after a recent starting marker may be one (the race)', () => {
    expect(auditOrigin(onDemand, undefined, now - 90_000, now).kind).toBe('verification-pending');
  });
  it("an unmarked on-demand audit is an operator's once the starting marker is old or newer than it", () => {
    expect(auditOrigin(onDemand, undefined, now - VERIFICATION_PENDING_MS - 1, now).kind).toBe('other');
    expect(
      auditOrigin({ ...onDemand, taskStartTime: now - 600_000 }, undefined, now - 120_000, now).kind,
    ).toBe('other');
    expect(auditOrigin(onDemand, undefined, undefined, now).kind).toBe('other');
  });
  it('an audit is never the verification of its own remediation (the starting marker names its run)', () => {
    expect(auditOrigin(onDemand, undefined, now - 30_000, now, 'enf-a1b2').kind).toBe('other');
    expect(auditOrigin(onDemand, undefined, now - 30_000, now, 'enf-a1b2-r12').kind).toBe('other');
    // Another audit's run, or a name that merely starts alike, leaves the race open.
    expect(auditOrigin(onDemand, undefined, now - 30_000, now, 'enf-a1b2c').kind).toBe(
      'verification-pending',
    );
    expect(auditOrigin(onDemand, undefined, now - 30_000, now, 'enf-zz').kind).toBe('verification-pending');
  });
  it("an unmarked on-demand audit that started after the start's window is an operator's at once", () => {
    const starting = now - 10 * 60_000;
    const at = (ms: number) => ({ ...onDemand, taskStartTime: starting + ms });
    const window = VERIFICATION_START_WINDOW_MS + VERIFICATION_CLOCK_SKEW_MS;
    expect(auditOrigin(at(window), undefined, starting, now).kind).toBe('verification-pending');
    expect(auditOrigin(at(window + 1), undefined, starting, now).kind).toBe('other');
  });
});

describe('the comparison by resource identifier', () => {
  const cert = (id: string, extra: Record<string, unknown> = {}) => ({
    resourceType: 'DEVICE_CERTIFICATE',
    resourceIdentifier: { deviceCertificateId: id, ...extra },
  });
  it('ignores the order of an identifier’s members and tells resource types apart', () => {
    expect(resourceKey({ resourceType: 'X', resourceIdentifier: { a: '1', b: '2' } })).toBe(
      resourceKey({ resourceType: 'X', resourceIdentifier: { b: '2', a: '1' } }),
    );
    expect(
      resourceKey({ resourceType: 'CA_CERTIFICATE', resourceIdentifier: { caCertificateId: 'a' } }),
    ).not.toBe(resourceKey(cert('a')));
  });
  it('names the resources still non-compliant, once each, in the first audit’s order', () => {
    const before = [cert('a'), cert('b'), cert('c'), cert('b')];
    expect(unfixedResources(before, [cert('c'), cert('z'), cert('b')])).toEqual([cert('b'), cert('c')]);
    expect(unfixedResources(before, [])).toEqual([]);
  });

  const source = (
    pages: Record<string, { findings: object[]; nextToken?: string }[]>,
  ): AuditFindingsSource => ({
    async page({ auditTaskId, nextToken }) {
      const list = pages[auditTaskId] ?? [];
      return list[nextToken === undefined ? 0 : Number(nextToken)] as never;
    },
  });
  const describe_ = (r: { resourceIdentifier?: Readonly<Record<string, unknown>> }) =>
    String(r.resourceIdentifier?.deviceCertificateId);

  it('reports counts before and after, improved or not, and the targeted resources not fixed', async () => {
    const result = await compareAudits(
      {
        auditTaskId: 'before',
        verificationAuditTaskId: 'after',
        checks: [
          { checkName: 'C1', before: 3, reasonCodes: ['R'] },
          { checkName: 'C2', before: 2, reasonCodes: [] },
          { checkName: 'C3', before: 1, reasonCodes: [] },
        ],
        verificationAudit: {
          AuditDetails: {
            C1: { NonCompliantResourcesCount: 3 },
            C2: { NonCompliantResourcesCount: 0 },
          },
        },
      },
      source({
        before: [
          {
            findings: [
              { ...cert('a'), reasonCode: 'R' },
              { ...cert('b'), reasonCode: 'OTHER' },
            ],
            nextToken: '1',
          },
          { findings: [{ ...cert('c'), reasonCode: 'R' }] },
        ],
        after: [{ findings: [cert('a'), cert('b'), cert('c')] }],
      }),
      { describe: describe_ },
    );
    expect(result).toEqual([
      // b was not targeted (reason code OTHER): not counted as unfixed.
      {
        checkName: 'C1',
        before: 3,
        after: 3,
        improved: false,
        unfixed: { count: 2, resources: ['a', 'c'], complete: true },
      },
      {
        checkName: 'C2',
        before: 2,
        after: 0,
        improved: true,
        unfixed: { count: 0, resources: [], complete: true },
      },
      { checkName: 'C3', before: 1, improved: false },
    ]);
  });
  it('stops at its page budget and says the count is a lower bound', async () => {
    const endless = { findings: [cert('a')], nextToken: '0' };
    const [check] = await compareAudits(
      {
        auditTaskId: 'before',
        verificationAuditTaskId: 'after',
        checks: [{ checkName: 'C', before: 5, reasonCodes: [] }],
        verificationAudit: { AuditDetails: { C: { NonCompliantResourcesCount: 5 } } },
      },
      source({ before: [endless], after: [endless] }),
      { describe: describe_, maxPagesPerAudit: 3 },
    );
    expect(check?.unfixed).toEqual({ count: 1, resources: ['a'], complete: false });
  });
});
