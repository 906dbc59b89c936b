// With no operator (OperatorPrincipalArns empty, the template's default) nobody may request a re-run:
// the bus's policy then denies "Audit Remediation Requested" to every principal, on the local stack as
// EventBridge would. The automatic paths (the Pipe, the schedule) keep working.

import { type LocalStack, OPERATOR_ROLE_ARN } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureAudit, reliabilityStack } from '../reliability/support.ts';

const AUDIT = 'no-operators-audit';
let stack: LocalStack;

beforeAll(async () => {
  stack = await reliabilityStack({ startMs: Date.now() - 60_000, parameters: { OperatorPrincipalArns: '' } });
  stack.emulator.service.addAudit(fixtureAudit(AUDIT));
  await stack.clock.sleep(600_000);
});
afterAll(() => stack.close());

describe('with no operator, nobody may request a re-run', () => {
  it.each([
    ['the would-be operator', OPERATOR_ROLE_ARN],
    ['the account root', 'arn:aws:iam::123456789012:root'],
    ['any role of the account', 'arn:aws:iam::123456789012:role/Admin'],
  ])('%s is refused and nothing starts', async (_, principalArn) => {
    const [result] = await stack.putEvents(
      [
        {
          EventBusName: stack.deployed.stackName,
          Source: 'custom.devicedefender',
          DetailType: 'Audit Remediation Requested',
          Detail: { auditTaskId: AUDIT, rerun: 1 },
        },
      ],
      { principalArn },
    );
    expect(result).toMatchObject({ errorCode: 'AccessDeniedException', matchedRules: [] });
    expect(stack.invocations.filter((i) => i.functionId === 'SweepAuditsFunction')).toEqual([]);
    expect(stack.runner.executions).toEqual([]);
  });

  it('the Pipe still completes audits', async () => {
    const trace = await stack.publishAuditNotification(stack.notifications.find((n) => n.taskId === AUDIT)!);
    expect(trace.matchedRules).toEqual(['AuditCompletedRule']);
    expect(stack.runner.executions.map((e) => e.name)).toEqual([expect.stringContaining(AUDIT)]);
  });
});
