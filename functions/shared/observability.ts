/**
 * One module-scope setup of each Powertools utility, shared by every handler (STYLE: Powertools
 * examples/app). Service name and metrics namespace come from the environment the template sets.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'device-defender-remediation';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({
  serviceName,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'DeviceDefenderRemediation',
});
export const tracer = new Tracer({ serviceName });
