/**
 * cfn-lint with the SAM transform (the linter behind `sam validate --lint`) guards template.yaml
 * (issue #13, item 11): CI runs it before the tests and fails on any error or warning, says in one
 * line when it could not run it, and the README tells operators to run `sam validate --lint`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support.ts';

const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8').split('\n');
const lineOf = (pattern: RegExp) =>
  ci.findIndex((line) => pattern.test(line) && !line.trim().startsWith('#'));

describe('.ci/run', () => {
  it('stops at the first failing command', () => {
    expect(lineOf(/^set -euo pipefail$/)).toBeGreaterThanOrEqual(0);
  });

  it('lints template.yaml with cfn-lint before the tests, and a finding fails CI', () => {
    const lint = lineOf(/cfn-lint\/run\b|"\$CFN_LINT" template\.yaml/);
    const run = lineOf(/"\$CFN_LINT" template\.yaml|cfn-lint\/run template\.yaml/);
    const tests = lineOf(/^npm test\b/);
    expect(lint).toBeGreaterThanOrEqual(0);
    expect(run).toBeGreaterThanOrEqual(0);
    expect(tests).toBeGreaterThan(run);
    // Nothing swallows its exit status (cfn-lint exits non-zero on errors and on warnings).
    expect(ci[run]).not.toMatch(/\|\||; *true|--non-zero-exit-code|--ignore-checks|-i /);
  });

  it('says in one line when the linter is not there', () => {
    expect(ci.some((line) => /echo "cfn-lint: skipped/.test(line))).toBe(true);
  });
});

describe('operators lint before deploying', () => {
  it('the README says to run sam validate --lint, and samconfig.toml turns lint on', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toMatch(/sam validate --lint/);
    expect(readFileSync(join(ROOT, 'samconfig.toml'), 'utf8')).toMatch(
      /\[default\.validate\.parameters\]\s*\nlint = true/,
    );
  });

  it('the template silences no cfn-lint rule', () => {
    const template = readFileSync(join(ROOT, 'template.yaml'), 'utf8');
    expect(template).not.toMatch(/cfn-lint|cfn_lint/);
  });
});
