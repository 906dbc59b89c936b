/**
 * The local cloud stands apart from the product it runs: nothing under local-cloud/ (its tests
 * included) imports a module outside this folder (not functions/ nor the package imports `#domain/*`
 * and `#aws/*` that point into it, not statemachine/, local/, tests/ or bench/), and every package it
 * imports is one its package.json lists (its sources: a dependency; its tests: a dev dependency too).
 * It reaches the product only as AWS would, through template.yaml: each function is imported from the
 * entry point the template names (wiring/lambda.ts), the state machine read from the file its
 * DefinitionUri names (stack.ts). Otherwise a mistake in the product (its check catalogue, say) would
 * become the local cloud's behaviour and pass every test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** local-cloud/, with a trailing separator. */
const PACKAGE_DIR = fileURLToPath(new URL('../', import.meta.url));
const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const DEPENDENCIES = new Set(Object.keys(manifest.dependencies ?? {}));
const ALL_DEPENDENCIES = new Set([...DEPENDENCIES, ...Object.keys(manifest.devDependencies ?? {})]);

const inside = (path: string) => `${path}${sep}`.startsWith(PACKAGE_DIR);
const isTest = (file: string) => relative(PACKAGE_DIR, file).split(sep)[0] === 'tests';

/** Every module specifier of a source: static, type-only, re-exports, side-effect and dynamic imports. */
function specifiersOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((file) => file.fileName);
}

/** Why importing `specifier` from `file` reaches into the repository around the package, or undefined. */
function outOfPackage(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('#')) return `${specifier} (a package import of the repository around it)`;
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return undefined;
  const target = resolve(dirname(file), specifier);
  return inside(target) ? undefined : `${specifier} (${relative(PACKAGE_DIR, target)})`;
}

/** Why the package `specifier` names may not be imported by `file`, or undefined. */
function unlisted(file: string, specifier: string): string | undefined {
  if (/^[.#/]/.test(specifier) || specifier.startsWith('node:') || builtinModules.includes(specifier))
    return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  const listed = isTest(file) ? ALL_DEPENDENCIES : DEPENDENCIES;
  if (listed.has(name) || listed.has(`@types/${name}`)) return undefined;
  return `${specifier} (not among the ${isTest(file) ? 'dependencies or dev dependencies' : 'dependencies'} in package.json)`;
}

function typeScriptFilesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.split(sep).includes('node_modules'))
    .map((name) => join(directory, name));
}

/** `file: specifier (why)` for each import `why` objects to. */
function violations(
  files: readonly string[],
  why: (file: string, specifier: string) => string | undefined,
): string[] {
  return files.flatMap((file) =>
    specifiersOf(readFileSync(file, 'utf8'))
      .map((specifier) => why(file, specifier))
      .filter((reason) => reason !== undefined)
      .map((reason) => `${relative(PACKAGE_DIR, file)}: ${reason}`),
  );
}

describe("the local cloud's independence from the repository around it", () => {
  const files = typeScriptFilesUnder(PACKAGE_DIR);

  it('finds the modules to scan, its tests included', () => {
    const names = files.map((file) => relative(PACKAGE_DIR, file));
    expect(names.length).toBeGreaterThan(80);
    expect(names).toEqual(
      expect.arrayContaining([
        'index.ts',
        'stack.ts',
        join('emulator', 'facts', 'audit-checks.ts'),
        join('tests', 'independence.test.ts'),
      ]),
    );
  });

  it('imports nothing from outside local-cloud/: no functions/, statemachine/, local/, tests/, bench/, #domain/* or #aws/*', () => {
    expect(violations(files, outOfPackage)).toEqual([]);
  });

  it('imports only the packages its package.json lists: dependencies for its modules, dev dependencies too for its tests', () => {
    expect(violations(files, unlisted)).toEqual([]);
  });

  it('reads no file outside local-cloud/ by its own path but template.yaml, the stack it runs', () => {
    const reads = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/new URL\(\s*'([^']+)',\s*import\.meta\.url\s*\)/g)]
        .filter(([, path]) => !inside(resolve(dirname(file), path!)))
        .map(([, path]) => `${relative(PACKAGE_DIR, file)}: ${path}`),
    );
    expect(reads).toEqual([`${join('wiring', 'template.ts')}: ../../template.yaml`]);
  });

  it('sees every form an import out of the package can take', () => {
    const file = join(PACKAGE_DIR, 'emulator', 'audits', 'example.ts');
    const source = [
      "import { checkCatalogue } from '#domain/catalogue';",
      "import type { Plan } from '#aws/plan';",
      "export { changesFleet } from '../../../functions/domain/catalogue.ts';",
      "import '../../../statemachine/polling.ts';",
      "const later = await import('../../../local/demo.ts');",
      "import { Fleet } from '../fleet/fleet.ts';",
      "import type * as iot from '@aws-sdk/client-iot';",
      "import type { Context } from 'aws-lambda';",
      "import { readFileSync } from 'node:fs';",
      "import { mockClient } from 'aws-sdk-client-mock';",
      "import { z } from 'zod';",
    ].join('\n');
    const specifiers = specifiersOf(source);
    expect(specifiers.filter((specifier) => outOfPackage(file, specifier) !== undefined)).toEqual([
      '#domain/catalogue',
      '#aws/plan',
      '../../../functions/domain/catalogue.ts',
      '../../../statemachine/polling.ts',
      '../../../local/demo.ts',
    ]);
    expect(specifiers.filter((specifier) => unlisted(file, specifier) !== undefined)).toEqual([
      'aws-sdk-client-mock',
      'zod',
    ]);
    const test = join(PACKAGE_DIR, 'tests', 'example.test.ts');
    expect(specifiers.filter((specifier) => unlisted(test, specifier) !== undefined)).toEqual(['zod']);
  });
});
