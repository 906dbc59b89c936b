import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { RuntimeFailure, TaskFailure } from './errors.ts';

/** A project handler run in-process in place of a deployed function. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export type LambdaHandlers = Readonly<Record<string, LambdaHandler>>;

/** Finds a handler by the exact name or ARN it was registered under, else by the function name in an ARN. */
function findLambda(handlers: LambdaHandlers, functionNameOrArn: string): LambdaHandler | undefined {
  return handlers[functionNameOrArn] ?? handlers[functionName(functionNameOrArn)];
}

/** `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` -> `<name>`; a plain name stays as it is. */
function functionName(functionNameOrArn: string): string {
  const parts = functionNameOrArn.split(':');
  return parts[5] === 'function' && parts[6] !== undefined ? parts[6] : functionNameOrArn;
}

/**
 * Invokes a handler as Lambda would: the payload goes through JSON both ways, and a thrown error becomes
 * the task error named after its `errorType` (the error's `name`), with Lambda's error JSON as the cause.
 */
export async function invokeLambda(handlers: LambdaHandlers, functionNameOrArn: string, payload: unknown) {
  const handler = findLambda(handlers, functionNameOrArn);
  if (handler === undefined)
    throw new RuntimeFailure(`no in-process handler for Lambda function ${functionNameOrArn}`);
  const name = functionName(functionNameOrArn);
  try {
    const result = await handler(
      JSON.parse(JSON.stringify(payload ?? {})),
      lambdaContext(name, functionNameOrArn),
    );
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  } catch (error) {
    const { name: errorType = 'Error', message = String(error), stack = '' } = error as Error;
    const cause = { errorType, errorMessage: message, trace: stack.split('\n') };
    throw new TaskFailure(errorType, JSON.stringify(cause));
  }
}

/** `arn:<partition>:states:::lambda:invoke`: Parameters carry FunctionName and Payload; the result wraps it. */
export async function invokeLambdaIntegration(handlers: LambdaHandlers, parameters: unknown) {
  const { FunctionName, Payload } = (parameters ?? {}) as { FunctionName?: unknown; Payload?: unknown };
  if (typeof FunctionName !== 'string') throw new RuntimeFailure('lambda:invoke needs a FunctionName string');
  const requestId = randomUUID();
  return {
    ExecutedVersion: '$LATEST',
    Payload: await invokeLambda(handlers, FunctionName, Payload),
    SdkHttpMetadata: { HttpStatusCode: 200 },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}

function lambdaContext(name: string, functionNameOrArn: string): Context {
  const invokedFunctionArn = functionNameOrArn.startsWith('arn:')
    ? functionNameOrArn
    : `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
  const unsupported = () => {
    throw new Error('callback-style completion is not supported locally');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn,
    memoryLimitInMB: '128',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 900_000,
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
