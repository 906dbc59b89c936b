// Fuzzing the planner and the sweep with arbitrary and mutated events, policies, switch values and
// DescribeAuditTask answers: no unhandled exception, nothing started from invalid input, and every
// rejection names the field. An event only names the audit: AWS (mocked) describes the audit as the
// event's notification announces it, and the deployed actions with the types the policy declares, so
// that what is fuzzed here is the reading of events, requests and policies. The handlers run with their SDK clients mocked (aws-sdk-client-mock):
// thousands of cases in seconds, where the HTTP round trips of the local stack would cost minutes.

import { clearCaches } from '@aws-lambda-powertools/parameters';
import {
  DescribeAuditTaskCommand,
  DescribeMitigationActionCommand,
  IoTClient,
  ListAuditTasksCommand,
} from '@aws-sdk/client-iot';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
  type StartExecutionCommandInput,
} from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { metrics } from '#aws/observability';
import { AUDIT_TASK_STATUSES, AUDIT_TASK_TYPES, CHECK_RUN_STATUSES } from '#domain/audit';
import { CHECK_NAMES } from '#domain/catalogue';
import { childPath } from '#domain/json-schema';
import {
  ACCOUNT,
  auditCompletedEvent,
  coldStart,
  describeAnswerOf,
  lambdaContext,
  SWITCH_PARAMETER,
} from '../functions/support.ts';
import { POLICY } from './support.ts';

const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);
const iot = mockClient(IoTClient);
// The planner reports an audit whose every check is held back.
const sns = mockClient(SNSClient);

const OUTCOMES = [
  'started',
  'duplicate',
  'nothing-to-do',
  'policy-invalid',
  'event-invalid',
  'foreign-account',
];
/** The prefix the handler tests deploy the stack's mitigation actions with (ACTION_NAME_PREFIX). */
const ACTION_PREFIX = 'ddr-';
const REJECTIONS = ['policy-invalid', 'event-invalid', 'foreign-account', 'audit-invalid'];
const EVENT_POLICY = '/ddr/fuzz/event-policy';
/** The policy parameter of the policy cases: each case puts its own policy there. */
const CASE_POLICY = '/ddr/fuzz/policy';
const FC = { seed: 20_261_126 } as const;

// The functions read their environment once, when they load: one planner and one sweep of a stack
// whose policy parameter holds POLICY, and one planner for the policy cases.
const { handler: planRemediation } = await coldStart('plan-remediation', {
  POLICY_PARAMETER_NAME: EVENT_POLICY,
});
const { handler: sweepAudits } = await coldStart('sweep-audits', { POLICY_PARAMETER_NAME: EVENT_POLICY });
const { handler: planWithCasePolicy } = await coldStart('plan-remediation', {
  POLICY_PARAMETER_NAME: CASE_POLICY,
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Key = string | number;

// What the mocks saw, reset per case.
let starts: StartExecutionCommandInput[] = [];
let describes = 0;
let describeAuditTaskAnswer: unknown = {};
/** The deployed actions' types, by policy name: the case's policy's own declarations. */
let deployedTypes: Record<string, unknown> = {};
/** The re-run a case asks for: its earlier numbers ran two days ago, it has not. */
let requestedRerun = 0;
let switchParameter = { Value: 'enforce', LastModifiedDate: new Date(0) };
const policies = new Map<string, string>();

beforeEach(() => {
  sfn.reset();
  ssm.reset();
  iot.reset();
  policies.set(EVENT_POLICY, JSON.stringify(POLICY));
  sfn.on(StartExecutionCommand).callsFake((input: StartExecutionCommandInput) => {
    starts.push(input);
    return {
      executionArn: `arn:aws:states:us-east-1:${ACCOUNT}:execution:remediation:${input.name}`,
      startDate: new Date(),
    };
  });
  ssm.on(GetParameterCommand).callsFake(({ Name }: { Name: string }) => {
    if (Name === SWITCH_PARAMETER) return { Parameter: switchParameter };
    const policy = policies.get(Name);
    return { Parameter: policy === undefined ? undefined : { Value: policy } };
  });
  iot.on(ListAuditTasksCommand).resolves({ tasks: [] });
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  iot.on(DescribeAuditTaskCommand).callsFake(() => {
    describes += 1;
    return describeAuditTaskAnswer;
  });
  iot.on(DescribeMitigationActionCommand).callsFake(({ actionName }: { actionName: string }) => ({
    actionName,
    actionType: deployedTypes[actionName.slice(ACTION_PREFIX.length)],
  }));
  sfn.on(DescribeExecutionCommand).callsFake(({ executionArn }: { executionArn: string }) => {
    if (executionArn.endsWith(`-r${requestedRerun}`))
      throw new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
    return { executionArn, status: 'SUCCEEDED', startDate: new Date(Date.now() - 48 * 3_600_000) };
  });
});

/** The declared types of a policy's actions (what DescribeMitigationAction answers for them). */
function typesOf(policy: unknown): Record<string, unknown> {
  const actions = (policy as { actions?: unknown } | null)?.actions;
  if (typeof actions !== 'object' || actions === null) return {};
  return Object.fromEntries(
    Object.entries(actions).map(([name, action]) => [name, (action as { type?: unknown } | null)?.type]),
  );
}

/** AWS describes the audit as the event's notification announces it (an empty answer otherwise). */
function answerFor(event: unknown): unknown {
  try {
    const detail = (event as { detail?: { notification?: unknown } }).detail;
    const notification = (typeof detail === 'string' ? JSON.parse(detail) : detail)?.notification;
    return describeAnswerOf(notification as Parameters<typeof describeAnswerOf>[0]);
  } catch {
    return {};
  }
}
// Rejections and nothing-to-do add no metric: keep Powertools' "no metrics to publish" warning quiet.
let quietMetrics: { mockRestore(): void };
beforeAll(() => {
  quietMetrics = vi
    .spyOn((metrics as unknown as { console: Console }).console, 'warn')
    .mockImplementation(() => undefined);
});
afterAll(() => quietMetrics.mockRestore());

function freshCase(switchValue = 'enforce') {
  starts = [];
  describes = 0;
  deployedTypes = typesOf(POLICY);
  switchParameter = { Value: switchValue, LastModifiedDate: new Date(0) };
}

// --- Paths: every rejection's errors must name a field of the input ------------------------------

/** Splits `detail.auditDetails[2]."odd key": message` into path segments; undefined when it cannot. */
function parsePath(error: string): Key[] | undefined {
  if (error.startsWith('(document): ')) return [];
  const keys: Key[] = [];
  let rest = error;
  for (;;) {
    const index = /^\[(\d+)\]/.exec(rest);
    const name = /^[A-Za-z_$][\w$-]*/.exec(rest);
    const quoted = /^"(?:[^"\\]|\\.)*"/.exec(rest);
    if (index) keys.push(Number(index[1]));
    else if (quoted) keys.push(JSON.parse(quoted[0]) as string);
    else if (name) keys.push(name[0]);
    else return undefined;
    rest = rest.slice((index ?? quoted ?? name)![0].length);
    if (rest.startsWith(': ')) return keys;
    if (rest.startsWith('.')) rest = rest.slice(1);
    else if (!rest.startsWith('[')) return undefined;
  }
}

/** The path leads into the input: every step but the last exists (the last may be a missing key). */
function pathInto(input: unknown, keys: readonly Key[]): boolean {
  let at: unknown = input;
  for (const [i, key] of keys.entries()) {
    if (typeof at === 'string') {
      try {
        at = JSON.parse(at); // detail or Sns.Message carried as JSON text
      } catch {
        return false;
      }
    }
    if (typeof at !== 'object' || at === null) return false;
    const has = Object.hasOwn(at, String(key));
    if (!has && i < keys.length - 1) return false;
    at = has ? (at as Record<string, unknown>)[String(key)] : undefined;
  }
  return true;
}

function expectErrorsNameFields(errors: readonly string[], input: unknown, label: string) {
  expect(errors.length, label).toBeGreaterThan(0);
  for (const error of errors) {
    const keys = parsePath(error);
    expect(keys, `${label}: no field path in ${JSON.stringify(error)}`).toBeDefined();
    expect(pathInto(input, keys!), `${label}: ${JSON.stringify(error)} names no field of the input`).toBe(
      true,
    );
  }
}

const errorsOf = (result: unknown): readonly string[] =>
  (result as { errors?: readonly string[] }).errors ?? [];

const pathText = (keys: readonly Key[]) => keys.reduce<string>((path, key) => childPath(path, key), '');
const namesPath = (errors: readonly string[], keys: readonly Key[]) =>
  errors.some((e) => e.startsWith(`${pathText(keys) || '(document)'}: `));

// --- Generators ---------------------------------------------------------------------------------

const auditTaskId = fc.stringMatching(/^[a-zA-Z0-9-]{1,40}$/);
// Small counts mostly, so that findings fall under the policy's caps and plans get made.
const count = fc.oneof({ weight: 3, arbitrary: fc.nat({ max: 60 }) }, fc.nat({ max: 100_000 }));
const planned = <T>(likely: T, ...others: T[]) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(likely) }, fc.constantFrom(likely, ...others));
const checkName = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'DEVICE_CERTIFICATE_SHARED_CHECK',
      'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
    ),
  },
  fc.constantFrom(...CHECK_NAMES),
);
const notInteger = fc.oneof(
  fc.string({ maxLength: 5 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.nat(), { maxLength: 2 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
);
const notString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
);
const invalidCount = fc.oneof(notInteger, fc.integer({ min: -1_000_000, max: -1 }));
const notOneOf = (values: readonly string[]) =>
  fc.oneof(
    notString,
    fc.string({ maxLength: 12 }).filter((s) => !values.includes(s)),
  );

const checkDetail = fc.record(
  {
    checkName: fc.oneof({ weight: 5, arbitrary: checkName }, fc.constantFrom('CUSTOM_FLEET_CHECK', 'X')),
    checkRunStatus: planned('COMPLETED_NON_COMPLIANT', 'FAILED', 'CANCELED', 'COMPLETED_COMPLIANT'),
    nonCompliantResourcesCount: count,
    totalResourcesCount: count,
    suppressedNonCompliantResourcesCount: count,
    message: fc.string({ maxLength: 20 }),
    errorCode: fc.constantFrom('INSUFFICIENT_PERMISSIONS', 'AUDIT_CHECK_DISABLED'),
  },
  { requiredKeys: ['checkName', 'checkRunStatus', 'nonCompliantResourcesCount', 'totalResourcesCount'] },
);

const notification = fc.record(
  {
    accountId: fc.oneof({ weight: 9, arbitrary: fc.constant(ACCOUNT) }, fc.stringMatching(/^[0-9]{12}$/)),
    taskId: auditTaskId,
    taskStatus: planned('COMPLETED', 'FAILED', 'CANCELED'),
    taskType: fc.constantFrom(...AUDIT_TASK_TYPES),
    scheduledAuditName: fc.string({ minLength: 1, maxLength: 128 }),
    failedChecksCount: count,
    canceledChecksCount: count,
    nonCompliantChecksCount: count,
    compliantChecksCount: count,
    totalChecksCount: count,
    taskStartTime: fc.integer({ min: 1_000_000_000_000, max: 4_000_000_000_000 }),
    auditDetails: fc.uniqueArray(checkDetail, { selector: (c) => c.checkName, maxLength: 8 }),
  },
  {
    // Transcribed from docs/aws-facts/planner-inputs.md, independently of the parser's schema.
    requiredKeys: [
      'accountId',
      'taskId',
      'taskStatus',
      'taskType',
      'failedChecksCount',
      'canceledChecksCount',
      'nonCompliantChecksCount',
      'compliantChecksCount',
      'totalChecksCount',
      'taskStartTime',
      'auditDetails',
    ],
  },
) as fc.Arbitrary<
  Record<string, Json> & { taskId: string; accountId: string; auditDetails: Record<string, Json>[] }
>;

/**
 * How the notification reaches the planner, and where it sits in the event (the error paths' prefix):
 * the Pipe's `{"notification": <$.body>}` is the only envelope a real source produces.
 */
const ENVELOPES = {
  event: (n: unknown) => ({ event: bus(n), prefix: ['detail', 'notification'] as Key[] }),
};
const envelope = fc.constantFrom(...(Object.keys(ENVELOPES) as (keyof typeof ENVELOPES)[]));

const bus = (detail: unknown) => auditCompletedEvent(detail);

/** Every path into a JSON value (the value itself included as []); `mutationPaths` leaves it out. */
function pathsOf(value: unknown, at: Key[] = []): Key[][] {
  const paths: Key[][] = [at];
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) paths.push(...pathsOf(item, [...at, i]));
  } else if (typeof value === 'object' && value !== null)
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...at, key]));
  return paths;
}

const mutationPaths = (value: unknown) => pathsOf(value).slice(1);

/** A copy of `value` with the thing at `path` replaced, or deleted when `replacement` is DELETE. */
const DELETE = Symbol('delete');
function mutate<T>(value: T, path: readonly Key[], replacement: unknown): T {
  if (path.length === 0) return replacement as T;
  const copy = structuredClone(value) as Record<Key, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof parent[key] !== 'object' || parent[key] === null) parent[key] = {};
    parent = parent[key] as Record<Key, unknown>;
  }
  const last = path.at(-1)!;
  if (replacement !== DELETE) parent[last] = replacement;
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
  return copy as T;
}

/** Invalid values per notification field, and the required fields (deleting them must be named). */
const INVALID_TOP: Record<string, fc.Arbitrary<unknown>> = {
  accountId: fc.oneof(
    notString,
    fc.string({ maxLength: 14 }).filter((s) => !/^[0-9]{12}$/.test(s)),
  ),
  taskId: fc.oneof(
    notString,
    fc.string({ maxLength: 45 }).filter((s) => !/^[a-zA-Z0-9-]{1,40}$/.test(s)),
  ),
  taskStatus: notOneOf(['COMPLETED', 'FAILED', 'CANCELED']),
  taskType: notOneOf(AUDIT_TASK_TYPES),
  scheduledAuditName: fc.oneof(notString, fc.constant(''), fc.constant('n'.repeat(129))),
  failedChecksCount: invalidCount,
  canceledChecksCount: invalidCount,
  nonCompliantChecksCount: invalidCount,
  compliantChecksCount: invalidCount,
  totalChecksCount: invalidCount,
  taskStartTime: fc.oneof(notInteger, fc.integer({ min: -1, max: 999_999_999_999 })),
  auditDetails: fc.oneof(
    notString.filter((v) => !Array.isArray(v)),
    fc.string(),
    fc.constant({}),
  ),
};
const INVALID_CHECK: Record<string, fc.Arbitrary<unknown>> = {
  checkName: fc.oneof(notString, fc.constant('')),
  checkRunStatus: notOneOf(['FAILED', 'CANCELED', 'COMPLETED_COMPLIANT', 'COMPLETED_NON_COMPLIANT']),
  nonCompliantResourcesCount: invalidCount,
  totalResourcesCount: invalidCount,
  suppressedNonCompliantResourcesCount: invalidCount,
  message: notString,
  errorCode: notOneOf(['INSUFFICIENT_PERMISSIONS', 'AUDIT_CHECK_DISABLED']),
};
const REQUIRED_TOP = Object.keys(INVALID_TOP).filter((k) => k !== 'scheduledAuditName');
const REQUIRED_CHECK = ['checkName', 'checkRunStatus', 'nonCompliantResourcesCount', 'totalResourcesCount'];

/** A valid notification with one field made invalid: where, and the mutated notification. */
const invalidNotification = notification.chain((n) => {
  const top = fc.constantFrom(...Object.keys(INVALID_TOP)).chain((field) =>
    fc.oneof(
      INVALID_TOP[field]!.map((value) => ({ path: [field] as Key[], value })),
      ...(REQUIRED_TOP.includes(field)
        ? [fc.constant({ path: [field] as Key[], value: DELETE as unknown })]
        : []),
    ),
  );
  const inCheck =
    n.auditDetails.length === 0
      ? []
      : [
          fc
            .tuple(fc.nat({ max: n.auditDetails.length - 1 }), fc.constantFrom(...Object.keys(INVALID_CHECK)))
            .chain(([i, field]) =>
              fc.oneof(
                INVALID_CHECK[field]!.map((value) => ({ path: ['auditDetails', i, field] as Key[], value })),
                ...(REQUIRED_CHECK.includes(field)
                  ? [fc.constant({ path: ['auditDetails', i, field] as Key[], value: DELETE as unknown })]
                  : []),
              ),
            ),
        ];
  return fc.oneof(top, ...inCheck).map(({ path, value }) => ({ path, notification: mutate(n, path, value) }));
});

/** A valid notification with something replaced by any JSON value, or deleted: valid or not. */
const anyMutation = notification.chain((n) =>
  fc
    .tuple(
      fc.constantFrom(...mutationPaths(n)),
      fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(DELETE as unknown)),
    )
    .map(([path, value]) => mutate(n, path, value)),
);

const switchValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('enforce', 'dry-run', 'paused') },
  fc.string({ maxLength: 10 }),
);

// --- The planner ------------------------------------------------------------------------------

type Planned = Awaited<ReturnType<typeof planRemediation>>;

/** The invariants of every planner invocation; returns the result for more specific checks. */
async function plan(event: unknown, label: string, planner = planRemediation): Promise<Planned> {
  describeAuditTaskAnswer = answerFor(event);
  const result = await planner(event, lambdaContext());
  expect(OUTCOMES, label).toContain(result.outcome);
  if (result.outcome === 'started') {
    expect(starts, label).toHaveLength(1);
    expect(starts[0]!.name, label).toBe(result.executionName);
    const started = JSON.parse(starts[0]!.input!) as { auditTaskId: string; kind: string };
    expect(result.executionName, label).toBe(
      `${result.mode === 'enforce' ? 'enf' : 'dry'}-${started.auditTaskId}`,
    );
    expect(['enforce', 'dry-run'], label).toContain(switchParameter.Value);
  } else {
    expect(starts, `${label}: ${result.outcome} started nothing`).toEqual([]);
  }
  if (result.outcome === 'event-invalid') expectErrorsNameFields(result.errors, event, label);
  return result;
}

describe('fuzzing the planner with events', () => {
  it('arbitrary JSON values: rejected with named fields or planned, never thrown, nothing started from a rejection', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.jsonValue().map(bus),
          fc.jsonValue().map((d) => bus(JSON.stringify(d))),
        ),
        async (event) => {
          freshCase();
          const result = await plan(event, 'arbitrary event');
          expect(['event-invalid', 'foreign-account', 'nothing-to-do', 'started']).toContain(result.outcome);
        },
      ),
      { ...FC, numRuns: 1_000 },
    );
  });

  it('valid notifications in every envelope: never rejected as events; started only when the switch allows', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(notification, envelope, switchValue, async (n, how, value) => {
        freshCase(value);
        const result = await plan(ENVELOPES[how](n).event, `valid via ${how}`);
        if (n.accountId !== ACCOUNT)
          expect(result).toEqual({ outcome: 'foreign-account', accountId: n.accountId });
        else expect(['started', 'nothing-to-do']).toContain(result.outcome);
        if (result.outcome === 'started') expect(result.executionName.endsWith(`-${n.taskId}`)).toBe(true);
        seen.add(result.outcome);
      }),
      { ...FC, numRuns: 800 },
    );
    expect([...seen].sort()).toEqual(['foreign-account', 'nothing-to-do', 'started']);
  });

  it('one field made invalid: rejected, the error names exactly that field, nothing started', async () => {
    await fc.assert(
      fc.asyncProperty(invalidNotification, envelope, async ({ path, notification: n }, how) => {
        freshCase();
        const { event, prefix } = ENVELOPES[how](n);
        const result = await plan(event, `invalid ${pathText(path)} via ${how}`);
        expect(result.outcome).toBe('event-invalid');
        const errors = errorsOf(result);
        expect(
          namesPath(errors, [...prefix, ...path]),
          `${errors.join('; ')} should name ${pathText([...prefix, ...path])}`,
        ).toBe(true);
      }),
      { ...FC, numRuns: 1_200 },
    );
  });

  it('anything replaced or deleted anywhere, and foreign sources or detail types: the invariants hold', async () => {
    const wrongEnvelope = fc
      .tuple(
        notification,
        fc.constantFrom('source', 'detail-type'),
        fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
      )
      .filter(([, key, value]) => value !== (key === 'source' ? 'custom.devicedefender' : 'Audit Completed'))
      .map(([n, key, value]) => ({ key, event: { ...bus(n), [key]: value } }));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc
            .tuple(anyMutation, envelope)
            .map(([n, how]) => ({ key: undefined, event: ENVELOPES[how](n).event })),
          wrongEnvelope,
        ),
        switchValue,
        async ({ key, event }, value) => {
          freshCase(value);
          const result = await plan(event, 'mutated event');
          if (key !== undefined) {
            expect(result.outcome).toBe('event-invalid');
            expect(namesPath(errorsOf(result), [key])).toBe(true);
          }
        },
      ),
      { ...FC, numRuns: 1_000 },
    );
  });
});

// --- Policies through the policy parameter --------------------------------------------------------

const DEFAULT_POLICY = (await import('../../config/default-policy.json', { with: { type: 'json' } })).default;
const basePolicy = fc.constantFrom<Json>(POLICY as unknown as Json, DEFAULT_POLICY as unknown as Json);
const ENFORCEABLE_NOTIFICATION = {
  accountId: ACCOUNT,
  taskId: 'fuzz-policy-audit',
  taskStatus: 'COMPLETED',
  taskType: 'ON_DEMAND_AUDIT_TASK',
  failedChecksCount: 0,
  canceledChecksCount: 0,
  nonCompliantChecksCount: 2,
  compliantChecksCount: 0,
  totalChecksCount: 2,
  taskStartTime: Date.parse('2026-11-26T02:00:00Z'),
  auditDetails: [
    {
      checkName: 'DEVICE_CERTIFICATE_SHARED_CHECK',
      checkRunStatus: 'COMPLETED_NON_COMPLIANT',
      nonCompliantResourcesCount: 3,
      totalResourcesCount: 100,
    },
    {
      checkName: 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
      checkRunStatus: 'COMPLETED_NON_COMPLIANT',
      nonCompliantResourcesCount: 2,
      totalResourcesCount: 100,
    },
  ],
};

/** Known-invalid edits of a valid policy, each with the path its error must name. */
function invalidPolicyEdits(policy: Record<string, Json>): fc.Arbitrary<{ path: Key[]; policy: Json }> {
  const rules = policy.rules as Record<string, Json>[];
  const rule = fc.nat({ max: rules.length - 1 });
  const edit = (path: Key[], value: unknown) => ({ path, policy: mutate(policy as Json, path, value) });
  return fc.oneof(
    fc
      .oneof(fc.integer(), fc.string())
      .filter((v) => v !== 1)
      .map((v) => edit(['version'], v)),
    fc
      .string()
      .filter((v) => v !== 'enforce' && v !== 'dry-run')
      .map((v) => edit(['mode'], v)),
    fc.constantFrom('version', 'actions', 'rules').map((k) => edit([k], DELETE)),
    fc
      .oneof(fc.constant(0), fc.constant(-5), fc.constant(100.5), fc.string())
      .map((v) => edit(['defaults', 'maxPercent'], v)),
    fc
      .oneof(fc.constant(0), fc.constant(2.5), fc.constant(null))
      .map((v) => edit(['defaults', 'maxFindings'], v)),
    rule.map((i) => edit(['rules', i, 'check'], 'NOT_A_CHECK')),
    rule.map((i) => edit(['rules', i, 'actions', 0], 'UndeclaredAction')),
    rule.map((i) => edit(['rules', i, 'actions'], [])),
    rule.map((i) => ({
      ...edit(['rules', i, 'reasonCodes'], ['NOT_A_REASON_CODE']),
      path: ['rules', i, 'reasonCodes', 0],
    })),
    rule.chain((i) =>
      fc
        .string({ minLength: 1, maxLength: 6 })
        .filter(
          (k) =>
            ![
              'check',
              'actions',
              'reasonCodes',
              'maxFindings',
              'maxPercent',
              'enabled',
              '__proto__',
            ].includes(k),
        )
        .map((k) => edit(['rules', i, k], true)),
    ),
    fc
      .constantFrom('bad name', 'x'.repeat(65), 'é')
      .map((name) => edit(['actions', name], { type: 'PUBLISH_FINDING_TO_SNS' })),
    fc
      .string({ maxLength: 8 })
      .filter((t) => t !== 'PUBLISH_FINDING_TO_SNS')
      .map((t) => edit(['actions', 'PublishFinding', 'type'], t)),
    // A duplicate rule for a check: the second is named.
    fc.constant<{ path: Key[]; policy: Json }>({
      path: ['rules', rules.length, 'check'],
      policy: { ...policy, rules: [...rules, rules[0]!] },
    }),
  );
}

async function planWithPolicy(text: string, value: string, label: string) {
  const name = CASE_POLICY;
  policies.set(name, text);
  clearCaches(); // Powertools caches the policy per name: each case reads its own
  freshCase(value);
  try {
    deployedTypes = typesOf(JSON.parse(text));
  } catch {
    deployedTypes = {};
  }
  const result = await plan(bus(ENFORCEABLE_NOTIFICATION), label, planWithCasePolicy);
  return { name, result };
}

describe('fuzzing the planner with policies', () => {
  it('arbitrary text and arbitrary JSON as the policy: rejected naming the field or the parameter, nothing started', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        async (text) => {
          const { name, result } = await planWithPolicy(text, 'enforce', 'arbitrary policy');
          expect(result.outcome).toBe('policy-invalid');
          const errors = errorsOf(result);
          let document: unknown;
          try {
            document = JSON.parse(text);
          } catch {
            expect(errors).toEqual([
              expect.stringMatching(new RegExp(`^${name}: the policy is not valid JSON`)),
            ]);
            return;
          }
          expectErrorsNameFields(errors, document, 'arbitrary policy');
        },
      ),
      { ...FC, numRuns: 600 },
    );
  });

  it('one known-invalid edit of a valid policy: rejected, naming that field; nothing started', async () => {
    await fc.assert(
      fc.asyncProperty(
        basePolicy.chain((p) => invalidPolicyEdits(p as Record<string, Json>)),
        switchValue,
        async ({ path, policy }, value) => {
          const { result } = await planWithPolicy(
            JSON.stringify(policy),
            value,
            `policy edit ${pathText(path)}`,
          );
          expect(result.outcome).toBe('policy-invalid');
          const errors = errorsOf(result);
          expectErrorsNameFields(errors, policy, 'policy edit');
          expect(namesPath(errors, path), `${errors.join('; ')} should name ${pathText(path)}`).toBe(true);
        },
      ),
      { ...FC, numRuns: 800 },
    );
  });

  it('anything replaced or deleted anywhere in a valid policy: valid and planned, or rejected naming fields', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        basePolicy.chain((p) =>
          fc
            .tuple(
              fc.constantFrom(...mutationPaths(p)),
              fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(DELETE as unknown)),
            )
            .map(([path, value]) => mutate(p, path, value)),
        ),
        switchValue,
        async (policy, value) => {
          const { result } = await planWithPolicy(JSON.stringify(policy), value, 'mutated policy');
          if (result.outcome === 'policy-invalid')
            expectErrorsNameFields(result.errors, policy, 'mutated policy');
          seen.add(result.outcome);
        },
      ),
      { ...FC, numRuns: 800 },
    );
    expect([...seen].sort()).toEqual(['nothing-to-do', 'policy-invalid', 'started']);
  });
});

// --- The sweep ------------------------------------------------------------------------------------

const RERUN = 'Audit Remediation Requested';
const rerunRequest = fc.record(
  { auditTaskId, rerun: fc.integer({ min: 1, max: 999_999 }), requestedBy: fc.string({ maxLength: 256 }) },
  { requiredKeys: ['auditTaskId', 'rerun'] },
);
const rerunEvent = (detail: unknown, source: unknown = 'custom.devicedefender') => ({
  source,
  'detail-type': RERUN,
  detail,
});

const describeAnswer = fc.record({
  taskStatus: planned('COMPLETED', ...AUDIT_TASK_STATUSES),
  taskType: fc.constantFrom(...AUDIT_TASK_TYPES),
  taskStartTime: fc.integer({ min: 1_000_000_000_000, max: 4_000_000_000_000 }).map((ms) => new Date(ms)),
  auditDetails: fc.dictionary(
    checkName,
    fc.record(
      {
        checkRunStatus: planned('COMPLETED_NON_COMPLIANT', ...CHECK_RUN_STATUSES),
        checkCompliant: fc.boolean(),
        totalResourcesCount: count,
        nonCompliantResourcesCount: count,
      },
      { requiredKeys: ['checkRunStatus'] },
    ),
    { maxKeys: 6 },
  ),
});

type Swept = Awaited<ReturnType<typeof sweepAudits>>;

async function sweep(event: unknown, answer: unknown, label: string): Promise<Swept> {
  describeAuditTaskAnswer = answer;
  const rerunNumber = (event as { detail?: { rerun?: unknown } } | null)?.detail?.rerun;
  requestedRerun = typeof rerunNumber === 'number' ? rerunNumber : 0;
  const result = await sweepAudits(event, lambdaContext('sweep-audits'));
  if (result.kind === 'rerun-invalid') {
    expectErrorsNameFields(result.errors, event, label);
    expect(describes, `${label}: described an audit for an invalid request`).toBe(0);
  }
  const outcome = result.kind === 'rerun' ? result.result.outcome : undefined;
  if (result.kind === 'rerun' && result.result.outcome === 'audit-invalid')
    expectErrorsNameFields(
      result.result.errors,
      { ...(answer as object), taskId: result.auditTaskId },
      label,
    );
  if (outcome === 'started') {
    expect(starts, label).toHaveLength(1);
    expect(starts[0]!.name, label).toMatch(
      new RegExp(`^(enf|dry)-${(event as { detail: { auditTaskId: string } }).detail.auditTaskId}-r\\d+$`),
    );
  } else {
    expect(starts, `${label}: ${result.kind} ${outcome ?? ''} started nothing`).toEqual([]);
  }
  if (result.kind === 'rerun-invalid' || (outcome !== undefined && REJECTIONS.includes(outcome)))
    expect(starts, label).toEqual([]);
  return result;
}

describe('fuzzing the sweep', () => {
  it('arbitrary events are the schedule unless they are re-run requests; never thrown, nothing started from them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.jsonValue().map((d) => rerunEvent(d)),
          fc.jsonValue().map((s) => rerunEvent({ auditTaskId: 'a-1', rerun: 1 }, s)),
        ),
        async (event) => {
          freshCase();
          const result = await sweep(event, {}, 'arbitrary sweep event');
          const isRerun =
            typeof event === 'object' &&
            event !== null &&
            !Array.isArray(event) &&
            event['detail-type'] === RERUN;
          if (!isRerun) expect(result).toEqual({ kind: 'sweep', audits: 0, outcomes: {}, failed: 0 });
        },
      ),
      { ...FC, numRuns: 600 },
    );
  });

  it('mutated re-run requests: valid ones plan the described audit under the re-run name; invalid ones name the field', async () => {
    const invalidDetail = rerunRequest.chain((detail) =>
      fc.oneof(
        fc
          .oneof(
            notString,
            fc.string({ maxLength: 45 }).filter((s) => !/^[a-zA-Z0-9-]{1,40}$/.test(s)),
          )
          .map((v) => ({ path: ['detail', 'auditTaskId'], detail: { ...detail, auditTaskId: v } })),
        fc
          .oneof(notInteger, fc.integer({ max: 0 }), fc.integer({ min: 1_000_000 }))
          .map((v) => ({ path: ['detail', 'rerun'], detail: { ...detail, rerun: v } })),
        fc
          .constantFrom('auditTaskId', 'rerun')
          .map((k) => ({ path: ['detail', k], detail: mutate(detail, [k], DELETE) })),
        fc
          .string({ minLength: 1, maxLength: 8 })
          .filter((k) => !['auditTaskId', 'rerun', 'requestedBy', '__proto__'].includes(k))
          .map((k) => ({ path: ['detail', k], detail: { ...detail, [k]: 1 } })),
        fc
          .oneof(notString, fc.constant('r'.repeat(2049)))
          .map((v) => ({ path: ['detail', 'requestedBy'], detail: { ...detail, requestedBy: v } })),
      ),
    );
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          rerunRequest.map((detail) => ({ path: undefined as Key[] | undefined, detail })),
          invalidDetail,
        ),
        describeAnswer,
        switchValue,
        async ({ path, detail }, answer, value) => {
          freshCase(value);
          const event = rerunEvent(detail);
          const result = await sweep(event, answer, `re-run ${path ? pathText(path) : 'valid'}`);
          if (path === undefined) {
            expect(result).toMatchObject({
              kind: 'rerun',
              auditTaskId: (detail as { auditTaskId: string }).auditTaskId,
            });
            expect(describes).toBe(1);
          } else {
            expect(result.kind).toBe('rerun-invalid');
            expect(namesPath(errorsOf(result), path)).toBe(true);
          }
          seen.add(result.kind === 'rerun' ? result.result.outcome : result.kind);
        },
      ),
      { ...FC, numRuns: 800 },
    );
    expect([...seen].sort()).toEqual(['nothing-to-do', 'rerun-invalid', 'started']);
  });

  it('mutated DescribeAuditTask answers on a re-run: planned, or audit-invalid naming the field; nothing started from them', async () => {
    const mutatedAnswer = describeAnswer.chain((answer) =>
      fc
        .tuple(
          fc.constantFrom(...mutationPaths({ ...answer, taskStartTime: 0 })),
          fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(DELETE as unknown)),
        )
        .map(([path, value]) => mutate(answer, path, value)),
    );
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(rerunRequest, mutatedAnswer, switchValue, async (detail, answer, value) => {
        freshCase(value);
        const result = await sweep(rerunEvent(detail), answer, 'mutated DescribeAuditTask');
        expect(result.kind).toBe('rerun');
        if (result.kind === 'rerun') seen.add(result.result.outcome);
      }),
      { ...FC, numRuns: 800 },
    );
    expect([...seen].sort()).toEqual(['audit-invalid', 'nothing-to-do', 'started']);
  });
});
