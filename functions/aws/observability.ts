/**
 * One module-scope setup of each Powertools utility, shared by every handler (docs/decisions.md: Powertools
 * examples/app). Service name, metrics namespace and whether to trace come from the environment the
 * template sets (Globals), read through the functions' configuration.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { OBSERVABILITY_ENVIRONMENT, readConfig } from './config.ts';

const { serviceName, metricsNamespace, tracingEnabled } = readConfig(OBSERVABILITY_ENVIRONMENT);

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: metricsNamespace });

/**
 * The Tracer only when the stack traces (TracingMode Active sets POWERTOOLS_TRACE_ENABLED=true): the
 * import() keeps it and the X-Ray SDK behind it out of what a function evaluates at start otherwise
 * (docs/decisions/cold-start.md). Lambda waits for this top-level await during init.
 */
export const tracer: Tracer | undefined = tracingEnabled
  ? new (await import('@aws-lambda-powertools/tracer')).Tracer({ serviceName })
  : undefined;
