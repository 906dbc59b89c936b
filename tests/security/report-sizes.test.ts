/**
 * Issue #15 item 11: sizes in bytes. SNS takes a message of at most 262,144 bytes with its attributes,
 * Step Functions a state (and a task's parameters) of at most 262,144 bytes of UTF-8, and a subject
 * of fewer than 100 characters (docs/aws-facts/sns-sqs.md). A report measured in characters passes
 * its own bounds and still breaks these when the names are multi-byte: 4-byte emoji and 3-byte CJK
 * here. Whatever is cut says so, and no cut splits a character or an escape.
 */
import { describe, expect, it } from 'vitest';
import { type MitigationRecords, sampleFailedFindings } from '#domain/failed-findings';
import type { RemediationPlan } from '#domain/plan';
import {
  buildRemediationReport,
  type RemediationReport,
  type ReportMessage,
  type ReportRequest,
  summaryFromAttributes,
} from '#domain/remediation-report';
import { PLAN, planAudit, remediationHarness } from '../statemachine/support.ts';

const { createReportHandler } = await import('../../functions/report-remediation/index.ts');

const LIMIT = 262_144;
const EMOJI = '\u{1F600}';
const CJK = '\u6F22';
const CODE = 'CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES';

/**
 * 17 checks (about the audit's catalogue), 10 failed findings each, with 2,700-character CJK names.
 * Counted in characters, one sample per check fits a 60,000-character summary; in bytes, that summary
 * and the text that shows the same samples make a message of some 300 KB.
 */
const CHECKS = Array.from({ length: 17 }, (_, i) => `CHECK_${String(i).padStart(2, '0')}`);
const BIG_PLAN: RemediationPlan = {
  ...PLAN,
  target: {
    ...PLAN.target,
    auditCheckToReasonCodeFilter: Object.fromEntries(CHECKS.map((c) => [c, [CODE]])),
  },
  auditCheckToActionsMapping: Object.fromEntries(CHECKS.map((c) => [c, ['remediation-QuarantineDevice']])),
};
const multiByteRecords: MitigationRecords = {
  auditFindings: async ({ checkName }) => ({
    findings: Array.from({ length: 10 }, (_, i) => ({
      findingId: `${checkName}-${i}`,
      reasonCode: CODE,
      resource: `THING thingName=${CJK.repeat(2_700)}`,
    })),
  }),
  failedExecutions: async () => [
    {
      actionName: 'remediation-QuarantineDevice',
      errorCode: 'INVALID_STATE_OF_RESOURCE',
      message: EMOJI.repeat(150),
    },
  ],
};

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Every escape is whole: once the escapes are taken out, no backslash is left. */
const escapesWhole = (text: string) => !text.replace(/\\\\|\\u[0-9a-f]{4}/g, '').includes('\\');
/** What SNS counts: the message, the subject, and each attribute's name, type and value. */
function snsBytes(message: string, subject: string | undefined, attributes: unknown): number {
  const values = Object.entries(attributes as Record<string, { DataType: string; StringValue: string }>);
  return values.reduce(
    (sum, [name, value]) =>
      sum +
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType) +
      Buffer.byteLength(value.StringValue),
    Buffer.byteLength(message) + Buffer.byteLength(subject ?? ''),
  );
}

describe('report sizes are bytes', () => {
  it('multi-byte failed findings: the published message with its attributes and the state stay within 262,144 bytes, and say they were trimmed', async () => {
    let state = 0;
    const real = createReportHandler(multiByteRecords);
    const { service, run } = await remediationHarness({
      // The run's own plan has two checks; the report function is shown seventeen, each failing ten times.
      reportHandler: async (event, context) => {
        const seen = event as ReportRequest;
        const request = {
          ...seen,
          plan: BIG_PLAN,
          task: {
            TaskStatus: 'FAILED',
            TaskStatistics: Object.fromEntries(
              CHECKS.map((c) => [c, { TotalFindingsCount: 10, FailedFindingsCount: 10 }]),
            ),
          },
        };
        const answer = (await real(request, context)) as ReportMessage;
        state = Buffer.byteLength(JSON.stringify({ ...request, report: { Payload: answer } }));
        return answer;
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
    const { published } = await run(PLAN);

    expect(published).toHaveLength(1);
    const { message, subject, messageAttributes = {} } = published[0]!;
    expect(snsBytes(message, subject, messageAttributes)).toBeLessThanOrEqual(LIMIT);
    expect(state).toBeGreaterThan(0);
    expect(state).toBeLessThanOrEqual(LIMIT);

    const summary = summaryFromAttributes(messageAttributes) as RemediationReport;
    expect(summary.truncatedForSize?.failedFindings).toBe(true);
    expect(summary.checks.every((c) => c.failedFindings?.trimmedForSize === true)).toBe(true);
    expect(message).toContain('trimmed to fit the message');
    expect(message).toContain('Cut to fit the size limits');
    for (const text of [message, JSON.stringify(summary)]) expect(text).not.toMatch(loneSurrogate);
    expect(escapesWhole(message)).toBe(true);
  });

  it('an error message of emoji longer than the sample keeps: cut by bytes, never inside a character', async () => {
    const records: MitigationRecords = {
      auditFindings: async () => ({ findings: [{ findingId: 'f', resource: 'R' }] }),
      failedExecutions: async () => [{ actionName: 'a', errorCode: 'E', message: EMOJI.repeat(200) }],
    };
    const sample = await sampleFailedFindings(records, {
      auditTaskId: 'a',
      mitigationTaskId: 't',
      checkName: 'C',
      failedFindingsCount: 1,
    });
    const message = sample.findings[0]!.message;
    expect(message).not.toMatch(loneSurrogate);
    expect(Buffer.from(message, 'utf8').toString('utf8')).toBe(message);
    expect(message).toMatch(/^(\u{1F600})+…$/u);
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(600);
  });

  it('the subject stays printable ASCII under 100 characters, whatever the name', async () => {
    const executionName = `enf-${CJK.repeat(40)}${EMOJI.repeat(40)}-r999999`;
    const report = await buildRemediationReport(
      {
        plan: { ...PLAN, names: { ...PLAN.names, executionName } },
        outcome: { name: 'Completed', cause: 'Done.' },
      },
      multiByteRecords,
    );
    expect(report.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(report.subject.length).toBeLessThan(100);
  });
});
