import type { IoTClient } from '@aws-sdk/client-iot';
import { CALLBACK_SUFFIX } from './definition.ts';
import type { TaskHistoryKind } from './history.ts';
import { iotTask } from './iot-task.ts';
import { invokeLambda, invokeLambdaIntegration, type LambdaHandlers } from './lambda-task.ts';
import type { SdkShapes } from './sdk-shapes.ts';
import { publishToSns, type SnsMessage } from './sns-task.ts';
import { deleteSsmParameter, getSsmParameter, putSsmParameter, type SsmParameterSource } from './ssm-task.ts';

/** What the runner lends to the task resources it serves. */
export interface TaskServices {
  readonly iotClient: IoTClient;
  readonly iotShapes: SdkShapes;
  readonly lambdas: LambdaHandlers;
  readonly ssmParameters: SsmParameterSource;
  readonly recordSnsMessage: (message: SnsMessage) => void;
  readonly now: () => number;
}

export interface ServedTask {
  /** Which history events each attempt records. */
  readonly historyKind: TaskHistoryKind;
  /** `.waitForTaskToken`: `run` calls the integration, then the runner waits for the token (task-tokens.ts). */
  readonly callback?: true;
  run(parameters: unknown, executionArn: string): Promise<unknown>;
}

const IOT = /^arn:[\w-]+:states:::aws-sdk:iot:(\w+)$/;
const SSM_GET_PARAMETER = /^arn:[\w-]+:states:::aws-sdk:ssm:getParameter$/;
const SSM_PUT_PARAMETER = /^arn:[\w-]+:states:::aws-sdk:ssm:putParameter$/;
const SSM_DELETE_PARAMETER = /^arn:[\w-]+:states:::aws-sdk:ssm:deleteParameter$/;
const LAMBDA_INVOKE = /^arn:[\w-]+:states:::lambda:invoke$/;
const LAMBDA_FUNCTION = /^arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/;
const SNS_PUBLISH = /^arn:[\w-]+:states:::sns:publish$/;

/** Chooses how a Task state's Resource is served; a resource the runner cannot serve is an error up front. */
export function serveResource(resource: string, services: TaskServices): ServedTask {
  if (resource.endsWith(CALLBACK_SUFFIX)) {
    // Standard workflows may wait for a callback on an AWS SDK integration (docs/aws-facts/step-functions.md).
    const inner = serveResource(resource.slice(0, -CALLBACK_SUFFIX.length), services);
    if (inner.historyKind !== 'Task') throw new Error(`${resource}: a callback needs a service integration`);
    return { ...inner, callback: true };
  }
  const iotAction = IOT.exec(resource)?.[1];
  if (iotAction !== undefined) {
    const call = iotTask(services.iotClient, services.iotShapes, iotAction);
    return { historyKind: 'Task', run: (parameters) => call(parameters) };
  }
  if (SSM_GET_PARAMETER.test(resource)) {
    return {
      historyKind: 'Task',
      run: async (parameters) => getSsmParameter(services.ssmParameters, parameters),
    };
  }
  if (SSM_PUT_PARAMETER.test(resource)) {
    return {
      historyKind: 'Task',
      run: async (parameters) => putSsmParameter(services.ssmParameters, parameters),
    };
  }
  if (SSM_DELETE_PARAMETER.test(resource)) {
    return {
      historyKind: 'Task',
      run: async (parameters) => deleteSsmParameter(services.ssmParameters, parameters),
    };
  }
  if (LAMBDA_INVOKE.test(resource)) {
    return {
      historyKind: 'Task',
      run: (parameters) => invokeLambdaIntegration(services.lambdas, parameters),
    };
  }
  if (LAMBDA_FUNCTION.test(resource)) {
    return {
      historyKind: 'LambdaFunction',
      run: (payload) => invokeLambda(services.lambdas, resource, payload),
    };
  }
  if (SNS_PUBLISH.test(resource)) {
    return {
      historyKind: 'Task',
      run: async (parameters, executionArn) =>
        publishToSns(parameters, services.recordSnsMessage, { executionArn, nowMs: services.now() }),
    };
  }
  throw new Error(`the local runner cannot serve the Task resource ${resource}`);
}
