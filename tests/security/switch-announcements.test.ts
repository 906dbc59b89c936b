// A change of the switch or of the policy parameter is announced on the reports topic (issue #15,
// item 8), on the local stack: Parameter Store's "Parameter Store Change" event reaches the default
// bus, ParameterChangedRule's InputTransformer writes the message, and EventBridge may publish it only
// because the reports topic's policy and its key's policy admit that rule (the local cloud checks
// both, and sends a refused delivery to the rule's dead-letter queue).

import { type LocalStack, POLICY_PARAMETER } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY, reliabilityStack } from '../reliability/support.ts';

let stack: LocalStack;
const reports = () => stack.topicMessages('ReportsTopic').map((m) => m.message);

beforeAll(async () => {
  stack = await reliabilityStack();
});
afterAll(() => stack.close());

describe('parameter changes, announced', () => {
  it('the switch set to enforce: one message naming it and the operation', async () => {
    const result = await stack.putParameter(stack.switchParameterName, 'enforce');
    expect(result.matchedRules).toEqual(['ParameterChangedRule']);
    expect(reports()).toHaveLength(1);
    expect(reports()[0]).toContain(`SSM parameter ${stack.switchParameterName} - Update at `);
    expect(reports()[0]).toMatch(/CloudTrail/);
    expect(stack.deadLetters('EventDeliveryDeadLetterQueue')).toEqual([]);
  });

  it('the policy parameter rewritten, then deleted', async () => {
    await stack.putParameter(POLICY_PARAMETER, JSON.stringify({ ...POLICY, mode: 'dry-run' }));
    await stack.deleteParameter(POLICY_PARAMETER);
    expect(reports().slice(1)).toEqual([
      expect.stringContaining(`SSM parameter ${POLICY_PARAMETER} - Update at `),
      expect.stringContaining(`SSM parameter ${POLICY_PARAMETER} - Delete at `),
    ]);
  });

  it("another parameter's change is not announced", async () => {
    const result = await stack.putParameter('/somebody-else/setting', 'x');
    expect(result.matchedRules).toEqual([]);
    expect(reports()).toHaveLength(3);
  });
});
