/**
 * A bounded sample of the findings a mitigation task failed on. AWS IoT has no "failed findings of a
 * task" call: ListAuditMitigationActionsExecutions needs a finding id, so the sampler walks the audit's
 * findings of one check (ListAuditFindings) and asks for each one's FAILED executions, within a budget
 * of API calls per check. A million-finding check therefore costs at most the budget, and the report
 * says when the sample is incomplete.
 */
import type { ResourceIdentifier } from '@aws-sdk/client-iot';
import { truncateUtf8 } from './text.ts';

export const DEFAULT_CALL_BUDGET_PER_CHECK = 100;
export const DEFAULT_SAMPLE_SIZE = 10;
/**
 * Error messages may hold 2,048 characters; the report keeps the first 600 UTF-8 bytes of each, and
 * of a resource's description (a client id alone may be any UTF-8). Sizes are bytes: SNS and Step
 * Functions count bytes, and a character may take four.
 */
export const MAX_MESSAGE_BYTES = 600;
export const MAX_RESOURCE_BYTES = 600;
/** ListAuditFindings' largest page. */
export const FINDINGS_PAGE_SIZE = 250;

export interface AuditFindingSummary {
  readonly findingId: string;
  readonly reasonCode?: string;
  /** The non-compliant resource, readable: `DEVICE_CERTIFICATE deviceCertificateId=ab12...`. */
  readonly resource: string;
}

export interface FailedActionExecution {
  readonly actionName: string;
  readonly errorCode: string;
  readonly message: string;
}

/** The two reads the sampler needs; `iotMitigationRecords` serves them from AWS IoT. */
export interface MitigationRecords {
  auditFindings(request: {
    readonly auditTaskId: string;
    readonly checkName: string;
    readonly nextToken?: string;
  }): Promise<{ readonly findings: readonly AuditFindingSummary[]; readonly nextToken?: string }>;
  failedExecutions(request: {
    readonly mitigationTaskId: string;
    readonly findingId: string;
  }): Promise<readonly FailedActionExecution[]>;
}

export interface FailedFindingSample {
  readonly findingId: string;
  readonly resource: string;
  readonly actionName: string;
  readonly errorCode: string;
  readonly message: string;
}

export interface FailedFindingsSample {
  readonly findings: readonly FailedFindingSample[];
  /** False when the call budget ran out before the sample was full or the findings were all read. */
  readonly complete: boolean;
  readonly apiCalls: number;
}

export interface SampleRequest {
  readonly auditTaskId: string;
  readonly mitigationTaskId: string;
  readonly checkName: string;
  /** The task's reason-code filter for the check: other findings were never acted on. */
  readonly reasonCodes?: readonly string[];
  /** How many findings failed (the task's statistics): the sample stops once it has them all. */
  readonly failedFindingsCount: number;
  readonly callBudget?: number;
  readonly sampleSize?: number;
}

export async function sampleFailedFindings(
  records: MitigationRecords,
  request: SampleRequest,
): Promise<FailedFindingsSample> {
  const budget = request.callBudget ?? DEFAULT_CALL_BUDGET_PER_CHECK;
  const wanted = Math.min(request.sampleSize ?? DEFAULT_SAMPLE_SIZE, request.failedFindingsCount);
  const findings: FailedFindingSample[] = [];
  let apiCalls = 0;
  let nextToken: string | undefined;
  do {
    if (findings.length >= wanted) return { findings, complete: true, apiCalls };
    if (apiCalls >= budget) return { findings, complete: false, apiCalls };
    const page = await records.auditFindings({
      auditTaskId: request.auditTaskId,
      checkName: request.checkName,
      ...(nextToken === undefined ? {} : { nextToken }),
    });
    apiCalls++;
    for (const finding of page.findings) {
      if (findings.length >= wanted) return { findings, complete: true, apiCalls };
      if (request.reasonCodes && !request.reasonCodes.includes(finding.reasonCode ?? '')) continue;
      if (apiCalls >= budget) return { findings, complete: false, apiCalls };
      const failed = await records.failedExecutions({
        mitigationTaskId: request.mitigationTaskId,
        findingId: finding.findingId,
      });
      apiCalls++;
      // Actions after the failed one are SKIPPED, so a finding has at most one FAILED execution.
      const execution = failed[0];
      if (execution)
        findings.push({
          findingId: finding.findingId,
          resource: truncate(finding.resource, MAX_RESOURCE_BYTES),
          actionName: execution.actionName,
          errorCode: execution.errorCode,
          message: truncate(execution.message, MAX_MESSAGE_BYTES),
        });
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return { findings, complete: true, apiCalls };
}

export function describeResource(
  type: string | undefined,
  identifier: ResourceIdentifier | undefined,
): string {
  const parts = Object.entries(identifier ?? {})
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [type ?? 'UNKNOWN_RESOURCE', ...parts].join(' ');
}

/**
 * The start of `text` within `maxBytes` UTF-8 bytes, cut at a character boundary and ended with `…`.
 * The text stays raw: it is data (the report's summary); the report's text escapes it for a person.
 */
export function truncate(text: string, maxBytes: number): string {
  return truncateUtf8(text, maxBytes);
}
