/**
 * A local Step Functions endpoint (awsJson1.0) backed by the runner, so the planner's real
 * `@aws-sdk/client-sfn` runs unchanged: `new SFNClient({ endpoint })`.
 *
 * Errors answer 400 with `{"__type": "<namespace>#<Code>", "message": ...}`; the SDK's JSON-RPC
 * error parser reads `__type` and drops the namespace, so it raises the modelled exception class.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LocalEndpoint, listenLocally } from '../http-endpoint.ts';
import { SfnApiError } from './errors.ts';
import type { LocalExecution } from './execution.ts';
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
};

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
    respond(
      response,
      200,
      operation(runner, body === '' ? {} : (JSON.parse(body) as Record<string, unknown>)),
    );
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
