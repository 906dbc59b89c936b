/** Matches an HTTP request to a model operation by its `http` trait: method and URI template. */
import type { Operation } from './model.ts';

interface Route {
  readonly operation: Operation;
  readonly segments: readonly Segment[];
  readonly literalCount: number;
}

type Segment = { readonly literal: string } | { readonly label: string };

export interface RouteMatch {
  readonly operation: Operation;
  readonly labels: Readonly<Record<string, string>>;
}

export class Router {
  readonly #routes: Route[];

  constructor(operations: readonly Operation[]) {
    this.#routes = operations
      .map((operation) => {
        const segments = splitPath(operation.http.uri.split('?')[0] ?? '').map(parseSegment);
        return { operation, segments, literalCount: segments.filter((s) => 'literal' in s).length };
      })
      // A literal segment beats a label in the same place (e.g. `/audit/suppressions/create`).
      .sort((a, b) => b.literalCount - a.literalCount);
  }

  match(method: string, path: string): RouteMatch | undefined {
    const parts = splitPath(path);
    for (const route of this.#routes) {
      if (route.operation.http.method !== method || route.segments.length !== parts.length) continue;
      const labels = matchSegments(route.segments, parts);
      if (labels) return { operation: route.operation, labels };
    }
    return undefined;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

function parseSegment(part: string): Segment {
  const label = /^\{(\w+)\}$/.exec(part)?.[1];
  return label === undefined ? { literal: part } : { label };
}

function matchSegments(
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  for (const [i, segment] of segments.entries()) {
    const part = parts[i] ?? '';
    if ('literal' in segment) {
      if (segment.literal !== part) return undefined;
    } else {
      const value = decodeLabel(part);
      if (value === undefined) return undefined;
      labels[segment.label] = value;
    }
  }
  return labels;
}

/** A malformed percent-encoding matches no route rather than failing the server. */
function decodeLabel(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}
