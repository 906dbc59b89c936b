/**
 * The template's functions, run in this process as `sam local` would run them: each handler is
 * imported from the entry point its esbuild Metadata names (BuildProperties.EntryPoints[0] under
 * CodeUri), with the environment the template gives it (Globals.Function merged with the function's
 * own Environment.Variables, intrinsics resolved).
 *
 * Asynchronous invocations (rules, schedules) follow
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html: a function error
 * is retried up to the function's MaximumRetryAttempts (EventInvokeConfig; 2 by default), one minute
 * before the first retry and two before the second, in virtual time; an event that fails every
 * attempt (or outlives MaximumEventAgeInSeconds) goes to the OnFailure destination as an invocation
 * record.
 */
import { randomUUID } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import type { VirtualClock } from '../clock.ts';
import type { DeployedTemplate } from './template.ts';

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

export const FUNCTION_TYPES = ['AWS::Serverless::Function', 'AWS::Lambda::Function'] as const;

export interface LocalFunction {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** Where the handler was imported from. */
  readonly entryPoint: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
  /** ARN of the OnFailure destination of asynchronous invocations, if any. */
  readonly onFailure?: string;
  readonly handler: Handler;
}

/** One asynchronous invocation, with every attempt it took. */
export interface Invocation {
  readonly functionId: string;
  /** What invoked it: a rule's, schedule's or state machine's logical id. */
  readonly trigger: string;
  readonly event: unknown;
  readonly attempts: number;
  readonly outcome: 'succeeded' | 'failed';
  readonly result?: unknown;
  readonly error?: { readonly errorType: string; readonly errorMessage: string };
}

/** A Lambda context as the runtime hands it to a handler of this account (or another, for tests). */
export function lambdaContext(
  functionName: string,
  invokedFunctionArn = `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 900_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Each function's environment, resolved from the template (values as CloudFormation passes them: strings). */
export function functionEnvironments(deployed: DeployedTemplate): Map<string, Record<string, string>> {
  const environments = new Map<string, Record<string, string>>();
  for (const id of FUNCTION_TYPES.flatMap((type) => deployed.resourceIds(type))) {
    const environment = deployed.functionProperty(id, 'Environment') as {
      Variables?: Record<string, unknown>;
    };
    environments.set(
      id,
      Object.fromEntries(Object.entries(environment.Variables ?? {}).map(([k, v]) => [k, String(v)])),
    );
  }
  return environments;
}

/**
 * Every function shares this process, so their variables are set together: two functions giving the
 * same variable different values cannot be emulated faithfully, and fail here rather than mislead.
 */
export function mergedEnvironment(environments: Map<string, Record<string, string>>): Record<string, string> {
  const merged: Record<string, string> = {};
  const owner: Record<string, string> = {};
  for (const [id, variables] of environments) {
    for (const [name, value] of Object.entries(variables)) {
      if (name in merged && merged[name] !== value)
        throw new Error(
          `${owner[name]} and ${id} set ${name} to different values (${merged[name]} / ${value}); the local stack runs every function in one process`,
        );
      merged[name] = value;
      owner[name] = id;
    }
  }
  return merged;
}

/** Imports each function's handler; call once the environment is set (modules read it when they load). */
export async function loadFunctions(
  deployed: DeployedTemplate,
  rootDir: string,
  environments: Map<string, Record<string, string>>,
): Promise<Map<string, LocalFunction>> {
  const functions = new Map<string, LocalFunction>();
  for (const id of FUNCTION_TYPES.flatMap((type) => deployed.resourceIds(type))) {
    const metadata = deployed.resource(id).Metadata as
      | { BuildProperties?: { EntryPoints?: string[] } }
      | undefined;
    const entry = metadata?.BuildProperties?.EntryPoints?.[0];
    if (entry === undefined)
      throw new Error(`${id}: no Metadata.BuildProperties.EntryPoints to load the handler from`);
    const codeUri = String(deployed.functionProperty(id, 'CodeUri') ?? '.');
    const entryPoint = resolve(rootDir, codeUri, entry);
    const handlerName = String(deployed.functionProperty(id, 'Handler') ?? 'index.handler')
      .split('.')
      .at(-1)!;
    const module = (await import(isAbsolute(entryPoint) ? entryPoint : resolve(entryPoint))) as Record<
      string,
      unknown
    >;
    const handler = module[handlerName];
    if (typeof handler !== 'function') throw new Error(`${entryPoint} exports no function ${handlerName}`);
    const config = (deployed.functionProperty(id, 'EventInvokeConfig') ?? {}) as {
      MaximumRetryAttempts?: number;
      MaximumEventAgeInSeconds?: number;
      DestinationConfig?: { OnFailure?: { Destination?: string } };
    };
    const onFailure = config.DestinationConfig?.OnFailure?.Destination;
    functions.set(id, {
      logicalId: id,
      name: deployed.physicalName(id),
      arn: String(deployed.getAtt(id, 'Arn')),
      entryPoint,
      environment: environments.get(id) ?? {},
      maximumRetryAttempts: Number(config.MaximumRetryAttempts ?? 2),
      maximumEventAgeSeconds: Number(config.MaximumEventAgeInSeconds ?? 21_600),
      ...(onFailure === undefined ? {} : { onFailure: String(onFailure) }),
      handler: handler as Handler,
    });
  }
  return functions;
}

/** Runs the handler once, as Lambda would: JSON in, JSON out. */
export async function invokeOnce(fn: LocalFunction, event: unknown): Promise<unknown> {
  const result = await fn.handler(JSON.parse(JSON.stringify(event ?? null)), lambdaContext(fn.name, fn.arn));
  return result === undefined ? null : JSON.parse(JSON.stringify(result));
}

/** Lambda's waits before the retries of an asynchronous invocation: one minute, then two. */
const RETRY_DELAYS_MS = [60_000, 120_000];

export async function invokeAsync(
  fn: LocalFunction,
  event: unknown,
  trigger: string,
  clock: VirtualClock,
  sendOnFailure: (destinationArn: string, record: unknown) => void,
): Promise<Invocation> {
  const startedAt = clock.now();
  let attempts = 0;
  let error: { errorType: string; errorMessage: string } | undefined;
  let condition = 'RetriesExhausted';
  while (attempts <= fn.maximumRetryAttempts) {
    if (attempts > 0) {
      const delay = RETRY_DELAYS_MS[Math.min(attempts - 1, RETRY_DELAYS_MS.length - 1)]!;
      if (clock.now() + delay - startedAt > fn.maximumEventAgeSeconds * 1000) {
        condition = 'EventAgeExceeded';
        break;
      }
      await clock.sleep(delay);
    }
    attempts += 1;
    try {
      const result = await invokeOnce(fn, event);
      return { functionId: fn.logicalId, trigger, event, attempts, outcome: 'succeeded', result };
    } catch (thrown) {
      const { name = 'Error', message = String(thrown) } = thrown as Error;
      error = { errorType: name, errorMessage: message };
    }
  }
  if (fn.onFailure !== undefined) {
    // The invocation record Lambda sends to an on-failure destination.
    sendOnFailure(fn.onFailure, {
      version: '1.0',
      timestamp: new Date(clock.now()).toISOString(),
      requestContext: {
        requestId: randomUUID(),
        functionArn: `${fn.arn}:$LATEST`,
        condition,
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: error,
    });
  }
  return {
    functionId: fn.logicalId,
    trigger,
    event,
    attempts,
    outcome: 'failed',
    ...(error ? { error } : {}),
  };
}
