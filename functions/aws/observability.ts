/**
 * One module-scope setup of each Powertools utility, shared by every handler (docs/decisions.md: Powertools
 * examples/app). Service name and metrics namespace come from the environment the template sets
 * (Globals), read through the functions' configuration.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { OBSERVABILITY_ENVIRONMENT, readConfig } from './config.ts';

const { serviceName, metricsNamespace } = readConfig(OBSERVABILITY_ENVIRONMENT);

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: metricsNamespace });
export const tracer = new Tracer({ serviceName });
