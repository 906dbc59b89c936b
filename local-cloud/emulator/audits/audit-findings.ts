/**
 * Audit findings: ListAuditFindings and DescribeAuditFinding over every audit whose results show,
 * and the lookup of a finding by id that mitigation tasks targeting `findingIds` use.
 */
import type * as iot from '@aws-sdk/client-iot';
import type { Clock } from '../../clock.ts';
import { invalidRequest, notFound } from '../errors.ts';
import { inWindow } from '../list-window.ts';
import { DEFAULT_PAGE_SIZE, decodeToken, encodeToken } from '../pagination.ts';
import { type Audit, reportedAt, resultsVisible } from './audit.ts';
import type { AuditTasks } from './audit-tasks.ts';
import { type StoredFinding, sameResource } from './findings.ts';
import type { Suppressions } from './suppressions.ts';

export interface FindingLocation {
  readonly audit: Audit;
  readonly finding: StoredFinding;
}

export class AuditFindings {
  readonly #clock: Clock;
  readonly #audits: AuditTasks;
  readonly #suppressions: Suppressions;

  constructor(clock: Clock, audits: AuditTasks, suppressions: Suppressions) {
    this.#clock = clock;
    this.#audits = audits;
    this.#suppressions = suppressions;
  }

  /** Walks audits, checks and finding indices from the token's position; nothing is materialised. */
  list(input: iot.ListAuditFindingsRequest): iot.ListAuditFindingsResponse {
    const byTask = input.taskId !== undefined;
    const byWindow = input.startTime !== undefined || input.endTime !== undefined;
    if (byTask === byWindow || (byWindow && (input.startTime === undefined || input.endTime === undefined))) {
      throw invalidRequest('Specify either taskId or both startTime and endTime');
    }
    const now = this.#clock.now();
    const audits = (
      byTask
        ? [this.#audits.get(input.taskId!)].filter((a) => a !== undefined)
        : this.#audits.all().sort((a, b) => a.taskStartTime - b.taskStartTime)
    ).filter((a) => resultsVisible(a, now));
    const wanted = (audit: Audit, finding: StoredFinding): boolean =>
      (input.resourceIdentifier === undefined ||
        sameResource(input.resourceIdentifier, finding.nonCompliantResource.resourceIdentifier)) &&
      (byTask || inWindow(finding.findingTime ?? audit.taskStartTime, input.startTime!, input.endTime!)) &&
      (input.listSuppressedFindings === true || !this.#suppressions.hides(finding, reportedAt(audit)));

    const pageSize = input.maxResults ?? DEFAULT_PAGE_SIZE;
    const findings: iot.AuditFinding[] = [];
    let [a = 0, c = 0, i = 0] = decodeToken(input.nextToken, 3);
    for (; a < audits.length; a++, c = 0, i = 0) {
      const audit = audits[a]!;
      for (; c < audit.checks.length; c++, i = 0) {
        const check = audit.checks[c]!;
        if (input.checkName !== undefined && check.checkName !== input.checkName) continue;
        for (; i < check.findings.count; i++) {
          const finding = check.findings.at(i);
          if (!wanted(audit, finding)) continue;
          // A full page stops at the next match, so the last page never comes back empty.
          if (findings.length === pageSize) return { findings, nextToken: encodeToken([a, c, i]) };
          findings.push(this.#auditFinding(audit, finding));
        }
      }
    }
    return { findings };
  }

  describe(input: iot.DescribeAuditFindingRequest): iot.DescribeAuditFindingResponse {
    const location = this.locate(input.findingId!);
    if (!location) throw notFound(`Audit finding ${input.findingId} does not exist`);
    return { finding: this.#auditFinding(location.audit, location.finding) };
  }

  /** The finding with this id in an audit whose results show. */
  locate(findingId: string): FindingLocation | undefined {
    const now = this.#clock.now();
    for (const audit of this.#audits.all()) {
      if (!resultsVisible(audit, now)) continue;
      for (const check of audit.checks) {
        const index = check.findings.indexOf(findingId);
        if (index !== undefined) return { audit, finding: check.findings.at(index) };
      }
    }
    return undefined;
  }

  #auditFinding(audit: Audit, finding: StoredFinding): iot.AuditFinding {
    return {
      findingId: finding.findingId,
      taskId: audit.taskId,
      checkName: finding.checkName,
      taskStartTime: new Date(audit.taskStartTime),
      findingTime: new Date(finding.findingTime ?? audit.taskStartTime),
      severity: finding.severity,
      nonCompliantResource: finding.nonCompliantResource,
      relatedResources: finding.relatedResources as iot.RelatedResource[] | undefined,
      reasonForNonCompliance: finding.reasonForNonCompliance,
      reasonForNonComplianceCode: finding.reasonForNonComplianceCode,
      isSuppressed: this.#suppressions.hides(finding, reportedAt(audit)),
    };
  }
}
