/**
 * `npm run local-stack` as a person runs it: started through npm on free ports (`--<service>-port 0`),
 * driven with the real AWS CLI (v2 when one is installed) and `npm run rerun`, stopped with Ctrl-C
 * (SIGINT to its process group). An on-demand audit reaches the planner by itself and its execution
 * is listed, succeeds and has a readable history; the operator's re-run starts `dry-<auditTaskId>-r1`;
 * a non-operator's re-run request is refused by the bus policy and starts nothing; a port in use and
 * every other bad option are refused in one line with exit 2. Every wait is bounded.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCli } from '../support/aws-cli.ts';
import { file, npmRun, npmRunAsync, type Outcome, refusedWith, root } from './support.ts';

/** Virtual seconds per real second: a 60-second audit ends in a tenth of a second. */
const SPEED = '600';
/** Bounds, not expectations: a loaded machine may take long to start tsx, the AWS CLI or the stack. */
const START_TIMEOUT_MS = 90_000;
const CLI_TIMEOUT_MS = 60_000;
const FLOW_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 240_000;
const SERVICES = ['iot', 'sfn', 'ssm', 'sns', 'events', 'sts'] as const;
const ANY_FREE_PORT = SERVICES.flatMap((service) => [`--${service}-port`, '0']);

const AWS = awsCli();
const home = mkdtempSync(join(tmpdir(), 'local-stack-test-'));

/** Nothing from the caller's AWS set-up: dummy keys (the access key id names the caller), no profile, no pager. */
function cleanEnv(accessKeyId: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

/** `aws SERVICE ARGS --endpoint-url URL --output json`, as `accessKeyId`; rejects unless it exits 0. */
function aws(accessKeyId: string, endpoint: string, ...args: string[]): Promise<Record<string, unknown>> {
  const argv = [...args, '--endpoint-url', endpoint, '--output', 'json'];
  return new Promise((resolve, reject) => {
    execFile(AWS, argv, { env: cleanEnv(accessKeyId), timeout: CLI_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) reject(new Error(`aws ${argv.join(' ')}: ${error.message}\n${stderr}`));
      else resolve(stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>));
    });
  });
}

interface RunningStack {
  readonly child: ChildProcess;
  readonly endpoints: Record<(typeof SERVICES)[number], string>;
  readonly stateMachineArn: string;
  readonly bus: string;
  output(): string;
}

/** Starts `npm run local-stack` in a process group of its own (as a terminal would), and waits for its banner. */
async function startStack(): Promise<RunningStack> {
  const child = spawn('npm', ['run', '-s', 'local-stack', '--', '--speed', SPEED, ...ANY_FREE_PORT], {
    cwd: root,
    detached: true,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await until(
    () => stdout.includes('Listening until Ctrl-C.'),
    START_TIMEOUT_MS,
    () => {
      return `no banner from npm run local-stack (exit ${child.exitCode}):\n${stdout}\n${stderr}`;
    },
  );
  const line = (pattern: RegExp) => {
    const match = pattern.exec(stdout)?.[1];
    if (match === undefined) throw new Error(`the banner has no ${pattern}:\n${stdout}`);
    return match;
  };
  return {
    child,
    endpoints: {
      iot: line(/\(aws iot\)\s+(http:\/\/\S+)/),
      sfn: line(/\(aws stepfunctions\)\s+(http:\/\/\S+)/),
      ssm: line(/\(aws ssm get-parameter\)\s+(http:\/\/\S+)/),
      sns: line(/SNS \(Publish\)\s+(http:\/\/\S+)/),
      events: line(/\(aws events put-events\)\s+(http:\/\/\S+)/),
      sts: line(/\(aws sts get-caller-identity\)\s+(http:\/\/\S+)/),
    },
    stateMachineArn: line(/state machine\s+(arn:\S+)/),
    bus: line(/event bus\s+(\S+)/),
    output: () => stdout + stderr,
  };
}

/** Polls `check` (each poll is an AWS CLI call or a look at output) until it is true; fails past `timeoutMs`. */
async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  why: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Execution {
  readonly name: string;
  readonly status: string;
  readonly executionArn: string;
}

let stack: RunningStack;
const listExecutions = async (): Promise<Execution[]> =>
  (
    await aws(
      'operator',
      stack.endpoints.sfn,
      'stepfunctions',
      'list-executions',
      '--state-machine-arn',
      stack.stateMachineArn,
    )
  ).executions as Execution[];

/** Waits until an execution of that name has stopped, and returns it. */
async function stopped(name: string): Promise<Execution> {
  let found: Execution | undefined;
  await until(
    async () => {
      found = (await listExecutions()).find((e) => e.name === name && e.status !== 'RUNNING');
      return found !== undefined;
    },
    FLOW_TIMEOUT_MS,
    () => `no stopped execution ${name}; the stack said:\n${stack.output()}`,
  );
  return found!;
}

const rerunRequest = (bus: string, auditTaskId: string, rerun: number) =>
  JSON.stringify([
    {
      EventBusName: bus,
      Source: 'custom.devicedefender',
      DetailType: 'Audit Remediation Requested',
      Detail: JSON.stringify({ auditTaskId, rerun }),
    },
  ]);

/** `npm run rerun` against the local stack, as `accessKeyId`. */
function npmRerun(accessKeyId: string, ...args: string[]): Outcome {
  const result = execFileSyncOutcome('npm', ['run', '-s', 'rerun', '--', ...args], {
    ...process.env,
    ...cleanEnv(accessKeyId),
    AWS_ENDPOINT_URL_EVENTBRIDGE: stack.endpoints.events,
    AWS_ENDPOINT_URL_STS: stack.endpoints.sts,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  return result;
}

function execFileSyncOutcome(command: string, args: string[], env: NodeJS.ProcessEnv): Outcome {
  try {
    const stdout = execFileSync(command, args, { cwd: root, env, encoding: 'utf8', timeout: CLI_TIMEOUT_MS });
    return { status: 0, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { status: number | null; stdout: string; stderr: string };
    return { status: failed.status, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('npm run local-stack, driven with the AWS CLI', () => {
  let audit: string;
  let other: string;

  beforeAll(async () => {
    stack = await startStack();
  }, START_TIMEOUT_MS + 10_000);

  afterAll(() => {
    // Whatever happened, leave nothing running.
    try {
      if (stack?.child.pid !== undefined) process.kill(-stack.child.pid, 'SIGKILL');
    } catch {
      // the group has ended already
    }
    rmSync(home, { recursive: true, force: true });
  });

  it(
    'holds what its banner says: the operator is a session of the operator role',
    async () => {
      expect(stack.bus).toBe('device-defender-remediation');
      expect(stack.stateMachineArn).toMatch(/^arn:aws:states:us-east-1:123456789012:stateMachine:/);
      expect(await aws('operator', stack.endpoints.sts, 'sts', 'get-caller-identity')).toMatchObject({
        Account: '123456789012',
        Arn: 'arn:aws:sts::123456789012:assumed-role/remediation-operator/operator',
      });
      expect(await aws('someone', stack.endpoints.sts, 'sts', 'get-caller-identity')).toMatchObject({
        Arn: 'arn:aws:iam::123456789012:user/someone',
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'takes an on-demand audit to the planner: its execution is listed and succeeds',
    async () => {
      const start = () =>
        aws(
          'operator',
          stack.endpoints.iot,
          'iot',
          'start-on-demand-audit-task',
          '--target-check-names',
          'DEVICE_CERTIFICATE_SHARED_CHECK',
        );
      audit = String((await start()).taskId);
      other = String((await start()).taskId);
      expect(audit).toMatch(/^[\w-]+$/);

      const execution = await stopped(`dry-${audit}`);
      expect(execution.status).toBe('SUCCEEDED');
      await stopped(`dry-${other}`);
      const described = await aws(
        'operator',
        stack.endpoints.sfn,
        'stepfunctions',
        'describe-execution',
        '--execution-arn',
        execution.executionArn,
      );
      expect(described).toMatchObject({ status: 'SUCCEEDED', name: `dry-${audit}` });
      expect(JSON.parse(String(described.output))).toMatchObject({ auditTaskId: audit });
      expect(stack.output()).toContain(`audit ${audit} COMPLETED`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers the execution history, in order and newest first',
    async () => {
      const executionArn = `${stack.stateMachineArn.replace(':stateMachine:', ':execution:')}:dry-${audit}`;
      const { events } = (await aws(
        'operator',
        stack.endpoints.sfn,
        'stepfunctions',
        'get-execution-history',
        '--execution-arn',
        executionArn,
      )) as {
        events: { id: number; previousEventId: number; type: string; taskScheduledEventDetails?: object }[];
      };
      expect(events[0]?.type).toBe('ExecutionStarted');
      expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
      expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
      expect(events.find((e) => e.type === 'TaskScheduled')?.taskScheduledEventDetails).toMatchObject({
        resourceType: expect.any(String),
        region: 'us-east-1',
      });
      const newest = (await aws(
        'operator',
        stack.endpoints.sfn,
        'stepfunctions',
        'get-execution-history',
        '--execution-arn',
        executionArn,
        '--reverse-order',
        '--max-items',
        '1',
      )) as { events: { type: string }[] };
      expect(newest.events.map((e) => e.type)).toEqual(['ExecutionSucceeded']);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    're-runs the audit with npm run rerun as the operator: dry-<auditTaskId>-r1',
    async () => {
      const outcome = npmRerun('operator', '--audit-task-id', audit);
      expect(outcome).toMatchObject({ status: 0, stderr: '' });
      expect(outcome.stdout).toContain(
        `Re-run 1 of audit ${audit} requested by arn:aws:sts::123456789012:assumed-role/remediation-operator/operator on device-defender-remediation`,
      );
      expect((await stopped(`dry-${audit}-r1`)).status).toBe('SUCCEEDED');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "refuses a non-operator's re-run request, by aws events put-events or npm run rerun, and starts nothing",
    async () => {
      const refused = await aws(
        'someone',
        stack.endpoints.events,
        'events',
        'put-events',
        '--entries',
        rerunRequest(stack.bus, other, 1),
      );
      expect(refused).toEqual({
        FailedEntryCount: 1,
        Entries: [
          {
            ErrorCode: 'AccessDeniedException',
            ErrorMessage: expect.stringContaining(
              'User: arn:aws:iam::123456789012:user/someone is not authorized to perform: events:PutEvents',
            ),
          },
        ],
      });
      const byRerun = npmRerun('someone', '--audit-task-id', other);
      expect(byRerun.status).toBe(1);
      expect(byRerun.stdout).toBe('');
      expect(byRerun.stderr.trim()).toMatch(
        /^npm run rerun: EventBridge refused the request: AccessDeniedException /,
      );

      // The operator's request, made after the refused ones, is the witness that they had their chance.
      const accepted = await aws(
        'operator',
        stack.endpoints.events,
        'events',
        'put-events',
        '--entries',
        rerunRequest(stack.bus, audit, 2),
      );
      expect(accepted).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
      expect((await stopped(`dry-${audit}-r2`)).status).toBe('SUCCEEDED');
      expect((await listExecutions()).map((e) => e.name).sort()).toEqual(
        [`dry-${audit}`, `dry-${other}`, `dry-${audit}-r1`, `dry-${audit}-r2`].sort(),
      );
    },
    TEST_TIMEOUT_MS,
  );

  // A terminal's Ctrl-C reaches the whole process group: npm, its shell, tsx and the stack. The shell
  // and npm end by the signal itself (npm's way: the script's shell died of SIGINT); the stack closes
  // its servers and says so before it exits 0 ("Stopped." is printed where its exit code is set to 0).
  it(
    'stops on Ctrl-C: closes every server and says so',
    async () => {
      const { child } = stack;
      const closed = once(child, 'close') as Promise<[number | null, string | null]>;
      process.kill(-(child.pid ?? 0), 'SIGINT');
      const [code, signal] = await closed;
      expect(code === 0 || signal === 'SIGINT').toBe(true);
      expect(stack.output()).toMatch(/Stopping the local stack\.\nStopped\.\n$/);
      for (const endpoint of Object.values(stack.endpoints))
        await expect(fetch(endpoint, { method: 'POST' })).rejects.toThrow();
    },
    TEST_TIMEOUT_MS,
  );
});

describe('npm run local-stack refuses', () => {
  let held: Server;
  let heldPort: number;
  beforeAll(async () => {
    held = createServer();
    held.listen(0, '127.0.0.1');
    await once(held, 'listening');
    heldPort = (held.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => held.close(() => resolve())));

  it.each(['events', 'sfn'])(
    'a --%s-port in use, naming the port and the flag, exit 2',
    async (service) => {
      const ports = SERVICES.flatMap((s) => [`--${s}-port`, s === service ? String(heldPort) : '0']);
      const outcome = await npmRunAsync('local-stack', ports, START_TIMEOUT_MS);
      expect(refusedWith(outcome)).toBe(
        `npm run local-stack: port ${heldPort} is in use; choose another with --${service}-port`,
      );
    },
    TEST_TIMEOUT_MS,
  );

  const policy = file('not-a-policy.yaml', 'mode: dry-run\nrules: 3\n');
  it.each([
    [['--speed', '0.5'], '--speed: "0.5" is not a number of at least 1 (virtual seconds per real second)'],
    [['--speed', 'fast'], '--speed: "fast" is not a number of at least 1 (virtual seconds per real second)'],
    [['--preset', 'none'], '--preset: "none" is not one of fixture, demo, large'],
    [['--switch', 'on'], '--switch: "on" is not one of dry-run, enforce, paused'],
    [['--sts-port', '65536'], '--sts-port: "65536" is not a port (0 to 65535)'],
    [['--ssm-port', 'x'], '--ssm-port: "x" is not a port (0 to 65535)'],
    [['--iot-port', '4600', '--sfn-port', '4600'], "--sfn-port: port 4600 is already --iot-port's"],
    [['--policy', '/nonexistent/policy.yaml'], '--policy: /nonexistent/policy.yaml: cannot read the policy'],
    [['--speed', '2', '--speed', '3'], '--speed is given more than once'],
    [['--no-such-option'], 'unknown option --no-such-option'],
  ])(
    '%j in one line, exit 2',
    async (args, message) => {
      expect(refusedWith(npmRun('local-stack', args, CLI_TIMEOUT_MS))).toContain(
        `npm run local-stack: ${message}`,
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a policy that is not one, naming each error',
    () => {
      const outcome = npmRun('local-stack', ['--policy', policy], CLI_TIMEOUT_MS);
      expect(outcome.status).toBe(2);
      expect(outcome.stdout).toBe('');
      expect(outcome.stderr).toContain(`npm run local-stack: --policy ${policy}: 3 errors`);
      expect(outcome.stderr).toContain('rules: expected an array, got 3');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'nothing with --help, which lists every endpoint flag and its default port',
    () => {
      const { status, stdout, stderr } = npmRun('local-stack', ['--help'], CLI_TIMEOUT_MS);
      expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
      expect(stdout.startsWith('usage: npm run local-stack')).toBe(true);
      for (const [service, port] of [
        ['iot', 4566],
        ['sfn', 4567],
        ['ssm', 4568],
        ['sns', 4569],
        ['events', 4570],
        ['sts', 4571],
      ])
        expect(stdout).toMatch(new RegExp(`--${service}-port N .*\\(default ${port}; 0: any free port\\)`));
    },
    TEST_TIMEOUT_MS,
  );
});
