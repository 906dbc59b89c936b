import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asciiJson,
  asciiLine,
  byteLength,
  capped,
  ELLIPSIS,
  escapeControl,
  escapeText,
  formatCount,
  hasControls,
  isSafeText,
  joinLinesWithin,
  safe,
  safeText,
  snsSubject,
  truncateUtf8,
} from '#domain/text';

const EMOJI = '\u{1F600}'; // 4 bytes, two UTF-16 units
const CJK = '\u6F22'; // 3 bytes

/** Every escape in `text` is whole: once they are removed, no backslash is left. */
const escapesWhole = (text: string) => !text.replace(/\\\\|\\u[0-9a-f]{4}/g, '').includes('\\');
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('escapeText', () => {
  it.each([
    ['line feed', 'a\nb', 'a\\u000ab'],
    ['carriage return and tab', '\r\t', '\\u000d\\u0009'],
    ['NUL and ESC (a terminal sequence)', '\u0000\u001b[2J', '\\u0000\\u001b[2J'],
    ['DEL', '\u007f', '\\u007f'],
    ['C1: NEL and CSI', '\u0085\u009b', '\\u0085\\u009b'],
    ['line and paragraph separators', '\u2028\u2029', '\\u2028\\u2029'],
    [
      'bidi embeddings and overrides',
      '\u202a\u202b\u202c\u202d\u202e',
      '\\u202a\\u202b\\u202c\\u202d\\u202e',
    ],
    ['bidi isolates', '\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
    ['bidi marks', '\u061c\u200e\u200f', '\\u061c\\u200e\\u200f'],
    ['a backslash, so an escape cannot be forged', 'C:\\u000a', 'C:\\\\u000a'],
    ['lone surrogates', '\ud800x\udc00', '\\ud800x\\udc00'],
  ])('escapes %s', (_, text, escaped) => {
    expect(escapeText(text)).toBe(escaped);
    expect(hasControls(escapeText(text))).toBe(false);
    expect(isSafeText(text)).toBe(false);
    expect(escapeControl(text)).toBe(escaped);
  });

  it('keeps printable text of any script, emoji included, as it is', () => {
    const text = `Ger\u00e4t ${CJK} ${EMOJI} \u0645\u0631\u062d\u0628\u0627 "quoted" <b>`;
    expect(escapeText(text)).toBe(text);
    expect(isSafeText(text)).toBe(true);
    expect(hasControls(text)).toBe(false);
    expect(hasControls('\\')).toBe(false);
    expect(hasControls('\ud800')).toBe(true);
  });

  it('cuts at a character boundary, within the bytes, with a marker', () => {
    const cut = escapeText(EMOJI.repeat(10), 10);
    expect(cut).toBe(`${EMOJI}${ELLIPSIS}`);
    expect(byteLength(cut)).toBeLessThanOrEqual(10);
    expect(cut).not.toMatch(loneSurrogate);
    expect(escapeText(CJK.repeat(4), 9)).toBe(`${CJK.repeat(2)}${ELLIPSIS}`);
    expect(escapeText(CJK.repeat(3), 9)).toBe(CJK.repeat(3));
  });

  it('never splits an escape', () => {
    for (let max = 0; max <= 40; max++) {
      const cut = escapeText('a\u2028b\nc\\d', max);
      expect(byteLength(cut)).toBeLessThanOrEqual(max);
      expect(escapesWhole(cut), cut).toBe(true);
    }
    expect(escapeText('ab\u2028', 8)).toBe('ab\\u2028');
    expect(escapeText('ab\u2028', 7)).toBe(`ab${ELLIPSIS}`);
  });

  it('has no room even for the marker below three bytes', () => {
    expect(escapeText('abcdef', 2)).toBe('');
    expect(escapeText('abcdef', 3)).toBe(ELLIPSIS);
  });
});

describe('truncateUtf8', () => {
  it('keeps raw text raw and cuts it at a character boundary', () => {
    expect(truncateUtf8('a\nb', 10)).toBe('a\nb');
    expect(truncateUtf8(`${EMOJI}${EMOJI}`, 7)).toBe(`${EMOJI}${ELLIPSIS}`);
    expect(truncateUtf8('x'.repeat(700), 600)).toHaveLength(598);
    expect(byteLength(truncateUtf8(CJK.repeat(700), 600))).toBeLessThanOrEqual(600);
  });
});

describe('SNS subjects', () => {
  it('are printable ASCII under 100 characters, controls escaped, other characters a ?', () => {
    expect(snsSubject(`a\nb ${CJK}${EMOJI}`)).toBe('a\\u000ab ??');
    const long = snsSubject(`x${'\u2028'.repeat(50)}`);
    expect(long.length).toBeLessThanOrEqual(99);
    expect(long).toMatch(/^x(\\u2028)+\.\.\.$/);
    expect(asciiLine('abcdef', 5)).toBe('ab...');
  });
});

describe('safeText', () => {
  it('escapes, and says how many characters it cut', () => {
    expect(safeText('a\nb')).toBe('a\\u000ab');
    expect(safeText('x'.repeat(250))).toBe(`${'x'.repeat(200)}... (50 more characters)`);
    expect(safeText(CJK.repeat(10), 10)).toBe(`${CJK.repeat(3)}... (7 more characters)`);
  });
});

describe('the safe tag', () => {
  it('escapes and caps every substitution, numbers and capped values as they are', () => {
    expect(safe`Thing ${'evil\nMode: dry-run'}: ${3} of ${capped('x'.repeat(10), 5)}`).toBe(
      `Thing evil\\u000aMode: dry-run: 3 of xx${ELLIPSIS}`,
    );
    expect(byteLength(safe`${'y'.repeat(5000)}`)).toBeLessThanOrEqual(1024);
  });
});

describe('joinLinesWithin', () => {
  const note = (omitted: number) => `-${omitted}`;

  it('keeps every line that fits, then says how many were cut', () => {
    const lines = ['one', 'two', 'three', 'four'];
    const within = (max: number) => (text: string) => byteLength(text) <= max;
    expect(joinLinesWithin(lines, within(18), note)).toEqual({ text: 'one\ntwo\nthree\nfour', omitted: 0 });
    expect(joinLinesWithin(lines, within(12), note)).toEqual({ text: 'one\ntwo\n-2', omitted: 2 });
    expect(joinLinesWithin(lines, within(2), note)).toEqual({ text: '-4', omitted: 4 });
    expect(joinLinesWithin(lines, within(1), note)).toEqual({ text: '', omitted: 4 });
  });

  it('measures as it is told, e.g. as JSON', () => {
    const lines = ['"a"', '"b"'];
    const fits = (text: string) => byteLength(JSON.stringify(text)) <= 10;
    expect(joinLinesWithin(lines, fits, () => '-')).toEqual({ text: '"a"\n-', omitted: 1 });
  });
});

describe('asciiJson', () => {
  it('is printable ASCII, reads back to the same value, and is at least as long as UTF-8 JSON', () => {
    const value = { name: `${EMOJI}${CJK}\u2028\u007f\n\ud800`, n: 1 };
    const json = asciiJson(value);
    expect(json).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(json)).toEqual(value);
    expect(json.length).toBeGreaterThanOrEqual(byteLength(JSON.stringify(value)));
  });
});

describe('formatCount', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1_000, '1,000'],
    [10_000, '10,000'],
    [1_000_000, '1,000,000'],
    [-1_234_567, '-1,234,567'],
    [Number.MAX_SAFE_INTEGER, '9,007,199,254,740,991'],
  ])('%d is written %s', (count, text) => {
    expect(formatCount(count)).toBe(text);
  });

  it('writes what is not a safe integer as String does', () => {
    for (const value of [8.5, 0.25, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60])
      expect(formatCount(value)).toBe(String(value));
  });

  it('groups as en-US does, and only adds commas', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (count) => {
        const text = formatCount(count);
        expect(text).toBe(count.toLocaleString('en-US'));
        expect(text.replaceAll(',', '')).toBe(String(count));
      }),
    );
  });
});
