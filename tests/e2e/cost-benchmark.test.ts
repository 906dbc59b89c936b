import { describe, expect, it } from 'vitest';
import { COST_POLICY, FIXED_FINDINGS, measureCost, TASK_POLLING_STATES } from '../../bench/cost.ts';
import { fixedPollBaseline } from '../../bench/polling.ts';

const durations = {
  'plan-remediation': { initMs: 400.2, handlerMs: 100 },
  'report-remediation': { initMs: 300, handlerMs: 50.5 },
  'cleanup-execution': { initMs: 1, handlerMs: 1 },
  'sweep-audits': { initMs: 1, handlerMs: 1 },
};

describe('npm run bench -- cost, on its smallest cell (1-minute task, 10 findings)', () => {
  it('counts one audit consistently: transitions, invocations, messages, IoT calls and the bill', async () => {
    const result = await measureCost({ taskSeconds: [60], findings: [10], billedDurations: durations });
    expect(result.cells).toHaveLength(1);
    const [cell] = result.cells;
    if (!cell) throw new Error('no cell');
    expect(cell.outcome).toBe('SUCCEEDED');
    // The plan deactivates revoked certificates (a fixing action): the verification audit ran.
    expect(cell.verification).toBe('completed');
    expect(COST_POLICY.rules[0].actions).toContain('DeactivateDeviceCertificate');

    // Billed transitions are the states the history entered (nothing was retried here).
    expect(cell.stateTransitions).toBe(cell.statesEntered);
    expect(cell.stateTransitions).toBeGreaterThan(10);
    // The planner: the audit's notification and the verification audit's; the state machine: the report.
    expect(cell.lambdaInvocations).toEqual({ 'plan-remediation': 2, 'report-remediation': 1 });
    // Each cold: 401 + 100 ms and 300 + 51 ms at the template's 512 MB.
    expect(cell.lambdaBilledMs).toBe(2 * 501 + 351);
    expect(cell.lambdaGbSeconds).toBeCloseTo((2 * 501 + 351) / 2000, 10);
    // Two notifications in (SNS -> SQS -> Pipe -> bus), one report out.
    expect(cell.snsMessages).toBe(3);
    expect(cell.pipeRequests).toBe(2);
    expect(cell.customEvents).toBe(2);
    expect(cell.sqsRequests).toBe(6);
    expect(cell.iotCalls.StartAuditMitigationActionsTask).toBe(1);
    expect(cell.iotCalls.StartOnDemandAuditTask).toBe(1);
    expect(cell.iotCalls.DescribeAuditMitigationActionsTask).toBeGreaterThanOrEqual(1);
    expect(cell.findingPublishes).toBe(10);
    expect(FIXED_FINDINGS).toBe(10);

    // The bill: each quantity is the counted one, and the total is the sum of its lines.
    const line = (item: string) => cell.lines.find((l) => l.item === item)?.quantity;
    expect(line('stateTransition')).toBe(cell.stateTransitions);
    expect(line('lambdaRequest')).toBe(3);
    expect(line('lambdaGbSecondArm')).toBe(cell.lambdaGbSeconds);
    expect(line('snsPublish')).toBe(cell.snsChunks);
    expect(cell.totalUsd).toBeCloseTo(
      cell.lines.reduce((sum, l) => sum + l.usd, 0),
      15,
    );
    expect(cell.findingPublishesUsd).toBeCloseTo(10 * 0.0000005, 15);

    // The baseline replaces only the task's polling loop with the fixed 10-second loop.
    expect(TASK_POLLING_STATES).toContain('DescribeTask');
    expect(cell.baseline.describes).toBe(fixedPollBaseline(60).describes);
    expect(cell.baseline.describesOurs).toBe(cell.iotCalls.DescribeAuditMitigationActionsTask);
    expect(cell.baseline.totalUsd - cell.totalUsd).toBeCloseTo(
      (cell.baseline.stateTransitions - cell.stateTransitions) * 0.000025,
      12,
    );
  });

  it('refuses a cell with fewer findings than the fixed check holds, naming findings', async () => {
    await expect(measureCost({ findings: [5] })).rejects.toThrow(/findings/);
  });
});
