/**
 * `nextToken` / `maxResults` as the service pages: opaque tokens, 1-250 items, 25 by default.
 *
 * Two layers. The service methods speak in positions (`encodeToken`, `decodeToken`, `pageOf`), which
 * in-process callers may pass straight back. Over HTTP, `PageTokens` seals each position with the
 * operation and the filter parameters of the listing that issued it, so a token is accepted only by
 * that listing; a forged, altered or foreign token is an InvalidRequestException, as a neighbouring
 * AWS IoT service answers (docs/aws-facts/iot-api.md, "Pagination tokens").
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidRequest } from './errors.ts';
import { type Operation, type ServiceModel, trait } from './model.ts';

export const DEFAULT_PAGE_SIZE = 25;

export interface PageRequest {
  readonly maxResults?: number | undefined;
  readonly nextToken?: string | undefined;
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
  throw invalidToken();
}

/** One page of an in-memory list. */
export function pageOf<T>(items: readonly T[], request: PageRequest): { page: T[]; nextToken?: string } {
  const [offset = 0] = decodeToken(request.nextToken, 1);
  const end = offset + (request.maxResults ?? DEFAULT_PAGE_SIZE);
  return { page: items.slice(offset, end), ...(end < items.length && { nextToken: encodeToken([end]) }) };
}

/** The model's `paginated` trait of an operation (over the service's defaults), if it pages. */
interface Paging {
  readonly inputToken: string;
  readonly outputToken: string;
  readonly pageSize?: string | undefined;
}

const MAC_BYTES = 16;

/**
 * Seals the service's positions into the tokens handed out over HTTP and opens them again. A token is
 * `base64url({o: operation, f: filters digest, p: position}).base64url(HMAC)`; the key is random per
 * emulator, so only tokens this emulator issued open at all.
 */
export class PageTokens {
  readonly #key = randomBytes(32);
  readonly #paging = new Map<string, Paging | undefined>();

  constructor(private readonly model: ServiceModel) {}

  /**
   * Calls a listing with the position behind the request's token, and seals the position it answers
   * with. Operations without the `paginated` trait pass through.
   */
  page(operation: Operation, input: Record<string, unknown>, call: (input: object) => object): object {
    const paging = this.#pagingOf(operation);
    if (!paging) return call(input);
    const filters = filtersOf(input, paging);
    const token = input[paging.inputToken];
    const positioned =
      typeof token === 'string'
        ? { ...input, [paging.inputToken]: this.open(operation.name, filters, token) }
        : input;
    const output = call(positioned) as Record<string, unknown>;
    const position = output[paging.outputToken];
    if (typeof position !== 'string') return output;
    return { ...output, [paging.outputToken]: this.seal(operation.name, filters, position) };
  }

  /** The token for `position`, bound to this operation and these filter parameters. */
  seal(operation: string, filters: Readonly<Record<string, unknown>>, position: string): string {
    const payload = Buffer.from(JSON.stringify({ o: operation, f: digest(filters), p: position }));
    return `${payload.toString('base64url')}.${this.#mac(payload).toString('base64url')}`;
  }

  /** The position behind `token`, if this listing (operation and filters) issued it. */
  open(operation: string, filters: Readonly<Record<string, unknown>>, token: string): string {
    const [body = '', mac = '', ...rest] = token.split('.');
    const payload = Buffer.from(body, 'base64url');
    const given = Buffer.from(mac, 'base64url');
    const expected = this.#mac(payload);
    if (rest.length > 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw invalidToken();
    }
    const { o, f, p } = JSON.parse(payload.toString('utf8')) as { o: string; f: string; p: string };
    if (o !== operation || f !== digest(filters)) {
      throw invalidRequest(
        'The nextToken does not match the request: it was issued for another operation or other filter parameters',
      );
    }
    return p;
  }

  #mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.#key).update(payload).digest().subarray(0, MAC_BYTES);
  }

  #pagingOf(operation: Operation): Paging | undefined {
    if (!this.#paging.has(operation.name)) this.#paging.set(operation.name, pagingOf(this.model, operation));
    return this.#paging.get(operation.name);
  }
}

function pagingOf(model: ServiceModel, operation: Operation): Paging | undefined {
  const service = Object.values(model.source.shapes).find((shape) => shape.type === 'service');
  const id = service?.operations?.find((ref) => ref.target.endsWith(`#${operation.name}`))?.target;
  const own = id === undefined ? undefined : trait<Partial<Paging>>(model.shape(id).traits, 'paginated');
  if (own === undefined) return undefined;
  const { inputToken, outputToken, pageSize } = {
    ...trait<Partial<Paging>>(service?.traits, 'paginated'),
    ...own,
  };
  if (inputToken === undefined || outputToken === undefined) return undefined;
  return { inputToken, outputToken, pageSize };
}

/** The request's members but the token and the page size: what a token is bound to. */
function filtersOf(input: Readonly<Record<string, unknown>>, paging: Paging): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(input).filter(
      ([name, value]) => name !== paging.inputToken && name !== paging.pageSize && value !== undefined,
    ),
  );
}

function digest(filters: Readonly<Record<string, unknown>>): string {
  return createHash('sha256').update(canonical(filters)).digest('base64url').slice(0, 22);
}

/** JSON with object keys sorted and dates as ISO strings, so equal filters read the same. */
function canonical(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function invalidToken(): Error {
  return invalidRequest('The nextToken is invalid');
}
