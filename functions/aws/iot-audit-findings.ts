/**
 * The verification's findings, served from AWS IoT's ListAuditFindings (suppressed findings left out, as
 * the audit's non-compliant counts leave them out): the non-compliant resource of each, for the comparison by resource identifier
 * (functions/domain/verification.ts).
 */
import type { IoTClient } from '@aws-sdk/client-iot';
import type { AuditFindingsSource } from '#domain/verification';
import { auditFindingsPage } from './iot-mitigation-records.ts';

export function iotAuditFindings(iot: Pick<IoTClient, 'send'>): AuditFindingsSource {
  return {
    async page(request) {
      const page = await auditFindingsPage(iot, request);
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
