/** Runs a command as a person does, through `npm run` (quiet: npm's own banner and epilogue left out). */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = new URL('../../', import.meta.url).pathname;

export interface Outcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run -s SCRIPT -- ARGS`, bounded: a command that hangs fails its test instead of the suite. */
export function npmRun(script: string, args: string[], timeoutMs = 20_000): Outcome {
  const result = spawnSync('npm', ['run', '-s', script, '--', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The same, asynchronously, for a command that needs something of this process meanwhile (a port held,
 * a local stack serving it); `env`, when given, is the command's whole environment.
 */
export async function npmRunAsync(
  script: string,
  args: string[],
  timeoutMs = 20_000,
  env?: NodeJS.ProcessEnv,
): Promise<Outcome> {
  const child = spawn('npm', ['run', '-s', script, '--', ...args], {
    cwd: root,
    timeout: timeoutMs,
    ...(env === undefined ? {} : { env }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': a child's output can still be in its pipes when it exits.
  const [status] = (await once(child, 'close')) as [number | null];
  return { status, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'ddr-cli-'));
export function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Exactly one line on stderr, nothing on stdout, exit code 2. */
export function refusedWith(outcome: Outcome): string {
  if (outcome.status !== 2 || outcome.stdout !== '' || outcome.stderr.trimEnd().includes('\n'))
    throw new Error(`expected one line and exit 2, got ${JSON.stringify(outcome)}`);
  return outcome.stderr.trimEnd();
}
