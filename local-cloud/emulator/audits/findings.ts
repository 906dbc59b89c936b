/**
 * Findings of one check of one audit, reached by index, so that a source may generate them lazily
 * (part 2's million-finding audits) instead of holding them in an array.
 */
import type { ResourceIdentifier, ResourceType } from '@aws-sdk/client-iot';

export type ActionErrorCode = 'INSUFFICIENT_PERMISSIONS' | 'INVALID_STATE_OF_RESOURCE';

/** A declared failure: the named action (or the finding's first action) fails on this finding. */
export interface DeclaredFailure {
  readonly actionName?: string;
  readonly errorCode: ActionErrorCode;
  readonly message: string;
}

export interface StoredFinding {
  readonly findingId: string;
  readonly checkName: string;
  readonly severity: 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';
  readonly reasonForNonComplianceCode: string;
  readonly reasonForNonCompliance?: string;
  readonly nonCompliantResource: {
    readonly resourceType: ResourceType;
    readonly resourceIdentifier: ResourceIdentifier;
    readonly additionalInfo?: Readonly<Record<string, string>>;
  };
  readonly relatedResources?: readonly {
    readonly resourceType: ResourceType;
    readonly resourceIdentifier: ResourceIdentifier;
    readonly additionalInfo?: Readonly<Record<string, string>>;
  }[];
  /** Epoch ms; defaults to the audit's start. */
  readonly findingTime?: number;
  readonly failure?: DeclaredFailure;
}

export interface CheckFindings {
  readonly count: number;
  at(index: number): StoredFinding;
  indexOf(findingId: string): number | undefined;
}

export function findingsFromArray(findings: readonly StoredFinding[]): CheckFindings {
  const byId = new Map(findings.map((finding, index) => [finding.findingId, index]));
  return {
    count: findings.length,
    at: (index) => findings[index]!,
    indexOf: (findingId) => byId.get(findingId),
  };
}

/** Resource identifiers match when they name the same members with the same values. */
export function sameResource(wanted: ResourceIdentifier, actual: ResourceIdentifier): boolean {
  return JSON.stringify(canonical(wanted)) === JSON.stringify(canonical(actual));
}

function canonical(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, canonical(v)]),
  );
}
