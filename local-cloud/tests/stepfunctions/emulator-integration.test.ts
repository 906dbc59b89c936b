import { CreateMitigationActionCommand, IoTClient } from '@aws-sdk/client-iot';
import { afterEach, expect, it } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import { type Emulator, startEmulator } from '../../emulator/index.ts';
import { LocalStepFunctions } from '../../stepfunctions/index.ts';

const CHECK = 'DEVICE_CERTIFICATE_SHARED_CHECK';
const START = Date.UTC(2026, 0, 1);

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** Start a mitigation task, poll it every 15 s until it leaves IN_PROGRESS, as the project's machine does. */
const pollingMachine = {
  StartAt: 'Start',
  States: {
    Start: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:iot:startAuditMitigationActionsTask',
      Parameters: {
        'TaskId.$': '$$.Execution.Name',
        'ClientRequestToken.$': '$$.Execution.Name',
        Target: {
          AuditTaskId: 'audit-1',
          AuditCheckToReasonCodeFilter: { [CHECK]: ['CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES'] },
        },
        AuditCheckToActionsMapping: { [CHECK]: ['publish'] },
      },
      ResultPath: '$.start',
      Next: 'Wait',
    },
    Wait: { Type: 'Wait', Seconds: 15, Next: 'Describe' },
    Describe: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:iot:describeAuditMitigationActionsTask',
      Parameters: { 'TaskId.$': '$.start.TaskId' },
      ResultSelector: {
        'TaskStatus.$': '$.TaskStatus',
        'StartTime.$': '$.StartTime',
        'Statistics.$': `$.TaskStatistics.${CHECK}`,
      },
      ResultPath: '$.describe',
      Next: 'Done?',
    },
    'Done?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.describe.TaskStatus', StringEquals: 'IN_PROGRESS', Next: 'Wait' }],
      Default: 'Finished',
    },
    Finished: { Type: 'Succeed', OutputPath: '$.describe' },
  },
};

it('runs a polling state machine against the Device Defender emulator in virtual time', async () => {
  const clock = new VirtualClock(START);
  emulator = await startEmulator({ clock });
  emulator.service.setTaskProgress({ startDelayMs: 1_000, findingsPerSecond: 1 });
  emulator.service.addAudit({
    taskId: 'audit-1',
    checks: {
      [CHECK]: {
        totalResourcesCount: 100,
        findings: Array.from({ length: 40 }, (_, i) => ({
          findingId: `finding-${i + 1}`,
          reasonForNonComplianceCode: 'CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES',
          nonCompliantResource: {
            resourceType: 'DEVICE_CERTIFICATE',
            resourceIdentifier: { deviceCertificateId: (i + 1).toString(16).padStart(64, '0') },
          },
        })),
      },
    },
  });
  const iot = new IoTClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await iot.send(
    new CreateMitigationActionCommand({
      actionName: 'publish',
      roleArn: 'arn:aws:iam::123456789012:role/mitigation',
      actionParams: {
        publishFindingToSnsParams: { topicArn: 'arn:aws:sns:us-east-1:123456789012:findings' },
      },
    }),
  );

  const sfn = new LocalStepFunctions({ clock, iotEndpoint: emulator.endpoint });
  const execution = sfn.startExecution({ name: 'dry-audit-1', definition: pollingMachine });
  const outcome = await execution.result;

  expect(outcome).toEqual({
    status: 'SUCCEEDED',
    output: {
      TaskStatus: 'COMPLETED',
      StartTime: '2026-01-01T00:00:00.000Z',
      Statistics: expect.objectContaining({ TotalFindingsCount: 40, SucceededFindingsCount: 40 }),
    },
  });
  // 41 s of work, polled every 15 s: COMPLETED is seen at the third poll, 45 s after the start.
  expect(clock.now() - START).toBe(45_000);
  expect(execution.history.byType).toMatchObject({
    TaskScheduled: 4,
    WaitStateEntered: 3,
    ChoiceStateEntered: 3,
  });
});
