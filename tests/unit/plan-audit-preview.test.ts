/**
 * The parts of `npm run plan -- --audit-task-id` (local/cli/audit-preview.ts, local/cli/pacing.ts) that
 * the command-line tests (tests/cli/plan-audit.test.ts) cannot reach cheaply: the pace under a quota on
 * an injected clock, the listing's stop at --max, where a stack keeps its policy and switch, one line
 * per AWS failure, and the stack lookups against mocked clients.
 */
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeAuditTaskCommand,
  DescribeMitigationActionCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { GetParameterCommand, ParameterNotFound, type SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  callFailure,
  checkResources,
  type FindingPages,
  PreviewFailure,
  previewAudit,
  previewClients,
  stackPlaces,
  type TouchedResource,
} from '../../local/cli/audit-preview.ts';
import { type PaceClock, pacer } from '../../local/cli/pacing.ts';

/** A clock that moves only when someone sleeps on it, recording each start it was asked about. */
function steppedClock(): PaceClock & { readonly sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe('pacer: under a quota of calls per second, on an injected clock', () => {
  it('spaces sequential calls 1/rate apart, never more than `rate` starting in any second', async () => {
    const clock = steppedClock();
    const pace = pacer(5, clock);
    const starts: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      await pace();
      starts.push(clock.now());
    }
    expect(starts).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000, 2200]);
    for (const start of starts)
      expect(starts.filter((s) => s >= start && s < start + 1000).length).toBeLessThanOrEqual(5);
  });

  it('the first call, and a call after a quiet spell, start at once', async () => {
    let now = 10_000;
    const sleeps: number[] = [];
    const pace = pacer(10, { now: () => now, sleep: async (ms) => void sleeps.push(ms) });
    await pace();
    now += 5_000;
    await pace();
    expect(sleeps).toEqual([]);
  });

  it('callers waiting at once each reserve their own turn', async () => {
    const waits: number[] = [];
    const pace = pacer(4, { now: () => 0, sleep: async (ms) => void waits.push(ms) });
    await Promise.all([pace(), pace(), pace()]);
    expect(waits).toEqual([250, 500]);
  });

  it.each([0, -1, Number.POSITIVE_INFINITY, Number.NaN])('refuses a rate of %s', (rate) => {
    expect(() => pacer(rate)).toThrow(/positive number of calls per second/);
  });
});

const resource = (n: number, reasonCode = 'CERTIFICATE_PAST_EXPIRATION'): TouchedResource => ({
  findingId: `f-${n}`,
  reasonCode,
  resourceType: 'DEVICE_CERTIFICATE',
  resourceIdentifier: { deviceCertificateId: String(n) },
});

const resources = (count: number) => Array.from({ length: count }, (_, i) => resource(i));

/** Pages of `size` from `all`, counting the calls. */
function pagesOf(all: readonly TouchedResource[], size: number): FindingPages & { calls: number } {
  const pages = Object.assign(
    async (token: string | undefined) => {
      pages.calls += 1;
      const from = Number(token ?? 0);
      const next = from + size;
      return { resources: all.slice(from, next), nextToken: next < all.length ? String(next) : undefined };
    },
    { calls: 0 },
  );
  return pages;
}

describe('checkResources: what a task filtered by reason codes would touch, up to --max', () => {
  const codes = ['CERTIFICATE_PAST_EXPIRATION'];

  it('lists every page when the check holds fewer than --max', async () => {
    const pages = pagesOf(resources(7), 3);
    const listed = await checkResources(pages, codes, 100);
    expect(listed).toMatchObject({ stoppedAtMax: false, pages: 3 });
    expect(listed.resources.map((r) => r.findingId)).toEqual([
      'f-0',
      'f-1',
      'f-2',
      'f-3',
      'f-4',
      'f-5',
      'f-6',
    ]);
  });

  it('leaves out findings whose reason code the filter does not name', async () => {
    const all = [resource(1), resource(2, 'CERTIFICATE_APPROACHING_EXPIRATION'), resource(3)];
    const listed = await checkResources(pagesOf(all, 250), codes, 100);
    expect(listed.resources.map((r) => r.findingId)).toEqual(['f-1', 'f-3']);
  });

  it('stops inside a page at --max and says so', async () => {
    const pages = pagesOf(resources(10), 4);
    const listed = await checkResources(pages, codes, 6);
    expect(listed).toMatchObject({ stoppedAtMax: true, pages: 2 });
    expect(listed.resources).toHaveLength(6);
  });

  it('stops at a page boundary at --max without asking for the next page', async () => {
    const pages = pagesOf(resources(10), 5);
    const listed = await checkResources(pages, codes, 5);
    expect(listed).toMatchObject({ stoppedAtMax: true, pages: 1 });
    expect(pages.calls).toBe(1);
  });

  it('exactly --max with nothing after them is complete', async () => {
    const listed = await checkResources(pagesOf([resource(1), resource(2)], 250), codes, 2);
    expect(listed).toMatchObject({ stoppedAtMax: false, pages: 1 });
  });
});

describe("stackPlaces: where a deployed stack keeps its policy and switch (DescribeStacks' answer)", () => {
  const stack = { StackName: 'ddr', CreationTime: new Date(0), StackStatus: 'UPDATE_COMPLETE' as const };

  it('a PolicyParameterName names the SSM parameter; the switch is the RuntimeSwitchName output', () => {
    expect(
      stackPlaces('ddr', {
        ...stack,
        Parameters: [{ ParameterKey: 'PolicyParameterName', ParameterValue: '/ddr/policy' }],
        Outputs: [{ OutputKey: 'RuntimeSwitchName', OutputValue: '/ddr/switch-renamed' }],
      }),
    ).toEqual({
      policyParameterName: '/ddr/policy',
      switchParameterName: '/ddr/switch-renamed',
      policySource: 'SSM parameter /ddr/policy (PolicyParameterName of stack ddr)',
    });
  });

  it('an empty PolicyParameterName, or none, is the bundled policy; no output is the template switch name', () => {
    expect(
      stackPlaces('ddr', {
        ...stack,
        Parameters: [{ ParameterKey: 'PolicyParameterName', ParameterValue: '' }],
      }),
    ).toEqual({
      policyParameterName: undefined,
      switchParameterName: '/ddr/runtime-switch',
      policySource: 'the bundled default policy (PolicyParameterName of stack ddr is empty)',
    });
    expect(stackPlaces('ddr', stack).policySource).toBe(
      'the bundled default policy (stack ddr has no PolicyParameterName parameter)',
    );
  });
});

/** An SDK service error as the clients throw them. */
function serviceError(name: string, fault: 'client' | 'server', attempts = 1, message = `${name} happened`) {
  return Object.assign(new Error(message), { name, $fault: fault, $metadata: { attempts } });
}

describe('callFailure: one line per AWS failure, and whose it is to fix', () => {
  it.each([
    [serviceError('AccessDeniedException', 'client'), 2, /^IoT X: access denied \(AccessDeniedException: /],
    [serviceError('UnrecognizedClientException', 'client'), 2, /^IoT X: access denied/],
    [serviceError('ExpiredTokenException', 'client'), 2, /^IoT X: access denied/],
    [
      serviceError('ThrottlingException', 'client', 8),
      1,
      /^IoT X: still throttled after 8 attempts \(ThrottlingException\); try again later$/,
    ],
    [
      serviceError('InternalFailureException', 'server'),
      1,
      /^IoT X: AWS failed \(InternalFailureException: /,
    ],
    [serviceError('InvalidRequestException', 'client'), 2, /^IoT X: InvalidRequestException: /],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      1,
      /^IoT X: could not reach AWS \(ECONNREFUSED: connect ECONNREFUSED/,
    ],
    [
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
      2,
      /^IoT X: no AWS credentials \(Could not load credentials from any providers\); configure them/,
    ],
    [new Error('Region is missing'), 2, /^IoT X: no AWS region; pass --region/],
  ])('%s -> exit %i', (error, exitCode, line) => {
    const failure = callFailure('IoT X', error);
    expect(failure.exitCode).toBe(exitCode);
    expect(failure.message).toMatch(line);
    expect(failure.message).not.toContain('\n');
  });

  it('keeps a failure already said in one line, and cuts a long message', () => {
    const said = new PreviewFailure('--stack: CloudFormation has no stack x in us-east-1');
    expect(callFailure('CloudFormation DescribeStacks', said)).toBe(said);
    const long = callFailure(
      'IoT X',
      serviceError('InvalidRequestException', 'client', 1, `${'x'.repeat(400)}\nmore`),
    );
    expect(long.message.length).toBeLessThan(360);
  });
});

describe('previewAudit --stack against mocked clients', () => {
  const clients = previewClients({ region: 'eu-west-1' });
  const cloudFormation = mockClient(clients.cloudFormation as CloudFormationClient);
  const ssm = mockClient(clients.ssm as SSMClient);
  const iot = mockClient(clients.iot as IoTClient);
  const request = {
    auditTaskId: 'a1',
    policy: { kind: 'stack', stackName: 'ddr' },
    runtimeSwitch: { value: 'dry-run', lastModified: 0, version: 1 },
  } as const;
  const stack = (parameters: Record<string, string>) => ({
    Stacks: [
      {
        StackName: 'ddr',
        CreationTime: new Date(0),
        StackStatus: 'UPDATE_COMPLETE' as const,
        Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
          ParameterKey,
          ParameterValue,
        })),
      },
    ],
  });

  beforeEach(() => {
    cloudFormation.reset();
    ssm.reset();
    iot.reset();
  });

  it('an unknown stack is one line naming it and the region, before any IoT call', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id ddr does not exist'), {
        name: 'ValidationError',
        $fault: 'client',
      }),
    );
    await expect(previewAudit(clients, request)).rejects.toThrow(
      new PreviewFailure('--stack: CloudFormation has no stack ddr in eu-west-1'),
    );
    expect(iot.calls()).toEqual([]);
  });

  it("a policy parameter that is not JSON is named, with the stack's planner's own words", async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(stack({ PolicyParameterName: '/ddr/policy' }));
    ssm.on(GetParameterCommand, { Name: '/ddr/policy' }).resolves({ Parameter: { Value: '{not json' } });
    await expect(previewAudit(clients, request)).rejects.toThrow(
      /^SSM parameter \/ddr\/policy \(PolicyParameterName of stack ddr\) is not a valid policy: \/ddr\/policy: the policy is not valid JSON/,
    );
  });

  it('a stack without the parameter plans with the bundled policy and the stack switch it reads', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves(stack({ SwitchDefault: 'dry-run' }));
    // No verification marker for this on-demand audit: the stack did not start it.
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    ssm
      .on(GetParameterCommand, { Name: '/ddr/runtime-switch' })
      .resolves({ Parameter: { Value: 'paused', Version: 4, LastModifiedDate: new Date(1_000) } });
    iot.on(DescribeAuditTaskCommand).resolves({
      taskStatus: 'COMPLETED',
      taskType: 'ON_DEMAND_AUDIT_TASK',
      taskStartTime: new Date(2_000),
      taskStatistics: {},
      auditDetails: {},
    });
    const preview = await previewAudit(clients, request);
    expect(preview.policy).toBe(
      'the bundled default policy (stack ddr has no PolicyParameterName parameter)',
    );
    expect(preview.plan).toMatchObject({ kind: 'nothing-to-do', reason: 'paused' });
    expect(iot.commandCalls(DescribeMitigationActionCommand)).toEqual([]);
  });
});
