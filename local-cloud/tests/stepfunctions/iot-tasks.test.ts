import {
  DescribeAuditMitigationActionsTaskCommand,
  InvalidRequestException,
  IoTClient,
  IoTServiceException,
  LimitExceededException,
  StartAuditMitigationActionsTaskCommand,
  ThrottlingException,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import { LocalStepFunctions } from '../../stepfunctions/index.ts';

const iot = mockClient(IoTClient);
afterEach(() => iot.reset());

const START = Date.UTC(2026, 0, 1);
const metadata = { httpStatusCode: 400, requestId: 'req-1' };

function newRunner() {
  const clock = new VirtualClock(START);
  const sfn = new LocalStepFunctions({
    clock,
    iotEndpoint: 'http://127.0.0.1:9',
    definitionSubstitutions: { Partition: 'aws' },
  });
  return { clock, sfn };
}

const startTask = {
  Type: 'Task',
  Resource: 'arn:aws-us-gov:states:::aws-sdk:iot:startAuditMitigationActionsTask',
  Parameters: {
    'TaskId.$': '$.taskId',
    ClientRequestToken: 'dry-audit1',
    Target: {
      AuditTaskId: 'audit1',
      AuditCheckToReasonCodeFilter: { DEVICE_CERTIFICATE_SHARED_CHECK: ['CERT_SHARED'] },
    },
    AuditCheckToActionsMapping: { DEVICE_CERTIFICATE_SHARED_CHECK: ['quarantine'] },
  },
};

describe('aws-sdk:iot tasks', () => {
  it('sends camelCase SDK input built from PascalCase parameters, leaving map keys and lists as data', async () => {
    iot.on(StartAuditMitigationActionsTaskCommand).resolves({ taskId: 'dry-audit1', $metadata: {} });
    const { sfn } = newRunner();
    const outcome = await sfn.startExecution({
      input: { taskId: 'dry-audit1' },
      definition: { StartAt: 'Start', States: { Start: { ...startTask, End: true } } },
    }).result;

    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { TaskId: 'dry-audit1' } });
    expect(iot.commandCalls(StartAuditMitigationActionsTaskCommand)[0]?.args[0].input).toEqual({
      taskId: 'dry-audit1',
      clientRequestToken: 'dry-audit1',
      target: {
        auditTaskId: 'audit1',
        auditCheckToReasonCodeFilter: { DEVICE_CERTIFICATE_SHARED_CHECK: ['CERT_SHARED'] },
      },
      auditCheckToActionsMapping: { DEVICE_CERTIFICATE_SHARED_CHECK: ['quarantine'] },
    });
  });

  it('returns PascalCase results: nested structures, map values by their shape, lists, ISO timestamps', async () => {
    iot.on(DescribeAuditMitigationActionsTaskCommand).resolves({
      $metadata: {},
      taskStatus: 'COMPLETED',
      startTime: new Date('2026-01-01T00:00:00.125Z'),
      taskStatistics: {
        IOT_POLICY_OVERLY_PERMISSIVE_CHECK: { totalFindingsCount: 2, succeededFindingsCount: 2 },
      },
      target: { findingIds: ['f-1', 'f-2'] },
      actionsDefinition: [
        {
          name: 'publish',
          actionParams: { publishFindingToSnsParams: { topicArn: 'arn:aws:sns:us-east-1:123456789012:t' } },
        },
      ],
    });
    const { sfn } = newRunner();
    const outcome = await sfn.startExecution({
      definition: {
        StartAt: 'Describe',
        States: {
          Describe: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:iot:describeAuditMitigationActionsTask',
            Parameters: { TaskId: 'dry-audit1' },
            End: true,
          },
        },
      },
    }).result;

    expect(outcome.output).toEqual({
      TaskStatus: 'COMPLETED',
      StartTime: '2026-01-01T00:00:00.125Z',
      TaskStatistics: {
        IOT_POLICY_OVERLY_PERMISSIVE_CHECK: { TotalFindingsCount: 2, SucceededFindingsCount: 2 },
      },
      Target: { FindingIds: ['f-1', 'f-2'] },
      ActionsDefinition: [
        {
          Name: 'publish',
          ActionParams: { PublishFindingToSnsParams: { TopicArn: 'arn:aws:sns:us-east-1:123456789012:t' } },
        },
      ],
    });
  });

  it('fails with States.Runtime, which no Catch sees, on a parameter the operation does not have', async () => {
    const { sfn } = newRunner();
    const outcome = await sfn.startExecution({
      definition: {
        StartAt: 'Describe',
        States: {
          Describe: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:iot:describeAuditMitigationActionsTask',
            Parameters: { taskId: 'camel-case-is-wrong' },
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
            End: true,
          },
          Caught: { Type: 'Succeed' },
        },
      },
    }).result;
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('States.Runtime');
    expect(outcome.cause).toMatch(/'taskId' .* not supported; expected one of: TaskId/);
  });

  it('renames SDK errors Iot.<Name> so Retry matches them, pausing in virtual time', async () => {
    iot
      .on(StartAuditMitigationActionsTaskCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: metadata }))
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: metadata }))
      .resolves({ taskId: 't', $metadata: {} });
    const { clock, sfn } = newRunner();
    const execution = sfn.startExecution({
      input: { taskId: 't' },
      definition: {
        StartAt: 'Start',
        States: {
          Start: {
            ...startTask,
            Retry: [
              {
                ErrorEquals: ['Iot.ThrottlingException'],
                IntervalSeconds: 2,
                BackoffRate: 3,
                MaxAttempts: 5,
              },
            ],
            End: true,
          },
        },
      },
    });
    expect((await execution.result).status).toBe('SUCCEEDED');
    expect(clock.now() - START).toBe((2 + 6) * 1000);
    expect(execution.history.byType).toMatchObject({ TaskScheduled: 3, TaskFailed: 2, TaskSucceeded: 1 });
    expect(execution.history.transitions).toBe(3);
  });

  it('lets Catch route modelled errors by name and names unmodelled ones Iot.IotException', async () => {
    const unmodelled = new IoTServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      message: 'denied',
      $metadata: { httpStatusCode: 403, requestId: 'req-2' },
    });
    iot
      .on(StartAuditMitigationActionsTaskCommand)
      .rejectsOnce(new LimitExceededException({ message: '10 tasks', $metadata: { httpStatusCode: 410 } }))
      .rejectsOnce(new InvalidRequestException({ message: 'bad target', $metadata: metadata }))
      .rejectsOnce(unmodelled);
    const { sfn } = newRunner();
    const definition = {
      StartAt: 'Start',
      States: {
        Start: {
          ...startTask,
          Catch: [
            { ErrorEquals: ['Iot.LimitExceededException'], ResultPath: '$.error', Next: 'AtCapacity' },
            { ErrorEquals: ['Iot.InvalidRequestException'], ResultPath: '$.error', Next: 'Rejected' },
          ],
          End: true,
        },
        AtCapacity: { Type: 'Pass', Result: 'capacity', ResultPath: '$.route', End: true },
        Rejected: { Type: 'Pass', Result: 'rejected', ResultPath: '$.route', End: true },
      },
    };
    const atCapacity = await sfn.startExecution({ definition, input: { taskId: 'a' } }).result;
    const rejected = await sfn.startExecution({ definition, input: { taskId: 'b' } }).result;
    const denied = await sfn.startExecution({ definition, input: { taskId: 'c' } }).result;

    expect(atCapacity.output).toMatchObject({
      route: 'capacity',
      error: {
        Error: 'Iot.LimitExceededException',
        Cause: expect.stringContaining('10 tasks (Service: Iot, Status Code: 410'),
      },
    });
    expect(rejected.output).toMatchObject({
      route: 'rejected',
      error: { Error: 'Iot.InvalidRequestException' },
    });
    expect(denied).toMatchObject({
      status: 'FAILED',
      error: 'Iot.IotException',
      cause: expect.stringContaining('denied'),
    });
  });

  it('refuses up front an action outside the model subset', () => {
    const { sfn } = newRunner();
    expect(() =>
      sfn.startExecution({
        definition: {
          StartAt: 'Describe',
          States: {
            Describe: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:iot:describeThing', End: true },
          },
        },
      }),
    ).toThrow(/describeThing is not an operation of the IoT model subset/);
  });
});
