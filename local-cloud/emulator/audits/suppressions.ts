/**
 * Audit finding suppressions: Create, List, Describe and DeleteAuditSuppression, and which findings
 * they hide. A suppressed finding is counted apart in its audit, listed only on request, and left out
 * of mitigation tasks ("Mitigation actions won't be performed on suppressed audit findings":
 * https://docs.aws.amazon.com/iot-device-defender/latest/devguide/dd-mitigation-actions.html).
 *
 * Whether a finding is suppressed is decided when its audit reports: `isSuppressed` "Indicates whether
 * the audit finding was suppressed or not during reporting"
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_AuditFinding.html). So a suppression hides
 * the findings of audits that report while it is in force (created before the audit's end, not yet
 * expired nor deleted), never those of an audit that had already reported, and an audit's
 * suppressed findings stay suppressed after the suppression expires or is deleted. What AWS does with
 * a suppression created after an audit reported is not documented: docs/aws-facts/audit-suppressions.md.
 */
import type * as iot from '@aws-sdk/client-iot';
import type { Clock } from '../../clock.ts';
import { invalidRequest, notFound, ServiceError } from '../errors.ts';
import { isAuditCheck } from '../facts/audit-checks.ts';
import { pageOf } from '../pagination.ts';
import { type CheckFindings, type StoredFinding, sameResource } from './findings.ts';

export interface Suppression {
  readonly checkName: string;
  readonly resourceIdentifier: iot.ResourceIdentifier;
  readonly expirationDate?: Date | undefined;
  readonly suppressIndefinitely?: boolean | undefined;
  readonly description?: string | undefined;
}

/** A suppression and its life: when it was created and, once deleted, when (kept for older audits). */
interface SuppressionRecord {
  readonly suppression: Suppression;
  readonly createdAtMs: number;
  deletedAtMs?: number;
}

export class Suppressions {
  readonly #clock: Clock;
  /** Every suppression ever created, deleted ones included, in creation order. */
  readonly #records: SuppressionRecord[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  create(input: iot.CreateAuditSuppressionRequest): iot.CreateAuditSuppressionResponse {
    const checkName = input.checkName!;
    if (!isAuditCheck(checkName)) throw invalidRequest(`Unknown audit check ${checkName}`);
    const now = this.#clock.now();
    if (input.expirationDate && input.expirationDate.getTime() <= now) {
      throw invalidRequest('The expirationDate must be in the future');
    }
    if (this.#current(checkName, input.resourceIdentifier!)) {
      throw new ServiceError(
        'ResourceAlreadyExistsException',
        'A suppression for this check and resource exists',
      );
    }
    this.#records.push({
      suppression: {
        checkName,
        resourceIdentifier: input.resourceIdentifier!,
        expirationDate: input.expirationDate,
        suppressIndefinitely: input.suppressIndefinitely,
        description: input.description,
      },
      createdAtMs: now,
    });
    return {};
  }

  list(input: iot.ListAuditSuppressionsRequest): iot.ListAuditSuppressionsResponse {
    const expiry = (s: Suppression) => s.expirationDate?.getTime() ?? Number.POSITIVE_INFINITY;
    const matching = this.#existing()
      .filter((s) => input.checkName === undefined || s.checkName === input.checkName)
      .filter(
        (s) => !input.resourceIdentifier || sameResource(input.resourceIdentifier, s.resourceIdentifier),
      )
      // The service orders by expiration date, descending unless `ascendingOrder`.
      .sort((x, y) => (input.ascendingOrder ? expiry(x) - expiry(y) : expiry(y) - expiry(x)) || 0);
    const { page, nextToken } = pageOf(matching, input);
    return { suppressions: page, nextToken };
  }

  describe(input: iot.DescribeAuditSuppressionRequest): iot.DescribeAuditSuppressionResponse {
    const record = this.#current(input.checkName!, input.resourceIdentifier!);
    if (!record) throw notFound(`No suppression for ${input.checkName} and this resource`);
    return record.suppression;
  }

  delete(input: iot.DeleteAuditSuppressionRequest): iot.DeleteAuditSuppressionResponse {
    const record = this.#current(input.checkName!, input.resourceIdentifier!);
    if (record) record.deletedAtMs = this.#clock.now();
    return {};
  }

  /**
   * The check's suppressions in force when an audit reports at `atMs`: created before, neither deleted
   * before nor expired. What happens at the very instant of the report happens after it: on the local
   * stack's virtual clock the planner acts on a report at the instant the audit ends.
   */
  inForceAt(checkName: string, atMs: number): Suppression[] {
    return this.#records
      .filter(
        ({ suppression: s, createdAtMs, deletedAtMs }) =>
          s.checkName === checkName &&
          createdAtMs < atMs &&
          (deletedAtMs === undefined || deletedAtMs >= atMs) &&
          (s.suppressIndefinitely === true ||
            s.expirationDate === undefined ||
            s.expirationDate.getTime() > atMs),
      )
      .map((record) => record.suppression);
  }

  /** Whether the finding was suppressed when its audit reported, at `reportedAtMs`. */
  hides(finding: StoredFinding, reportedAtMs: number): boolean {
    return this.inForceAt(finding.checkName, reportedAtMs).some((s) =>
      sameResource(s.resourceIdentifier, finding.nonCompliantResource.resourceIdentifier),
    );
  }

  /** How many of the findings were hidden when their audit reported; scans them only when one could be. */
  hiddenCount(checkName: string, findings: CheckFindings, reportedAtMs: number): number {
    const inForce = this.inForceAt(checkName, reportedAtMs);
    if (inForce.length === 0) return 0;
    let count = 0;
    for (let i = 0; i < findings.count; i++) {
      const identifier = findings.at(i).nonCompliantResource.resourceIdentifier;
      if (inForce.some((s) => sameResource(s.resourceIdentifier, identifier))) count++;
    }
    return count;
  }

  /** The suppressions that exist now: not deleted (expired ones are still listed until deleted). */
  #existing(): Suppression[] {
    return this.#records.filter((r) => r.deletedAtMs === undefined).map((r) => r.suppression);
  }

  #current(checkName: string, resourceIdentifier: iot.ResourceIdentifier): SuppressionRecord | undefined {
    return this.#records.find(
      (r) =>
        r.deletedAtMs === undefined &&
        r.suppression.checkName === checkName &&
        sameResource(r.suppression.resourceIdentifier, resourceIdentifier),
    );
  }
}
