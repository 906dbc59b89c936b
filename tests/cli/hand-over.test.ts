/**
 * Issue #17 item 4, as a person does it: `npm run plan` prints the plan's task as AWS CLI commands
 * (stderr), and the real `aws` (Debian's awscli: tests/support/aws-cli.ts) runs them, through a POSIX shell, against the
 * Device Defender emulator holding an audit with findings. The task is created with the plan's target
 * and mapping, under the hand-over's own id: the stack's `dry-`/`enf-` name is never used. Each call
 * runs with a clean environment: dummy keys, no profile, no config or credentials file, no pager.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeAuditMitigationActionsTaskCommand,
  IoTClient,
  ListAuditMitigationActionsTasksCommand,
} from '@aws-sdk/client-iot';
import {
  type AuditNotification,
  type Emulator,
  presets,
  startEmulator,
  VirtualClock,
} from '@device-defender-remediation/local-cloud';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HAND_OVER_CLI_INPUT_HEADING,
  HAND_OVER_COMMAND,
  HAND_OVER_HEADING,
  type HandOver,
  planHandOver,
  shellQuote,
} from '#domain/hand-over';
import type { RemediationPlan } from '#domain/plan';
import { pathWithAwsCli } from '../support/aws-cli.ts';
import { file, npmRunAsync } from './support.ts';

/** Each CLI start takes about a second; a loaded machine may take several. */
const CLI_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 180_000;

const home = mkdtempSync(join(tmpdir(), 'hand-over-aws-'));
/** Nothing from the caller's AWS set-up reaches the CLI. */
const CLEAN_ENV: NodeJS.ProcessEnv = {
  PATH: pathWithAwsCli(),
  HOME: home,
  LANG: 'C.UTF-8',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_PAGER: '',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `sh -c SCRIPT`, asynchronously: the emulator answers from this process meanwhile. */
function sh(script: string, args: readonly string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      'sh',
      ['-c', script, 'sh', ...args],
      { env: CLEAN_ENV, timeout: CLI_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number')
          reject(new Error(`sh -c ${script} did not finish: ${error.message}\n${stderr}`));
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

let clock: VirtualClock;
let emulator: Emulator;
let iot: IoTClient;
beforeAll(async () => {
  clock = new VirtualClock();
  emulator = await startEmulator({ clock });
  presets.demo!(emulator.service, clock.now());
  iot = new IoTClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  iot?.destroy();
  await emulator?.close();
  rmSync(home, { recursive: true, force: true });
});

/** An on-demand audit of every enabled check, completed; its notification as IoT sends it. */
async function completedAudit(): Promise<AuditNotification> {
  const received: AuditNotification[] = [];
  emulator.service.onAuditNotification((n) => {
    received.push(n);
  });
  const { auditCheckConfigurations = {} } = emulator.service.describeAccountAuditConfiguration();
  const targetCheckNames = Object.keys(auditCheckConfigurations).filter(
    (name) => auditCheckConfigurations[name]?.enabled,
  );
  const { taskId } = emulator.service.startOnDemandAuditTask({ targetCheckNames });
  await clock.advance(60_000);
  const notification = received.find((n) => n.taskId === taskId);
  expect(notification).toMatchObject({ taskStatus: 'COMPLETED' });
  return notification!;
}

/** `npm run plan` for the audit: the plan (stdout) and the hand-over's lines (stderr). */
async function planAndHandOver(notification: AuditNotification) {
  const path = file(`notification-${notification.taskId}.json`, JSON.stringify(notification));
  const { status, stdout, stderr } = await npmRunAsync('plan', [
    '--notification',
    path,
    '--switch',
    'enforce',
  ]);
  expect(status, stderr).toBe(0);
  const plan = JSON.parse(stdout) as RemediationPlan;
  expect(plan.kind).toBe('plan');
  const lines = stderr.split('\n');
  const commands = lines.filter((line) => line.startsWith(`${HAND_OVER_COMMAND} `));
  expect(commands).toHaveLength(2);
  expect(lines[lines.indexOf(commands[0]!) - 1]).toBe(HAND_OVER_HEADING);
  expect(lines[lines.indexOf(commands[1]!) - 1]).toBe(HAND_OVER_CLI_INPUT_HEADING);
  const [shorthand, cliInput] = commands as [string, string];
  return { plan, shorthand, cliInput };
}

const expected = (plan: Pick<RemediationPlan, 'target' | 'auditCheckToActionsMapping'>): HandOver => {
  const result = planHandOver(plan);
  if (!result.ok) throw new Error(`${result.field}: ${result.error}`);
  return result.handOver;
};

/** The printed command, as typed into a shell, against the emulator. */
const typed = (command: string) =>
  sh(`${command} --endpoint-url ${emulator.endpoint} --region us-east-1 --output json`);

/** What the task does, once it has run: its target, mapping and statistics; and the audit's tasks. */
async function taskRun(taskId: string, auditTaskId: string) {
  await clock.advance(3_600_000);
  const task = await iot.send(new DescribeAuditMitigationActionsTaskCommand({ taskId }));
  const { tasks = [] } = await iot.send(
    new ListAuditMitigationActionsTasksCommand({
      auditTaskId,
      startTime: new Date(clock.now() - 86_400_000),
      endTime: new Date(clock.now() + 1),
    }),
  );
  return { task, taskIds: tasks.map((t) => t.taskId) };
}

describe('the hand-over, typed into a shell, with the real AWS CLI against the emulator', () => {
  it(
    'the shorthand command starts the plan’s task under its own id, and the stack’s id stays unused',
    async () => {
      const notification = await completedAudit();
      const { plan, shorthand } = await planAndHandOver(notification);
      const { taskId, command } = expected(plan);
      expect(shorthand).toBe(command);

      const started = await typed(shorthand);
      expect(started, started.stderr).toMatchObject({ code: 0 });
      expect(JSON.parse(started.stdout)).toEqual({ taskId });

      const { task, taskIds } = await taskRun(taskId, plan.auditTaskId);
      expect(task.target).toEqual(plan.target);
      expect(task.auditCheckToActionsMapping).toEqual(plan.auditCheckToActionsMapping);
      expect(task.taskStatus).toBe('COMPLETED');
      const findings = Object.values(task.taskStatistics ?? {}).reduce(
        (sum, s) => sum + (s.totalFindingsCount ?? 0),
        0,
      );
      expect(findings).toBeGreaterThan(0);
      expect(taskIds).toEqual([taskId]);
      expect(taskIds).not.toContain(plan.names.mitigationTaskId);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'the --cli-input-json command starts the same task for another audit, under its own id',
    async () => {
      const notification = await completedAudit();
      const { plan, cliInput } = await planAndHandOver(notification);
      const handOver = expected(plan);
      expect(cliInput).toBe(handOver.cliInputCommand);

      const started = await typed(cliInput);
      expect(started, started.stderr).toMatchObject({ code: 0 });
      expect(JSON.parse(started.stdout)).toEqual({ taskId: handOver.taskId });

      const { task, taskIds } = await taskRun(handOver.taskId, plan.auditTaskId);
      expect(task.target).toEqual(plan.target);
      expect(task.auditCheckToActionsMapping).toEqual(plan.auditCheckToActionsMapping);
      expect(taskIds).toEqual([handOver.taskId]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'the document holds the keys the CLI’s own skeleton holds',
    async () => {
      const skeleton = await sh(`${HAND_OVER_COMMAND} --generate-cli-skeleton`);
      expect(skeleton, skeleton.stderr).toMatchObject({ code: 0 });
      const keys = JSON.parse(skeleton.stdout) as Record<string, unknown>;
      const fixture = expected({
        target: { auditTaskId: 'a1', auditCheckToReasonCodeFilter: { C: ['R'] } },
        auditCheckToActionsMapping: { C: ['A'] },
      });
      expect(Object.keys(fixture.cliInput).sort()).toEqual(Object.keys(keys).sort());
      expect(Object.keys(fixture.cliInput.target).every((key) => key in (keys.target as object))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('shellQuote, read back by a POSIX shell', () => {
  it('every word comes back as it was, whatever its characters', async () => {
    const words = fc.sample(
      fc.string({ unit: 'grapheme', maxLength: 30 }).filter((w) => !w.includes('\0')),
      200,
    );
    words.push('', "'", "''", '\\', '$HOME', '`id`', '!x', '*', '~', 'a b', '{a,b}', '\n', '-n', '-e');
    const script = `for word in ${words.map(shellQuote).join(' ')}; do printf '%s\\0' "$word"; done`;
    const { code, stdout, stderr } = await sh(script);
    expect(code, stderr).toBe(0);
    expect(stdout.split('\0').slice(0, -1)).toEqual(words);
  });
});
