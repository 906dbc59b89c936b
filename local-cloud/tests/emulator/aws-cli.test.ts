/**
 * The real AWS CLI (`aws`, found on the PATH) against an emulator started in this process, with the
 * demo preset: the CLI documentation's own example of start-audit-mitigation-actions-task, and a listing
 * the CLI pages through by itself. Each call runs with a clean environment: dummy keys, no profile, no
 * config or credentials file, no instance metadata, no pager.
 *
 * Without `aws` on the PATH these tests fail, unless SKIP_AWS_CLI_TESTS=1 says to skip them.
 * .ci/run installs the CLI (Debian's awscli) before the tests.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { DescribeAuditMitigationActionsTaskCommand, ListAuditFindingsCommand } from '@aws-sdk/client-iot';
import { afterAll, describe, expect, it } from 'vitest';
import { presets } from '../../emulator/index.ts';
import { allFindings, auditNow, emulatorForTest, type TestEmulator } from './support.ts';

const AWS = onPath('aws');
const SKIP = AWS === undefined && process.env.SKIP_AWS_CLI_TESTS === '1';
const SKIP_REASON = ' [skipped: no aws on the PATH and SKIP_AWS_CLI_TESTS=1]';
if (SKIP) console.warn(`AWS CLI tests${SKIP_REASON}`);
/** Each CLI start takes about a second; a loaded machine may take several. */
const CLI_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 300_000;

const home = mkdtempSync(join(tmpdir(), 'aws-cli-test-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Nothing from the caller's AWS set-up reaches the CLI. */
const CLEAN_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: home,
  LANG: 'C.UTF-8',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_PAGER: '',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `aws iot ARGS` against the emulator; resolves with the exit code, whatever it is. */
function awsIot(endpoint: string, ...args: string[]): Promise<CliResult> {
  if (AWS === undefined) {
    throw new Error(
      'The AWS CLI (aws) is not on the PATH: install it (apt-get install awscli, as .ci/run does) ' +
        'or set SKIP_AWS_CLI_TESTS=1 to skip the AWS CLI tests.',
    );
  }
  const argv = ['iot', ...args, '--endpoint-url', endpoint, '--region', 'us-east-1', '--output', 'json'];
  return new Promise((resolve, reject) => {
    execFile(AWS, argv, { env: CLEAN_ENV, timeout: CLI_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`aws ${argv.join(' ')} did not finish: ${error.message}\n${stderr}`));
      } else {
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      }
    });
  });
}

/** The JSON a successful call printed. */
function output(result: CliResult): Record<string, unknown> {
  expect(result, result.stderr).toMatchObject({ code: 0 });
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** CLI v2 prints timestamps as ISO 8601, v1 as the epoch seconds it received. */
function asDate(value: unknown): Date {
  return typeof value === 'number' ? new Date(value * 1000) : new Date(String(value));
}

async function demoAudit(): Promise<{ t: TestEmulator; auditTaskId: string }> {
  const t = await emulatorForTest();
  presets.demo!(t.emulator.service, t.clock.now());
  return { t, auditTaskId: await auditNow(t) };
}

describe('the real AWS CLI', () => {
  it.skipIf(SKIP)(
    `runs the CLI documentation's start-audit-mitigation-actions-task example and describes the task${SKIP ? SKIP_REASON : ''}`,
    async () => {
      const { t, auditTaskId } = await demoAudit();
      const cli = (...args: string[]) => awsIot(t.emulator.endpoint, ...args);
      const { findings = [] } = await t.iot.send(
        new ListAuditFindingsCommand({
          taskId: auditTaskId,
          checkName: 'IOT_POLICY_OVERLY_PERMISSIVE_CHECK',
        }),
      );
      const findingId = findings[0]?.findingId;
      expect(findingId).toBeDefined();

      // The example's action, created as the create-mitigation-action example does.
      const created = output(
        await cli(
          'create-mitigation-action',
          '--action-name',
          'ResetPolicyVersionAction',
          '--role-arn',
          'arn:aws:iam::123456789012:role/service-role/ReplacePolicyVersionRole',
          '--action-params',
          '{"replaceDefaultPolicyVersionParams":{"templateName":"BLANK_POLICY"}}',
        ),
      );
      expect(created.actionArn).toBe(
        'arn:aws:iot:us-east-1:123456789012:mitigationaction/ResetPolicyVersionAction',
      );

      // The documentation's example, with the emulator's finding id.
      const started = await cli(
        'start-audit-mitigation-actions-task',
        '--task-id',
        'myActionsTaskId',
        '--target',
        `findingIds=["${findingId}"]`,
        '--audit-check-to-actions-mapping',
        'IOT_POLICY_OVERLY_PERMISSIVE_CHECK=["ResetPolicyVersionAction"]',
        '--client-request-token',
        'adhadhahda',
      );
      expect(output(started)).toEqual({ taskId: 'myActionsTaskId' });

      await t.clock.advance(60_000);
      const described = output(
        await cli('describe-audit-mitigation-actions-task', '--task-id', 'myActionsTaskId'),
      );
      expect(described).toMatchObject({
        taskStatus: 'COMPLETED',
        taskStatistics: {
          IOT_POLICY_OVERLY_PERMISSIVE_CHECK: {
            totalFindingsCount: 1,
            succeededFindingsCount: 1,
            failedFindingsCount: 0,
          },
        },
        target: { findingIds: [findingId] },
        auditCheckToActionsMapping: { IOT_POLICY_OVERLY_PERMISSIVE_CHECK: ['ResetPolicyVersionAction'] },
        actionsDefinition: [
          {
            name: 'ResetPolicyVersionAction',
            actionParams: { replaceDefaultPolicyVersionParams: { templateName: 'BLANK_POLICY' } },
          },
        ],
      });
      // Epoch seconds on the wire came through to the CLI as the same instants.
      const bySdk = await t.iot.send(
        new DescribeAuditMitigationActionsTaskCommand({ taskId: 'myActionsTaskId' }),
      );
      expect(asDate(described.startTime)).toEqual(bySdk.startTime);
      expect(asDate(described.endTime)).toEqual(bySdk.endTime);

      // An error arrives as the CLI reports AWS's: its type from x-amzn-ErrorType, the JSON message.
      const missing = await cli('describe-audit-task', '--task-id', '0123456789abcdef0123456789abcdef');
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain(
        'An error occurred (ResourceNotFoundException) when calling the DescribeAuditTask operation: ' +
          'Audit task 0123456789abcdef0123456789abcdef does not exist',
      );
    },
    TEST_TIMEOUT_MS,
  );

  it.skipIf(SKIP)(
    `pages through list-audit-findings by nextToken and refuses a token from another listing${SKIP ? SKIP_REASON : ''}`,
    async () => {
      const { t, auditTaskId } = await demoAudit();
      const cli = (...args: string[]) => awsIot(t.emulator.endpoint, ...args);
      const expected = (await allFindings(t.iot, auditTaskId)).map((f) => f.findingId);
      expect(expected.length).toBeGreaterThan(4);

      // Two findings a page: the CLI follows nextToken until the last page and prints them all.
      const listed = output(await cli('list-audit-findings', '--task-id', auditTaskId, '--page-size', '2'));
      expect((listed.findings as { findingId: string }[]).map((f) => f.findingId)).toEqual(expected);
      expect(listed.NextToken).toBeUndefined();

      // Query-string timestamps: the CLI's encoding of --start-time/--end-time is understood.
      const seconds = Math.floor(t.clock.now() / 1000);
      const tasks = output(
        await cli(
          'list-audit-tasks',
          '--start-time',
          String(seconds - 3600),
          '--end-time',
          String(seconds + 60),
        ),
      );
      expect(tasks.tasks).toEqual([
        { taskId: auditTaskId, taskStatus: 'COMPLETED', taskType: 'ON_DEMAND_AUDIT_TASK' },
      ]);

      // A resumable listing hands out a token; another listing (another check) refuses it.
      const first = output(
        await cli('list-audit-findings', '--task-id', auditTaskId, '--page-size', '1', '--max-items', '1'),
      );
      expect(typeof first.NextToken).toBe('string');
      const foreign = await cli(
        'list-audit-findings',
        '--task-id',
        auditTaskId,
        '--check-name',
        'LOGGING_DISABLED_CHECK',
        '--starting-token',
        String(first.NextToken),
      );
      expect(foreign.code).not.toBe(0);
      expect(foreign.stderr).toContain(
        'An error occurred (InvalidRequestException) when calling the ListAuditFindings operation: The nextToken',
      );
    },
    TEST_TIMEOUT_MS,
  );
});
