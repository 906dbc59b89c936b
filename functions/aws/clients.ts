/**
 * How every function makes its AWS SDK clients: once, at module scope (outside the handler, so a warm
 * container reuses them: https://docs.aws.amazon.com/lambda/latest/dg/best-practices.html), traced
 * with Powertools when the stack traces (each call a subsegment of the function's X-Ray trace; the
 * template's TracingMode parameter, Active or PassThrough:
 * https://docs.powertools.aws.dev/lambda/typescript/latest/core/tracer/), and
 * with the retries each service needs. Nothing here touches the network at init.
 *
 * The client classes are the caller's: a function bundles only the SDK packages it imports.
 */
import type { IoTClientConfig } from '@aws-sdk/client-iot';
import { tracer } from './observability.ts';

/**
 * IoT throttles the Device Defender APIs at a few to 25 requests per second
 * (https://docs.aws.amazon.com/general/latest/gr/iot_device_defender.html): more attempts than the
 * SDK's default 3. The sweep, the cleanup and a deployment are not in a hurry.
 */
export const IOT_RETRIES = { maxAttempts: 8 } as const satisfies IoTClientConfig;

/** The report's List calls (10 per second per account): adaptive retries pace them instead of failing. */
export const IOT_PACED_RETRIES = { retryMode: 'adaptive', maxAttempts: 8 } as const satisfies IoTClientConfig;

/** The SDK's defaults (standard retry mode, 3 attempts). */
export const DEFAULT_RETRIES = {} as const;

/** A client, traced when the stack traces: `awsClient(IoTClient, IOT_RETRIES)`. */
export function awsClient<Client, Config>(
  ClientClass: new (config: Config) => Client,
  config: Config,
): Client {
  const client = new ClientClass(config);
  return tracer ? tracer.captureAWSv3Client(client) : client;
}
