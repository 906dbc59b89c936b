/**
 * Every function's Lambda wiring, once: the middy chain of the Powertools utilities, and the path for
 * input a function refuses.
 *
 * - `lambdaHandler(fn)`: traces the invocation when the stack traces (`captureLambdaHandler`), gives the logger the Lambda
 *   context and drops the keys the last invocation appended (`injectLambdaContext`, `resetKeys`), and
 *   publishes the invocation's metrics with a ColdStart metric on the first one (`logMetrics`).
 *   https://docs.powertools.aws.dev/lambda/typescript/latest/core/logger/#using-middy-middleware
 * - `rejectInput(issues, message)`: input that can never succeed is answered, not thrown, so Lambda
 *   does not retry it (the same event would fail the same way): log every error, count
 *   EventsRejected, and answer a typed rejection.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { formatIssue, type ValidationIssue } from '#domain/json-schema';
import { logger, metrics, tracer } from './observability.ts';

export function lambdaHandler<TEvent, TResult>(fn: (event: TEvent, context: Context) => Promise<TResult>) {
  const handler = middy<TEvent, TResult>(fn);
  if (tracer) handler.use(captureLambdaHandler(tracer));
  return handler
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

/** What a function answers for input it refuses, every error with the path of its field. */
export interface InputRejection {
  readonly outcome: 'event-invalid';
  readonly errors: readonly string[];
}

/** Logs why an event is refused (with what identifies it) and counts it: EventsRejected. */
export function countRejection(message: string, details: Readonly<Record<string, unknown>>): void {
  logger.error(message, details);
  metrics.addMetric('EventsRejected', MetricUnit.Count, 1);
}

/** Refuses input that failed validation: every issue logged, counted once, and answered. */
export function rejectInput(issues: readonly ValidationIssue[], message: string): InputRejection {
  const errors = issues.map(formatIssue);
  countRejection(message, { errors });
  return { outcome: 'event-invalid', errors };
}
