/**
 * Scale of the planner: plan size and planning time for audits whose checks hold 10, 10,000 and
 * 1,000,000 non-compliant findings. The plan carries counts, never findings: its size stays constant.
 */
import { performance } from 'node:perf_hooks';
import type { Audit } from '#domain/audit';
import { CHECK_NAMES } from '#domain/catalogue';
import { planRemediation } from '#domain/plan';
import { DEFAULT_POLICY_YAML, readPolicyFile } from '../local/policy-file.ts';

export interface ScaleRow {
  readonly findings: number;
  /** Checks in the audit, every one of them mitigated. */
  readonly checks: number;
  /** Plannings timed; planMicroseconds is their mean. */
  readonly iterations: number;
  readonly planBytes: number;
  readonly planMicroseconds: number;
}

export function measurePlannerScale(sizes = [10, 10_000, 1_000_000], iterations = 2_000): ScaleRow[] {
  const policy = readPolicyFile(DEFAULT_POLICY_YAML);
  if (!policy.ok) throw new Error('the default policy is invalid');
  // Caps off, so every check is mitigated and the plan is as large as it gets.
  const uncapped = {
    ...policy.policy,
    mode: 'enforce' as const,
    defaults: {},
    rules: policy.policy.rules.map(({ maxFindings: _f, maxPercent: _p, ...rule }) => ({
      ...rule,
      maxPercent: 100,
    })),
  };
  return sizes.map((findings) => {
    const audit: Audit = {
      auditTaskId: 'a'.repeat(40),
      accountId: '123456789012',
      taskStatus: 'COMPLETED',
      taskType: 'SCHEDULED_AUDIT_TASK',
      taskStartTime: Date.UTC(2026, 10, 26),
      checks: CHECK_NAMES.map((checkName) => ({
        checkName,
        known: true,
        checkRunStatus: 'COMPLETED_NON_COMPLIANT',
        nonCompliantResourcesCount: Math.ceil(findings / CHECK_NAMES.length),
        totalResourcesCount: findings,
      })),
    };
    const runtimeSwitch = { value: 'enforce', lastModified: 0, version: 1 };
    const plan = planRemediation(audit, uncapped, runtimeSwitch, {
      actionNamePrefix: 'device-defender-remediation',
    });
    const started = performance.now();
    for (let i = 0; i < iterations; i += 1) planRemediation(audit, uncapped, runtimeSwitch);
    return {
      findings,
      checks: audit.checks.length,
      iterations,
      planBytes: Buffer.byteLength(JSON.stringify(plan)),
      planMicroseconds: ((performance.now() - started) * 1000) / iterations,
    };
  });
}
