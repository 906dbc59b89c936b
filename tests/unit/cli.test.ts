import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const run = (script: string, args: string[]) => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};
const dir = mkdtempSync(join(tmpdir(), 'ddr-cli-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const sample = 'local/samples/audit-notification.json';

describe('npm run plan', () => {
  it('prints the plan as JSON and exits 0', () => {
    const { status, stdout } = run('local/cli/plan.ts', ['--notification', sample]);
    expect(status).toBe(0);
    const plan = JSON.parse(stdout);
    expect(plan).toMatchObject({
      kind: 'plan',
      mode: { effective: 'dry-run' },
      names: { executionName: 'dry-4e2bcd1ccbc2a5dd15292a82ab80c380' },
    });
  });

  it('enforces with an enforce policy and switch, re-run and prefix applied', () => {
    const policy = file(
      'enforce.yaml',
      'version: 1\nmode: enforce\nactions: {P: {type: PUBLISH_FINDING_TO_SNS}}\nrules: [{check: LOGGING_DISABLED_CHECK, actions: [P]}]\n',
    );
    const { status, stdout } = run('local/cli/plan.ts', [
      '--notification',
      sample,
      '--policy',
      policy,
      '--switch',
      'enforce',
      '--rerun',
      '3',
      '--action-prefix',
      'ddr',
    ]);
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      mode: { effective: 'enforce' },
      names: { mitigationTaskId: 'enf-4e2bcd1ccbc2a5dd15292a82ab80c380-r3' },
      auditCheckToActionsMapping: { LOGGING_DISABLED_CHECK: ['ddr-P'] },
    });
  });

  it('prints every error of the notification and the policy, exit 2, no stack trace', () => {
    const notification = file('bad.json', JSON.stringify({ taskId: 'x_y' }));
    const policy = file('bad.yaml', 'version: 2\nactions: {}\nrules: []\n');
    const { status, stdout, stderr } = run('local/cli/plan.ts', [
      '--notification',
      notification,
      '--policy',
      policy,
    ]);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('notification: taskId: "x_y" does not match');
    expect(stderr).toContain('notification: accountId: is required');
    expect(stderr).toContain('policy: version: 2 is not valid; expected 1');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [['--notification', sample, '--switch', 'on'], '--switch: "on" is not one of dry-run, enforce, paused'],
    [['--notification', sample, '--rerun', '0'], '--rerun: the re-run number must be an integer from 1'],
    [['--notification', sample, '--switch-set-at', 'soon'], '--switch-set-at: "soon" is not a date-time'],
    [['--notification', '/nonexistent.json'], '/nonexistent.json: ENOENT'],
    [[], '--notification is required'],
    [['--bogus'], 'unknown option --bogus'],
  ])('rejects %j with exit 2', (args, message) => {
    const { status, stderr } = run('local/cli/plan.ts', args);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
  });
});

describe('npm run policy:check', () => {
  it('accepts the default policy', () => {
    const { status, stdout } = run('local/cli/policy-check.ts', ['config/default-policy.yaml']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/valid \(17 rules, mode dry-run, sha256:[0-9a-f]{64}\)/);
  });

  it('lists every error and exits 2', () => {
    const policy = file(
      'two.yaml',
      'version: 1\nactions: {P: {type: PUBLISH_FINDING_TO_SNS}}\nrules: [{check: NOPE, actions: [Q]}]\n',
    );
    const { status, stderr } = run('local/cli/policy-check.ts', [policy]);
    expect(status).toBe(2);
    expect(stderr).toContain('2 errors');
    expect(stderr).toContain('rules[0].check: "NOPE" is not valid');
    expect(stderr).toContain('rules[0].actions[0]: "Q" is not declared in actions; expected one of P');
  });

  it('needs a file', () => {
    expect(run('local/cli/policy-check.ts', []).status).toBe(2);
  });
});
