/**
 * The repository's layers, by folder. The product: functions/domain is pure (no I/O, no SDK client, no
 * environment), functions/aws is what talks to AWS, and neither reaches the local tools. The local
 * cloud (local-cloud/, a package of its own) is used through its public entry only; its own test
 * (local-cloud/tests/independence.test.ts) holds that it imports nothing of the rest. And no import
 * cycle anywhere. A module that breaks a rule fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(folder: string): { file: string; text: string }[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.split(sep).includes('node_modules'))
    .map((file) => ({ file: `${folder}/${file}`, text: readFileSync(join(ROOT, folder, file), 'utf8') }));
}

/** Every TypeScript file tsc checks (tsconfig.json's `include`), relative to the root. */
function repositorySources(): { file: string; text: string }[] {
  const { include } = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
  return include.flatMap((entry) =>
    entry.endsWith('.ts') ? [{ file: entry, text: readFileSync(join(ROOT, entry), 'utf8') }] : sources(entry),
  );
}

interface ModuleImport {
  readonly specifier: string;
  /** Erased at compile time: `import type`, `export type`, `typeof import('x')`. */
  readonly typeOnly: boolean;
}

/** Every `import … from 'x'` / `export … from 'x'` / `import 'x'` / `import('x')`, with whether it is type-only. */
function importsOf(text: string): ModuleImport[] {
  const found: ModuleImport[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const typeOnly = ts.isImportDeclaration(node)
        ? node.importClause?.isTypeOnly === true
        : node.isTypeOnly;
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('module.ts', text, ts.ScriptTarget.Latest));
  return found;
}

/** What pure code may load at run time: its own folder, and computation-only Node modules. */
function allowedInDomain({ specifier, typeOnly }: { specifier: string; typeOnly: boolean }): boolean {
  if (specifier.startsWith('./')) return true;
  if (specifier === 'node:crypto') return true; // hashing only: the policy digest
  return typeOnly && specifier.startsWith('@aws-sdk/'); // the SDK's shapes, never a client
}

describe('functions/domain: pure code', () => {
  const domain = sources('functions/domain');

  it('finds the domain modules', () => {
    expect(domain.map((s) => s.file)).toContain('functions/domain/plan.ts');
  });

  it.each(domain.map((s) => [s.file, s.text]))('%s loads nothing that does I/O', (_, text) => {
    expect(importsOf(text).filter((i) => !allowedInDomain(i))).toEqual([]);
    expect(text).not.toMatch(/process\.env|globalThis\.fetch|\bfetch\(/);
  });

  it('recognises what it forbids', () => {
    const forbidden = importsOf(
      "import { IoTClient } from '@aws-sdk/client-iot';\nimport { x } from '#aws/clients';\nconst m = await import('node:fs');",
    );
    expect(forbidden.filter((i) => !allowedInDomain(i)).map((i) => i.specifier)).toEqual([
      '@aws-sdk/client-iot',
      '#aws/clients',
      'node:fs',
    ]);
    expect(importsOf("import type { Audit } from '@aws-sdk/client-iot';").every(allowedInDomain)).toBe(true);
  });
});

describe('functions/: the product never reaches the local tools', () => {
  it.each(sources('functions').map((s) => [s.file, s.text]))(
    '%s imports nothing from local/ or local-cloud/',
    (_, text) => {
      expect(importsOf(text).filter((i) => /(^|\/)local(-cloud)?(\/|$)/.test(i.specifier))).toEqual([]);
    },
  );
});

const LOCAL_CLOUD = 'local-cloud';
const localCloud = JSON.parse(readFileSync(join(ROOT, LOCAL_CLOUD, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, string>;
};
/** The local cloud's public entry, relative to the root. */
const PUBLIC_ENTRY = join(LOCAL_CLOUD, localCloud.exports['.'] ?? '');
const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  imports: Record<string, string>;
};

/** The repository file (relative to the root) `specifier` loads from `file`, or undefined for a package. */
function resolveImport(file: string, specifier: string): string | undefined {
  if (specifier === localCloud.name) return PUBLIC_ENTRY;
  if (specifier.startsWith(`${localCloud.name}/`))
    return join(LOCAL_CLOUD, specifier.slice(localCloud.name.length));
  if (specifier.startsWith('.')) return relative(ROOT, resolve(ROOT, dirname(file), specifier));
  for (const [pattern, target] of Object.entries(rootPackage.imports)) {
    const prefix = pattern.replace('*', '');
    if (specifier.startsWith(prefix)) return join(target.replace('*', specifier.slice(prefix.length)));
  }
  return undefined;
}

const inLocalCloud = (file: string) => file.split(sep)[0] === LOCAL_CLOUD;

/** Why `file` may not load `specifier` (an import, or a file read by its own path): it is behind the entry. */
function behindTheEntry(file: string, specifier: string): string | undefined {
  if (inLocalCloud(file)) return undefined;
  const target = resolveImport(file, specifier);
  if (target === undefined || !inLocalCloud(target) || target === PUBLIC_ENTRY) return undefined;
  return `${file}: ${specifier} (${target}; import ${localCloud.name} instead)`;
}

/** The paths of the `new URL('path', import.meta.url)` in a module: files it reads by its own path. */
function urlsOf(text: string): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const [path, base] = ts.isNewExpression(node) ? (node.arguments ?? []) : [];
    if (
      ts.isNewExpression(node) &&
      node.expression.getText() === 'URL' &&
      path !== undefined &&
      ts.isStringLiteralLike(path) &&
      base?.getText() === 'import.meta.url'
    )
      found.push(path.text);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('module.ts', text, ts.ScriptTarget.Latest, true));
  return found;
}

describe('local-cloud/: used through its public entry only', () => {
  const repository = repositorySources();

  it(`finds the public entry (${localCloud.name}, ${PUBLIC_ENTRY}) and the modules that use it`, () => {
    expect(repository.map((s) => s.file)).toContain(PUBLIC_ENTRY);
    const users = repository.filter((s) => importsOf(s.text).some((i) => i.specifier === localCloud.name));
    expect(users.map((s) => s.file)).toEqual(
      expect.arrayContaining(['local/demo.ts', 'bench/polling.ts', 'tests/reliability/support.ts']),
    );
  });

  it('no module outside local-cloud/ imports (or reads by path) a local-cloud file other than its public entry', () => {
    const violations = repository.flatMap(({ file, text }) => [
      ...importsOf(text).map((i) => behindTheEntry(file, i.specifier)),
      ...urlsOf(text).map((path) => behindTheEntry(file, path)),
    ]);
    expect(violations.filter((why) => why !== undefined)).toEqual([]);
  });

  it('recognises what it forbids', () => {
    const text = [
      `import { startLocalStack } from '${localCloud.name}';`,
      "import { VirtualClock } from '../../local-cloud/index.ts';",
      `import { presets } from '${localCloud.name}/emulator/index.ts';`,
      "import type { LocalStack } from '../../local-cloud/stack.ts';",
      "const model = new URL('../../local-cloud/model/iot-model-subset.json', import.meta.url);",
    ].join('\n');
    const file = 'tests/unit/example.test.ts';
    const flagged = [...importsOf(text).map((i) => i.specifier), ...urlsOf(text)].filter(
      (specifier) => behindTheEntry(file, specifier) !== undefined,
    );
    expect(flagged).toEqual([
      `${localCloud.name}/emulator/index.ts`,
      '../../local-cloud/stack.ts',
      '../../local-cloud/model/iot-model-subset.json',
    ]);
    expect(behindTheEntry('local-cloud/stack.ts', './emulator/index.ts')).toBeUndefined();
  });
});

/** Each cycle of the graph (its strongly connected components of more than one module, or a self-import). */
function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const lowest = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const connect = (module: string): void => {
    index.set(module, index.size);
    lowest.set(module, index.get(module)!);
    stack.push(module);
    for (const next of graph.get(module) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        connect(next);
        lowest.set(module, Math.min(lowest.get(module)!, lowest.get(next)!));
      } else if (stack.includes(next)) lowest.set(module, Math.min(lowest.get(module)!, index.get(next)!));
    }
    if (lowest.get(module) !== index.get(module)) return;
    const component = stack.splice(stack.indexOf(module));
    if (component.length > 1 || graph.get(module)?.includes(module)) cycles.push(component.sort());
  };
  for (const module of graph.keys()) if (!index.has(module)) connect(module);
  return cycles;
}

/** Module -> the repository modules it imports (type-only imports only when `withTypes`). */
function importGraph(modules: readonly { file: string; text: string }[], withTypes: boolean) {
  return new Map(
    modules.map(({ file, text }) => [
      file,
      importsOf(text)
        .filter((i) => withTypes || !i.typeOnly)
        .map((i) => resolveImport(file, i.specifier))
        .filter((target) => target !== undefined),
    ]),
  );
}

describe('imports: no cycle', () => {
  const repository = repositorySources();

  it('none among the modules at run time (type-only imports are erased)', () => {
    expect(cyclesOf(importGraph(repository, false))).toEqual([]);
  });

  it('none in local-cloud/, type-only imports included', () => {
    expect(
      cyclesOf(
        importGraph(
          repository.filter((s) => inLocalCloud(s.file)),
          true,
        ),
      ),
    ).toEqual([]);
  });

  it('finds a cycle through the public entry, a package import and a type-only import', () => {
    const modules = [
      { file: 'local-cloud/index.ts', text: "export { a } from './a.ts';" },
      { file: 'local-cloud/a.ts', text: "import type { B } from './b.ts';" },
      { file: 'local-cloud/b.ts', text: "import { a } from './a.ts';" },
      { file: 'tests/x.ts', text: `import { a } from '${localCloud.name}';` },
      { file: 'functions/domain/y.ts', text: "import { x } from '../../tests/x.ts';" },
      { file: 'local-cloud/c.ts', text: "import { y } from '#domain/y';\nexport { c } from './c.ts';" },
    ];
    expect(cyclesOf(importGraph(modules, false))).toEqual([['local-cloud/c.ts']]);
    expect(cyclesOf(importGraph(modules, true))).toEqual([
      ['local-cloud/a.ts', 'local-cloud/b.ts'],
      ['local-cloud/c.ts'],
    ]);
  });
});
