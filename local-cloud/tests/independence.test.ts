/**
 * The emulator stands apart from the product it tests: nothing under local-cloud/emulator, nor anything it
 * imports from elsewhere in the repository, imports the product's code (functions/, or the package
 * imports `#domain/*` and `#aws/*` that point into it). Otherwise a mistake in the product (its check
 * catalogue, say) would become the emulator's behaviour and pass every test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EMULATOR = join(ROOT, 'local-cloud', 'emulator');
const PRODUCT = join(ROOT, 'functions');

/** Every module specifier of a source: static, type-only, re-exports, side-effect and dynamic imports. */
function specifiersOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((file) => file.fileName);
}

/** Why importing `specifier` from `file` reaches into the product, or undefined. */
function intoProduct(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('#')) return `${specifier} (a package import of the product)`;
  if (!specifier.startsWith('.')) return undefined;
  const target = resolve(dirname(file), specifier);
  return target === PRODUCT || target.startsWith(PRODUCT + sep) ? relative(ROOT, target) : undefined;
}

function typeScriptFilesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(directory, name));
}

/** `file: specifier (why)` for each import into the product, following relative imports from `start`. */
function productImports(start: readonly string[]): { violations: string[]; visited: string[] } {
  const violations: string[] = [];
  const visited = new Set<string>();
  const queue = [...start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (visited.has(file)) continue;
    visited.add(file);
    for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
      const why = intoProduct(file, specifier);
      if (why) violations.push(`${relative(ROOT, file)}: ${why}`);
      else if (specifier.startsWith('.') && specifier.endsWith('.ts')) {
        queue.push(resolve(dirname(file), specifier));
      }
    }
  }
  return { violations, visited: [...visited].map((file) => relative(ROOT, file)) };
}

describe("the emulator's independence from the product", () => {
  const emulatorFiles = typeScriptFilesUnder(EMULATOR);

  it('finds the emulator modules to scan', () => {
    expect(emulatorFiles.length).toBeGreaterThan(20);
    expect(emulatorFiles.map((file) => relative(EMULATOR, file))).toContain(join('facts', 'audit-checks.ts'));
  });

  it('has no module under local-cloud/emulator that imports functions/, #domain/* or #aws/*', () => {
    const violations = emulatorFiles.flatMap((file) =>
      specifiersOf(readFileSync(file, 'utf8'))
        .map((specifier) => intoProduct(file, specifier))
        .filter((why) => why !== undefined)
        .map((why) => `${relative(ROOT, file)}: ${why}`),
    );
    expect(violations).toEqual([]);
  });

  it('reaches none of the product through the modules it imports from outside local-cloud/emulator', () => {
    const { violations, visited } = productImports(emulatorFiles);
    expect(visited).toContain(join('local-cloud', 'clock.ts'));
    expect(violations).toEqual([]);
  });

  it('sees every form an import into the product can take', () => {
    const file = join(EMULATOR, 'audits', 'example.ts');
    const source = [
      "import { checkCatalogue } from '#domain/catalogue';",
      "import type { Plan } from '#aws/plan';",
      "export { changesFleet } from '../../../functions/domain/catalogue.ts';",
      "import '../../../functions/domain/side-effect.ts';",
      "const later = await import('#domain/policy');",
      "import { Fleet } from '../fleet/fleet.ts';",
      "import type * as iot from '@aws-sdk/client-iot';",
    ].join('\n');
    const flagged = specifiersOf(source).filter((specifier) => intoProduct(file, specifier) !== undefined);
    expect(flagged).toEqual([
      '#domain/catalogue',
      '#aws/plan',
      '../../../functions/domain/catalogue.ts',
      '../../../functions/domain/side-effect.ts',
      '#domain/policy',
    ]);
  });
});
