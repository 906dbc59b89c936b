/**
 * ListExecutions and GetExecutionHistory on the local Step Functions endpoint, through the real
 * `@aws-sdk/client-sfn`: the answers, pages and refusals of the API reference
 * (docs/aws-facts/step-functions.md, "The local endpoint").
 */
import {
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandInput,
  type HistoryEvent,
  InvalidArn,
  InvalidToken,
  ListExecutionsCommand,
  type ListExecutionsCommandInput,
  type ListExecutionsCommandOutput,
  paginateGetExecutionHistory,
  SFNClient,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import {
  type LocalSfnEndpoint,
  LocalStepFunctions,
  startLocalSfnEndpoint,
} from '../../stepfunctions/index.ts';

const HOLDING = 'arn:aws:states:us-east-1:123456789012:stateMachine:holding';
const WORKING = 'arn:aws:states:us-east-1:123456789012:stateMachine:working';
const START = Date.UTC(2026, 0, 1);

let endpoint: LocalSfnEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

/**
 * `holding` waits an hour before it ends; `working` calls a function through lambda:invoke (which
 * fails its first call and is retried), waits a minute and ends.
 */
async function localSfn() {
  const clock = new VirtualClock(START, { autoAdvance: false });
  let calls = 0;
  const runner = new LocalStepFunctions({
    clock,
    lambdas: {
      flaky: async (event: unknown) => {
        calls++;
        if (calls === 1) throw new Error('first call fails');
        return { seen: event };
      },
    },
  });
  endpoint = await startLocalSfnEndpoint({
    runner,
    stateMachines: {
      [HOLDING]: {
        StartAt: 'Hold',
        States: { Hold: { Type: 'Wait', Seconds: 3600, Next: 'Done' }, Done: { Type: 'Succeed' } },
      },
      [WORKING]: {
        StartAt: 'Prepare',
        States: {
          Prepare: { Type: 'Pass', Parameters: { 'audit.$': '$.audit' }, Next: 'Call' },
          Call: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'flaky', 'Payload.$': '$' },
            ResultSelector: { 'seen.$': '$.Payload.seen' },
            Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1 }],
            Next: 'Pause',
          },
          Pause: { Type: 'Wait', Seconds: 60, End: true },
        },
      },
    },
  });
  const sfn = new SFNClient({
    endpoint: endpoint.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return { clock, runner, sfn, url: endpoint.endpoint };
}

/** Runs the clock until the execution stops (the clock does not move by itself here). */
async function finish(clock: VirtualClock, runner: LocalStepFunctions, executionArn: string) {
  const execution = runner.describeExecution(executionArn);
  if (execution === undefined) throw new Error(`no execution ${executionArn}`);
  while (execution.status === 'RUNNING') {
    await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(1000);
  }
  return execution;
}

const names = (page: ListExecutionsCommandOutput) => page.executions?.map((e) => e.name);

describe('ListExecutions', () => {
  it('lists the most recent execution first, with its status, start and stop', async () => {
    const { clock, runner, sfn } = await localSfn();
    const first = runner.startExecution({ stateMachineArn: HOLDING, name: 'first' });
    await clock.advance(1800_000);
    runner.startExecution({ stateMachineArn: HOLDING, name: 'second' });
    runner.startExecution({ stateMachineArn: WORKING, name: 'elsewhere', input: { audit: 'a' } });
    await clock.advance(1800_000);
    await first.result;

    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: HOLDING }));
    expect(page.nextToken).toBeUndefined();
    expect(page.executions).toEqual([
      {
        executionArn: 'arn:aws:states:us-east-1:123456789012:execution:holding:second',
        stateMachineArn: HOLDING,
        name: 'second',
        status: 'RUNNING',
        startDate: new Date(START + 1800_000),
      },
      {
        executionArn: 'arn:aws:states:us-east-1:123456789012:execution:holding:first',
        stateMachineArn: HOLDING,
        name: 'first',
        status: 'SUCCEEDED',
        startDate: new Date(START),
        stopDate: new Date(START + 3600_000),
      },
    ]);
    const succeeded = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: HOLDING, statusFilter: 'SUCCEEDED' }),
    );
    expect(names(succeeded)).toEqual(['first']);
    const failed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: HOLDING, statusFilter: 'FAILED' }),
    );
    expect(failed).toMatchObject({ executions: [] });
  });

  it('pages with maxResults and nextToken; executions started between pages do not shift them', async () => {
    const { runner, sfn } = await localSfn();
    for (const name of ['e1', 'e2', 'e3', 'e4', 'e5'])
      runner.startExecution({ stateMachineArn: HOLDING, name });

    const one = await sfn.send(new ListExecutionsCommand({ stateMachineArn: HOLDING, maxResults: 2 }));
    expect(names(one)).toEqual(['e5', 'e4']);
    runner.startExecution({ stateMachineArn: HOLDING, name: 'e6' });
    const two = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: HOLDING, maxResults: 2, nextToken: one.nextToken }),
    );
    expect(names(two)).toEqual(['e3', 'e2']);
    const three = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: HOLDING, maxResults: 2, nextToken: two.nextToken }),
    );
    expect(names(three)).toEqual(['e1']);
    expect(three.nextToken).toBeUndefined();
    // 0 means the default page (100).
    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: HOLDING, maxResults: 0 }));
    expect(names(all)).toEqual(['e6', 'e5', 'e4', 'e3', 'e2', 'e1']);
  });

  it('refuses what the API refuses, naming the member', async () => {
    const { runner, sfn } = await localSfn();
    for (const name of ['e1', 'e2']) runner.startExecution({ stateMachineArn: HOLDING, name });
    const list = (input: ListExecutionsCommandInput) => sfn.send(new ListExecutionsCommand(input));

    await expect(list({})).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Must provide a StateMachine ARN or MapRun ARN',
    });
    await expect(
      list({ mapRunArn: `${HOLDING.replace('stateMachine', 'mapRun')}/run:1` }),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('mapRunArn') });
    await expect(list({ stateMachineArn: `${HOLDING}-gone` })).rejects.toBeInstanceOf(
      StateMachineDoesNotExist,
    );
    await expect(list({ stateMachineArn: 'not-an-arn' })).rejects.toBeInstanceOf(InvalidArn);
    await expect(list({ stateMachineArn: HOLDING, maxResults: 1001 })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("'maxResults' failed to satisfy constraint"),
    });
    await expect(list({ stateMachineArn: HOLDING, maxResults: -1 })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("'maxResults'"),
    });
    await expect(list({ stateMachineArn: HOLDING, statusFilter: 'DONE' as never })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("'statusFilter'"),
    });
    await expect(list({ stateMachineArn: HOLDING, nextToken: 'garbage' })).rejects.toBeInstanceOf(
      InvalidToken,
    );
    // A token is good for the arguments it was issued with only.
    const page = await list({ stateMachineArn: HOLDING, maxResults: 1 });
    await expect(
      list({ stateMachineArn: HOLDING, statusFilter: 'RUNNING', nextToken: page.nextToken }),
    ).rejects.toBeInstanceOf(InvalidToken);
  });
});

describe('GetExecutionHistory', () => {
  it('lists every event in order: ids, previous ids, virtual timestamps and details', async () => {
    const { clock, runner, sfn } = await localSfn();
    const started = runner.startExecution({ stateMachineArn: WORKING, name: 'w1', input: { audit: 'a1' } });
    const execution = await finish(clock, runner, started.executionArn);
    expect(execution.status).toBe('SUCCEEDED');

    const { events, nextToken } = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: started.executionArn }),
    );
    expect(nextToken).toBeUndefined();
    const all = events ?? [];
    expect(all.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'ExecutionSucceeded',
    ]);
    expect(all.map((e) => [e.id, e.previousEventId])).toEqual(all.map((_, i) => [i + 1, i]));
    expect(execution.history.historyEvents).toBe(all.length);
    // Virtual time: the retry's second and the Wait's minute are in the timestamps.
    expect(all[0]?.timestamp).toEqual(new Date(START));
    expect(all.at(-1)?.timestamp?.getTime()).toBeGreaterThanOrEqual(START + 61_000);

    const byType = (type: string) => all.filter((e) => e.type === type);
    expect(all[0]?.executionStartedEventDetails).toEqual({
      input: '{"audit":"a1"}',
      inputDetails: { truncated: false },
    });
    expect(byType('PassStateExited')[0]?.stateExitedEventDetails).toEqual({
      name: 'Prepare',
      output: '{"audit":"a1"}',
      outputDetails: { truncated: false },
    });
    expect(byType('TaskStateEntered')[0]?.stateEnteredEventDetails).toMatchObject({ name: 'Call' });
    expect(byType('TaskScheduled')[0]?.taskScheduledEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'us-east-1',
      parameters: '{"FunctionName":"flaky","Payload":{"audit":"a1"}}',
    });
    expect(byType('TaskStarted')[0]?.taskStartedEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke',
    });
    expect(byType('TaskFailed')[0]?.taskFailedEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      cause: expect.stringContaining('first call fails'),
    });
    expect(JSON.parse(byType('TaskSucceeded')[0]?.taskSucceededEventDetails?.output ?? '')).toMatchObject({
      Payload: { seen: { audit: 'a1' } },
    });
    expect(all.at(-1)?.executionSucceededEventDetails).toEqual({
      output: '{"seen":{"audit":"a1"}}',
      outputDetails: { truncated: false },
    });
  });

  it('answers newest first with reverseOrder, without execution data on request, in pages', async () => {
    const { clock, runner, sfn } = await localSfn();
    const started = runner.startExecution({ stateMachineArn: WORKING, name: 'w2', input: { audit: 'a2' } });
    await finish(clock, runner, started.executionArn);
    const executionArn = started.executionArn;

    const reversed = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));
    expect(reversed.events?.map((e) => e.id)).toEqual([14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);

    const bare = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }),
    );
    const details = (bare.events ?? []).flatMap((e: HistoryEvent) =>
      Object.entries(e).filter(([member]) => member.endsWith('EventDetails')),
    );
    expect(details.length).toBeGreaterThan(0);
    for (const [, value] of details) {
      for (const member of ['input', 'output', 'parameters', 'inputDetails', 'outputDetails'])
        expect(value).not.toHaveProperty(member);
    }
    expect(bare.events?.find((e) => e.type === 'TaskScheduled')?.taskScheduledEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'us-east-1',
    });

    const pages: number[][] = [];
    for await (const page of paginateGetExecutionHistory(
      { client: sfn, pageSize: 5 },
      { executionArn, reverseOrder: true },
    ))
      pages.push((page.events ?? []).map((e) => e.id ?? 0));
    expect(pages).toEqual([
      [14, 13, 12, 11, 10],
      [9, 8, 7, 6, 5],
      [4, 3, 2, 1],
    ]);
  });

  it('shows a running execution as far as it has come', async () => {
    const { clock, runner, sfn } = await localSfn();
    const started = runner.startExecution({ stateMachineArn: HOLDING, name: 'h1' });
    await clock.advance(60_000);
    const { events } = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn: started.executionArn,
        reverseOrder: true,
        maxResults: 1,
      }),
    );
    expect(events?.map((e) => [e.type, e.stateEnteredEventDetails?.name])).toEqual([
      ['WaitStateEntered', 'Hold'],
    ]);
  });

  it('refuses what the API refuses, naming the member', async () => {
    const { runner, sfn, url } = await localSfn();
    const { executionArn } = runner.startExecution({ stateMachineArn: HOLDING, name: 'h2' });
    const history = (input: GetExecutionHistoryCommandInput) =>
      sfn.send(new GetExecutionHistoryCommand(input));

    await expect(history({ executionArn: `${executionArn}-gone` })).rejects.toBeInstanceOf(
      ExecutionDoesNotExist,
    );
    await expect(history({ executionArn: HOLDING })).rejects.toBeInstanceOf(InvalidArn);
    await expect(history({ executionArn, maxResults: 5000 })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("'maxResults'"),
    });
    await expect(history({ executionArn, nextToken: 'garbage' })).rejects.toBeInstanceOf(InvalidToken);
    const page = await history({ executionArn, maxResults: 1 });
    expect(page.nextToken).toBeDefined();
    await expect(
      history({ executionArn, reverseOrder: true, nextToken: page.nextToken }),
    ).rejects.toBeInstanceOf(InvalidToken);

    // What the SDK never sends, but a hand-made request may.
    const raw = async (target: string, body: string) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'x-amz-target': `AWSStepFunctions.${target}`,
          'content-type': 'application/x-amz-json-1.0',
        },
        body,
      });
      return {
        status: response.status,
        body: (await response.json()) as { __type: string; message: string },
      };
    };
    expect(await raw('GetExecutionHistory', '{"executionArn":')).toMatchObject({
      status: 400,
      body: { __type: expect.stringMatching(/#SerializationException$/) },
    });
    expect(await raw('GetExecutionHistory', '[]')).toMatchObject({
      status: 400,
      body: { __type: expect.stringMatching(/#SerializationException$/) },
    });
    expect(
      await raw('GetExecutionHistory', JSON.stringify({ executionArn, reverseOrder: 'yes' })),
    ).toMatchObject({
      status: 400,
      body: {
        __type: expect.stringMatching(/#SerializationException$/),
        message: expect.stringContaining('reverseOrder'),
      },
    });
    expect(await raw('GetExecutionHistory', '{}')).toMatchObject({
      status: 400,
      body: { __type: expect.stringMatching(/#ValidationException$/), message: 'executionArn is required' },
    });
    expect(await raw('StopExecution', '{}')).toMatchObject({
      status: 400,
      body: { __type: expect.stringMatching(/#UnknownOperationException$/) },
    });
  });
});
