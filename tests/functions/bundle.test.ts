import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFunction } from '../../scripts/build-functions.ts';

describe('the planner bundle, built as sam build does', () => {
  it('carries no YAML parser, the IoT and SNS clients it calls, and is an ESM module with the createRequire banner', async () => {
    const built = await buildFunction('plan-remediation', mkdtempSync(join(tmpdir(), 'ddr-bundle-')));
    expect(built.inputs.some((path) => path.includes('node_modules/yaml/'))).toBe(false);
    // It reads the audit and its actions itself (IoT), and reports an audit held back entirely (SNS).
    expect(built.inputs.some((path) => path.includes('node_modules/@aws-sdk/client-iot/'))).toBe(true);
    expect(built.inputs.some((path) => path.includes('node_modules/@aws-sdk/client-sns/'))).toBe(true);
    expect(built.inputs.some((path) => path.includes('node_modules/@aws-sdk/client-eventbridge/'))).toBe(
      false,
    );
    expect(built.inputs.some((path) => path.includes('config/default-policy.json'))).toBe(true);
    const code = readFileSync(built.outfile, 'utf8');
    expect(code.startsWith("import { createRequire } from 'module';")).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
  });
});
