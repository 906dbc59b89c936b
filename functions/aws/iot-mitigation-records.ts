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

export function iotMitigationRecords(iot: Pick<IoTClient, 'send'>): MitigationRecords {
  return {
    async auditFindings({ auditTaskId, checkName, nextToken }) {
      const page = await iot.send(
        new ListAuditFindingsCommand({
          taskId: auditTaskId,
          checkName,
          maxResults: FINDINGS_PAGE_SIZE,
          ...(nextToken === undefined ? {} : { nextToken }),
        }),
      );
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
