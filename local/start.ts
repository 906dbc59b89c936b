/**
 * `npm start`: the remediation story, locally. For now: read the bundled sample audit notification
 * as the planner will, and print what the audit found, check by check.
 */
import { readFileSync } from 'node:fs';
import { parseAuditEvent } from '#lib/audit';
import { checkCatalogue } from '#lib/catalogue';
import { formatIssue } from '#lib/json-schema';

const samplePath = new URL('./samples/audit-notification.json', import.meta.url);
const result = parseAuditEvent(JSON.parse(readFileSync(samplePath, 'utf8')));
if (!result.ok) {
  for (const issue of result.issues) console.error(formatIssue(issue));
  process.exit(2);
}
const { audit, warnings } = result;
console.log(
  `Audit ${audit.auditTaskId} (${audit.taskType}${audit.scheduledAuditName ? ` ${audit.scheduledAuditName}` : ''}), ` +
    `${audit.taskStatus}, started ${new Date(audit.taskStartTime).toISOString()}, account ${audit.accountId ?? '?'}`,
);
console.table(
  audit.checks.map((check) => ({
    check: check.checkName,
    severity: checkCatalogue.get(check.checkName)?.severity ?? 'unknown',
    status: check.checkRunStatus,
    nonCompliant: check.nonCompliantResourcesCount,
    total: check.totalResourcesCount,
  })),
);
for (const warning of warnings) console.warn(`warning: ${warning}`);
