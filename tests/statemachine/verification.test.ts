// Verification (docs/decisions/verification.md) on the local engine: after an enforced task COMPLETED,
// an on-demand audit of the checks whose actions fix their findings, marked in Parameter Store, and the
// report's before/after per check. Plans come from the real planner (planRemediation) and the default
// policy under enforce, so `verify` and the fixing actions are the policy's, not hand-written.
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditFromDescribeAuditTask } from '#domain/audit';
import { planRemediation, type RemediationPlan } from '#domain/plan';
import { parsePolicy } from '#domain/policy';
import defaultPolicy from '../../config/default-policy.json' with { type: 'json' };
import { localSubstitutions } from '../../statemachine/substitutions.ts';
import {
  CountingParameters,
  deviceCertificate,
  PLAN,
  planAudit,
  REVOKED,
  remediationHarness,
  SHARED,
  START,
} from './support.ts';

type Harness = Awaited<ReturnType<typeof remediationHarness>>;
type Service = Harness['service'];

const MARKERS = localSubstitutions.VerificationMarkerPath;
const DAY = 86_400_000;
/** The fixture audit's revoked certificates (finding-4, finding-5), as the report names them. */
const REVOKED_IDS = [4, 5].map((n) => n.toString(16).padStart(64, '0'));

function policy(extra: Record<string, unknown> = {}) {
  const parsed = parsePolicy({ ...defaultPolicy, mode: 'enforce', ...extra });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.policy;
}

/**
 * The fleet behind the fixture audit's revoked certificates (finding-4 and finding-5: ACTIVE, revoked
 * by their issuer), so the verification audit, which evaluates the fleet, finds them until deactivated.
 */
function revokedCertificatesInFleet(service: Service) {
  for (const certificateId of REVOKED_IDS)
    service.fleet.addDeviceCertificate({
      certificateId,
      status: 'ACTIVE',
      notBeforeMs: START - 90 * DAY,
      notAfterMs: START + 365 * DAY,
      revokedByIssuer: true,
    });
}

/** What the planner plans for an audit the emulator holds, under `enforce` (or dry-run) and `policy`. */
function plannedFor(
  service: Service,
  auditTaskId: string,
  options: { readonly policy?: ReturnType<typeof policy>; readonly effective?: 'enforce' | 'dry-run' } = {},
): RemediationPlan {
  // As the wire carries it: members without a value are absent.
  const answer = Object.fromEntries(
    Object.entries(service.describeAuditTask({ taskId: auditTaskId })).filter(([, v]) => v !== undefined),
  );
  const parsed = auditFromDescribeAuditTask(auditTaskId, answer);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const result = planRemediation(
    parsed.audit,
    options.policy ?? policy(options.effective === 'dry-run' ? { mode: 'dry-run' } : {}),
    { value: 'enforce', lastModified: START - DAY, version: PLAN.mode.switch.version },
    { actionNamePrefix: 'remediation' },
  );
  if (result.kind !== 'plan') throw new Error(`nothing planned: ${result.detail}`);
  return result;
}

/** The on-demand audits started during the test (the fixture audits, declared, are on-demand too). */
function onDemandAudits(service: Service, now: number) {
  const { tasks = [] } = service.listAuditTasks({
    startTime: new Date(START - DAY),
    endTime: new Date(now),
    taskType: 'ON_DEMAND_AUDIT_TASK',
  });
  return tasks.filter((t) => t.taskId !== PLAN.auditTaskId && t.taskId !== 'audit-dry');
}

/** Every state the execution entered, in order. */
function statesEntered(execution: Awaited<ReturnType<Harness['run']>>['execution']) {
  return execution.historyEvents
    .filter((e) => e.type.endsWith('StateEntered'))
    .map((e) => (e.details as { name?: string } | undefined)?.name);
}

let addMetric: { mock: { calls: unknown[][] }; mockRestore(): void };
beforeEach(() => {
  // singleMetric() makes another Metrics: the prototype sees both it and the shared one.
  addMetric = vi.spyOn(Metrics.prototype, 'addMetric');
});
afterEach(() => addMetric.mockRestore());
const metric = (name: string) =>
  addMetric.mock.calls.filter((call) => call[0] === name).map((call) => Number(call[2]));

describe('verification after an enforced task', () => {
  it('audits the fixing checks only, marks the audit, and reports before/after per check', async () => {
    const { clock, service, switchParameter, run } = await remediationHarness();
    service.addAudit(planAudit());
    revokedCertificatesInFleet(service);
    const plan = plannedFor(service, PLAN.auditTaskId);
    // The shared check is mitigated by publishing and quarantine only: not verified.
    expect(Object.keys(plan.auditCheckToActionsMapping)).toEqual([SHARED, REVOKED]);
    expect(plan.verification).toEqual({ checks: [REVOKED] });

    const { outcome, summary, message, execution } = await run(plan);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(summary.outcome.name).toBe('Completed');
    const audits = onDemandAudits(service, clock.now());
    expect(audits).toHaveLength(1);
    const auditTaskId = audits[0]!.taskId!;
    expect(service.describeAuditTask({ taskId: auditTaskId })).toMatchObject({
      taskStatus: 'COMPLETED',
      auditDetails: { [REVOKED]: { nonCompliantResourcesCount: 0 } },
    });
    expect(Object.keys(service.describeAuditTask({ taskId: auditTaskId }).auditDetails ?? {})).toEqual([
      REVOKED,
    ]);
    // Both markers name the execution: the starting one and the audit's own.
    expect(switchParameter.values.get(`${MARKERS}/_starting`)).toBe(plan.names.executionName);
    expect(switchParameter.values.get(`${MARKERS}/${auditTaskId}`)).toBe(plan.names.executionName);
    expect(summary.verification).toEqual({
      status: 'completed',
      auditTaskId,
      cause: expect.stringMatching(
        new RegExp(`^Verification audit ${auditTaskId} COMPLETED after \\d+ polls`),
      ),
      checks: [
        {
          checkName: REVOKED,
          before: 2,
          after: 0,
          improved: true,
          unfixed: { count: 0, resources: [], complete: true },
        },
      ],
      notImproved: [],
    });
    expect(message).toContain(`Verification (audit ${auditTaskId}): every verified check improved.`);
    expect(message).toContain(`- ${REVOKED}: 2 non-compliant before, 0 after`);
    expect(statesEntered(execution)).not.toContain('CancelUnmarkedVerification');
    expect(metric('ChecksNotImproved')).toEqual([0]);
  });

  it('names a check that did not improve and its unfixed resources by identifier, and counts it', async () => {
    const { service, run } = await remediationHarness();
    service.addAudit(planAudit());
    revokedCertificatesInFleet(service);
    // Every action "completes" and changes nothing: the verification audit finds the same certificates.
    service.setActionExecutor(() => ({ status: 'COMPLETED' }));
    const { outcome, summary, message } = await run(plannedFor(service, PLAN.auditTaskId));

    expect(outcome.status).toBe('SUCCEEDED');
    expect(summary.outcome.name).toBe('Completed');
    const resources = REVOKED_IDS.map((id) => `DEVICE_CERTIFICATE deviceCertificateId=${id}`);
    expect(summary.verification).toMatchObject({
      status: 'completed',
      checks: [
        {
          checkName: REVOKED,
          before: 2,
          after: 2,
          improved: false,
          unfixed: { count: 2, resources, complete: true },
        },
      ],
      notImproved: [REVOKED],
    });
    expect(message).toContain(`1 check NOT IMPROVED: ${REVOKED}.`);
    expect(message).toContain(`- ${REVOKED}: 2 non-compliant before, 2 after, NOT IMPROVED`);
    expect(message).toContain('2 resources the mitigation targeted still non-compliant:');
    for (const resource of resources) expect(message).toContain(`      ${resource}`);
    expect(metric('ChecksNotImproved')).toEqual([1]);
    expect(metric('VerificationsSkipped')).toEqual([]);
  });

  it('compares by resource identifier: a new non-compliant resource is not one the mitigation missed', async () => {
    const { clock, service, run } = await remediationHarness();
    service.addAudit(planAudit());
    revokedCertificatesInFleet(service);
    // Certificate 4 is fixed by the task; 9 (never in the remediated audit) turns up meanwhile.
    service.setActionExecutor((r) => {
      const id = r.finding.nonCompliantResource.resourceIdentifier.deviceCertificateId!;
      if (r.action.actionType === 'UPDATE_DEVICE_CERTIFICATE' && id === REVOKED_IDS[0])
        service.fleet.setDeviceCertificateStatus(id, 'INACTIVE');
      return { status: 'COMPLETED' };
    });
    service.fleet.addDeviceCertificate({
      certificateId: (9).toString(16).padStart(64, '0'),
      status: 'ACTIVE',
      notBeforeMs: clock.now() - DAY,
      notAfterMs: clock.now() + DAY * 365,
      revokedByIssuer: true,
    });
    const { summary } = await run(plannedFor(service, PLAN.auditTaskId));

    expect(summary.verification?.checks).toEqual([
      {
        checkName: REVOKED,
        before: 2,
        after: 2,
        improved: false,
        unfixed: {
          count: 1,
          resources: [`DEVICE_CERTIFICATE deviceCertificateId=${REVOKED_IDS[1]}`],
          complete: true,
        },
      },
    ]);
  });
});

describe('no verification', () => {
  it('on a dry run, even when the plan names checks to verify', async () => {
    const { clock, service, run } = await remediationHarness();
    service.addAudit(planAudit('audit-dry'));
    revokedCertificatesInFleet(service);
    const plan = plannedFor(service, 'audit-dry', { effective: 'dry-run' });
    expect(plan.mode.effective).toBe('dry-run');
    const { outcome, summary } = await run({ ...plan, verification: { checks: [REVOKED] } });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(summary.outcome.name).toBe('DryRun');
    expect(onDemandAudits(service, clock.now())).toEqual([]);
    expect(summary.verification).toBeUndefined();
  });

  it('for a plan whose checks are mitigated by publishing and quarantine only', async () => {
    const { clock, service, switchParameter, run } = await remediationHarness();
    service.addAudit({ ...planAudit(), checks: { [SHARED]: planAudit().checks[SHARED] } });
    const plan = plannedFor(service, PLAN.auditTaskId);
    expect(plan.auditCheckToActionsMapping).toEqual({
      [SHARED]: ['remediation-PublishFinding', 'remediation-QuarantineDevice'],
    });
    expect(plan.verification).toBeUndefined();
    const { outcome, summary } = await run(plan);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(summary.task?.status).toBe('COMPLETED');
    expect(onDemandAudits(service, clock.now())).toEqual([]);
    expect([...switchParameter.values.keys()].filter((k) => k.startsWith(MARKERS))).toEqual([]);
    expect(summary.verification).toBeUndefined();
  });

  it('when the policy says verify: false', async () => {
    const { clock, service, run } = await remediationHarness();
    service.addAudit(planAudit());
    revokedCertificatesInFleet(service);
    const plan = plannedFor(service, PLAN.auditTaskId, { policy: policy({ verify: false }) });
    expect(plan.auditCheckToActionsMapping[REVOKED]).toContain('remediation-DeactivateDeviceCertificate');
    expect(plan.verification).toBeUndefined();
    const { outcome, summary } = await run(plan);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(onDemandAudits(service, clock.now())).toEqual([]);
    expect(summary.verification).toBeUndefined();
    expect(metric('ChecksNotImproved')).toEqual([]);
  });

  it('when the task did not complete (FAILED): nothing to verify', async () => {
    const { clock, service, run } = await remediationHarness();
    const failure = { errorCode: 'INVALID_STATE_OF_RESOURCE' as const, message: 'revoked' };
    service.addAudit({
      ...planAudit(),
      checks: { [REVOKED]: { totalResourcesCount: 1200, findings: [deviceCertificate(4, { failure })] } },
    });
    const { outcome, summary } = await run(plannedFor(service, PLAN.auditTaskId));

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'TaskFailed' });
    expect(onDemandAudits(service, clock.now())).toEqual([]);
    expect(summary.verification).toBeUndefined();
  });
});

/** Parameter Store refusing every verification marker but the starting one. */
function refusingAuditMarkers(store: CountingParameters) {
  return Object.assign(store, {
    set(name: string, value: string) {
      if (name.startsWith(`${MARKERS}/`) && !name.endsWith('/_starting'))
        throw Object.assign(new Error('not authorized to perform ssm:PutParameter'), {
          name: 'Ssm.SsmException',
        });
      CountingParameters.prototype.set.call(store, name, value);
    },
  });
}

describe('a verification that cannot run never fails the remediation', () => {
  /** Ten operators' on-demand audits in progress for `runMs`: the account's limit. */
  function occupyAuditCapacity(service: Service, runMs: number) {
    service.setAuditProgress({ durationMs: runMs });
    for (let i = 0; i < 10; i++) service.startOnDemandAuditTask({ targetCheckNames: [SHARED] });
    service.setAuditProgress({ durationMs: 60_000 });
    expect(() => service.startOnDemandAuditTask({ targetCheckNames: [SHARED] })).toThrow(
      expect.objectContaining({ name: 'LimitExceededException' }),
    );
  }

  it('is skipped after the bounded wait while 10 on-demand audits are in progress; the remediation SUCCEEDED', async () => {
    const { clock, service, run } = await remediationHarness({
      substitutions: { CapacityWaitSeconds: '600' },
    });
    service.addAudit(planAudit());
    revokedCertificatesInFleet(service);
    occupyAuditCapacity(service, 7 * DAY);
    const { outcome, summary, message, execution } = await run(plannedFor(service, PLAN.auditTaskId));

    expect(outcome.status).toBe('SUCCEEDED');
    expect(summary.outcome).toMatchObject({ name: 'Completed', succeeded: true });
    // 30 + 60 + 120 + 240 + 300 s: the wait stops at the first total at or above CapacityWaitSeconds.
    expect(summary.verification).toEqual({
      status: 'skipped',
      cause: `10 on-demand audits were still in progress after 750 seconds of waiting (5 waits), so the verification audit of ["${REVOKED}"] was not started. The remediation itself completed.`,
      checks: [],
      notImproved: [],
    });
    expect(message).toContain('Verification skipped: 10 on-demand audits were still in progress');
    expect(onDemandAudits(service, clock.now())).toHaveLength(10);
    expect(statesEntered(execution).filter((s) => s === 'StartVerificationAudit')).toHaveLength(6);
    expect(metric('VerificationsSkipped')).toEqual([1]);
    expect(metric('ChecksNotImproved')).toEqual([]);
  });

  it('runs once an audit ends within the wait', async () => {
    const { clock, service, run } = await remediationHarness();
    service.addAudit(planAudit());
    revokedCertificatesInFleet(service);
    occupyAuditCapacity(service, 5 * 60_000);
    const { outcome, summary } = await run(plannedFor(service, PLAN.auditTaskId));

    expect(outcome.status).toBe('SUCCEEDED');
    expect(summary.verification).toMatchObject({ status: 'completed', notImproved: [] });
    expect(onDemandAudits(service, clock.now())).toHaveLength(11);
  });

  it('cancels the audit when its marker cannot be written, and says so', async () => {
    const { clock, service, run } = await remediationHarness({ parameters: refusingAuditMarkers });
    service.addAudit(planAudit());
    revokedCertificatesInFleet(service);
    const { outcome, summary, execution } = await run(plannedFor(service, PLAN.auditTaskId));

    expect(outcome.status).toBe('SUCCEEDED');
    expect(summary.outcome.name).toBe('Completed');
    const audits = onDemandAudits(service, clock.now());
    expect(audits).toHaveLength(1);
    expect(audits[0]?.taskStatus).toBe('CANCELED');
    expect(statesEntered(execution)).toContain('CancelUnmarkedVerification');
    expect(summary.verification).toMatchObject({
      status: 'skipped',
      auditTaskId: audits[0]?.taskId,
      cause: expect.stringContaining(
        `The verification could not be recorded in Parameter Store (${MARKERS}) with Ssm.SsmException`,
      ),
    });
  });

  it('says how to keep an audit it could neither mark nor cancel from being remediated', async () => {
    const { clock, service, run } = await remediationHarness({ parameters: refusingAuditMarkers });
    service.addAudit(planAudit());
    revokedCertificatesInFleet(service);
    // The audit has ended by the time the cancel comes: CancelAuditTask refuses it.
    service.setAuditProgress({ durationMs: 0 });
    const { outcome, summary, execution } = await run(plannedFor(service, PLAN.auditTaskId));

    expect(outcome.status).toBe('SUCCEEDED');
    const [audit] = onDemandAudits(service, clock.now());
    expect(audit?.taskStatus).toBe('COMPLETED');
    expect(statesEntered(execution)).toContain('VerificationNotMarkedNorCanceled');
    expect(summary.verification).toMatchObject({ status: 'skipped', auditTaskId: audit?.taskId });
    expect(summary.verification?.cause).toBe(
      `Verification audit ${audit?.taskId} could not be recorded in Parameter Store (${MARKERS}) with Ssm.SsmException, nor canceled with Iot.InvalidRequestException: once it completes, the stack may take it for an operator audit and remediate it. Cancel it if it still runs (aws iot cancel-audit-task --task-id ${audit?.taskId}) or create the parameter ${MARKERS}/${audit?.taskId}. The remediation itself completed.`,
    );
  });

  it('is skipped without starting anything when the starting marker cannot be written', async () => {
    const { clock, service, run } = await remediationHarness({
      parameters: (store) =>
        Object.assign(store, {
          set(name: string, value: string) {
            if (name.startsWith(`${MARKERS}/`))
              throw Object.assign(new Error('throttled'), { name: 'Ssm.SsmException' });
            CountingParameters.prototype.set.call(store, name, value);
          },
        }),
    });
    service.addAudit(planAudit());
    revokedCertificatesInFleet(service);
    const { outcome, summary, execution } = await run(plannedFor(service, PLAN.auditTaskId));

    expect(outcome.status).toBe('SUCCEEDED');
    expect(onDemandAudits(service, clock.now())).toEqual([]);
    expect(statesEntered(execution)).not.toContain('StartVerificationAudit');
    expect(summary.verification).toMatchObject({ status: 'skipped' });
  });

  it('is skipped, naming the error, when AWS IoT refuses the audit (a check not enabled)', async () => {
    const { service, run } = await remediationHarness();
    service.addAudit(planAudit());
    revokedCertificatesInFleet(service);
    const plan = plannedFor(service, PLAN.auditTaskId);
    const { outcome, summary } = await run({ ...plan, verification: { checks: ['NO_SUCH_CHECK'] } });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(summary.verification).toMatchObject({
      status: 'skipped',
      cause: expect.stringContaining('with Iot.InvalidRequestException'),
    });
  });
});
