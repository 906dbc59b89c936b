/**
 * No command prints a stack trace for a user's mistake: each has `--help` (exit 0), refuses unknown
 * and repeated options, and answers bad input with one line naming it and exit code 2.
 */

import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { file, npmRun, npmRunAsync, refusedWith } from './support.ts';

const sample = 'local/samples/audit-notification.json';
const commands: ReadonlyArray<readonly [script: string, usage: string]> = [
  ['start', 'usage: npm start'],
  ['plan', 'usage: npm run plan'],
  ['policy:check', 'usage: npm run policy:check'],
  ['rerun', 'usage: npm run rerun'],
  ['emulator', 'usage: npm run emulator'],
  ['bench', 'usage: npm run bench'],
];

describe.concurrent.each(commands)('npm run %s', (script, usage) => {
  it('--help prints the usage and exits 0', () => {
    const { status, stdout, stderr } = npmRun(script, ['--help']);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout.startsWith(usage)).toBe(true);
  });

  it('refuses an unknown option in one line', () => {
    expect(refusedWith(npmRun(script, ['--no-such-option']))).toMatch(
      /: unknown option --no-such-option \(see /,
    );
  });

  it('refuses a repeated option in one line', () => {
    const repeated: Record<string, string[]> = {
      start: ['--preset', 'demo', '--preset', 'large'],
      plan: ['--notification', sample, '--notification', sample],
      'policy:check': ['--emit-json', '--emit-json', 'config/default-policy.yaml'],
      rerun: ['--audit-task-id', 'a', '--audit-task-id', 'b'],
      emulator: ['--port', '0', '--port', '1'],
      bench: ['--help', '--help'],
    };
    const line = refusedWith(npmRun(script, repeated[script]!));
    expect(line).toMatch(
      /--(preset|notification|emit-json|audit-task-id|port|help) is given more than once$/,
    );
  });
});

describe.concurrent('policy files a person might hand over', () => {
  it('a YAML alias bomb is refused without expanding it', () => {
    let yaml = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 10; i += 1)
      yaml += `l${i}: &l${i} [${Array(10)
        .fill(i === 1 ? '*a' : `*l${i - 1}`)
        .join(', ')}]\n`;
    const line = refusedWith(npmRun('policy:check', [file('bomb.yaml', yaml)]));
    expect(line).toMatch(/bomb\.yaml: \(document\): too many YAML alias expansions \(at most 100;/);
  });

  it('200,000 rules: the file size bound names its limit', () => {
    const rule = '{check: LOGGING_DISABLED_CHECK, actions: [P]}';
    const policy = `version: 1\nactions: {P: {type: PUBLISH_FINDING_TO_SNS}}\nrules: [${Array(200_000).fill(rule).join(',')}]\n`;
    const line = refusedWith(npmRun('policy:check', [file('many.yaml', policy)]));
    expect(line).toMatch(
      /many\.yaml: \(document\): [\d,]+ bytes; a policy file may be at most 1,048,576 bytes$/,
    );
  });

  it('more rules than a policy may have, in a small file, names the rule limit', () => {
    const policy = `version: 1\nactions: {P: {type: PUBLISH_FINDING_TO_SNS}}\nrules: [${Array(5_000).fill('{check: LOGGING_DISABLED_CHECK, actions: [P]}').join(',')}]\n`;
    const line = refusedWith(npmRun('policy:check', [file('rules.yaml', policy)]));
    expect(line).toMatch(/rules\.yaml: rules: 5,000 rules; a policy may have at most 1,000$/);
  });

  it('a 50 MB field is refused by size', () => {
    const line = refusedWith(
      npmRun('policy:check', [file('big.yaml', `version: 1\ndescription: ${'x'.repeat(50_000_000)}\n`)]),
    );
    expect(line).toMatch(
      /big\.yaml: \(document\): 50,000,\d{3} bytes; a policy file may be at most 1,048,576 bytes$/,
    );
  });

  it('npm start names the bad policy file in one line', () => {
    const line = refusedWith(
      npmRun('start', [
        '--policy',
        file(
          'bomb2.yaml',
          'a: &a [1]\nb: [*a, *a]\n'.replace(
            '[*a, *a]',
            Array(200).fill('*a').join(', ').replace(/^/, '[').concat(']'),
          ),
        ),
      ]),
    );
    expect(line).toMatch(/^npm start: .*bomb2\.yaml: \(document\): too many YAML alias expansions/);
  });
});

describe.concurrent('npm run plan', () => {
  it('a taskStartTime in seconds is called that', () => {
    const notification = JSON.parse(readFileSync(sample, 'utf8'));
    notification.taskStartTime = Math.floor(notification.taskStartTime / 1000);
    const line = refusedWith(
      npmRun('plan', ['--notification', file('seconds.json', JSON.stringify(notification))]),
    );
    expect(line).toBe(
      `notification: taskStartTime ${notification.taskStartTime} is in seconds; it must be epoch milliseconds (${notification.taskStartTime * 1000})`,
    );
  });

  it('an action prefix outside [A-Za-z0-9_-] is refused', () => {
    const line = refusedWith(npmRun('plan', ['--notification', sample, '--action-prefix', 'my stack']));
    expect(line).toBe('--action-prefix: "my stack" must be 1 to 64 of A-Z a-z 0-9 _ -');
  });
});

describe.concurrent('npm run emulator', () => {
  it.each([
    [
      ['--speed', '-1'],
      'npm run emulator: --speed: "-1" is not a positive number (virtual seconds per real second)',
    ],
    [
      ['--speed', '0'],
      'npm run emulator: --speed: "0" is not a positive number (virtual seconds per real second)',
    ],
    [
      ['--notification-url', 'localhost:9000'],
      'npm run emulator: --notification-url: "localhost:9000" is not an http:// or https:// URL',
    ],
    [['--preset', 'huge'], 'npm run emulator: --preset: "huge" is not one of fixture, demo, large'],
  ])('%j is refused', (args, message) => {
    expect(refusedWith(npmRun('emulator', args))).toBe(message);
  });

  it('a port in use is refused in one line', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    try {
      const line = refusedWith(await npmRunAsync('emulator', ['--port', String(port)]));
      expect(line).toBe(`npm run emulator: port ${port} is in use; choose another with --port`);
    } finally {
      holder.close();
    }
  });
});

describe.concurrent('npm run bench and npm start', () => {
  it('an unknown benchmark is named', () => {
    expect(refusedWith(npmRun('bench', ['nope']))).toMatch(
      /^npm run bench: unknown benchmark nope; choose from cold-start, /,
    );
  });

  it('an unknown preset is named', () => {
    expect(refusedWith(npmRun('start', ['--preset', 'huge']))).toBe(
      'npm start: --preset: "huge" is not one of demo, large',
    );
  });
});

describe.concurrent('npm run policy:check -- FILE --emit-json', () => {
  it('prints the validated policy as the compact JSON an SSM parameter takes', () => {
    const { status, stdout, stderr } = npmRun('policy:check', ['config/default-policy.yaml', '--emit-json']);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    const policy = JSON.parse(stdout);
    expect(policy).toMatchObject({ version: 1, mode: 'dry-run' });
    expect(policy.rules).toHaveLength(17);
    // What it prints passes the check itself, as the SSM parameter's reader will check it.
    const again = npmRun('policy:check', [file('emitted.json', stdout)]);
    expect(again.status).toBe(0);
  });

  it('prints nothing for an invalid policy, and refuses two files', () => {
    const invalid = npmRun('policy:check', [file('bad.yaml', 'version: 2\n'), '--emit-json']);
    expect(invalid.status).toBe(2);
    expect(invalid.stdout).toBe('');
    expect(refusedWith(npmRun('policy:check', ['--emit-json', 'a.yaml', 'b.yaml']))).toBe(
      'npm run policy:check: --emit-json takes exactly one policy file',
    );
  });
});
