// The plan's size (functions/domain/sizes.ts): what `npm run bench -- scale` measures stays under its
// goal of 8 KB (8,192 bytes, as the benchmark's table counts KB), and a plan carrying the loop guard's
// largest record stays far under Step Functions' 262,144-byte input limit.
import { describe, expect, it } from 'vitest';
import type { Audit } from '#domain/audit';
import { type LoopFindings, loopGuardRecord, MAX_SUPPRESSIONS_PER_AUDIT } from '#domain/loop-guard';
import { planRemediation } from '#domain/plan';
import { LOOP_GUARD_LIMITS } from '#domain/policy';
import { EXECUTION_INPUT_LIMIT_BYTES, jsonBytes } from '#domain/sizes';
import { measurePlannerScale } from '../../bench/scale.ts';

const PLAN_GOAL_BYTES = 8 * 1024;

describe('the plan’s size', () => {
  it('is under 8 KB for the benchmark’s audits of 10 to 1,000,000 findings in 17 checks, growing only by digits', () => {
    const rows = measurePlannerScale([10, 10_000, 1_000_000], 1);
    for (const row of rows) {
      expect(row.checks).toBe(17);
      expect(row.planBytes).toBeLessThan(PLAN_GOAL_BYTES);
    }
    // 17 checks' counts and the summary's total: a few digits each, never a finding.
    expect(rows[2]!.planBytes - rows[0]!.planBytes).toBeLessThan(300);
  });

  it('with the loop guard’s largest record (50 suppressions of 300-byte resources, 10 audits each) stays under a quarter of the execution input limit', () => {
    const auditId = 'a'.repeat(32);
    const previousAudits = Array.from({ length: LOOP_GUARD_LIMITS.afterAudits.maximum }, (_, i) =>
      `${i}`.padStart(32, 'b'),
    );
    const loops: LoopFindings = new Map([
      [
        'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
        {
          previousAudits,
          resources: Array.from({ length: MAX_SUPPRESSIONS_PER_AUDIT + 10 }, (_, i) => ({
            resourceType: 'DEVICE_CERTIFICATE',
            resourceIdentifier: { deviceCertificateId: `${i}`.padStart(64, 'c') },
            resource: `DEVICE_CERTIFICATE deviceCertificateId=${`${i}`.padStart(64, 'c')}`.padEnd(300, 'x'),
          })),
        },
      ],
    ]);
    const record = loopGuardRecord(
      { status: 'checked', loops },
      { enabled: true, afterAudits: LOOP_GUARD_LIMITS.afterAudits.maximum, suppressForDays: 30 },
      true,
      Date.UTC(2026, 10, 26),
    );
    const audit: Audit = {
      auditTaskId: auditId,
      taskStatus: 'COMPLETED',
      taskType: 'SCHEDULED_AUDIT_TASK',
      taskStartTime: Date.UTC(2026, 10, 26),
      checks: [
        {
          checkName: 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
          known: true,
          checkRunStatus: 'COMPLETED_NON_COMPLIANT',
          nonCompliantResourcesCount: 60,
          totalResourcesCount: 1_000,
        },
      ],
    };
    const plan = planRemediation(
      audit,
      {
        version: 1,
        mode: 'enforce',
        actions: { Deactivate: { type: 'UPDATE_DEVICE_CERTIFICATE' } },
        defaults: { maxFindings: 100, maxPercent: 100 },
        rules: [{ check: 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK', actions: ['Deactivate'] }],
      },
      { value: 'enforce', lastModified: 0, version: 1 },
      { loopGuard: record },
    );
    expect(plan.loopGuard).toMatchObject({ notSuppressed: 10 });
    expect(
      plan.loopGuard?.status === 'checked' && plan.loopGuard.suppressions[0]?.previousAudits,
    ).toHaveLength(10);
    expect(jsonBytes(plan)).toBeLessThan(EXECUTION_INPUT_LIMIT_BYTES / 4);
  });
});
