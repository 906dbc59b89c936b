/**
 * The local end-to-end run on the `large` preset (one audit with 1,000,000 non-compliant findings),
 * as `npm start -- --preset large` runs it, in a fresh process: wall time and peak memory. No policy
 * may let a fleet-changing rule touch more than 10,000 findings (functions/domain/policy.ts), so the
 * check is held back and reported: the run measures reading, planning and reporting a million-finding
 * audit. Mitigating a million findings is measured by the emulator's own tests
 * (local-cloud/tests/emulator/large.test.ts).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface EndToEndResult {
  readonly realSeconds: number;
  readonly peakMemoryMb: number;
  readonly virtualTime: string;
  readonly outcome: string;
  readonly findingsHandled: string;
}

export async function measureLargeEndToEnd(): Promise<EndToEndResult> {
  const started = process.hrtime.bigint();
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', '--preset', 'large'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'ignore'],
    });
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
  const done = /Done: ([\w-]+) in (.+) of virtual time, .* peak memory (\d+) MB\./.exec(output);
  const handled = [...output.matchAll(/mitigation task \w+: ([\d,]+ of [\d,]+) findings handled/g)].at(-1);
  return {
    realSeconds,
    peakMemoryMb: Number(done?.[3] ?? Number.NaN),
    virtualTime: done?.[2] ?? '?',
    outcome: done?.[1] ?? 'unknown',
    findingsHandled: handled?.[1] ?? '?',
  };
}
