/**
 * The loop guard's grants (docs/decisions/loop-guard.md): exactly its four calls, on the planner's role
 * only; the sweep, which shares the remediation path, neither calls nor holds them.
 */
import { describe, expect, it } from 'vitest';
import { entryPointOf, grantedActions, resourcesOfType, sdkCalls, sourceClosure } from './support.ts';

const LOOP_GUARD_ACTIONS = [
  'iot:CreateAuditSuppression',
  'iot:DescribeAuditMitigationActionsTask',
  'iot:ListAuditFindings',
  'iot:ListAuditMitigationActionsTasks',
];

describe('the loop guard in the template', () => {
  it('grants iot:CreateAuditSuppression and the list calls to the planner role, and no other role creates suppressions', () => {
    const planner = 'PlanRemediationRole';
    for (const action of LOOP_GUARD_ACTIONS) expect(grantedActions(planner)).toContain(action);
    const others = resourcesOfType('AWS::IAM::Role')
      .map(([id]) => id)
      .filter((id) => id !== planner);
    for (const role of others) {
      expect(grantedActions(role), role).not.toContain('iot:CreateAuditSuppression');
      expect(grantedActions(role), role).not.toContain('iot:ListAuditMitigationActionsTasks');
    }
  });

  it("keeps the sweep's code free of the loop guard's calls", () => {
    const sweep = resourcesOfType('AWS::Serverless::Function').find(([id]) =>
      entryPointOf(id).includes('sweep-audits'),
    )!;
    const calls = new Set(sdkCalls(sourceClosure(entryPointOf(sweep[0]))).map((c) => c.action));
    expect(calls.has('iot:CreateAuditSuppression')).toBe(false);
    expect(calls.has('iot:ListAuditMitigationActionsTasks')).toBe(false);
  });
});
