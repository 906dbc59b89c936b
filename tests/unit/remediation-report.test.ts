import { readFileSync } from 'node:fs';
import {
  IoTClient,
  ListAuditFindingsCommand,
  ListAuditMitigationActionsExecutionsCommand,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { iotMitigationRecords } from '#aws/iot-mitigation-records';
import {
  type AuditFindingSummary,
  describeResource,
  MAX_MESSAGE_BYTES,
  MAX_RESOURCE_BYTES,
  type MitigationRecords,
  sampleFailedFindings,
  truncate,
} from '#domain/failed-findings';
import type { RemediationPlan } from '#domain/plan';
import {
  buildRemediationReport,
  HEADROOM_BYTES,
  InvalidReportRequest,
  parseReportRequest,
  REPORT_ATTRIBUTE,
  type ReportRequest,
  reportAttributes,
  SNS_MESSAGE_LIMIT_BYTES,
  STATE_PAYLOAD_LIMIT_BYTES,
  summaryFromAttributes,
  withinLimits,
} from '#domain/remediation-report';
import { asciiJson } from '#domain/text';

const PLAN: RemediationPlan = JSON.parse(
  readFileSync(new URL('../fixtures/remediation-plan.json', import.meta.url), 'utf8'),
);
const SHARED = 'DEVICE_CERTIFICATE_SHARED_CHECK';
const iot = mockClient(IoTClient);
afterEach(() => iot.reset());

/** Findings finding-0 ... finding-(n-1) in pages of 250; `failing` ids fail their first action. */
function fakeRecords(
  count: number,
  failing: (i: number) => boolean,
  reasonCode = 'CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES',
) {
  const calls = { findings: 0, executions: 0 };
  const records: MitigationRecords = {
    async auditFindings({ nextToken }) {
      calls.findings++;
      const from = Number(nextToken ?? 0);
      const to = Math.min(count, from + 250);
      const findings: AuditFindingSummary[] = [];
      for (let i = from; i < to; i++)
        findings.push({ findingId: `finding-${i}`, reasonCode, resource: `R ${i}` });
      return { findings, ...(to < count ? { nextToken: String(to) } : {}) };
    },
    async failedExecutions({ findingId }) {
      calls.executions++;
      const i = Number(findingId.slice(8));
      return failing(i)
        ? [{ actionName: 'quarantine', errorCode: 'INVALID_STATE_OF_RESOURCE', message: `m${i}` }]
        : [];
    },
  };
  return { records, calls };
}

const sampleRequest = { auditTaskId: 'a1', mitigationTaskId: 'enf-a1', checkName: SHARED };

describe('sampleFailedFindings', () => {
  it('stops as soon as it has every failed finding', async () => {
    const { records, calls } = fakeRecords(1000, (i) => i === 3 || i === 7);
    const sample = await sampleFailedFindings(records, { ...sampleRequest, failedFindingsCount: 2 });
    expect(sample).toMatchObject({ complete: true, apiCalls: 9 });
    expect(sample.findings.map((f) => f.findingId)).toEqual(['finding-3', 'finding-7']);
    expect(calls).toEqual({ findings: 1, executions: 8 });
  });

  it('keeps at most the sample size', async () => {
    const { records } = fakeRecords(100, () => true);
    const sample = await sampleFailedFindings(records, {
      ...sampleRequest,
      failedFindingsCount: 50,
      sampleSize: 3,
    });
    expect(sample.findings).toHaveLength(3);
    expect(sample.complete).toBe(true);
  });

  it('is incomplete when the budget runs out, counting every call', async () => {
    const { records, calls } = fakeRecords(1_000_000, (i) => i === 999_999);
    const sample = await sampleFailedFindings(records, {
      ...sampleRequest,
      failedFindingsCount: 1,
      callBudget: 100,
    });
    expect(sample).toEqual({ findings: [], complete: false, apiCalls: 100 });
    expect(calls.findings + calls.executions).toBe(100);
  });

  it('is incomplete when the budget runs out at a page boundary', async () => {
    const { records } = fakeRecords(1000, () => false);
    const sample = await sampleFailedFindings(records, {
      ...sampleRequest,
      failedFindingsCount: 1,
      callBudget: 251,
    });
    expect(sample).toEqual({ findings: [], complete: false, apiCalls: 251 });
  });

  it('is complete when every finding was read, even with fewer failures than counted', async () => {
    const { records, calls } = fakeRecords(300, () => false);
    const sample = await sampleFailedFindings(records, {
      ...sampleRequest,
      failedFindingsCount: 1,
      callBudget: 1000,
    });
    expect(sample).toEqual({ findings: [], complete: true, apiCalls: 302 });
    expect(calls.findings).toBe(2);
  });

  it('skips findings outside the reason-code filter without spending calls on them', async () => {
    const { records, calls } = fakeRecords(10, () => true, 'OTHER_CODE');
    const sample = await sampleFailedFindings(records, {
      ...sampleRequest,
      reasonCodes: ['CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES'],
      failedFindingsCount: 1,
    });
    expect(sample).toEqual({ findings: [], complete: true, apiCalls: 1 });
    expect(calls.executions).toBe(0);
  });

  it('stops at a page boundary once the sample is full', async () => {
    const { records, calls } = fakeRecords(500, (i) => i === 249);
    const sample = await sampleFailedFindings(records, {
      ...sampleRequest,
      failedFindingsCount: 1,
      callBudget: 1000,
    });
    expect(sample).toMatchObject({ complete: true, apiCalls: 251 });
    expect(calls.findings).toBe(1);
  });

  it('treats a finding without a reason code as outside a filter', async () => {
    const records: MitigationRecords = {
      auditFindings: async () => ({ findings: [{ findingId: 'f', resource: 'R' }] }),
      failedExecutions: async () => [],
    };
    const sample = await sampleFailedFindings(records, {
      ...sampleRequest,
      reasonCodes: ['CODE'],
      failedFindingsCount: 1,
    });
    expect(sample).toEqual({ findings: [], complete: true, apiCalls: 1 });
  });

  it('truncates long error messages and resources to their bytes, at a character boundary', async () => {
    const emoji = '\u{1F600}';
    const records: MitigationRecords = {
      auditFindings: async () => ({ findings: [{ findingId: 'f', resource: `R ${emoji.repeat(300)}` }] }),
      failedExecutions: async () => [{ actionName: 'a', errorCode: 'E', message: 'x'.repeat(2048) }],
    };
    const sample = await sampleFailedFindings(records, { ...sampleRequest, failedFindingsCount: 1 });
    expect(sample.findings[0]?.message).toBe(`${'x'.repeat(MAX_MESSAGE_BYTES - 3)}…`);
    const resource = sample.findings[0]!.resource;
    expect(Buffer.byteLength(resource)).toBeLessThanOrEqual(MAX_RESOURCE_BYTES);
    expect(resource).toMatch(/^R (\u{1F600})+…$/u);
    expect(truncate('short', 10)).toBe('short');
  });
});

describe('iotMitigationRecords', () => {
  it('reads findings and FAILED executions through the SDK', async () => {
    iot.on(ListAuditFindingsCommand).resolves({
      findings: [
        {
          findingId: 'f-1',
          reasonForNonComplianceCode: 'CODE',
          nonCompliantResource: {
            resourceType: 'IOT_POLICY',
            resourceIdentifier: { policyVersionIdentifier: { policyName: 'p', policyVersionId: '1' } },
          },
        },
        { findingId: 'f-2' },
      ],
      nextToken: 'next',
    });
    iot
      .on(ListAuditMitigationActionsExecutionsCommand)
      .resolvesOnce({ actionsExecutions: [{ actionName: 'a', errorCode: 'E', message: 'm' }] })
      .resolves({ actionsExecutions: [{}] });
    const records = iotMitigationRecords(new IoTClient({ region: 'us-east-1' }));

    expect(await records.auditFindings({ auditTaskId: 'a1', checkName: SHARED, nextToken: 't' })).toEqual({
      findings: [
        {
          findingId: 'f-1',
          reasonCode: 'CODE',
          resource: 'IOT_POLICY policyVersionIdentifier={"policyName":"p","policyVersionId":"1"}',
        },
        { findingId: 'f-2', resource: 'UNKNOWN_RESOURCE' },
      ],
      nextToken: 'next',
    });
    expect(iot.commandCalls(ListAuditFindingsCommand)[0]?.args[0].input).toEqual({
      taskId: 'a1',
      checkName: SHARED,
      maxResults: 250,
      // Without it ListAuditFindings lists suppressed findings too, which no task mitigates.
      listSuppressedFindings: false,
      nextToken: 't',
    });
    expect(await records.failedExecutions({ mitigationTaskId: 'enf-a1', findingId: 'f-1' })).toEqual([
      { actionName: 'a', errorCode: 'E', message: 'm' },
    ]);
    expect(await records.failedExecutions({ mitigationTaskId: 'enf-a1', findingId: 'f-2' })).toEqual([
      { actionName: 'unknown action', errorCode: 'UNKNOWN', message: '' },
    ]);
    expect(iot.commandCalls(ListAuditMitigationActionsExecutionsCommand)[0]?.args[0].input).toEqual({
      taskId: 'enf-a1',
      findingId: 'f-1',
      actionStatus: 'FAILED',
    });
  });

  it('answers empty pages', async () => {
    iot.on(ListAuditFindingsCommand).resolves({});
    iot.on(ListAuditMitigationActionsExecutionsCommand).resolves({});
    const records = iotMitigationRecords(new IoTClient({ region: 'us-east-1' }));
    expect(await records.auditFindings({ auditTaskId: 'a1', checkName: SHARED })).toEqual({ findings: [] });
    expect(await records.failedExecutions({ mitigationTaskId: 't', findingId: 'f' })).toEqual([]);
    expect(describeResource(undefined, { clientId: 'c', account: undefined })).toBe(
      'UNKNOWN_RESOURCE clientId=c',
    );
  });
});

const noRecords: MitigationRecords = {
  auditFindings: async () => ({ findings: [] }),
  failedExecutions: async () => [],
};

function request(overrides: Partial<ReportRequest> = {}): ReportRequest {
  return { plan: PLAN, outcome: { name: 'Completed', cause: 'It completed.' }, ...overrides };
}

describe('parseReportRequest', () => {
  it('accepts the state machine state and names what is wrong otherwise', () => {
    expect(parseReportRequest(request())).toEqual(request());
    expect(() => parseReportRequest(null)).toThrow(InvalidReportRequest);
    expect(() => parseReportRequest({ plan: { kind: 'nothing-to-do' } })).toThrow(/^plan: expected/);
    expect(() => parseReportRequest({ plan: PLAN, outcome: { name: 'Maybe' } })).toThrow(
      /outcome.name: expected one of Completed, .*got Maybe/,
    );
  });
});

describe('buildRemediationReport', () => {
  it('reports a dry run as what would have been mitigated, with held-back and skipped checks', async () => {
    const {
      summary,
      subject,
      message: { text: message },
    } = await buildRemediationReport(
      request({
        plan: { ...PLAN, mode: { ...PLAN.mode, effective: 'dry-run' } },
        outcome: { name: 'DryRun', cause: 'Dry.' },
      }),
      noRecords,
    );
    expect(summary.task).toBeUndefined();
    expect(summary.outcome).toEqual({ name: 'DryRun', succeeded: true, cause: 'Dry.' });
    expect(summary.checks.map((c) => c.plannedFindings)).toEqual([3, 2]);
    expect(subject).toBe(`Device Defender remediation ${PLAN.names.executionName}: dry run, nothing started`);
    expect(message).toContain('Checks planned:');
    expect(message).toContain('3 findings would be mitigated');
    expect(message).toContain(
      'Held back (above a cap, not mitigated):\n- DEVICE_CERTIFICATE_KEY_QUALITY_CHECK: 140 non-compliant resources exceed maxFindings 100',
    );
    expect(message).toContain('1 checks skipped');
    expect(message).toContain(`Mitigation task: ${PLAN.names.mitigationTaskId}, not started.`);
  });

  it('reports a task with statistics, capacity waits, the time followed and failure samples', async () => {
    const { records } = fakeRecords(3, (i) => i === 1);
    const {
      summary,
      message: { text: message },
    } = await buildRemediationReport(
      request({
        outcome: { name: 'TaskFailed', cause: 'Failed.' },
        config: { deadlineSeconds: 86_400 },
        switch: { value: 'enforce' },
        start: { taskId: PLAN.names.mitigationTaskId },
        task: {
          TaskStatus: 'FAILED',
          TaskStatistics: {
            [SHARED]: { TotalFindingsCount: 3, SucceededFindingsCount: 2, FailedFindingsCount: 1 },
          },
        },
        poll: { count: 12, remainingSeconds: 86_400 - 3_725 },
        capacity: { waits: 2, waitedSeconds: 90 },
      }),
      records,
    );
    expect(summary.task).toEqual({
      taskId: PLAN.names.mitigationTaskId,
      status: 'FAILED',
      polls: 12,
      polledForSeconds: 3_725,
    });
    expect(summary.capacity).toEqual({ waits: 2, waitedSeconds: 90 });
    expect(summary.checks[0]?.failedFindings?.findings).toHaveLength(1);
    expect(summary.checks[1]?.statistics).toBeUndefined();
    expect(message).toContain('12 polls over 1 h 2 min 5 s');
    expect(message).toContain('Waited 1 min 30 s for capacity in 2 waits');
    expect(message).toContain('2 succeeded, 1 failed, 0 skipped, 0 canceled of 3 findings');
    expect(message).toContain(
      'Failed findings (1 of 1 shown):\n      finding-1 R 1: quarantine failed, INVALID_STATE_OF_RESOURCE: m1',
    );
    expect(message).toContain('2 findings planned');
  });

  it('reports an unexpected error with its name, and a task whose status is unknown', async () => {
    const {
      summary,
      subject,
      message: { text: message },
    } = await buildRemediationReport(
      request({
        outcome: { name: 'Unexpected', error: 'Iot.IotException', cause: 'Denied.' },
        start: { taskId: 't' },
      }),
      noRecords,
    );
    expect(summary.outcome).toEqual({
      name: 'Unexpected',
      succeeded: false,
      error: 'Iot.IotException',
      cause: 'Denied.',
    });
    expect(summary.task).toEqual({ taskId: 't', polls: 0 });
    expect(subject).toMatch(/: UNEXPECTED ERROR$/);
    expect(message).toContain('Mitigation task: t, status unknown, 0 polls.');
  });

  it('says "1 poll", not "1 polls"', async () => {
    const {
      message: { text: message },
    } = await buildRemediationReport(
      request({
        outcome: { name: 'Unexpected', error: 'Iot.IotException', cause: 'Denied.' },
        start: { taskId: 't' },
        poll: { count: 1, remainingSeconds: 86_400 },
      }),
      noRecords,
    );
    expect(message).toContain('Mitigation task: t, status unknown, 1 poll');
    expect(message).not.toContain('1 polls');
  });

  it('trims samples to keep the summary within its bytes, and says so', async () => {
    const { records } = fakeRecords(100, () => true);
    const failing = request({
      outcome: { name: 'TaskFailed', cause: 'Failed.' },
      start: { taskId: 't' },
      task: { TaskStatus: 'FAILED', TaskStatistics: { [SHARED]: { FailedFindingsCount: 100 } } },
    });
    const whole = (await buildRemediationReport(failing, records)).summary;
    expect(whole.truncatedForSize).toBeUndefined();
    const maxSummaryBytes = asciiJson(whole).length - 200;
    const {
      summary,
      message: { text: message },
    } = await buildRemediationReport(failing, records, { maxSummaryBytes });
    expect(asciiJson(summary).length).toBeLessThanOrEqual(maxSummaryBytes);
    const sample = summary.checks[0]?.failedFindings;
    expect(sample?.trimmedForSize).toBe(true);
    expect(sample?.findings.length).toBeLessThan(10);
    expect(summary.truncatedForSize).toEqual({ failedFindings: true });
    expect(message).toContain('trimmed to fit the message');
    expect(message).toMatch(/\nCut to fit the size limits \(.*\): samples of failed findings\.$/);
  });

  it('keeps the SNS subject printable ASCII under 100 characters', async () => {
    const long = `enf-${'é'.repeat(120)}`;
    const { subject } = await buildRemediationReport(
      request({ plan: { ...PLAN, names: { ...PLAN.names, executionName: long } } }),
      noRecords,
    );
    expect(subject).toHaveLength(99);
    expect(subject).toMatch(/^Device Defender remediation enf-\?+\.\.\.$/);
  });

  it('sends the summary apart from the text: a message attribute, never a part of the message', async () => {
    const report = await buildRemediationReport(request(), noRecords);
    // The only braces in the text are the hand-over's AWS CLI commands, on lines of their own.
    const prose = report.message.text
      .split('\n')
      .filter((line) => !line.startsWith('aws iot start-audit-mitigation-actions-task '));
    expect(prose.join('\n')).not.toContain('{');
    expect(report.message.text).not.toContain('JSON');
    expect(report.message.text).not.toContain('"outcome"');
    expect(report.message.report).toBe(asciiJson(report.summary));
    const attributes = reportAttributes(report);
    expect(Object.keys(attributes)).toEqual(['outcome', 'auditTaskId', REPORT_ATTRIBUTE]);
    expect(summaryFromAttributes(attributes)).toEqual(report.summary);
    expect(() => summaryFromAttributes({ [REPORT_ATTRIBUTE]: { StringValue: '{"a":"b' } })).toThrow(
      `the ${REPORT_ATTRIBUTE} attribute is not JSON`,
    );
    const envelope = { [REPORT_ATTRIBUTE]: { Type: 'String', Value: JSON.stringify(report.summary) } };
    expect(summaryFromAttributes(envelope)).toEqual(report.summary);
    expect(summaryFromAttributes({})).toBeUndefined();
    expect(summaryFromAttributes(undefined)).toBeUndefined();
  });

  it('cuts long texts when samples alone are not enough, and says so', async () => {
    const cause = `Denied: ${'\u6F22'.repeat(40_000)}`;
    const {
      summary,
      message: { text: message },
    } = await buildRemediationReport(
      request({ outcome: { name: 'Unexpected', error: 'Iot.IotException', cause } }),
      noRecords,
      { maxSummaryBytes: 16_384 },
    );
    expect(summary.truncatedForSize).toEqual({ fields: true });
    expect(Buffer.byteLength(summary.outcome.cause)).toBeLessThanOrEqual(2_048);
    expect(summary.outcome.cause).toMatch(/^Denied: \u6F22+…$/u);
    expect(message).toContain('long texts, each ending with …');
    expect(Buffer.byteLength(message.split('\n')[2]!)).toBeLessThanOrEqual(8_192);
  });

  it('leaves out the last lines of the text when the state leaves no room for them, and says so', async () => {
    const cause = `Denied: ${'c'.repeat(20_000)}`;
    const base = request({ outcome: { name: 'Unexpected', error: 'Iot.IotException', cause } });
    const room = 7_000;
    const padding =
      STATE_PAYLOAD_LIMIT_BYTES - HEADROOM_BYTES - Buffer.byteLength(JSON.stringify(base)) - room;
    const crowded = { ...base, padding: 'p'.repeat(padding) };
    const report = await buildRemediationReport(crowded, noRecords);
    expect(withinLimits(crowded, report)).toBe(true);
    expect(report.summary.truncatedForSize).toEqual({ fields: true, text: true });
    expect(report.message.text).toMatch(/\n\[\d+ more lines left out to fit the SNS message limit .*\]$/);
    const stateBytes = Buffer.byteLength(JSON.stringify({ ...crowded, report: { Payload: report } }));
    expect(stateBytes).toBeLessThanOrEqual(STATE_PAYLOAD_LIMIT_BYTES - HEADROOM_BYTES);
  });

  it('fails when not even the summary fits: the state machine then reports without details', async () => {
    const full = { ...request(), padding: 'p'.repeat(STATE_PAYLOAD_LIMIT_BYTES) };
    await expect(buildRemediationReport(full, noRecords)).rejects.toThrow(
      `the report does not fit in ${SNS_MESSAGE_LIMIT_BYTES} bytes`,
    );
  });

  it('reports a plain completed task: no held-back or skipped checks, a check without a decision', async () => {
    const plan: RemediationPlan = {
      ...PLAN,
      decisions: [{ ...PLAN.decisions[0]!, suppressedNonCompliantResourcesCount: 1 }],
      auditCheckToActionsMapping: { ...PLAN.auditCheckToActionsMapping, LOGGING_DISABLED_CHECK: ['publish'] },
    };
    const {
      summary,
      message: { text: message },
    } = await buildRemediationReport(
      request({
        plan,
        config: { deadlineSeconds: 900 },
        start: { taskId: 't' },
        task: {
          TaskStatus: 'COMPLETED',
          TaskStatistics: {
            [SHARED]: {
              TotalFindingsCount: 2,
              SucceededFindingsCount: 1,
              SkippedFindingsCount: 1,
              CanceledFindingsCount: 0,
              FailedFindingsCount: 0,
            },
          },
        },
        poll: { count: 0, remainingSeconds: 900 },
      }),
      noRecords,
    );
    expect(summary.checks.map((c) => c.plannedFindings)).toEqual([2, 0, 0]);
    expect(summary.checks[0]?.statistics).toEqual({
      total: 2,
      succeeded: 1,
      failed: 0,
      skipped: 1,
      canceled: 0,
    });
    expect(summary.checks[2]?.reasonCodes).toEqual([]);
    expect(message).toContain('0 polls over 0 s');
    expect(message).not.toContain('Held back');
    expect(message).not.toContain('skipped (see');
  });
});

describe('a re-run in the report', () => {
  it('names the re-run, who asked (escaped) and whether it was forced, in the text and the summary', async () => {
    const requestedBy = 'arn:aws:sts::123456789012:assumed-role/Ops/alice\nMode: dry-run';
    const { summary, message } = await buildRemediationReport(
      request({
        plan: { ...PLAN, rerun: 2, requestedBy, rerunForced: true },
        outcome: { name: 'DryRun', cause: 'Dry.' },
      }),
      noRecords,
    );
    expect(summary.rerun).toEqual({ n: 2, requestedBy, forced: true });
    expect(message.text).toContain(
      'Re-run 2, requested by arn:aws:sts::123456789012:assumed-role/Ops/alice\\u000aMode: dry-run, forced past the daily limit of re-runs',
    );
    expect(message.text.split('\n').filter((line) => line.startsWith('Mode: dry-run'))).toEqual([]);
  });

  it('says nothing of a re-run for an automatic run', async () => {
    const { summary, message } = await buildRemediationReport(
      request({ plan: PLAN, outcome: { name: 'DryRun', cause: 'Dry.' } }),
      noRecords,
    );
    expect(summary.rerun).toBeUndefined();
    expect(message.text).not.toContain('Re-run');
  });
});

describe('the approval commands of a waiting report', () => {
  const waiting = (executionName: string) =>
    request({
      plan: { ...PLAN, names: { ...PLAN.names, executionName } },
      approval: { status: 'waiting', checks: [SHARED], taskId: `${executionName}-a1`, eventBusName: 'bus' },
    });

  it('are written whole, so the put-events line pastes as it is', async () => {
    const { summary, message } = await buildRemediationReport(waiting('enf-a1'), noRecords);
    const line = message.text.split('\n').find((l) => l.startsWith('aws events put-events'));
    expect(line).toBe(summary.approval?.howTo?.putEvents);
    const [entry] = JSON.parse(/ --entries '(.*)'$/.exec(line!)![1]!);
    expect(JSON.parse(entry.Detail)).toEqual({
      executionName: 'enf-a1',
      checks: [SHARED],
      decision: 'approve',
    });
  });

  it('are left out for a name a shell would read as more than a name', async () => {
    const { summary, message } = await buildRemediationReport(waiting("enf-a1';touch x;'"), noRecords);
    expect(summary.approval?.howTo).toBeUndefined();
    expect(message.text).not.toContain('aws events put-events');
  });
});
