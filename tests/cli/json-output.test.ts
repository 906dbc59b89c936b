/**
 * `npm start -- --json FILE` and `npm run bench -- NAME --json FILE`, run as a person runs them: the
 * document parses, says what the human output says, and is written whole, only after the run; a path
 * that cannot be written is refused in one line before anything runs (docs/json-output.md).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StartDocument } from '../../local/demo-document.ts';
import { file, npmRun, refusedWith } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'ddr-json-'));
const REVOKED = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';
// npm start takes seconds, more on a busy machine: bounds for safety, not for speed.
const RUN_MS = 180_000;

const doneLine = (text: string) => {
  const done = /^Done: ([\w-]+) in .* peak memory (\d+) MB\.$/m.exec(text);
  if (!done) throw new Error(`no "Done:" line in:\n${text}`);
  return { outcome: done[1], peakRssMb: Number(done[2]) };
};

describe('npm start -- --json', () => {
  it(
    'FILE: one document that agrees with the human output, and counts that add up',
    () => {
      const path = join(dir, 'start.json');
      writeFileSync(path, 'an earlier run');
      const { status, stdout, stderr } = npmRun('start', ['--json', path], RUN_MS);
      expect(stderr).toBe('');
      expect(status).toBe(0);
      const done = doneLine(stdout);
      const run = JSON.parse(readFileSync(path, 'utf8')) as StartDocument;
      expect(existsSync(`${path}.tmp`)).toBe(false);

      expect(run).toMatchObject({
        schemaVersion: 1,
        command: 'npm start',
        preset: 'demo',
        switch: 'enforce',
        outcome: done.outcome,
        peakRssMb: done.peakRssMb,
      });
      expect(run.outcome).toBe('SUCCEEDED');
      expect(Number.isNaN(Date.parse(run.startedAt))).toBe(false);
      expect(stdout).toContain(`Audit ${run.auditTaskId} COMPLETED`);

      // The plan's mitigated checks are exactly those the task has statistics for, and its findings theirs.
      const plan = run.plan!;
      const task = run.mitigationTask!;
      expect(task.taskId).toBe(plan.executionName);
      expect(task.status).toBe('COMPLETED');
      expect(Object.keys(task.statistics).sort()).toEqual(plan.checks.map((c) => c.checkName).sort());
      expect(plan.summary?.checksToMitigate).toBe(plan.checks.length);
      expect(task.findingsTotal).toBe(plan.summary?.findingsToMitigate);
      expect(task.findingsHandled).toBe(task.findingsTotal);
      expect(stdout).toContain(
        `mitigation task COMPLETED: ${task.findingsHandled} of ${task.findingsTotal} findings handled`,
      );
      // Held back: in the plan, in the report's summary, untouched by the re-audit.
      expect(plan.heldBack.map((c) => c.checkName)).toEqual([
        'INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK',
      ]);
      expect(plan.summary?.checksHeldBack).toBe(plan.heldBack.length);
      const summary = run.report?.summary as unknown as {
        outcome: { name: string };
        heldBack: { checkName: string }[];
      };
      expect(summary.outcome.name).toBe('Completed');
      expect(summary.heldBack.map((c) => c.checkName)).toEqual(plan.heldBack.map((c) => c.checkName));
      expect(run.report?.text).toContain('Held back (above a cap, not mitigated):');
      // The verification audits the fixed checks again, never a held-back one.
      expect(run.verification).toMatchObject({ status: 'completed', notImproved: [] });
      expect(run.verification?.checks.map((c) => c.checkName)).toEqual(
        Object.keys(run.nonCompliant.after ?? {}),
      );
      for (const check of run.verification?.checks ?? [])
        expect(run.nonCompliant.after?.[check.checkName]).toBe(check.after);
      for (const held of plan.heldBack) expect(run.nonCompliant.after?.[held.checkName]).toBeUndefined();

      expect(run.execution).toMatchObject({ name: plan.executionName, status: 'SUCCEEDED', error: null });
      expect(stdout).toContain(
        `Execution ${plan.executionName} SUCCEEDED; ${run.execution?.transitions} state transitions, ${run.execution?.historyEvents} history events`,
      );
      expect(run.fleet.after.deviceCertificates.INACTIVE).toBeGreaterThan(
        run.fleet.before.deviceCertificates.INACTIVE,
      );
      expect(run.virtualMs).toBeGreaterThan(0);
    },
    RUN_MS,
  );

  it(
    '-: the document alone on stdout, the human lines on stderr (large preset: held back, not approved in time)',
    () => {
      const { status, stdout, stderr } = npmRun('start', ['--preset', 'large', '--json', '-'], RUN_MS);
      expect(status).toBe(0);
      const run = JSON.parse(stdout) as StartDocument;
      expect(run.outcome).toBe(doneLine(stderr).outcome);
      const name = `enf-${run.auditTaskId}`;
      // Under enforce an audit held back entirely still starts an execution, which waits for an approval.
      expect(run).toMatchObject({
        outcome: 'SUCCEEDED',
        preset: 'large',
        planner: { outcome: 'started', executionName: name },
        execution: { name, status: 'SUCCEEDED' },
        mitigationTask: null,
        nonCompliant: { after: null },
        verification: null,
        approval: {
          status: 'timed-out',
          checks: [REVOKED],
          taskId: `${name}-a1`,
          requestedBy: null,
          task: null,
        },
      });
      expect(run.plan).toMatchObject({ executionName: name, checks: [], summary: { checksToMitigate: 0 } });
      expect(run.plan?.heldBack).toEqual([
        expect.objectContaining({
          checkName: REVOKED,
          nonCompliantResourcesCount: 1_000_000,
          cap: expect.objectContaining({ name: 'maxFindings' }),
        }),
      ]);
      // The report it published as it began to wait says how to approve; the last one that nobody did.
      expect(run.approval?.waitingReport).toContain(
        `npm run approve -- --execution ${name} --check ${REVOKED} --event-bus ${run.stackName}`,
      );
      expect(run.report?.summary).toMatchObject({
        outcome: { name: 'HeldBack' },
        approval: { status: 'timed-out' },
      });
      expect(run.report?.text).toContain('NOT APPROVED IN TIME');
      expect(run.virtualMs).toBeGreaterThanOrEqual(86_400_000);
      expect(stderr).toContain('The report, as published to the reports topic when it began to wait');
      expect(stderr).toContain('npm start -- --preset large --approve approves as the operator');
    },
    RUN_MS,
  );

  it(
    '--approve: the operator approves what the large preset held back, and its 1,000,000 findings are mitigated',
    () => {
      const { status, stdout, stderr } = npmRun(
        'start',
        ['--preset', 'large', '--approve', '--json', '-'],
        RUN_MS,
      );
      expect(status).toBe(0);
      const run = JSON.parse(stdout) as StartDocument;
      const name = `enf-${run.auditTaskId}`;
      expect(run).toMatchObject({
        outcome: 'SUCCEEDED',
        mitigationTask: null,
        approval: {
          status: 'approved',
          checks: [REVOKED],
          requestedBy: 'arn:aws:iam::123456789012:role/remediation-operator',
          task: {
            taskId: `${name}-a1`,
            status: 'COMPLETED',
            findingsHandled: 1_000_000,
            findingsTotal: 1_000_000,
          },
        },
        report: { summary: { outcome: { name: 'Completed' }, approval: { status: 'approved' } } },
        fleet: { after: { deviceCertificates: { ACTIVE: 0, INACTIVE: 1_000_000 } } },
      });
      expect(stderr).toContain(
        `Held-Back Check Approval Requested -> approve-held-back: {"outcome":"approved"`,
      );
      expect(stderr).toContain(
        `mitigation task ${name}-a1 COMPLETED: 1,000,000 of 1,000,000 findings handled`,
      );
    },
    RUN_MS,
  );

  it('a run that stops before its end leaves FILE as it was', () => {
    const path = join(dir, 'kept.json');
    writeFileSync(path, 'an earlier run');
    const policy = file('bad-policy.yaml', 'version: 2\n');
    const { status, stdout } = npmRun('start', ['--policy', policy, '--json', path]);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(readFileSync(path, 'utf8')).toBe('an earlier run');
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });
});

describe('npm run bench -- scale --json', () => {
  it(
    'FILE: the figures the table prints, and the machine',
    () => {
      const path = join(dir, 'bench.json');
      const { status, stdout, stderr } = npmRun('bench', ['scale', '--json', path], RUN_MS);
      expect(stderr).toBe('');
      expect(status).toBe(0);
      const bench = JSON.parse(readFileSync(path, 'utf8'));
      expect(existsSync(`${path}.tmp`)).toBe(false);
      expect(bench).toMatchObject({
        schemaVersion: 1,
        command: 'npm run bench',
        machine: { node: process.version, cpus: expect.any(Number), platform: expect.any(String) },
      });
      expect(
        stdout.startsWith(`${bench.date} · Node ${bench.machine.node} · ${bench.machine.platform}`),
      ).toBe(true);
      expect(Object.keys(bench.benchmarks)).toEqual(['scale']);
      const plans = bench.benchmarks.scale.plans as {
        findings: number;
        checks: number;
        iterations: number;
        planBytes: number;
        planMicroseconds: number;
      }[];
      expect(plans.map((p) => p.findings)).toEqual([10, 10_000, 1_000_000]);
      // Every figure of the JSON is in the table, as the table rounds it, and the table has no other row.
      for (const p of plans) {
        expect(stdout).toContain(
          `plan for ${p.findings.toLocaleString('en-US')} non-compliant findings (${p.checks} checks; mean of ${p.iterations.toLocaleString('en-US')} plannings)`,
        );
        expect(stdout).toContain(
          `${(p.planBytes / 1024).toFixed(2)} KB, ${p.planMicroseconds.toFixed(0)} µs to plan`,
        );
      }
      expect(stdout.match(/'scale'/g)).toHaveLength(plans.length);
    },
    RUN_MS,
  );

  it(
    '-: the document alone on stdout, the table on stderr',
    () => {
      const { status, stdout, stderr } = npmRun('bench', ['scale', '--json', '-'], RUN_MS);
      expect(status).toBe(0);
      expect(JSON.parse(stdout).benchmarks.scale.plans).toHaveLength(3);
      expect(stderr).toContain('non-compliant findings (17 checks');
    },
    RUN_MS,
  );
});

describe.each([
  ['start', []],
  ['bench', ['scale']],
] as const)(
  'npm run %s -- --json: a path that cannot be written is refused before anything runs',
  (script, args) => {
    const blocker = join(dir, `${script}-a-file`);
    writeFileSync(blocker, '');
    const existingDir = join(dir, `${script}-a-directory`);
    mkdirSync(existingDir, { recursive: true });

    it.each([
      [
        'a directory that does not exist',
        join(dir, 'no-such-dir', 'out.json'),
        /no-such-dir does not exist$/,
      ],
      ['a path below a file', join(blocker, 'out.json'), /-a-file is not a directory$/],
      ['a directory', existingDir, /-a-directory is a directory$/],
      ['an empty path', '', /--json: give a file path, or - for stdout$/],
    ])('%s', (_what, path, message) => {
      const line = refusedWith(npmRun(script, [...args, '--json', path]));
      expect(line).toMatch(/^npm (start|run bench): --json: /);
      if (path !== '') expect(line).toContain(path);
      expect(line).toMatch(message);
      expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
    });

    it('--json without a value', () => {
      expect(refusedWith(npmRun(script, [...args, '--json']))).toMatch(/--json/);
    });
  },
);
