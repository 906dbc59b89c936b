import * as iot from '@aws-sdk/client-iot';
import { RuntimeFailure, TaskFailure } from './errors.ts';
import { ParameterError, type SdkShapes } from './sdk-shapes.ts';

type SdkCommand = new (input: unknown) => Parameters<iot.IoTClient['send']>[0];

/** Creates the client the runner serves `aws-sdk:iot:*` tasks with: Retry in the ASL is what retries. */
export function localIotClient(endpoint: string | undefined): iot.IoTClient {
  return new iot.IoTClient({
    ...(endpoint === undefined ? {} : { endpoint }),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

/** Serves `arn:<partition>:states:::aws-sdk:iot:<action>` with the real SDK command. */
export function iotTask(client: iot.IoTClient, shapes: SdkShapes, action: string) {
  const operation = shapes.operation(action);
  const Command =
    operation && (iot as unknown as Record<string, SdkCommand | undefined>)[`${operation.name}Command`];
  if (operation === undefined || Command === undefined) {
    throw new Error(`aws-sdk:iot:${action} is not an operation of the IoT model subset`);
  }
  return async (parameters: unknown): Promise<unknown> => {
    let input: unknown;
    try {
      input = shapes.toSdkInput(operation.inputShape, parameters ?? {});
    } catch (error) {
      if (error instanceof ParameterError) throw new RuntimeFailure(`iot:${action}: ${error.message}`);
      throw error;
    }
    try {
      return shapes.toStatesOutput(operation.outputShape, await client.send(new Command(input)));
    } catch (error) {
      throw asIotFailure(shapes, error);
    }
  };
}

/**
 * Step Functions names SDK errors `<Service>.<ErrorName>` with IoT's prefix `Iot`, and errors outside the
 * model `Iot.IotException` (reference section 5); the cause mirrors the SDK's service-error text.
 */
function asIotFailure(shapes: SdkShapes, error: unknown): TaskFailure {
  const { name, message, $metadata } = error as {
    name?: string;
    message?: string;
    $metadata?: iot.IoTServiceException['$metadata'];
  };
  const errorName = name !== undefined && shapes.isModelledError(name) ? name : 'IotException';
  const details = `Service: Iot, Status Code: ${$metadata?.httpStatusCode ?? 0}, Request ID: ${$metadata?.requestId ?? 'none'}`;
  return new TaskFailure(`Iot.${errorName}`, `${message ?? String(error)} (${details})`);
}
