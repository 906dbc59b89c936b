/**
 * The state machine believes its own name (issue #15 item 3): the task id and client token are the
 * execution's name, and before any start it refuses (PlanRefused, reported, nothing started) a plan that
 * is not the one the name stands for: another audit, another mode, other names, or a mitigation action
 * that is not one of the stack's. Anyone with states:StartExecution on it may start an execution by hand
 * with any input; only the stack's functions have that permission (README, "The remediation state machine").
 */
import { describe, expect, it } from 'vitest';
import type { RemediationPlan } from '#domain/plan';
import {
  mitigationTasks,
  PLAN,
  planAudit,
  planFor,
  REVOKED,
  remediationHarness,
  SHARED,
  STACK_ACTION_NAMES,
} from './support.ts';

type Harness = Awaited<ReturnType<typeof remediationHarness>>;
type Run = Awaited<ReturnType<Harness['run']>>;

const ROLE_ARN = 'arn:aws:iam::123456789012:role/device-defender-mitigation';

/** Refused before any start: no IoT call, no task, one report whose outcome is PlanRefused. */
function expectRefused(harness: Harness, result: Run, cause: string) {
  expect(result.outcome).toMatchObject({ status: 'FAILED', error: 'PlanRefused' });
  expect(result.outcome.cause).toContain(cause);
  expect(harness.proxy.calls).toEqual({ start: 0, describe: 0, cancel: 0 });
  expect(harness.switchParameter.reads).toBe(0);
  expect(mitigationTasks(harness.service, harness.clock.now())).toEqual({});
  expect(result.published).toHaveLength(1);
  expect(result.published[0]?.messageAttributes).toMatchObject({
    outcome: { DataType: 'String', StringValue: 'PlanRefused' },
  });
}

/** A plan whose names are all `name`, as a hand-made plan would be written to pass for its execution. */
function named(plan: RemediationPlan, name: string): RemediationPlan {
  return { ...plan, names: { executionName: name, mitigationTaskId: name, clientRequestToken: name } };
}

describe('an execution started by hand', () => {
  it('with a mitigation action that is not one of the stack deployed ones is refused, though AWS IoT has it', async () => {
    const harness = await remediationHarness();
    harness.service.addAudit(planAudit());
    // Anyone who may create mitigation actions can give one the stack's prefix.
    harness.service.createMitigationAction({
      actionName: 'remediation-Evil',
      roleArn: ROLE_ARN,
      actionParams: { addThingsToThingGroupParams: { thingGroupNames: ['attacker'] } },
    });
    const plan: RemediationPlan = {
      ...PLAN,
      auditCheckToActionsMapping: {
        [SHARED]: PLAN.auditCheckToActionsMapping[SHARED]!,
        [REVOKED]: ['remediation-PublishFinding', 'remediation-Evil'],
      },
    };
    const result = await harness.run(plan);

    expectRefused(
      harness,
      result,
      `Mitigation action "remediation-Evil" of the plan of execution ${PLAN.names.executionName} is not one of the stack deployed actions (${STACK_ACTION_NAMES})`,
    );
  });

  it('for another audit than its name carries is refused', async () => {
    const harness = await remediationHarness();
    harness.service.addAudit(planAudit());
    harness.service.addAudit(planAudit('other-audit'));
    // The plan (names included) is other-audit's; the execution is named after the fixture's audit.
    const result = await harness.run(planFor('other-audit'), PLAN.names.executionName);

    expectRefused(
      harness,
      result,
      `The name of execution ${PLAN.names.executionName} does not carry the audit its plan targets (other-audit): it would be enf-other-audit or dry-other-audit`,
    );
  });

  it('whose plan targets another audit than the one it is for is refused', async () => {
    const harness = await remediationHarness();
    harness.service.addAudit(planAudit());
    harness.service.addAudit(planAudit('other-audit'));
    const plan: RemediationPlan = { ...PLAN, target: { ...PLAN.target, auditTaskId: 'other-audit' } };
    const result = await harness.run(plan);

    expectRefused(
      harness,
      result,
      `The plan of execution ${PLAN.names.executionName} is for audit ${PLAN.auditTaskId} but targets audit other-audit`,
    );
  });

  it('whose plan names another task id than the execution is refused', async () => {
    const harness = await remediationHarness();
    harness.service.addAudit(planAudit());
    const plan: RemediationPlan = { ...PLAN, names: { ...PLAN.names, mitigationTaskId: 'enf-someone-else' } };
    const result = await harness.run(plan);

    expectRefused(
      harness,
      result,
      `The names of the plan (execution ${PLAN.names.executionName}, task enf-someone-else, token ${PLAN.names.clientRequestToken}) are not the name of execution ${PLAN.names.executionName}`,
    );
  });

  it.each([
    { what: 'an enf- execution whose plan says dry-run', mode: 'dry-run' as const, prefix: 'enf' },
    { what: 'a dry- execution whose plan says enforce', mode: 'enforce' as const, prefix: 'dry' },
  ])('as $what is refused', async ({ mode, prefix }) => {
    const harness = await remediationHarness();
    harness.service.addAudit(planAudit('audit-mode'));
    const name = `${prefix}-audit-mode`;
    const result = await harness.run(named(planFor('audit-mode', mode), name), name);

    expectRefused(
      harness,
      result,
      `The name of execution ${name} and the mode of its plan (${mode}) disagree: an enf- name needs a plan that says enforce, a dry- name one that says dry-run`,
    );
  });

  it("as another re-run than its plan's is refused", async () => {
    const harness = await remediationHarness();
    harness.service.addAudit(planAudit());
    const plan = named({ ...PLAN, rerun: 2 }, `enf-${PLAN.auditTaskId}-r3`);
    const result = await harness.run(plan);

    expectRefused(harness, result, `it would be enf-${PLAN.auditTaskId}-r2 or dry-${PLAN.auditTaskId}-r2`);
  });

  it.each([
    { what: 'an empty object', input: {} },
    { what: 'a plan without names', input: { ...PLAN, names: undefined } },
    {
      what: 'a plan whose switch version is text',
      input: { ...PLAN, mode: { ...PLAN.mode, switch: { ...PLAN.mode.switch, version: '2' } } },
    },
    {
      what: 'a plan without a mapping of actions',
      input: { ...PLAN, auditCheckToActionsMapping: undefined },
    },
  ])('with $what as input is refused and reported', async ({ input }) => {
    const harness = await remediationHarness();
    harness.service.addAudit(planAudit());
    const result = await harness.runInput(JSON.parse(JSON.stringify(input)), PLAN.names.executionName);

    expectRefused(
      harness,
      result,
      `The input of execution ${PLAN.names.executionName} is not a remediation plan as the planner makes it`,
    );
  });
});

describe('a plan that is the one its name stands for', () => {
  it('still runs: the task is named after the execution, its token too', async () => {
    const harness = await remediationHarness();
    harness.service.addAudit(planAudit());
    const { outcome } = await harness.run(PLAN);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(mitigationTasks(harness.service, harness.clock.now())).toEqual({
      [PLAN.names.executionName]: 'COMPLETED',
    });
  });

  it("still runs as an operator's re-run, named <mode>-<audit>-r<n>", async () => {
    const harness = await remediationHarness();
    harness.service.addAudit(planAudit());
    const name = `enf-${PLAN.auditTaskId}-r2`;
    const { outcome } = await harness.run(named({ ...PLAN, rerun: 2 }, name));

    expect(outcome.status).toBe('SUCCEEDED');
    expect(mitigationTasks(harness.service, harness.clock.now())).toEqual({ [name]: 'COMPLETED' });
  });

  it('still runs with every one of the stack actions, each check checked', async () => {
    const harness = await remediationHarness();
    harness.service.addAudit(planAudit());
    const plan: RemediationPlan = {
      ...PLAN,
      auditCheckToActionsMapping: {
        [SHARED]: ['remediation-PublishFinding', 'remediation-QuarantineDevice'],
        [REVOKED]: ['remediation-DeactivateDeviceCertificate', 'remediation-PublishFinding'],
      },
    };
    const { outcome, execution } = await harness.run(plan);

    expect(outcome.status).toBe('SUCCEEDED');
    // Three distinct actions, each one Pass and one Choice: the check's cost does not grow with the checks.
    expect(execution.history.byType.PassStateEntered).toBeLessThan(20);
  });
});
