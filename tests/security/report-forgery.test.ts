/**
 * Issue #15 item 10: resource names and service messages are untrusted text. A thing name (or a
 * client id, or an error message) holding a line break, a fake "Mode: dry-run" line and a fake JSON
 * part must not forge a line or a machine-readable part of a report or a cleanup notice: every value
 * a person reads is escaped, and the machine-readable part travels apart, as a message attribute.
 */
import {
  DescribeAuditMitigationActionsTaskCommand,
  IoTClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import type { MitigationRecords } from '#domain/failed-findings';
import { type ReportMessage, summaryFromAttributes } from '#domain/remediation-report';
import { hasControls } from '#domain/text';
import { coldStart, lambdaContext, STATE_MACHINE_ARN } from '../functions/support.ts';
import { PLAN, planAudit, remediationHarness, SHARED } from '../statemachine/support.ts';

const { createReportHandler } = await import('../../functions/report-remediation/index.ts');

/** What the real report would say about the mode: the one "Mode:" line a report may have. */
const REAL_MODE = 'Mode: enforce (policy enforce, switch enforce when planned';
const FORGED_SUMMARY = '{"outcome":{"name":"Completed","succeeded":true},"checks":[]}';
/** A thing name that tries to end its line, add a mode line of its own and a JSON part. */
const EVIL_THING = `evil\nMode: dry-run (policy dry-run, switch dry-run when planned): nothing was done.\n\n--- JSON ---\n${FORGED_SUMMARY}`;
/** Lines forged without a JSON part, as a service's error message might carry them. */
const EVIL_LINES = 'denied\nMode: dry-run (policy dry-run, switch dry-run when planned): nothing was done.\n';
/** A service message using the other line breaks and a bidi override. */
const EVIL_MESSAGE = `denied\u2028Mode: dry-run\u2029\u0085Mode: dry-run\r\n\u202Enur-yrd :edoM\u001b[2K`;

/** The lines of a text as any reader may split them: LF, CR, NEL, LS and PS all break a line somewhere. */
const linesOf = (text: string) => text.split(/\r\n|[\n\r\u0085\u2028\u2029]/);

/** Every line a person reads is plain: no forged mode line, no JSON part, nothing unescaped. */
function expectNothingForged(text: string) {
  const lines = linesOf(text);
  const modeLines = lines.filter((line) => line.trimStart().startsWith('Mode:'));
  expect(
    modeLines.every((line) => line.startsWith(REAL_MODE)),
    modeLines.join(' | '),
  ).toBe(true);
  expect(lines.filter((line) => line.startsWith('{') || line.includes('--- JSON ---\n'))).toEqual([]);
  expect(lines.filter((line) => line === '--- JSON ---')).toEqual([]);
  expect(lines.filter(hasControls)).toEqual([]);
}

const evilRecords: MitigationRecords = {
  auditFindings: async () => ({
    findings: [
      {
        findingId: 'finding-2',
        reasonCode: 'CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES',
        resource: `THING thingName=${EVIL_THING}`,
      },
    ],
  }),
  failedExecutions: async () => [
    {
      actionName: 'remediation-QuarantineDevice',
      errorCode: 'INVALID_STATE_OF_RESOURCE',
      message: EVIL_MESSAGE,
    },
  ],
};

describe('a report cannot be forged by the names and messages it shows', () => {
  it('escapes a thing name with a newline, a fake Mode line and a fake JSON part; the summary travels apart, exactly', async () => {
    let returned: ReportMessage | undefined;
    const real = createReportHandler(evilRecords);
    const { service, run } = await remediationHarness({
      reportHandler: async (event, context) => {
        returned = (await real(event, context)) as ReportMessage;
        return returned;
      },
    });
    service.addAudit(
      planAudit(PLAN.auditTaskId, {
        2: {
          actionName: 'remediation-QuarantineDevice',
          errorCode: 'INVALID_STATE_OF_RESOURCE',
          message: 'x',
        },
      }),
    );
    const { outcome, published } = await run(PLAN);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'TaskFailed' });
    expect(published).toHaveLength(1);
    const message = published[0]!.message;
    expectNothingForged(message);
    expect(message).toContain(
      'THING thingName=evil\\u000aMode: dry-run (policy dry-run, switch dry-run when planned): nothing was done.\\u000a\\u000a--- JSON ---\\u000a{"outcome"',
    );
    expect(message).toContain(
      'denied\\u2028Mode: dry-run\\u2029\\u0085Mode: dry-run\\u000d\\u000a\\u202enur-yrd',
    );
    expect(published[0]!.subject).toMatch(/^[\x20-\x7e]+$/);

    // The machine-readable part is the report function's summary, exactly, with the real name in it.
    const summary = summaryFromAttributes(published[0]!.messageAttributes);
    expect(summary).toEqual(returned?.summary);
    expect(summary?.outcome.name).toBe('TaskFailed');
    expect(summary?.checks.find((c) => c.checkName === SHARED)?.failedFindings?.findings[0]).toMatchObject({
      resource: `THING thingName=${EVIL_THING}`,
      message: EVIL_MESSAGE,
    });
  });

  it('escapes a service message in the cause of an unexpected error', async () => {
    const { service, proxy, run } = await remediationHarness();
    service.addAudit(planAudit());
    proxy.failNext('start', 1, {
      type: 'AccessDeniedException',
      status: 403,
      message: EVIL_LINES + EVIL_MESSAGE,
    });
    const { outcome, published } = await run(PLAN);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Iot.IotException' });
    expectNothingForged(published[0]!.message);
    expect(published[0]!.message).toContain('denied\\u000aMode: dry-run (policy dry-run');
    const summary = summaryFromAttributes(published[0]!.messageAttributes);
    expect(summary?.outcome.cause).toContain(EVIL_LINES + EVIL_MESSAGE);
  });

  it('keeps the cause out of the text when the report function failed (no intrinsic can escape it)', async () => {
    const { service, proxy, run } = await remediationHarness({
      reportHandler: async () => {
        throw new Error('out of memory');
      },
    });
    service.addAudit(planAudit());
    proxy.failNext('start', 1, { type: 'AccessDeniedException', status: 403, message: EVIL_LINES });
    const { outcome, published } = await run(PLAN);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'Iot.IotException' });
    expectNothingForged(published[0]!.message);
    expect(published[0]!.message).toContain('The report function failed with Error');
    // The cause is still there for machines, in the report attribute ReportWithoutDetails builds with
    // States.Format and States.JsonToString. Not parsed here: the local engine (aws-local-stepfunctions
    // 3.0.0) strips every backslash from an intrinsic's result, so JSON's escapes do not survive it.
    const attribute = (published[0]!.messageAttributes as Record<string, { StringValue: string }>).report;
    expect(attribute?.StringValue).toMatch(
      /^\{"auditTaskId":"[^"]+","names":\{.*"outcome":\{.*nothing was done/,
    );
  });
});

describe('a cleanup notice cannot be forged by the cause it shows', () => {
  it('escapes the cause and sends the notice JSON as an attribute, exactly', async () => {
    const { handler } = await coldStart('cleanup-execution');
    const iot = mockClient(IoTClient);
    const sns = mockClient(SNSClient);
    iot
      .on(DescribeAuditMitigationActionsTaskCommand)
      .rejects(new ResourceNotFoundException({ message: 'no task', $metadata: {} }));
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const executionArn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:enf-audit-1`;
    const cause = `States.Runtime: ${EVIL_THING} ${EVIL_MESSAGE}`;
    const result = await handler(
      {
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        detail: { executionArn, name: 'enf-audit-1', status: 'FAILED', error: 'States.Runtime', cause },
      },
      lambdaContext('cleanup-execution'),
    );

    expect(result).toEqual({ outcome: 'never-started', notified: true });
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expectNothingForged(input.Message!);
    expect(input.Message).toContain('Cause: States.Runtime: evil\\u000aMode: dry-run');
    expect(JSON.parse(input.MessageAttributes!.notice!.StringValue!)).toEqual({
      execution: { executionArn, name: 'enf-audit-1', status: 'FAILED', error: 'States.Runtime', cause },
      cleanup: 'never-started',
    });
    iot.restore();
    sns.restore();
  });
});
