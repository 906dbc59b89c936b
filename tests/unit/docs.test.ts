import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Comments cite the repository's own documents (docs/) or public URLs, never a file outside it.
const root = new URL('../../', import.meta.url).pathname;
const ROOTS = [
  'functions',
  'local',
  'local-cloud',
  'cli',
  'statemachine',
  'tests',
  'bench',
  'scripts',
  'template.yaml',
];
const SOURCE = /\.(ts|mts|js|mjs|yaml|yml|sh)$/;
const SKIP = new Set(['node_modules', 'dist', '.aws-sam', 'coverage']);
const SELF = 'tests/unit/docs.test.ts';

const files = (path: string): string[] => {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  if (statSync(full).isFile()) return SOURCE.test(path) ? [path] : [];
  return readdirSync(full)
    .filter((name) => !SKIP.has(name))
    .flatMap((name) => files(join(path, name)));
};

/** The comments of a file, with their line numbers: TypeScript's own parser, or `#` in YAML and shell. */
const comments = (path: string, text: string): { line: number; text: string }[] => {
  if (/\.(ya?ml|sh)$/.test(path)) {
    return text.split('\n').flatMap((line, i) => {
      const at = line.search(/(^|\s)#/);
      return at >= 0 ? [{ line: i + 1, text: line.slice(at) }] : [];
    });
  }
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false);
  const ranges = new Map<number, number>();
  const visit = (node: ts.Node) => {
    for (const range of [
      ...(ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []),
      ...(ts.getTrailingCommentRanges(text, node.getEnd()) ?? []),
    ]) {
      ranges.set(range.pos, range.end);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...ranges].flatMap(([pos, end]) => {
    const first = text.slice(0, pos).split('\n').length;
    return text
      .slice(pos, end)
      .split('\n')
      .map((part, i) => ({ line: first + i, text: part }));
  });
};

const FORBIDDEN = [/\breference (\d|§)/i, /\bDESIGN\b/, /\bSTYLE\b/, /\.\.\/shared\b/, /\bshared\/reference/];
const PATH = /(?<![\w/.@-])(?:\.{1,2}\/)?[\w@.-]+(?:\/[\w@.-]+)+\.(?:md|ts|json|ya?ml|mjs|js|sh)\b/g;

const all = ROOTS.flatMap(files).filter((path) => path !== SELF);

describe('comments cite what the repository holds', () => {
  it('finds the sources', () => {
    expect(all.length).toBeGreaterThan(100);
  });

  it('no comment cites a document outside the repository (reference N, DESIGN, STYLE, ../shared)', () => {
    const bad = all.flatMap((path) =>
      comments(path, readFileSync(join(root, path), 'utf8'))
        .filter(({ text }) => FORBIDDEN.some((re) => re.test(text)))
        .map(({ line, text }) => `${path}:${line}: ${text.trim()}`),
    );
    expect(bad).toEqual([]);
  });

  it('every path a comment names exists', () => {
    const missing = all.flatMap((path) =>
      comments(path, readFileSync(join(root, path), 'utf8')).flatMap(({ line, text }) =>
        [...text.replace(/https?:\/\/\S+/g, '').matchAll(PATH)]
          .map((m) => m[0])
          .filter((cite) => {
            // Relative to the file, or to the repository, the node_modules or a folder above the file.
            const above: string[] = [];
            for (let dir = dirname(path); dir !== '.' && dir !== ''; dir = dirname(dir))
              above.push(join(root, dir, cite));
            const candidates = cite.startsWith('.')
              ? [join(dirname(join(root, path)), cite)]
              : [join(root, cite), join(root, 'node_modules', cite), ...above];
            return !candidates.some((candidate) => existsSync(candidate));
          })
          .map((cite) => `${path}:${line}: ${cite}`),
      ),
    );
    expect(missing).toEqual([]);
  });

  it('the docs the comments lean on are there', () => {
    for (const doc of ['docs/architecture.md', 'docs/decisions.md', 'docs/aws-facts/README.md']) {
      expect(existsSync(join(root, doc)), doc).toBe(true);
    }
  });
});
