/**
 * The findings a mitigation task works on for one check, in processing order. A selection over a
 * lazy source keeps only indices (or nothing, when every finding is taken), never the findings.
 */
import type { CheckFindings, StoredFinding } from '../audits/findings.ts';

export interface FindingSelection {
  readonly count: number;
  at(position: number): StoredFinding;
  positionOf(findingId: string): number | undefined;
}

/** Every finding of the source when `keep` is absent, else those it keeps (one scan, at task start). */
export function selectFindings(
  source: CheckFindings,
  keep?: (finding: StoredFinding) => boolean,
): FindingSelection {
  if (!keep) return { count: source.count, at: (p) => source.at(p), positionOf: (id) => source.indexOf(id) };
  const kept: number[] = [];
  for (let index = 0; index < source.count; index++) if (keep(source.at(index))) kept.push(index);
  const indices = Uint32Array.from(kept);
  return {
    count: indices.length,
    at: (position) => source.at(indices[position]!),
    positionOf: (findingId) => {
      const index = source.indexOf(findingId);
      return index === undefined ? undefined : binarySearch(indices, index);
    },
  };
}

export function listedFindings(findings: readonly StoredFinding[]): FindingSelection {
  const positions = new Map(findings.map((finding, position) => [finding.findingId, position]));
  return { count: findings.length, at: (p) => findings[p]!, positionOf: (id) => positions.get(id) };
}

function binarySearch(sorted: Uint32Array, wanted: number): number | undefined {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const value = sorted[middle]!;
    if (value === wanted) return middle;
    if (value < wanted) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}
