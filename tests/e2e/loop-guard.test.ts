// The loop guard on the local stack (docs/decisions/loop-guard.md): the demo fleet's revoked-2 is
// re-activated by its owner's nightly job before each scheduled audit, so every day's audit finds it again
// although each deactivation COMPLETED. Day after day through the template's wiring, the real planner
// and state machine: three enforced remediations, then a dry run says it "would be suppressed" and
// suppresses nothing, then the next enforced audit suppresses it (30 days), leaves its check out of the
// task, and the report says so; the audit after that reports it suppressed. The verification audits the
// state machine starts after each enforced task reach the planner, are never remediated and never
// count: the resource looks fixed in each of them. One local stack per file.
import { createHash } from 'node:crypto';
import {
  DescribeAuditMitigationActionsTaskCommand,
  DescribeAuditTaskCommand,
  ListAuditFindingsCommand,
  ListAuditSuppressionsCommand,
} from '@aws-sdk/client-iot';
import { type LocalStack, startLocalStack } from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Round, scheduledRound } from '../../local/demo.ts';
import { readPolicyFile } from '../../local/policy-file.ts';

const demoPolicy = readPolicyFile(new URL('../../local/samples/demo-policy.yaml', import.meta.url));
if (!demoPolicy.ok) throw new Error('the demo policy is invalid');
const REVOKED = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';
const DAY_MS = 86_400_000;
// The demo preset's revoked-2, named as the preset names certificates (the sha-256 of `device/<thing>`).
const LOOPING = createHash('sha256').update('device/revoked-2').digest('hex');

let stack: LocalStack;
const rounds: Round[] = [];
/** The virtual time each round started at. */
const startedAt: number[] = [];

async function day(switchValue: 'enforce' | 'dry-run'): Promise<Round> {
  await stack.putParameter(stack.switchParameterName, switchValue);
  startedAt.push(stack.clock.now());
  const round = await scheduledRound(stack);
  rounds.push(round);
  await stack.clock.sleep(DAY_MS);
  return round;
}

/** The resources of an audit's REVOKED findings (unsuppressed unless asked). */
async function revokedFindings(auditTaskId: string, listSuppressedFindings = false) {
  const { findings = [] } = await stack.iot.send(
    new ListAuditFindingsCommand({ taskId: auditTaskId, checkName: REVOKED, listSuppressedFindings }),
  );
  return findings.map((f) => [
    f.nonCompliantResource?.resourceIdentifier?.deviceCertificateId,
    f.isSuppressed,
  ]);
}

beforeAll(async () => {
  stack = await startLocalStack({ preset: 'demo', switchValue: 'enforce', policy: demoPolicy.policy });
  for (const mode of ['enforce', 'enforce', 'enforce', 'dry-run', 'enforce', 'enforce'] as const)
    await day(mode);
}, 120_000);
afterAll(() => stack?.close());

describe('the loop guard on the local stack', () => {
  it('mitigates the re-activated certificate in three enforced audits, each verified fixed, none counting the verifications', async () => {
    for (const round of rounds.slice(0, 3)) {
      expect(round.outcome).toMatchObject({ status: 'SUCCEEDED' });
      expect(round.plan?.auditCheckToActionsMapping[REVOKED]).toContain(
        'device-defender-remediation-DeactivateDeviceCertificate',
      );
      expect(round.plan?.loopGuard).toBeUndefined();
      const task = await stack.iot.send(
        new DescribeAuditMitigationActionsTaskCommand({ taskId: round.plan!.names.mitigationTaskId }),
      );
      expect(task.taskStatus).toBe('COMPLETED');
      expect(task.taskStatistics?.[REVOKED]).toMatchObject({
        failedFindingsCount: 0,
        canceledFindingsCount: 0,
      });
      // The verification audit the execution started found it fixed, and the planner left it alone.
      expect(round.verifications).toHaveLength(1);
      expect(round.verifications[0]?.planned).toMatchObject({ outcome: 'verification-audit' });
      expect(await revokedFindings(round.verifications[0]!.auditTaskId)).toEqual([]);
    }
    // The first audit found both revoked certificates; the next two only the one its owner re-activated.
    expect((await revokedFindings(rounds[0]!.auditTaskId)).length).toBe(2);
    for (const round of rounds.slice(1, 3))
      expect(await revokedFindings(round.auditTaskId)).toEqual([[LOOPING, false]]);
  });

  it('in a dry run, says the certificate would be suppressed and suppresses nothing', async () => {
    const dryRun = rounds[3]!;
    expect(dryRun.plan?.mode.effective).toBe('dry-run');
    expect(dryRun.plan?.decisions.find((d) => d.checkName === REVOKED)).toMatchObject({
      outcome: 'skip',
      reason: 'loop-guard',
    });
    expect(dryRun.plan?.loopGuard).toMatchObject({
      status: 'checked',
      guardedChecks: [REVOKED],
      suppressions: [
        {
          checkName: REVOKED,
          resourceIdentifier: { deviceCertificateId: LOOPING },
          status: 'would-suppress',
          previousAudits: rounds
            .slice(0, 3)
            .map((r) => r.auditTaskId)
            .reverse(),
        },
      ],
    });
    expect(dryRun.report).toContain('would be suppressed (dry run)');
    expect(dryRun.verifications).toEqual([]);
  });

  it('in the next enforced audit, suppresses it for 30 days, leaves its check out of the task and reports it', async () => {
    const enforced = rounds[4]!;
    // The dry run started no task and the verification audits were never remediated: the streak is
    // still the first three audits.
    const previousAudits = rounds
      .slice(0, 3)
      .map((r) => r.auditTaskId)
      .reverse();
    expect(enforced.plan?.loopGuard).toMatchObject({
      status: 'checked',
      suppressions: [{ checkName: REVOKED, status: 'suppressed', previousAudits }],
    });
    expect(enforced.plan?.auditCheckToActionsMapping[REVOKED]).toBeUndefined();
    const task = await stack.iot.send(
      new DescribeAuditMitigationActionsTaskCommand({ taskId: enforced.plan!.names.mitigationTaskId }),
    );
    expect(task.taskStatus).toBe('COMPLETED');
    expect(Object.keys(task.auditCheckToActionsMapping ?? {})).not.toContain(REVOKED);
    expect(Object.keys(task.taskStatistics ?? {})).not.toContain(REVOKED);
    expect(enforced.report).toMatch(
      new RegExp(`- ${REVOKED}: DEVICE_CERTIFICATE deviceCertificateId=${LOOPING} suppressed until `),
    );
    expect(enforced.reportSummary?.loopGuard).toMatchObject({ status: 'checked' });

    const { suppressions = [] } = await stack.iot.send(new ListAuditSuppressionsCommand({}));
    expect(suppressions).toHaveLength(1);
    const [suppression] = suppressions;
    expect(suppression).toMatchObject({
      checkName: REVOKED,
      resourceIdentifier: { deviceCertificateId: LOOPING },
      suppressIndefinitely: false,
      description: expect.stringMatching(/^device-defender-remediation loop guard: /),
    });
    const expiresInDays = (suppression!.expirationDate!.getTime() - startedAt[4]!) / DAY_MS;
    expect(expiresInDays).toBeGreaterThan(29.9);
    expect(expiresInDays).toBeLessThan(30.1);
    // Left as it was: the loop guard's task did not touch it.
    expect(stack.emulator.service.fleet.deviceCertificateStatus(LOOPING)).toBe('ACTIVE');
  });

  it('the audit after the suppression reports the certificate suppressed, and nothing mitigates it', async () => {
    const after = rounds[5]!;
    const audit = await stack.iot.send(new DescribeAuditTaskCommand({ taskId: after.auditTaskId }));
    expect(audit.auditDetails?.[REVOKED]).toMatchObject({
      nonCompliantResourcesCount: 0,
      suppressedNonCompliantResourcesCount: 1,
    });
    expect(await revokedFindings(after.auditTaskId, true)).toEqual([[LOOPING, true]]);
    // The audit that led to the suppression reported before it: its finding stays unsuppressed.
    expect(await revokedFindings(rounds[4]!.auditTaskId)).toEqual([[LOOPING, false]]);
    expect(after.plan?.auditCheckToActionsMapping[REVOKED]).toBeUndefined();
    expect(after.plan?.loopGuard).toBeUndefined();
  });
});
