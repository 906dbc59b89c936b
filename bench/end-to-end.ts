/**
 * The local end-to-end run on the `large` preset (one audit with 1,000,000 non-compliant findings),
 * as `npm start -- --preset large` runs it, in a fresh process: wall time and peak memory, read from
 * the run's own JSON document (`--json`, local/demo-document.ts). No policy may let a fleet-changing
 * rule touch more than 10,000 findings (functions/domain/policy.ts), so the check is held back and
 * reported: the run measures reading, planning and reporting a million-finding audit. Mitigating a
 * million findings is measured by the emulator's own tests (local-cloud/tests/emulator/large.test.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StartDocument } from '../local/demo-document.ts';

export interface EndToEndResult {
  /** As npm start's "Done:" line: the execution's status, or the planner's outcome when it started none. */
  readonly outcome: string;
  /** Non-compliant findings in the audit. */
  readonly findings: number;
  /** Checks held back by their caps. */
  readonly checksHeldBack: number;
  /** Findings the mitigation task handled; null when no task ran. */
  readonly findingsHandled: number | null;
  readonly virtualMs: number;
  /** From spawning the process to its exit. */
  readonly wallSeconds: number;
  /** The process's peak resident memory, as npm start measures it. */
  readonly peakRssMb: number;
}

export async function measureLargeEndToEnd(): Promise<EndToEndResult> {
  const file = join(mkdtempSync(join(tmpdir(), 'ddr-e2e-')), 'large.json');
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'local/start.ts', '--preset', 'large', '--json', file],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`npm start exited ${code}:\n${stderr}`)),
    );
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const run = JSON.parse(readFileSync(file, 'utf8')) as StartDocument;
  return {
    outcome: run.outcome,
    findings: Object.values(run.nonCompliant.before).reduce((sum, count) => sum + count, 0),
    checksHeldBack: run.plan?.heldBack.length ?? 0,
    findingsHandled: run.mitigationTask?.findingsHandled ?? null,
    virtualMs: run.virtualMs,
    wallSeconds,
    peakRssMb: run.peakRssMb,
  };
}
