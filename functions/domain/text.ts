/**
 * Untrusted text for people, and sizes in bytes: the one escaping helper of the product. Resource
 * names, client ids, check names from DescribeAuditTask, a requester's name, service messages: all
 * come from devices, people or AWS. A name holding a line break could add a line of its own to an
 * e-mail ("Mode: dry-run") or a second JSON part; a bidi override could reverse what a reader sees.
 * So everything interpolated into a text a person reads goes through `escapeText` (or the `safe`
 * tag), and every bound on what a service accepts is counted in UTF-8 bytes, as the services count
 * it (docs/aws-facts/sns-sqs.md).
 *
 * Escaping rules (reversible, ASCII-only escapes): `\` becomes `\\`; each C0 control (U+0000-U+001F,
 * line feed included), DEL (U+007F), C1 control (U+0080-U+009F), the line and paragraph separators
 * (U+2028, U+2029), the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the
 * bidi marks (U+061C, U+200E, U+200F) and a lone surrogate (not UTF-8 at all) becomes the JSON-style
 * escape `\uXXXX` (lower-case hex: a line feed reads `\u000a`). Everything else is kept as it is.
 */

/** What `escapeText` replaces: see the module comment. */
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
  /[\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** `UNSAFE` but the backslash. */
const CONTROLS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Marks text cut to a size: one character, three bytes. */
export const ELLIPSIS = '…';

/**
 * A count as people read it, digits grouped by thousands with commas (1,000,000 of 1,000,000), as
 * `npm start` writes counts. Written out here rather than with `toLocaleString`: the same text
 * whatever locale data the runtime has. Anything but a safe integer is written as `String` does.
 */
export function formatCount(count: number): string {
  if (!Number.isSafeInteger(count)) return String(count);
  const digits = String(Math.abs(count)).replace(/\B(?=(\d{3})+$)/g, ',');
  return count < 0 ? `-${digits}` : digits;
}

/** UTF-8 bytes, as SNS and Step Functions count them. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function escapeCharacter(character: string): string {
  return character === '\\' ? '\\\\' : `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function escapeToken(character: string): string {
  return UNSAFE.test(character) ? escapeCharacter(character) : character;
}

/**
 * Whether `text` holds a character a person must never receive raw: one `escapeText` escapes, the
 * backslash aside (it is escaped only to keep escapes unambiguous).
 */
export function hasControls(text: string): boolean {
  return CONTROLS.test(text);
}

/** Whether `text` holds nothing `escapeText` would change. */
export function isSafeText(text: string): boolean {
  return !UNSAFE.test(text);
}

/**
 * `text` escaped (module comment) and, past `maxBytes` UTF-8 bytes, cut at a character or escape
 * boundary and ended with `marker`: the result never exceeds `maxBytes`, never splits a character (a
 * surrogate pair stays whole) nor an escape.
 */
export function escapeText(text: string, maxBytes = Number.POSITIVE_INFINITY, marker = ELLIPSIS): string {
  if (byteLength(text) <= maxBytes && isSafeText(text)) return text;
  return fitTokens(tokens(text, escapeToken), maxBytes, marker).text;
}

/**
 * `text` kept raw (data for a machine, as in a JSON summary) and cut to `maxBytes` UTF-8 bytes at a
 * character boundary, ended with `marker` when cut. A lone surrogate counts as the three bytes of the
 * U+FFFD that UTF-8 encoders write in its place.
 */
export function truncateUtf8(text: string, maxBytes: number, marker = ELLIPSIS): string {
  if (byteLength(text) <= maxBytes) return text;
  return fitTokens(
    tokens(text, (character) => character),
    maxBytes,
    marker,
  ).text;
}

/**
 * A one-line text of printable ASCII: controls escaped as `escapeText` does, any other character a
 * `?`, cut to `maxLength` characters (one byte each) at a character or escape boundary, ended with
 * `...` when cut.
 */
export function asciiLine(text: string, maxLength: number): string {
  const ascii = (character: string) =>
    UNSAFE.test(character) ? escapeCharacter(character) : /^[\x20-\x7e]$/.test(character) ? character : '?';
  return fitTokens(tokens(text, ascii), maxLength, '...').text;
}

/**
 * An SNS subject: printable ASCII, no line break, fewer than 100 characters
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html: "Subjects must be UTF-8 text with no
 * line breaks or control characters, and less than 100 characters long"; earlier versions of the
 * page said ASCII, so ASCII it is).
 */
export const MAX_SNS_SUBJECT_LENGTH = 99;

export function snsSubject(text: string): string {
  return asciiLine(text, MAX_SNS_SUBJECT_LENGTH);
}

/** The characters of `text` (code points, so a surrogate pair is one), each mapped to its token. */
function* tokens(text: string, map: (character: string) => string): Generator<string> {
  for (const character of text) yield map(character);
}

/** Whole tokens while they fit; past `maxBytes`, those that leave room for `marker`, then `marker`. */
function fitTokens(
  parts: Iterable<string>,
  maxBytes: number,
  marker: string,
): { readonly text: string; readonly omitted: number } {
  const markerBytes = byteLength(marker);
  let out = '';
  let bytes = 0;
  /** The length of `out`, and its tokens, while it still left room for the marker. */
  let cut = 0;
  let cutTokens = 0;
  let count = 0;
  let cutAt: number | undefined;
  for (const part of parts) {
    count++;
    if (cutAt !== undefined) continue;
    const size = byteLength(part);
    if (bytes + size > maxBytes) {
      cutAt = cut;
      continue;
    }
    out += part;
    bytes += size;
    if (bytes + markerBytes <= maxBytes) {
      cut = out.length;
      cutTokens = count;
    }
  }
  if (cutAt === undefined) return { text: out, omitted: 0 };
  return markerBytes <= maxBytes
    ? { text: out.slice(0, cutAt) + marker, omitted: count - cutTokens }
    : { text: '', omitted: count };
}

/**
 * Escaped, then cut to `maxLength` UTF-8 bytes at a character or escape boundary, with a marker
 * saying how many characters were cut (for ASCII, bytes and characters are the same).
 */
export function safeText(text: string, maxLength = 200): string {
  const escaped = escapeText(text);
  if (byteLength(escaped) <= maxLength) return escaped;
  const fitted = fitTokens(
    tokens(escaped, (c) => c),
    maxLength,
    '',
  );
  return `${fitted.text}... (${fitted.omitted} more characters)`;
}

/** `text` with every unsafe character escaped, whatever its length. */
export function escapeControl(text: string): string {
  return escapeText(text);
}

/** A value already escaped (and perhaps cut) for `safe`: it goes in as it is. */
export interface Escaped {
  readonly escaped: string;
}

/** `value` escaped and cut to `maxBytes`, for a `safe` template. */
export function capped(value: string, maxBytes: number): Escaped {
  return { escaped: escapeText(value, maxBytes) };
}

/** How many bytes a `safe` substitution keeps unless `capped` says otherwise. */
export const DEFAULT_FIELD_BYTES = 1024;

/**
 * A template tag for text a person reads: every substitution is escaped and cut to
 * `DEFAULT_FIELD_BYTES` (a number is written as it is; `capped` sets another size). The literal parts
 * are the program's own and go in unchanged.
 */
export function safe(
  strings: TemplateStringsArray,
  ...values: readonly (string | number | Escaped)[]
): string {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    const text =
      typeof value === 'number'
        ? String(value)
        : typeof value === 'string'
          ? escapeText(value, DEFAULT_FIELD_BYTES)
          : value.escaped;
    out += text + (strings[i + 1] ?? '');
  });
  return out;
}

/**
 * `lines` joined with line feeds, keeping the most whole lines for which `fits` holds; when some are
 * left out, `note(omitted)`, a line of its own, says so in their place ('' when not even the note
 * fits). Lines are made of escaped values, so cutting between them splits neither a character nor an
 * escape.
 */
export function joinLinesWithin(
  lines: readonly string[],
  fits: (text: string) => boolean,
  note: (omitted: number) => string,
): { readonly text: string; readonly omitted: number } {
  const whole = lines.join('\n');
  if (fits(whole)) return { text: whole, omitted: 0 };
  const keeping = (kept: number) => [...lines.slice(0, kept), note(lines.length - kept)].join('\n');
  if (!fits(keeping(0))) return { text: '', omitted: lines.length };
  // The most lines that fit with the note: a binary search, each step trying the text it would be.
  let fitting = 0;
  let notFitting = lines.length;
  while (notFitting - fitting > 1) {
    const middle = Math.floor((fitting + notFitting) / 2);
    if (fits(keeping(middle))) fitting = middle;
    else notFitting = middle;
  }
  return { text: keeping(fitting), omitted: lines.length - fitting };
}

/**
 * The JSON of `value` with every character above U+007E written as `\uXXXX`: printable ASCII only,
 * and `JSON.parse` reads it back to the same value. Its length bounds the bytes of the same value
 * written by a serialiser whose output is not known here (Step Functions' state, `States.JsonToString`):
 * a character takes no more bytes in UTF-8 than as an escape, so whether that serialiser writes
 * non-ASCII raw or escaped, it spends no more (unless it escapes characters JSON does not require it
 * to, such as `/` or `<`).
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
