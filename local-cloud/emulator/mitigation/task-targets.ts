/**
 * What a StartAuditMitigationActionsTask works on: its target (the findings of one audit, optionally
 * filtered by reason code, or a list of findings;
 * https://docs.aws.amazon.com/iot/latest/apireference/API_AuditMitigationActionsTaskTarget.html) and
 * its actions mapping, turned into per-check work. Suppressed findings are left out, and each action
 * must be of a type its check accepts (facts/audit-checks.ts).
 */
import type * as iot from '@aws-sdk/client-iot';
import type { Clock } from '../../clock.ts';
import { auditStatus, reportedAt } from '../audits/audit.ts';
import type { AuditFindings } from '../audits/audit-findings.ts';
import type { AuditTasks } from '../audits/audit-tasks.ts';
import { sameResource } from '../audits/findings.ts';
import type { Suppressions } from '../audits/suppressions.ts';
import { invalidRequest } from '../errors.ts';
import { auditCheck } from '../facts/audit-checks.ts';
import type { MitigationActionRecord } from './executor.ts';
import type { MitigationActions } from './mitigation-actions.ts';
import type { CheckWork } from './mitigation-task.ts';
import { type FindingSelection, listedFindings, selectFindings } from './selection.ts';

export interface TargetSources {
  readonly clock: Clock;
  readonly actions: MitigationActions;
  readonly audits: AuditTasks;
  readonly findings: AuditFindings;
  readonly suppressions: Suppressions;
}

/** The target rules and the actions mapping, turned into per-check work. */
export function plannedWork(
  target: iot.AuditMitigationActionsTaskTarget,
  mapping: Record<string, string[]>,
  sources: TargetSources,
): CheckWork[] {
  const filter = target.auditCheckToReasonCodeFilter;
  const byAudit = target.auditTaskId !== undefined && target.findingIds === undefined;
  const byFindings =
    target.findingIds !== undefined && target.auditTaskId === undefined && filter === undefined;
  if (!byAudit && !byFindings) {
    throw invalidRequest(
      'The target needs auditTaskId (optionally with auditCheckToReasonCodeFilter) or findingIds',
    );
  }
  const actionsByCheck = Object.entries(mapping).map(([checkName, names]) => ({
    checkName,
    actions: actionsForCheck(checkName, names, sources.actions),
  }));
  for (const [checkName, reasonCodes] of Object.entries(filter ?? {})) {
    if (!(checkName in mapping))
      throw invalidRequest(`The reason-code filter names ${checkName}, which has no actions`);
    assertReasonCodesOf(checkName, reasonCodes);
  }
  if (byAudit) return auditWork(target.auditTaskId!, actionsByCheck, filter, sources);

  const { findings, suppressions } = sources;
  const located = target.findingIds!.map((id) => {
    const location = findings.locate(id);
    if (!location) throw invalidRequest(`Finding ${id} does not exist`);
    return location;
  });
  return actionsByCheck.map(({ checkName, actions }) => {
    const ofCheck = located.filter(({ finding }) => finding.checkName === checkName);
    // A finding suppressed when its audit reported is skipped; one suppressed only later is not.
    const selected: FindingSelection = listedFindings(
      ofCheck
        .filter(({ audit, finding }) => !suppressions.hides(finding, reportedAt(audit)))
        .map(({ finding }) => finding),
    );
    return { checkName, actions, selected, skippedFindingsCount: ofCheck.length - selected.count };
  });
}

/** Every finding of a completed audit's mapped checks, but those filtered out or suppressed when it reported. */
function auditWork(
  auditTaskId: string,
  actionsByCheck: readonly { checkName: string; actions: MitigationActionRecord[] }[],
  filter: Record<string, string[]> | undefined,
  { clock, audits, suppressions }: TargetSources,
): CheckWork[] {
  const audit = audits.get(auditTaskId);
  if (!audit) throw invalidRequest(`Audit task ${auditTaskId} does not exist`);
  const status = auditStatus(audit, clock.now());
  if (status !== 'COMPLETED') throw invalidRequest(`Audit task ${audit.taskId} is ${status}`);
  return actionsByCheck.map(({ checkName, actions }) => {
    const source = audit.checks.find((c) => c.checkName === checkName)?.findings;
    if (!source) return { checkName, actions, selected: listedFindings([]), skippedFindingsCount: 0 };
    const reasonCodes = filter?.[checkName];
    const active = suppressions.inForceAt(checkName, reportedAt(audit));
    const selected =
      reasonCodes === undefined && active.length === 0
        ? selectFindings(source)
        : selectFindings(
            source,
            (f) =>
              (reasonCodes === undefined || reasonCodes.includes(f.reasonForNonComplianceCode)) &&
              !active.some((s) =>
                sameResource(s.resourceIdentifier, f.nonCompliantResource.resourceIdentifier),
              ),
          );
    return { checkName, actions, selected, skippedFindingsCount: source.count - selected.count };
  });
}

/**
 * "Only certain types of mitigation actions can be applied to specific check names"
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_CreateMitigationAction.html).
 */
function actionsForCheck(
  checkName: string,
  names: readonly string[],
  actions: MitigationActions,
): MitigationActionRecord[] {
  const check = auditCheck(checkName);
  if (!check) throw invalidRequest(`Unknown audit check ${checkName}`);
  return names.map((name) => {
    const action = actions.get(name);
    if (!action) throw invalidRequest(`Mitigation action ${name} does not exist`);
    if (!check.actionTypes.includes(action.actionType)) {
      throw invalidRequest(`${checkName} does not support ${action.actionType} (action ${name})`);
    }
    return action;
  });
}

/**
 * A reason-code filter may only name codes the check reports (facts/audit-checks.ts; whether AWS
 * refuses other codes is unknown, docs/aws-facts/iot-api.md).
 */
function assertReasonCodesOf(checkName: string, reasonCodes: readonly string[]): void {
  const known = auditCheck(checkName)?.reasonCodes ?? [];
  const unknown = reasonCodes.filter((code) => !known.includes(code));
  if (unknown.length > 0) {
    throw invalidRequest(
      `${checkName} has no reason code ${unknown.join(', ')}; its reason codes are ${known.join(', ')}`,
    );
  }
}
