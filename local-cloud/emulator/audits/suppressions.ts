/**
 * Audit finding suppressions: Create, List, Describe and DeleteAuditSuppression, and which findings
 * they hide now. A suppressed finding is counted apart in its audit, listed only on request, and left
 * out of mitigation tasks ("Mitigation actions won't be performed on suppressed audit findings":
 * https://docs.aws.amazon.com/iot-device-defender/latest/devguide/dd-mitigation-actions.html).
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

export class Suppressions {
  readonly #clock: Clock;
  readonly #suppressions: Suppression[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  create(input: iot.CreateAuditSuppressionRequest): iot.CreateAuditSuppressionResponse {
    const checkName = input.checkName!;
    if (!isAuditCheck(checkName)) throw invalidRequest(`Unknown audit check ${checkName}`);
    if (input.expirationDate && input.expirationDate.getTime() <= this.#clock.now()) {
      throw invalidRequest('The expirationDate must be in the future');
    }
    if (this.#index(checkName, input.resourceIdentifier!) >= 0) {
      throw new ServiceError(
        'ResourceAlreadyExistsException',
        'A suppression for this check and resource exists',
      );
    }
    this.#suppressions.push({
      checkName,
      resourceIdentifier: input.resourceIdentifier!,
      expirationDate: input.expirationDate,
      suppressIndefinitely: input.suppressIndefinitely,
      description: input.description,
    });
    return {};
  }

  list(input: iot.ListAuditSuppressionsRequest): iot.ListAuditSuppressionsResponse {
    const expiry = (s: Suppression) => s.expirationDate?.getTime() ?? Number.POSITIVE_INFINITY;
    const matching = this.#suppressions
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
    const suppression = this.#suppressions[this.#index(input.checkName!, input.resourceIdentifier!)];
    if (!suppression) throw notFound(`No suppression for ${input.checkName} and this resource`);
    return suppression;
  }

  delete(input: iot.DeleteAuditSuppressionRequest): iot.DeleteAuditSuppressionResponse {
    const index = this.#index(input.checkName!, input.resourceIdentifier!);
    if (index >= 0) this.#suppressions.splice(index, 1);
    return {};
  }

  /** The check's suppressions in force now. */
  active(checkName: string): Suppression[] {
    const now = this.#clock.now();
    return this.#suppressions.filter(
      (s) =>
        s.checkName === checkName &&
        (s.suppressIndefinitely === true ||
          s.expirationDate === undefined ||
          s.expirationDate.getTime() > now),
    );
  }

  hides(finding: StoredFinding): boolean {
    return this.active(finding.checkName).some((s) =>
      sameResource(s.resourceIdentifier, finding.nonCompliantResource.resourceIdentifier),
    );
  }

  /** How many of the findings are hidden; scans them only when a suppression could match one. */
  hiddenCount(checkName: string, findings: CheckFindings): number {
    if (this.active(checkName).length === 0) return 0;
    let count = 0;
    for (let i = 0; i < findings.count; i++) if (this.hides(findings.at(i))) count++;
    return count;
  }

  #index(checkName: string, resourceIdentifier: iot.ResourceIdentifier): number {
    return this.#suppressions.findIndex(
      (s) => s.checkName === checkName && sameResource(s.resourceIdentifier, resourceIdentifier),
    );
  }
}
