/** `nextToken` / `maxResults` as the service pages: opaque tokens, 1-250 items, 25 by default. */
import { invalidRequest } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 25;

export interface PageRequest {
  readonly maxResults?: number;
  readonly nextToken?: string;
}

export function encodeToken(position: readonly number[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position a token stands for, `length` numbers long; absent token = the start. */
export function decodeToken(token: string | undefined, length: number): number[] {
  if (token === undefined) return new Array<number>(length).fill(0);
  try {
    const position: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(position) &&
      position.length === length &&
      position.every((n) => Number.isSafeInteger(n) && n >= 0)
    ) {
      return position as number[];
    }
  } catch {
    // reported below
  }
  throw invalidRequest('The nextToken is invalid');
}

/** One page of an in-memory list. */
export function pageOf<T>(items: readonly T[], request: PageRequest): { page: T[]; nextToken?: string } {
  const [offset = 0] = decodeToken(request.nextToken, 1);
  const end = offset + (request.maxResults ?? DEFAULT_PAGE_SIZE);
  return { page: items.slice(offset, end), ...(end < items.length && { nextToken: encodeToken([end]) }) };
}
