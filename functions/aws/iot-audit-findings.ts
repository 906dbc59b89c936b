/**
 * The verification's findings, served from AWS IoT's ListAuditFindings (suppressed findings left out, its
 * default): the non-compliant resource of each, for the comparison by resource identifier
 * (functions/domain/verification.ts).
 */
import { type IoTClient, ListAuditFindingsCommand } from '@aws-sdk/client-iot';
import { type AuditFindingsSource, FINDINGS_PAGE_SIZE } from '#domain/verification';

export function iotAuditFindings(iot: Pick<IoTClient, 'send'>): AuditFindingsSource {
  return {
    async page({ auditTaskId, checkName, nextToken }) {
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
          ...(finding.nonCompliantResource?.resourceType === undefined
            ? {}
            : { resourceType: finding.nonCompliantResource.resourceType }),
          ...(finding.nonCompliantResource?.resourceIdentifier === undefined
            ? {}
            : { resourceIdentifier: { ...finding.nonCompliantResource.resourceIdentifier } }),
          ...(finding.reasonForNonComplianceCode === undefined
            ? {}
            : { reasonCode: finding.reasonForNonComplianceCode }),
        })),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    },
  };
}
