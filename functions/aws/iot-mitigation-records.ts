/**
 * The failed-findings sampler's records, served from AWS IoT (ListAuditFindings and
 * ListAuditMitigationActionsExecutions); the SDK client retries throttling on its own.
 */
import {
  type IoTClient,
  ListAuditFindingsCommand,
  ListAuditMitigationActionsExecutionsCommand,
} from '@aws-sdk/client-iot';
import { describeResource, FINDINGS_PAGE_SIZE, type MitigationRecords } from '#domain/failed-findings';

/**
 * One page of an audit's findings for a check, suppressed ones left out: they are never mitigated, and
 * without `listSuppressedFindings: false` ListAuditFindings lists both (docs/aws-facts/iot-api.md).
 */
export function auditFindingsPage(
  iot: Pick<IoTClient, 'send'>,
  {
    auditTaskId,
    checkName,
    nextToken,
  }: { auditTaskId: string; checkName: string; nextToken?: string | undefined },
) {
  return iot.send(
    new ListAuditFindingsCommand({
      taskId: auditTaskId,
      checkName,
      maxResults: FINDINGS_PAGE_SIZE,
      listSuppressedFindings: false,
      ...(nextToken === undefined ? {} : { nextToken }),
    }),
  );
}

export function iotMitigationRecords(iot: Pick<IoTClient, 'send'>): MitigationRecords {
  return {
    async auditFindings(request) {
      const page = await auditFindingsPage(iot, request);
      return {
        findings: (page.findings ?? []).map((finding) => ({
          findingId: finding.findingId ?? '',
          ...(finding.reasonForNonComplianceCode === undefined
            ? {}
            : { reasonCode: finding.reasonForNonComplianceCode }),
          resource: describeResource(
            finding.nonCompliantResource?.resourceType,
            finding.nonCompliantResource?.resourceIdentifier,
          ),
        })),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    },
    async failedExecutions({ mitigationTaskId, findingId }) {
      const page = await iot.send(
        new ListAuditMitigationActionsExecutionsCommand({
          taskId: mitigationTaskId,
          findingId,
          actionStatus: 'FAILED',
        }),
      );
      return (page.actionsExecutions ?? []).map((execution) => ({
        actionName: execution.actionName ?? 'unknown action',
        errorCode: execution.errorCode ?? 'UNKNOWN',
        message: execution.message ?? '',
      }));
    },
  };
}
