/**
 * A local Step Functions endpoint (awsJson1.0) backed by the runner, so the planner's real
 * `@aws-sdk/client-sfn` and the AWS CLI (`aws stepfunctions --endpoint-url`) run unchanged:
 * StartExecution, DescribeExecution, ListExecutions, GetExecutionHistory, SendTaskSuccess and
 * SendTaskFailure (the callback pattern: task-tokens.ts), with the requests,
 * answers, pages and errors of the API reference (docs/aws-facts/step-functions.md, "The local
 * endpoint").
 *
 * Errors answer 400 with `{"__type": "<namespace>#<Code>", "message": ...}`; the SDK's JSON-RPC
 * error parser reads `__type` and drops the namespace, so it raises the modelled exception class.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LocalEndpoint, listenLocally } from '../http-endpoint.ts';
import { SfnApiError } from './errors.ts';
import type { LocalExecution } from './execution.ts';
import type { RecordedHistoryEvent } from './history.ts';
import type { DefinitionSource, LocalStepFunctions } from './runner.ts';

export interface LocalSfnEndpointOptions {
  readonly runner: LocalStepFunctions;
  /** State machine ARN -> ASL file path or definition. */
  readonly stateMachines: Readonly<Record<string, DefinitionSource>>;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
}

export type LocalSfnEndpoint = LocalEndpoint;

const ERROR_NAMESPACE = 'com.amazonaws.swf.service.v2.model';
const JSON_1_0 = 'application/x-amz-json-1.0';

type Operation = (runner: LocalStepFunctions, request: Record<string, unknown>) => unknown;

const operations: Readonly<Record<string, Operation>> = {
  StartExecution: (runner, { stateMachineArn, name, input }) => {
    requireString('stateMachineArn', stateMachineArn);
    const execution = runner.startExecution({
      stateMachineArn,
      ...(name === undefined ? {} : { name: String(name) }),
      input: parseInput(input),
    });
    return { executionArn: execution.executionArn, startDate: epochSeconds(execution.startDate) };
  },
  DescribeExecution: (runner, { executionArn }) => {
    requireString('executionArn', executionArn);
    const execution = runner.describeExecution(executionArn);
    if (execution === undefined) {
      throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    }
    return describe(execution);
  },
  // Most recent first; a page's token names the next (older) execution by its place in start order,
  // so executions started meanwhile never shift the pages still to come.
  ListExecutions: (runner, request) => {
    const { stateMachineArn, statusFilter, mapRunArn } = request;
    if (mapRunArn !== undefined)
      throw new SfnApiError('ValidationException', 'mapRunArn: Map Runs are not emulated locally');
    if (stateMachineArn === undefined)
      throw new SfnApiError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
    requireString('stateMachineArn', stateMachineArn);
    if (statusFilter !== undefined && !EXECUTION_STATUSES.includes(String(statusFilter)))
      throw constraint(
        'statusFilter',
        statusFilter,
        `Member must satisfy enum value set: [${EXECUTION_STATUSES.join(', ')}]`,
      );
    const pageSize = maxResults(request.maxResults);
    const all = runner.executionsOf(stateMachineArn);
    const key = `${stateMachineArn}|${statusFilter ?? ''}`;
    const from = request.nextToken === undefined ? all.length - 1 : readToken(request.nextToken, key);
    const executions: LocalExecution[] = [];
    let next = from;
    for (; next >= 0 && executions.length < pageSize; next--) {
      const execution = all[next];
      if (execution && (statusFilter === undefined || execution.status === statusFilter))
        executions.push(execution);
    }
    return {
      executions: executions.map(listItem),
      ...(next >= 0 ? { nextToken: writeToken(next, key) } : {}),
    };
  },
  SendTaskSuccess: (runner, { taskToken, output }) => {
    runner.taskTokens.sendTaskSuccess(taskToken, output);
    return {};
  },
  SendTaskFailure: (runner, { taskToken, error, cause }) => {
    runner.taskTokens.sendTaskFailure(taskToken, error, cause);
    return {};
  },
  // Oldest first, or newest first with reverseOrder; a token names the next event by its id.
  GetExecutionHistory: (runner, request) => {
    const { executionArn, reverseOrder = false, includeExecutionData = true } = request;
    requireString('executionArn', executionArn);
    requireBoolean('reverseOrder', reverseOrder);
    requireBoolean('includeExecutionData', includeExecutionData);
    const pageSize = maxResults(request.maxResults);
    if (!EXECUTION_ARN.test(executionArn))
      throw new SfnApiError('InvalidArn', `Invalid Arn: '${executionArn}'`);
    const execution = runner.describeExecution(executionArn);
    if (execution === undefined)
      throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    const events = execution.historyEvents;
    const key = `${executionArn}|${reverseOrder}|${includeExecutionData}`;
    const step = reverseOrder ? -1 : 1;
    const firstId =
      request.nextToken === undefined
        ? reverseOrder
          ? events.length
          : 1
        : readToken(request.nextToken, key);
    const page: RecordedHistoryEvent[] = [];
    let id = firstId;
    for (; id >= 1 && id <= events.length && page.length < pageSize; id += step) page.push(events[id - 1]!);
    return {
      events: page.map((event) => historyEvent(event, includeExecutionData)),
      ...(id >= 1 && id <= events.length ? { nextToken: writeToken(id, key) } : {}),
    };
  },
};

const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
const EXECUTION_ARN = /^arn:[\w-]+:states:[\w-]+:\d{12}:execution:[\w-]{1,80}:[^:]{1,80}$/;
/** Members of the history events' details that are execution data (includeExecutionData: false drops them). */
const EXECUTION_DATA = new Set(['input', 'inputDetails', 'output', 'outputDetails', 'parameters']);

export async function startLocalSfnEndpoint(options: LocalSfnEndpointOptions): Promise<LocalSfnEndpoint> {
  const { runner, stateMachines, port = 0 } = options;
  for (const [arn, source] of Object.entries(stateMachines)) runner.registerStateMachine(arn, source);
  return listenLocally((request, response) => serve(runner, request, response), port);
}

async function serve(runner: LocalStepFunctions, request: IncomingMessage, response: ServerResponse) {
  try {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AWSStepFunctions.') ? operations[target.slice(17)] : undefined;
    if (operation === undefined)
      throw new SfnApiError('UnknownOperationException', `Unknown operation ${target}`);
    const body = await readBody(request);
    respond(response, 200, operation(runner, parseRequest(body)));
  } catch (error) {
    if (error instanceof SfnApiError) {
      respond(response, 400, { __type: `${ERROR_NAMESPACE}#${error.code}`, message: error.message });
    } else {
      respond(response, 500, { __type: `${ERROR_NAMESPACE}#InternalFailure`, message: String(error) });
    }
  }
}

function describe(execution: LocalExecution) {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: epochSeconds(execution.startDate),
    input: JSON.stringify(execution.input),
    inputDetails: { included: true },
    ...(execution.stopDate === undefined ? {} : { stopDate: epochSeconds(execution.stopDate) }),
    ...(execution.status === 'SUCCEEDED'
      ? { output: JSON.stringify(execution.output), outputDetails: { included: true } }
      : {}),
    ...(execution.error === undefined ? {} : { error: execution.error }),
    ...(execution.cause === undefined ? {} : { cause: execution.cause }),
  };
}

function listItem(execution: LocalExecution) {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: epochSeconds(execution.startDate),
    ...(execution.stopDate === undefined ? {} : { stopDate: epochSeconds(execution.stopDate) }),
  };
}

function historyEvent(event: RecordedHistoryEvent, includeExecutionData: boolean) {
  const details =
    event.details === undefined || includeExecutionData
      ? event.details
      : Object.fromEntries(Object.entries(event.details).filter(([member]) => !EXECUTION_DATA.has(member)));
  return {
    timestamp: event.timestampMs / 1000,
    type: event.type,
    id: event.id,
    previousEventId: event.previousEventId,
    ...(event.detailsMember === undefined ? {} : { [event.detailsMember]: details }),
  };
}

/** maxResults: 0 to 1000, 0 or absent meaning the default page of 100. */
function maxResults(value: unknown): number {
  if (value === undefined || value === 0) return 100;
  if (!Number.isInteger(value) || (value as number) < 0)
    throw constraint('maxResults', value, 'Member must have value greater than or equal to 0');
  if ((value as number) > 1000)
    throw constraint('maxResults', value, 'Member must have value less than or equal to 1000');
  return value as number;
}

/** A page token: where the next page starts, bound to the arguments it was issued for. */
function writeToken(position: number, key: string): string {
  return Buffer.from(JSON.stringify({ position, key })).toString('base64url');
}

function readToken(token: unknown, key: string): number {
  try {
    const read = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as {
      position?: unknown;
      key?: unknown;
    };
    if (read.key === key && Number.isInteger(read.position)) return read.position as number;
  } catch {
    // not one of ours
  }
  throw new SfnApiError('InvalidToken', `Invalid Token: '${String(token).slice(0, 100)}'`);
}

function constraint(member: string, value: unknown, rule: string): SfnApiError {
  return new SfnApiError(
    'ValidationException',
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${rule}`,
  );
}

function parseRequest(body: string): Record<string, unknown> {
  if (body === '') return {};
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    throw new SfnApiError('SerializationException', 'The request body is not JSON');
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    throw new SfnApiError('SerializationException', 'The request body is not a JSON object');
  return request as Record<string, unknown>;
}

function requireBoolean(member: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean')
    throw new SfnApiError('SerializationException', `${member} must be a boolean`);
}

function parseInput(input: unknown): unknown {
  if (input === undefined) return {};
  try {
    return JSON.parse(String(input));
  } catch {
    throw new SfnApiError(
      'InvalidExecutionInput',
      `Invalid State Machine Execution Input: '${String(input)}'`,
    );
  }
}

function requireString(member: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new SfnApiError('ValidationException', `${member} is required`);
}

/** awsJson1.0 timestamps are epoch seconds (with a fraction). */
const epochSeconds = (date: Date) => date.getTime() / 1000;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function respond(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': JSON_1_0, 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify(body));
}
