import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import { ParameterStore } from '../../parameter-store.ts';
import { type LambdaHandler, LocalStepFunctions } from '../../stepfunctions/index.ts';

const START = Date.UTC(2026, 0, 1);
const REPORT_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:report-remediation';

class ReportTooLarge extends Error {
  override name = 'ReportTooLarge';
}

function newRunner(lambdas: Record<string, LambdaHandler> = {}, ssm = new Map<string, string>()) {
  const clock = new VirtualClock(START);
  const sfn = new LocalStepFunctions({
    clock,
    lambdas,
    ssmParameters: ssm,
    definitionSubstitutions: { Partition: 'aws', ReportFunctionArn: REPORT_ARN },
  });
  return { clock, sfn };
}

describe('Lambda tasks', () => {
  it('serves lambda:invoke from an ASL file by the function name substituted into it, shaped as SFN returns it', async () => {
    const seen: unknown[] = [];
    const { sfn } = newRunner({
      'report-remediation': async (event, context) => {
        seen.push({ event, functionName: context.functionName });
        return { reported: true };
      },
    });
    const outcome = await sfn.startExecution({
      input: { taskId: 't1' },
      definition: new URL('fixtures/report.asl.json', import.meta.url),
    }).result;
    expect(outcome.output).toEqual({ report: { reported: true }, status: 200 });
    expect(seen).toEqual([{ event: { taskId: 't1' }, functionName: 'report-remediation' }]);
  });

  it('serves a function ARN as Resource, and a thrown error is caught by its name', async () => {
    const { sfn } = newRunner({
      [REPORT_ARN]: async () => {
        throw new ReportTooLarge('too many findings');
      },
    });
    const execution = sfn.startExecution({
      definition: {
        StartAt: 'Report',
        States: {
          Report: {
            Type: 'Task',
            Resource: REPORT_ARN,
            Catch: [{ ErrorEquals: ['ReportTooLarge'], Next: 'Fallback' }],
            End: true,
          },
          Fallback: { Type: 'Pass', End: true },
        },
      },
    });
    const outcome = await execution.result;
    expect(outcome.output).toMatchObject({ Error: 'ReportTooLarge' });
    expect(JSON.parse((outcome.output as { Cause: string }).Cause)).toMatchObject({
      errorType: 'ReportTooLarge',
      errorMessage: 'too many findings',
    });
    expect(execution.history.byType).toMatchObject({
      LambdaFunctionScheduled: 1,
      LambdaFunctionStarted: 1,
      LambdaFunctionFailed: 1,
    });
  });

  it('refuses up front a resource it cannot serve', () => {
    const { sfn } = newRunner();
    expect(() =>
      sfn.startExecution({
        definition: {
          StartAt: 'Q',
          States: { Q: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } },
        },
      }),
    ).toThrow(/cannot serve the Task resource arn:aws:states:::sqs:sendMessage/);
  });
});

describe('SNS and SSM tasks', () => {
  it('records sns:publish messages, serialising a JSON Message, at the virtual time', async () => {
    const { clock, sfn } = newRunner();
    const execution = sfn.startExecution({
      name: 'notify',
      input: { outcome: 'COMPLETED' },
      definition: {
        StartAt: 'Later',
        States: {
          Later: { Type: 'Wait', Seconds: 90, Next: 'Publish' },
          Publish: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sns:publish',
            Parameters: {
              TopicArn: 'arn:aws:sns:us-east-1:123456789012:reports',
              Subject: 'Remediation',
              Message: { 'outcome.$': '$.outcome' },
            },
            ResultSelector: { 'id.$': '$.MessageId' },
            End: true,
          },
        },
      },
    });
    const outcome = await execution.result;
    expect(sfn.snsMessages).toEqual([
      {
        topicArn: 'arn:aws:sns:us-east-1:123456789012:reports',
        subject: 'Remediation',
        message: '{"outcome":"COMPLETED"}',
        executionArn: execution.executionArn,
        publishedAt: clock.now(),
        messageId: (outcome.output as { id: string }).id,
      },
    ]);
    expect(clock.now()).toBe(START + 90_000);
  });

  it('reads ssm:getParameter from the in-process map, and a missing name is Ssm.ParameterNotFoundException', async () => {
    const { sfn } = newRunner({}, new Map([['/remediation/mode', 'paused']]));
    const definition = {
      StartAt: 'Mode',
      States: {
        Mode: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:ssm:getParameter',
          Parameters: { 'Name.$': '$.name' },
          ResultSelector: { 'mode.$': '$.Parameter.Value' },
          Catch: [{ ErrorEquals: ['Ssm.ParameterNotFoundException'], Next: 'Missing' }],
          End: true,
        },
        Missing: { Type: 'Pass', Result: { mode: 'missing' }, End: true },
      },
    };
    const found = await sfn.startExecution({ definition, input: { name: '/remediation/mode' } }).result;
    const missing = await sfn.startExecution({ definition, input: { name: '/nope' } }).result;
    expect(found.output).toEqual({ mode: 'paused' });
    expect(missing.output).toEqual({ mode: 'missing' });
  });

  it("answers ssm:getParameter with the parameter's Version from a store that keeps versions (a map's are 1)", async () => {
    const clock = new VirtualClock(START);
    const store = new ParameterStore(clock);
    const sfn = new LocalStepFunctions({ clock, ssmParameters: store });
    const definition = {
      StartAt: 'Mode',
      States: {
        Mode: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:ssm:getParameter',
          Parameters: { Name: '/remediation/mode' },
          ResultSelector: { 'value.$': '$.Parameter.Value', 'version.$': '$.Parameter.Version' },
          End: true,
        },
      },
    };
    store.set('/remediation/mode', 'paused');
    store.set('/remediation/mode', 'enforce');
    const read = await sfn.startExecution({ definition }).result;
    expect(read.output).toEqual({ value: 'enforce', version: 2 });

    const { sfn: withMap } = newRunner({}, new Map([['/remediation/mode', 'enforce']]));
    const fromMap = await withMap.startExecution({ definition }).result;
    expect(fromMap.output).toEqual({ value: 'enforce', version: 1 });
  });
});
