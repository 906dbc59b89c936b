/**
 * `npm run plan -- --audit-task-id ID` as an operator runs it, against the Device Defender emulator
 * (demo preset, an on-demand audit run there), the local parameter store and a local DescribeStacks:
 * the child finds them through `AWS_ENDPOINT_URL_<SERVICE>` with dummy credentials, as the SDK would
 * find AWS. The command may only read: every operation the three endpoints saw is recorded.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeAuditTaskCommand,
  IoTClient,
  type MitigationActionParams,
  StartOnDemandAuditTaskCommand,
} from '@aws-sdk/client-iot';
import {
  deviceCertificateFinding,
  type Emulator,
  type LocalSsmEndpoint,
  ParameterStore,
  presets,
  startEmulator,
  startLocalSsmEndpoint,
  VirtualClock,
} from '@device-defender-remediation/local-cloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '#domain/policy';
import { enforcePolicy } from '../support/enforce-policy.ts';
import { type LocalEndpoint, startCloudFormationDouble, startRecordingProxy } from './aws-doubles.ts';
import { file, npmRun, npmRunAsync, type Outcome, refusedWith } from './support.ts';

const CHILD_MS = 60_000;
const TEST_MS = 90_000;
const PAGED_AUDIT = 'paged-audit-600';
const STACK = 'ddr';
const ROLE = 'arn:aws:iam::123456789012:role/ddr-mitigation';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The demo fleet's shared device certificate (local-cloud's demo preset derives ids so). */
const SHARED_CERTIFICATE = sha256('device/shared');
/** Finding 601 of the paged audit (deviceCertificateFinding's id: n in hex, 64 characters). */
const SUPPRESSED_CERTIFICATE = (601).toString(16).padStart(64, '0');

/** The stack's policy (in its SSM parameter): enforce, caps of 10 findings. */
const stackPolicy = enforcePolicy({ maxFindings: 10, maxPercent: 100 });

let emulator: Emulator;
let ssm: LocalSsmEndpoint;
let store: ParameterStore;
let ssmProxy: LocalEndpoint;
let cloudFormation: LocalEndpoint;
let auditTaskId: string;
/** The IoT operations the emulator served, in order. */
const iotOperations: string[] = [];
const savedEnv = { ...process.env };

/** `npm run plan -- ARGS` with these environment changes (undefined: unset) for the child only. */
function plan(args: string[], env: Readonly<Record<string, string | undefined>> = {}): Promise<Outcome> {
  const before = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  const apply = (values: Readonly<Record<string, string | undefined>>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(env);
  try {
    return npmRunAsync('plan', args, CHILD_MS); // spawns at once, with the environment as it is now
  } finally {
    apply(before);
  }
}

function previewOf(outcome: Outcome) {
  if (outcome.status !== 0) throw new Error(`expected exit 0, got ${JSON.stringify(outcome)}`);
  return JSON.parse(outcome.stdout);
}

beforeAll(async () => {
  expect(parsePolicy(stackPolicy).ok).toBe(true);
  const clock = new VirtualClock();
  emulator = await startEmulator({ clock });
  presets.demo!(emulator.service, clock.now());
  const throttle = emulator.service.throttle.bind(emulator.service);
  emulator.service.throttle = (operation: string) => {
    iotOperations.push(operation);
    throttle(operation);
  };
  // The stack's deployed actions (only two of the three its policy names) and its parameters.
  const actions: Record<string, MitigationActionParams> = {
    PublishFinding: { publishFindingToSnsParams: { topicArn: 'arn:aws:sns:us-east-1:123456789012:f' } },
    QuarantineDevice: { addThingsToThingGroupParams: { thingGroupNames: ['quarantine'] } },
  };
  for (const [name, actionParams] of Object.entries(actions))
    emulator.service.createMitigationAction({ actionName: `${STACK}-${name}`, roleArn: ROLE, actionParams });
  store = new ParameterStore(clock);
  store.set(`/${STACK}/runtime-switch`, 'enforce');
  store.set(`/${STACK}/policy`, JSON.stringify(stackPolicy));
  store.set('/ddr-bundled/runtime-switch', 'dry-run');
  ssm = await startLocalSsmEndpoint(store);
  ssmProxy = await startRecordingProxy(ssm.endpoint);
  cloudFormation = await startCloudFormationDouble({
    [STACK]: {
      parameters: { PolicyParameterName: `/${STACK}/policy`, SwitchDefault: 'dry-run' },
      outputs: { RuntimeSwitchName: `/${STACK}/runtime-switch` },
    },
    'ddr-bundled': { parameters: { PolicyParameterName: '' } },
    'ddr-lost-policy': { parameters: { PolicyParameterName: '/ddr-lost-policy/policy' } },
  });

  // An audit run in the emulator, as Device Defender runs one: it completes a minute later.
  const iot = new IoTClient({ endpoint: emulator.endpoint });
  const { auditCheckConfigurations = {} } = emulator.service.describeAccountAuditConfiguration();
  const checks = Object.keys(auditCheckConfigurations).filter((c) => auditCheckConfigurations[c]?.enabled);
  auditTaskId = (await iot.send(new StartOnDemandAuditTaskCommand({ targetCheckNames: checks }))).taskId!;
  // A declared audit with 601 expired certificates, one of them suppressed before the audit reported
  // (a suppression hides the findings of later audits only): the 600 others are three pages of
  // ListAuditFindings.
  emulator.service.createAuditSuppression({
    checkName: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
    resourceIdentifier: { deviceCertificateId: SUPPRESSED_CERTIFICATE },
    suppressIndefinitely: true,
  });
  await clock.advance(1_000);
  emulator.service.addAudit({
    taskId: PAGED_AUDIT,
    checks: {
      DEVICE_CERTIFICATE_EXPIRING_CHECK: {
        totalResourcesCount: 1_000,
        findings: Array.from({ length: 601 }, (_, i) =>
          deviceCertificateFinding(i + 1, { reasonForNonComplianceCode: 'CERTIFICATE_PAST_EXPIRATION' }),
        ),
      },
    },
  });
  await clock.advance(60_000);
  expect((await iot.send(new DescribeAuditTaskCommand({ taskId: auditTaskId }))).taskStatus).toBe(
    'COMPLETED',
  );

  process.env.AWS_ENDPOINT_URL_IOT = emulator.endpoint;
  process.env.AWS_ENDPOINT_URL_SSM = ssmProxy.endpoint;
  process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = cloudFormation.endpoint;
}, TEST_MS);

afterAll(async () => {
  for (const key of ['AWS_ENDPOINT_URL_IOT', 'AWS_ENDPOINT_URL_SSM', 'AWS_ENDPOINT_URL_CLOUDFORMATION'])
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  await Promise.all([emulator?.close(), ssmProxy?.close(), ssm?.close(), cloudFormation?.close()]);
});

describe('npm run plan -- --audit-task-id: the plan of a real audit', () => {
  it(
    'plans the audit DescribeAuditTask describes, with the default policy, and shows the actions it uses',
    async () => {
      const outcome = await plan(['--audit-task-id', auditTaskId]);
      const preview = previewOf(outcome);
      expect(preview.policy).toBe('file config/default-policy.yaml');
      expect(preview.plan).toMatchObject({
        kind: 'plan',
        auditTaskId,
        mode: { effective: 'dry-run', policy: 'dry-run', switch: { value: 'dry-run' } },
        names: { executionName: `dry-${auditTaskId}` },
        auditCheckToActionsMapping: {
          DEVICE_CERTIFICATE_SHARED_CHECK: ['PublishFinding', 'QuarantineDevice'],
        },
      });
      expect(preview.plan.target.auditTaskId).toBe(auditTaskId);
      expect(preview.mitigationActions).toContainEqual({
        name: 'QuarantineDevice',
        deployedName: 'QuarantineDevice',
        exists: true,
        type: 'ADD_THINGS_TO_THING_GROUP',
        roleArn: 'arn:aws:iam::123456789012:role/device-defender-mitigation',
      });
      expect(preview.plannerWouldRefuse).toEqual([]);
      expect(preview.findings).toBeUndefined();
      expect(outcome.stderr).toContain(`audit ${auditTaskId}; policy: file config/default-policy.yaml`);
      expect(outcome.stderr).toMatch(/DEVICE_CERTIFICATE_SHARED_CHECK -> PublishFinding, QuarantineDevice\n/);
    },
    TEST_MS,
  );

  it(
    '--findings lists, per check to mitigate, the resources the task would act on',
    async () => {
      const outcome = await plan(['--audit-task-id', auditTaskId, '--findings']);
      const preview = previewOf(outcome);
      const checks = Object.keys(preview.plan.auditCheckToActionsMapping);
      expect(Object.keys(preview.findings).sort()).toEqual(checks.sort());
      expect(preview.findings.DEVICE_CERTIFICATE_SHARED_CHECK).toEqual({
        resources: [
          {
            findingId: expect.any(String),
            reasonCode: 'CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES',
            resourceType: 'DEVICE_CERTIFICATE',
            resourceIdentifier: { deviceCertificateId: SHARED_CERTIFICATE },
          },
        ],
        stoppedAtMax: false,
        pages: 1,
      });
      expect(outcome.stderr).toContain(
        'DEVICE_CERTIFICATE_SHARED_CHECK -> PublishFinding, QuarantineDevice: 1 resource\n',
      );
    },
    TEST_MS,
  );

  it(
    'pages ListAuditFindings 250 at a time, leaves suppressed findings out, stops at --max and says so',
    async () => {
      iotOperations.length = 0;
      const all = previewOf(
        await plan([
          '--audit-task-id',
          PAGED_AUDIT,
          '--policy',
          'local/samples/demo-policy.yaml',
          '--findings',
        ]),
      );
      expect(all.policy).toBe('file local/samples/demo-policy.yaml');
      const expiring = all.findings.DEVICE_CERTIFICATE_EXPIRING_CHECK;
      expect(expiring.resources).toHaveLength(600);
      expect(new Set(expiring.resources.map((r: { findingId: string }) => r.findingId)).size).toBe(600);
      expect(JSON.stringify(expiring.resources)).not.toContain(SUPPRESSED_CERTIFICATE);
      expect(expiring).toMatchObject({ stoppedAtMax: false, pages: 3 });
      expect(iotOperations.filter((o) => o === 'ListAuditFindings')).toHaveLength(3);

      const outcome = await plan(['--audit-task-id', PAGED_AUDIT, '--findings', '--max', '300']);
      const capped = previewOf(outcome).findings.DEVICE_CERTIFICATE_EXPIRING_CHECK;
      expect(capped.resources).toHaveLength(300);
      expect(capped.resources).toEqual(expiring.resources.slice(0, 300));
      expect(capped).toMatchObject({ stoppedAtMax: true, pages: 2 });
      expect(outcome.stderr).toContain(
        'DEVICE_CERTIFICATE_EXPIRING_CHECK -> PublishFinding: 300 resources (stopped at --max 300; there may be more)',
      );
    },
    TEST_MS,
  );

  it(
    "--stack plans with the stack's policy parameter, its switch and its actions, reading only",
    async () => {
      iotOperations.length = 0;
      ssmProxy.operations.length = 0;
      cloudFormation.operations.length = 0;
      const outcome = await plan(['--audit-task-id', auditTaskId, '--stack', STACK, '--findings']);
      const preview = previewOf(outcome);
      expect(preview.policy).toBe(`SSM parameter /${STACK}/policy (PolicyParameterName of stack ${STACK})`);
      expect(preview.plan).toMatchObject({
        mode: { effective: 'enforce', switch: { value: 'enforce', version: 1 } },
        names: { executionName: `enf-${auditTaskId}` },
        auditCheckToActionsMapping: {
          DEVICE_CERTIFICATE_SHARED_CHECK: [`${STACK}-PublishFinding`, `${STACK}-QuarantineDevice`],
          REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK: [
            `${STACK}-PublishFinding`,
            `${STACK}-DeactivateDeviceCertificate`,
          ],
        },
      });
      expect(preview.mitigationActions).toContainEqual({
        name: 'QuarantineDevice',
        deployedName: `${STACK}-QuarantineDevice`,
        exists: true,
        type: 'ADD_THINGS_TO_THING_GROUP',
        roleArn: ROLE,
      });
      expect(preview.mitigationActions).toContainEqual({
        name: 'DeactivateDeviceCertificate',
        deployedName: `${STACK}-DeactivateDeviceCertificate`,
        exists: false,
      });
      expect(preview.plannerWouldRefuse).toEqual([
        `actions.DeactivateDeviceCertificate: mitigation action ${STACK}-DeactivateDeviceCertificate does not exist in this account and region; deploy it or remove DeactivateDeviceCertificate from the rules that use it`,
      ]);
      expect(preview.findings.REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK.resources).toHaveLength(2);
      expect(outcome.stderr).toContain(
        "the stack's planner would start nothing: actions.DeactivateDeviceCertificate",
      );

      // Read-only: every operation any endpoint saw is a Describe, List or Get, and each kind was used.
      const operations = [
        ...iotOperations,
        ...ssmProxy.operations.map((o) => o.replace(/^AmazonSSM\./, '')),
        ...cloudFormation.operations,
      ];
      expect(operations.filter((o) => !/^(Describe|List|Get)[A-Z]/.test(o))).toEqual([]);
      expect(new Set(operations)).toEqual(
        new Set([
          'DescribeStacks',
          'GetParameter',
          'DescribeAuditTask',
          'DescribeMitigationAction',
          'ListAuditFindings',
          'ListAuditMitigationActionsTasks', // the loop guard's history: no task of the stack yet
        ]),
      );
    },
    TEST_MS,
  );

  it(
    'a stack with an empty PolicyParameterName plans with the bundled default policy and says so; --rerun names the run',
    async () => {
      const preview = previewOf(
        await plan(['--audit-task-id', auditTaskId, '--stack', 'ddr-bundled', '--rerun', '2']),
      );
      expect(preview.plan).toMatchObject({ rerun: 2, names: { executionName: `dry-${auditTaskId}-r2` } });
      expect(preview.policy).toBe(
        'the bundled default policy (PolicyParameterName of stack ddr-bundled is empty)',
      );
      expect(preview.plan.mode).toMatchObject({ effective: 'dry-run', switch: { value: 'dry-run' } });
      expect(preview.plan.auditCheckToActionsMapping.DEVICE_CERTIFICATE_SHARED_CHECK).toEqual([
        'ddr-bundled-PublishFinding',
        'ddr-bundled-QuarantineDevice',
      ]);
    },
    TEST_MS,
  );
});

describe('npm run plan -- --audit-task-id --stack and a verification audit', () => {
  it(
    "says the stack's planner never remediates an audit its state machine started to verify a fix",
    async () => {
      const marker = `/ddr-bundled/verification-audits/${auditTaskId}`;
      store.set(marker, 'enf-earlier-audit');
      try {
        const preview = previewOf(await plan(['--audit-task-id', auditTaskId, '--stack', 'ddr-bundled']));
        expect(preview.plannerWouldRefuse[0]).toBe(
          'a verification audit: execution enf-earlier-audit of the stack started it, and the planner never remediates it',
        );
      } finally {
        store.delete(marker);
      }
      const preview = previewOf(await plan(['--audit-task-id', auditTaskId, '--stack', 'ddr-bundled']));
      expect(preview.plannerWouldRefuse.filter((r: string) => r.includes('verification'))).toEqual([]);
    },
    TEST_MS,
  );
});

describe('npm run plan -- --audit-task-id: problems are one line', () => {
  it(
    'an audit DescribeAuditTask does not know: exit 2, naming it',
    async () => {
      expect(refusedWith(await plan(['--audit-task-id', 'no-such-audit']))).toBe(
        'npm run plan: --audit-task-id: DescribeAuditTask knows no audit no-such-audit in us-east-1',
      );
    },
    TEST_MS,
  );

  it(
    'a stack CloudFormation does not know, or whose policy parameter is gone: exit 2, naming it',
    async () => {
      expect(refusedWith(await plan(['--audit-task-id', auditTaskId, '--stack', 'nope']))).toBe(
        'npm run plan: --stack: CloudFormation has no stack nope in us-east-1',
      );
      expect(refusedWith(await plan(['--audit-task-id', auditTaskId, '--stack', 'ddr-lost-policy']))).toBe(
        'npm run plan: the policy parameter of stack ddr-lost-policy, /ddr-lost-policy/policy, does not exist (ParameterNotFound)',
      );
    },
    TEST_MS,
  );

  it(
    'no credentials, or a profile that does not exist: exit 2, no AWS call',
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'ddr-no-aws-'));
      const nowhere = {
        HOME: home,
        AWS_CONFIG_FILE: join(home, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
        AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      };
      iotOperations.length = 0;
      expect(refusedWith(await plan(['--audit-task-id', auditTaskId], nowhere))).toMatch(
        /^npm run plan: no AWS credentials \(.+\); configure them or pass --profile$/,
      );
      expect(
        refusedWith(await plan(['--audit-task-id', auditTaskId, '--profile', 'nobody'], nowhere)),
      ).toMatch(
        /^npm run plan: no AWS credentials for profile nobody \(.+\); check the profile in your AWS config/,
      );
      expect(iotOperations).toEqual([]);
    },
    TEST_MS,
  );

  it.concurrent.each([
    [['--audit-task-id', 'a', '--stack', 'ddr', '--policy', 'p.yaml'], '--policy and --stack: give one'],
    [['--audit-task-id', 'a', '--notification', 'n.json'], '--notification and --audit-task-id: give one'],
    [['--audit-task-id', 'a', '--stack', 'ddr', '--switch', 'enforce'], '--switch goes without --stack'],
    [
      ['--audit-task-id', 'a', '--stack', 'ddr', '--action-prefix', 'x'],
      '--action-prefix goes without --stack',
    ],
    [['--audit-task-id', 'a', '--stack', 'my stack'], '--stack: "my stack" is not a stack name'],
    [['--audit-task-id', 'a_b'], '--audit-task-id: "a_b" is not an audit id'],
    [['--audit-task-id', 'a', '--max', '5'], '--max goes with --findings'],
    [
      ['--audit-task-id', 'a', '--findings', '--max', '0'],
      '--max: "0" is not a whole number from 1 to 100,000',
    ],
    [['--audit-task-id', 'a', '--findings', '--max', '1e9'], '--max: "1e9" is not a whole number'],
    [['--audit-task-id', 'a', '--switch', 'on'], '--switch: "on" is not one of dry-run, enforce, paused'],
    [['--audit-task-id', 'a', '--switch-set-at', 'soon'], '--switch-set-at: "soon" is not a date-time'],
    [
      ['--audit-task-id', 'a', '--stack', 'ddr', '--switch-set-at', 'x'],
      '--switch-set-at goes without --stack',
    ],
    [['--audit-task-id', 'a', '--rerun', 'x'], '--rerun: "x" is not an integer'],
    [
      ['--audit-task-id', 'a', '--rerun', '0'],
      '--rerun: the re-run number must be an integer from 1 to 999999, got 0',
    ],
    [['--audit-task-id', 'a', '--action-prefix', 'my stack'], '--action-prefix: "my stack" must be 1 to 64'],
    [['--notification', 'n.json', '--findings'], '--findings goes with --audit-task-id, not --notification'],
    [['--notification', 'n.json', '--region', 'eu-west-1'], '--region goes with --audit-task-id'],
    [[], '--notification is required, or --audit-task-id for an audit in your account'],
  ])('refuses %j in one line, before any AWS call', async (args, message) => {
    const served = iotOperations.length;
    expect(refusedWith(await npmRunAsync('plan', args, CHILD_MS))).toContain(message);
    expect(iotOperations.length).toBe(served);
  });

  it('an invalid --policy file is refused before any AWS call', () => {
    const policy = file('audit-bad.yaml', 'version: 2\nactions: {}\nrules: []\n');
    const outcome = npmRun('plan', ['--audit-task-id', 'a', '--policy', policy]);
    expect(outcome.status).toBe(2);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toContain('policy: version: 2 is not valid; expected 1');
  });
});
