import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFunction, FUNCTIONS } from '../../scripts/build-functions.ts';

describe('the audit-configuration bundle, built as sam build does', () => {
  it('is one of the functions the build lists', () => {
    expect(FUNCTIONS).toContain('audit-configuration');
  });

  it('carries the IoT client but no policy, YAML parser or other SDK client, and exports the handler', async () => {
    const built = await buildFunction('audit-configuration', mkdtempSync(join(tmpdir(), 'ddr-bundle-')));
    const inputs = built.inputs;
    expect(inputs.some((path) => path.includes('node_modules/@aws-sdk/client-iot/'))).toBe(true);
    expect(inputs.some((path) => path.includes('functions/domain/audit-configuration.ts'))).toBe(true);
    for (const unwanted of [
      'node_modules/yaml/',
      'config/default-policy.json',
      '@aws-sdk/client-sfn',
      '@aws-sdk/client-ssm',
    ])
      expect(
        inputs.some((path) => path.includes(unwanted)),
        unwanted,
      ).toBe(false);
    const code = readFileSync(built.outfile, 'utf8');
    expect(code.startsWith("import { createRequire } from 'module';")).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
  });
});
