/**
 * The product's two layers, by folder: functions/domain is pure (no I/O, no SDK client, no
 * environment), functions/aws is what talks to AWS. A module that breaks the rule fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

function sources(folder: string): { file: string; text: string }[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({ file: `${folder}/${file}`, text: readFileSync(join(ROOT, folder, file), 'utf8') }));
}

/** Every `import … from 'x'` / `export … from 'x'` / `import('x')`, with whether it is type-only. */
function importsOf(text: string): { specifier: string; typeOnly: boolean }[] {
  const found: { specifier: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gms))
    found.push({ specifier: m[3]!, typeOnly: m[2] !== undefined });
  for (const m of text.matchAll(/^\s*import\s+'([^']+)'/gm))
    found.push({ specifier: m[1]!, typeOnly: false });
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g))
    found.push({ specifier: m[1]!, typeOnly: false });
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
      expect(importsOf(text).filter((i) => /(^|\/)local(-cloud)?\//.test(i.specifier))).toEqual([]);
    },
  );
});
