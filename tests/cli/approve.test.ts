/**
 * `npm run approve`, run as an operator runs it: its mistakes are refused in one line (exit 2) before any
 * AWS call, and against the local stack's EventBridge and STS endpoints it answers an execution that
 * waits for an approval (tests/support/approval.ts): a rejection is reported; as a non-operator it is
 * refused by the bus (exit 1, nothing answered), as the operator the held-back check runs as <name>-a1
 * (last: it fixes the fleet's finding).
 */
import { type LocalStack, OPERATOR_ACCESS_KEY_ID } from '@device-defender-remediation/local-cloud';
import { describe, expect, it } from 'vitest';
import { approvalStackOfThisFile, reportsOf, tokenParameter, waitingExecution } from '../support/approval.ts';
import { REVOKED } from '../support/enforce-policy.ts';
import { npmRun, npmRunAsync, type Outcome, refusedWith } from './support.ts';

const CLI_TIMEOUT_MS = 30_000;

describe.concurrent('npm run approve: what it refuses before any AWS call', () => {
  it('--help prints the usage and exits 0', () => {
    const { status, stdout, stderr } = npmRun('approve', ['--help']);
    expect([status, stderr]).toEqual([0, '']);
    expect(stdout).toMatch(
      /^usage: npm run approve -- --execution NAME --check CHECK\[,CHECK\] \[--reject\]/,
    );
    expect(stdout).toContain('AWS_ENDPOINT_URL_EVENTBRIDGE=<its EventBridge endpoint>');
  });

  it.each([
    [[], 'npm run approve: --execution is required (see npm run approve -- --help)'],
    [['--execution', 'enf-a'], 'npm run approve: --check is required (see npm run approve -- --help)'],
    [['--execution', 'enf-a', '--check'], "npm run approve: Option '--check <value>' argument missing"],
    [['--no-such-option'], 'npm run approve: unknown option --no-such-option (see '],
    [['--check', 'A', '--check', 'B'], 'npm run approve: --check is given more than once'],
    [['--execution', 'enf-a', '--check', 'X', '--reject', 'yes'], 'npm run approve: '],
    [
      ['--execution', 'enf a', '--check', REVOKED],
      '--execution: "enf a" does not match ^[a-zA-Z0-9_-]{1,80}$',
    ],
    [
      ['--execution', 'enf-a', '--check', `${REVOKED},,logging`],
      '--check[1]: "" does not match ^[A-Z][A-Z0-9_]{0,127}$; --check[2]: "logging" does not match ^[A-Z][A-Z0-9_]{0,127}$',
    ],
    [
      ['--execution', 'enf-a', '--check', `${REVOKED},${REVOKED}`],
      `--check[1]: "${REVOKED}" is listed twice`,
    ],
  ])('%j is refused in one line', (args, line) => {
    expect(refusedWith(npmRun('approve', args))).toContain(line);
  });
});

/** `npm run approve` against the local stack, signed as `accessKeyId` (run while the stack serves it). */
const npmApprove = (stack: LocalStack, accessKeyId: string, args: string[]): Promise<Outcome> =>
  npmRunAsync('approve', args, CLI_TIMEOUT_MS, {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_ENDPOINT_URL_EVENTBRIDGE: stack.endpoints.events,
    AWS_ENDPOINT_URL_STS: stack.endpoints.sts,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });

describe('npm run approve against the local stack', () => {
  const local = approvalStackOfThisFile();

  /** The command, run while virtual time stands still: the wait cannot time out meanwhile. */
  const approve = (accessKeyId: string, args: string[]) =>
    local.stack.clock.work(() => npmApprove(local.stack, accessKeyId, [...args, '--event-bus', local.bus]));

  it(
    '--reject: the rejection is reported, no task starts',
    async () => {
      const { name, execution } = await waitingExecution(local.stack);
      const rejected = await approve(OPERATOR_ACCESS_KEY_ID, [
        '--execution',
        name,
        '--check',
        REVOKED,
        '--reject',
      ]);
      expect(rejected.status).toBe(0);
      expect(rejected.stdout).toMatch(
        new RegExp(`^Rejection of ${REVOKED} in execution ${name} requested by `),
      );
      expect(await execution.result).toMatchObject({ status: 'SUCCEEDED' });
      expect(reportsOf(local.stack, execution.executionArn).summaries[1]).toMatchObject({
        approval: { status: 'rejected' },
      });
      expect(() =>
        local.stack.emulator.service.describeAuditMitigationActionsTask({ taskId: `${name}-a1` }),
      ).toThrow();
    },
    CLI_TIMEOUT_MS * 2,
  );

  it(
    'as someone who is no operator: the local.bus refuses it, exit 1, nothing answered; as the operator: <name>-a1 runs',
    async () => {
      const { name, execution } = await waitingExecution(local.stack);
      const refused = await approve('someone', ['--execution', name, '--check', REVOKED]);
      expect(refused.status).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr.trim()).toMatch(
        /^npm run approve: EventBridge refused the request: AccessDeniedException .*user\/someone/,
      );
      // (The --reject case before this one answered once.)
      expect(local.stack.invocations.filter((i) => i.functionId === 'ApproveHeldBackFunction')).toHaveLength(
        1,
      );
      expect(local.stack.parameters.get(tokenParameter(local.stack, name))).toBeDefined();

      const approved = await approve(OPERATOR_ACCESS_KEY_ID, ['--execution', name, '--check', REVOKED]);
      expect(approved.stderr).toBe('');
      expect(approved.status).toBe(0);
      expect(approved.stdout.trim()).toMatch(
        new RegExp(
          `^Approval of ${REVOKED} in execution ${name} requested by arn:aws:sts::123456789012:assumed-role/remediation-operator/operator on ${local.bus} \\(event [0-9a-f-]+\\); the execution's next report says what ran\\.$`,
        ),
      );
      expect(await execution.result).toMatchObject({ status: 'SUCCEEDED' });
      expect(reportsOf(local.stack, execution.executionArn).summaries[1]).toMatchObject({
        approval: {
          status: 'approved',
          approvedChecks: [REVOKED],
          requestedBy: 'arn:aws:sts::123456789012:assumed-role/remediation-operator/operator',
          task: { status: 'COMPLETED' },
        },
      });
    },
    CLI_TIMEOUT_MS * 3,
  );
});
