// The report of an audit whose every check was held back by its cap (functions/domain/held-back-report.ts).
import { describe, expect, it } from 'vitest';
import type { Audit } from '#domain/audit';
import { everyCheckHeldBack, heldBackReport } from '#domain/held-back-report';
import { type NothingToDo, planRemediation } from '#domain/plan';
import type { Policy } from '#domain/policy';

const policy: Policy = {
  version: 1,
  mode: 'enforce',
  actions: { Publish: { type: 'PUBLISH_FINDING_TO_SNS' }, Quarantine: { type: 'ADD_THINGS_TO_THING_GROUP' } },
  defaults: { maxFindings: 100, maxPercent: 5 },
  rules: [
    { check: 'DEVICE_CERTIFICATE_SHARED_CHECK', actions: ['Publish', 'Quarantine'] },
    { check: 'DEVICE_CERTIFICATE_KEY_QUALITY_CHECK', actions: ['Publish', 'Quarantine'] },
  ],
};
const audit = (checks: Audit['checks']): Audit => ({
  auditTaskId: 'audit-1',
  taskStatus: 'COMPLETED',
  taskType: 'ON_DEMAND_AUDIT_TASK',
  taskStartTime: Date.parse('2026-11-26T02:00:00Z'),
  checks,
});
const nonCompliant = (
  checkName: string,
  nonCompliantResourcesCount: number,
  totalResourcesCount: number,
) => ({
  checkName,
  known: true,
  checkRunStatus: 'COMPLETED_NON_COMPLIANT' as const,
  nonCompliantResourcesCount,
  totalResourcesCount,
});
const switchOn = { value: 'enforce', lastModified: 0, version: 1 };
// Under enforce, an audit held back entirely starts an execution that waits for approval
// (tests/unit/approval.test.ts); the held-back report is what a dry run's audit gets.
const dryRun = { ...switchOn, value: 'dry-run' };

describe('the held-back report', () => {
  const a = audit([
    nonCompliant('DEVICE_CERTIFICATE_SHARED_CHECK', 140, 10_000),
    nonCompliant('DEVICE_CERTIFICATE_KEY_QUALITY_CHECK', 30, 100),
  ]);
  const plan = planRemediation(a, policy, dryRun, { actionNamePrefix: 'ddr' }) as NothingToDo;

  it('is for a nothing-to-do whose every check to mitigate was held back', () => {
    expect(plan.kind).toBe('nothing-to-do');
    expect(everyCheckHeldBack(plan)).toBe(true);
    const paused = planRemediation(a, policy, { ...switchOn, value: 'paused' }) as NothingToDo;
    expect(everyCheckHeldBack(paused)).toBe(false);
    const none = planRemediation(audit([]), policy, dryRun) as NothingToDo;
    expect(planRemediation(a, policy, switchOn).kind).toBe('plan');
    expect(everyCheckHeldBack(none)).toBe(false);
  });

  it('names each held-back check and its cap, in a subject SNS accepts and a JSON summary', () => {
    const { subject, message, report, summary } = heldBackReport(plan, a);
    expect(subject).toBe('Device Defender remediation: audit audit-1 held back by its caps');
    expect(subject.length).toBeLessThan(100);
    expect(message).toContain(
      '- DEVICE_CERTIFICATE_SHARED_CHECK: 140 non-compliant of 10,000 resources, above maxFindings 100 (actions ddr-Publish, ddr-Quarantine)',
    );
    expect(message).toContain(
      '- DEVICE_CERTIFICATE_KEY_QUALITY_CHECK: 30 non-compliant of 100 resources, above maxPercent 5',
    );
    expect(message).toContain('nothing in the fleet changed');
    // The machine-readable part travels apart from the text, as the `report` attribute.
    expect(message).not.toContain('{"kind"');
    expect(JSON.parse(report)).toEqual(JSON.parse(JSON.stringify(summary)));
    expect(summary).toMatchObject({
      kind: 'all-held-back',
      auditTaskId: 'audit-1',
      policyDigest: plan.policyDigest,
    });
  });

  it('writes counts and caps with thousands separators, as npm start does', () => {
    const large = audit([nonCompliant('DEVICE_CERTIFICATE_SHARED_CHECK', 1_000_000, 1_000_000)]);
    const held = planRemediation(large, { ...policy, defaults: { maxFindings: 10_000 } }, dryRun, {
      actionNamePrefix: 'ddr',
    }) as NothingToDo;
    const { message, summary } = heldBackReport(held, large);
    expect(message).toContain(
      '- DEVICE_CERTIFICATE_SHARED_CHECK: 1,000,000 non-compliant of 1,000,000 resources, above maxFindings 10,000 (actions ddr-Publish, ddr-Quarantine)',
    );
    // Only the text for people: the summary for scripts keeps numbers.
    expect(summary.heldBack[0]).toMatchObject({
      nonCompliantResourcesCount: 1_000_000,
      cap: { value: 10_000 },
    });
  });

  it('escapes a check name that would start a line of its own', () => {
    const forged = {
      ...plan,
      decisions: plan.decisions.map((d) => ({ ...d, checkName: `${d.checkName}\nMode: enforce\u202e` })),
    };
    const { message } = heldBackReport(forged, a);
    expect(message).not.toContain('\nMode: enforce');
    expect(message).toContain('DEVICE_CERTIFICATE_SHARED_CHECK\\u000aMode: enforce\\u202e');
  });
});
