// Attack: a policy that lies. The caps and the action types the policy declares are what the planner's
// safety rests on, so they must be true:
//   - an action's declared type must be the type the deployed action has, read with
//     DescribeMitigationAction when the plan is made: an action changed (or removed) outside the stack
//     fails the policy closed, naming the action's path, and nothing starts;
//   - a rule that changes the fleet needs a finite maxFindings no higher than the ceiling
//     (MAX_FINDINGS_CEILING); maxPercent alone, and maxPercent 100 above all, is not a cap.
// On the code that trusted the declaration, the execution started with an action of another type (or
// none), and those policies were valid.

import { CreateMitigationActionCommand, DeleteMitigationActionCommand } from '@aws-sdk/client-iot';
import {
  deviceCertificateFinding,
  type LocalStack,
  startLocalStack,
} from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssue } from '#domain/json-schema';
import { MAX_FINDINGS_CEILING, parsePolicy } from '#domain/policy';
import { enforcePolicy, REVOKED, SHARED } from '../support/enforce-policy.ts';

const POLICY = enforcePolicy({ maxFindings: 50 });

let stack: LocalStack;
let audits = 0;
beforeAll(async () => {
  stack = await startLocalStack({ switchValue: 'enforce', policy: POLICY });
});
afterAll(() => stack.close());

/** A completed audit with findings for both checks, announced and delivered: the planner's answer. */
async function auditDelivered(): Promise<unknown> {
  audits += 1;
  const taskId = `policy-lie-${audits}`;
  const findings = (from: number) =>
    [0, 1].map((i) => deviceCertificateFinding(from + i, { findingId: `${taskId}-f${from + i}` }));
  stack.emulator.service.addAudit({
    taskId,
    checks: {
      [SHARED]: { totalResourcesCount: 100, findings: findings(10 * audits) },
      [REVOKED]: { totalResourcesCount: 100, findings: findings(10 * audits + 5) },
    },
  });
  await stack.clock.sleep(5_000);
  const notification = stack.notifications.find((n) => n.taskId === taskId);
  const trace = await stack.publishAuditNotification(notification);
  return trace.invocations.find((i) => i.functionId === 'PlanRemediationFunction')?.result;
}

const actionName = (name: string) => `${stack.deployed.stackName}-${name}`;

describe('the policy cannot lie about its actions', () => {
  it('an action whose type was changed outside the stack fails the policy closed: nothing starts', async () => {
    // Someone replaces the quarantine action by one that publishes (a type the policy does not declare).
    await stack.iot.send(new DeleteMitigationActionCommand({ actionName: actionName('QuarantineDevice') }));
    await stack.iot.send(
      new CreateMitigationActionCommand({
        actionName: actionName('QuarantineDevice'),
        roleArn: `arn:aws:iam::123456789012:role/${stack.deployed.stackName}-anything`,
        actionParams: {
          publishFindingToSnsParams: { topicArn: String(stack.deployed.ref('FindingsTopic')) },
        },
      }),
    );
    expect(await auditDelivered()).toEqual({
      outcome: 'policy-invalid',
      errors: [
        `actions.QuarantineDevice.type: declared ADD_THINGS_TO_THING_GROUP, but mitigation action ${actionName('QuarantineDevice')} is a PUBLISH_FINDING_TO_SNS action`,
      ],
    });
    expect(stack.runner.executions).toEqual([]);
  });

  it('an action removed outside the stack fails the policy closed too', async () => {
    await stack.iot.send(
      new DeleteMitigationActionCommand({ actionName: actionName('DeactivateDeviceCertificate') }),
    );
    const result = (await auditDelivered()) as { outcome: string; errors: string[] };
    expect(result.outcome).toBe('policy-invalid');
    expect(result.errors).toContainEqual(
      expect.stringMatching(
        /^actions\.DeactivateDeviceCertificate: mitigation action \S+-DeactivateDeviceCertificate does not exist/,
      ),
    );
    expect(stack.runner.executions).toEqual([]);
  });
});

describe('the policy cannot lie about its caps', () => {
  const errorsOf = (policy: unknown) => {
    const result = parsePolicy(policy);
    return result.ok ? [] : result.issues.map(formatIssue);
  };

  it('maxPercent 100 alone is not a cap', () => {
    expect(errorsOf({ ...POLICY, defaults: { maxPercent: 100 } })).toEqual([
      `rules[0]: ${SHARED} changes the fleet and its only cap is maxPercent 100, which holds nothing back: it is not a cap; set maxFindings (1 to ${MAX_FINDINGS_CEILING}) on the rule or in defaults`,
      `rules[1]: ${REVOKED} changes the fleet and its only cap is maxPercent 100, which holds nothing back: it is not a cap; set maxFindings (1 to ${MAX_FINDINGS_CEILING}) on the rule or in defaults`,
    ]);
  });

  it('a percentage alone does not bound how many devices one run changes', () => {
    expect(errorsOf({ ...POLICY, defaults: { maxPercent: 1 } })[0]).toMatch(
      /^rules\[0\]: DEVICE_CERTIFICATE_SHARED_CHECK changes the fleet but has no maxFindings/,
    );
  });

  it(`maxFindings is at most ${MAX_FINDINGS_CEILING}`, () => {
    expect(errorsOf({ ...POLICY, defaults: { maxFindings: 2_000_000 } })).toEqual([
      `defaults.maxFindings: expected at most ${MAX_FINDINGS_CEILING}, got 2000000`,
    ]);
    expect(errorsOf({ ...POLICY, defaults: { maxFindings: MAX_FINDINGS_CEILING } })).toEqual([]);
  });
});
