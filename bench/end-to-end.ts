/**
 * The local end-to-end run on the `large` preset (one audit with 1,000,000 non-compliant findings),
 * as `npm start -- --preset large` runs it, in a fresh process: wall time and peak memory. The demo
 * policy's caps would hold a million findings back, so this run lifts them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface EndToEndResult {
  readonly realSeconds: number;
  readonly peakMemoryMb: number;
  readonly virtualTime: string;
  readonly outcome: string;
  readonly findingsHandled: string;
}

export async function measureLargeEndToEnd(): Promise<EndToEndResult> {
  const demoPolicy = readFileSync(new URL('../local/samples/demo-policy.yaml', import.meta.url), 'utf8');
  const uncapped = demoPolicy
    .replace(/^ {2}maxFindings: \d+$/m, '  maxFindings: 2000000')
    .replace(/^ {2}maxPercent: \d+$/m, '  maxPercent: 100');
  const policyFile = join(mkdtempSync(join(tmpdir(), 'ddr-e2e-')), 'uncapped.yaml');
  writeFileSync(policyFile, uncapped);
  const started = process.hrtime.bigint();
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'local/start.ts', '--preset', 'large', '--policy', policyFile],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`npm start exited ${code}:\n${stdout}`)),
    );
  });
  const realSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const done = /Done: (\w+) in (.+) of virtual time, .* peak memory (\d+) MB\./.exec(output);
  const handled = [...output.matchAll(/mitigation task \w+: ([\d,]+ of [\d,]+) findings handled/g)].at(-1);
  return {
    realSeconds,
    peakMemoryMb: Number(done?.[3] ?? Number.NaN),
    virtualTime: done?.[2] ?? '?',
    outcome: done?.[1] ?? 'unknown',
    findingsHandled: handled?.[1] ?? '?',
  };
}
