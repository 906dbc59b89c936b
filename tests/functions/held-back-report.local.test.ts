// In a dry run, an audit whose every check to mitigate is held back by its cap starts no execution, so
// the planner reports it: through the template's wiring, to the reports topic (the local SNS endpoint
// serves Publish). Under enforce, such an audit starts an execution that waits for an approval
// (tests/statemachine/approval.test.ts).

import {
  deviceCertificateFinding,
  type LocalStack,
  startLocalStack,
} from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const AUDIT = 'all-held-back';
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({
    switchValue: 'enforce',
    policy: {
      version: 1,
      mode: 'dry-run',
      actions: {
        PublishFinding: { type: 'PUBLISH_FINDING_TO_SNS' },
        QuarantineDevice: { type: 'ADD_THINGS_TO_THING_GROUP' },
      },
      defaults: { maxFindings: 2 },
      rules: [{ check: 'DEVICE_CERTIFICATE_SHARED_CHECK', actions: ['PublishFinding', 'QuarantineDevice'] }],
    },
  });
});
afterAll(() => stack.close());

describe('an audit held back entirely', () => {
  it('is reported to the reports topic by the planner, naming the check and its cap; nothing starts', async () => {
    stack.emulator.service.addAudit({
      taskId: AUDIT,
      checks: {
        DEVICE_CERTIFICATE_SHARED_CHECK: {
          totalResourcesCount: 100,
          findings: [1, 2, 3].map((n) => deviceCertificateFinding(n, { findingId: `${AUDIT}-f${n}` })),
        },
      },
    });
    await stack.clock.sleep(5_000);
    const trace = await stack.publishAuditNotification(stack.notifications.find((n) => n.taskId === AUDIT));
    expect(trace.invocations[0]?.result).toMatchObject({
      outcome: 'nothing-to-do',
      reason: 'no-check-to-mitigate',
      heldBack: [{ checkName: 'DEVICE_CERTIFICATE_SHARED_CHECK', cap: { name: 'maxFindings', value: 2 } }],
    });
    expect(stack.runner.executions).toEqual([]);
    const reports = stack.topicMessages('ReportsTopic');
    expect(reports).toHaveLength(1);
    expect(JSON.stringify(reports[0])).toContain(
      'DEVICE_CERTIFICATE_SHARED_CHECK: 3 non-compliant of 100 resources, above maxFindings 2',
    );
    // The machine-readable part is the `report` attribute, never the text.
    expect(reports[0]?.attributes?.outcome).toBe('HeldBack');
    expect(JSON.parse(reports[0]?.attributes?.report ?? '{}')).toMatchObject({
      kind: 'all-held-back',
      heldBack: [{ checkName: 'DEVICE_CERTIFICATE_SHARED_CHECK', cap: { name: 'maxFindings', value: 2 } }],
    });
    expect(reports[0]?.message).not.toContain('{"kind"');
  });
});
