/**
 * `npm start`: the remediation story, locally. For now: read the bundled sample audit notification
 * as the planner will, print what the audit found, then the plan the default policy makes of it.
 */
import { readFileSync } from 'node:fs';
import { parseAuditEvent } from '#lib/audit';
import { checkCatalogue } from '#lib/catalogue';
import { formatIssue } from '#lib/json-schema';
import { planRemediation } from '#lib/plan';
import { DEFAULT_POLICY_YAML, readPolicyFile } from './policy-file.ts';

const samplePath = new URL('./samples/audit-notification.json', import.meta.url);
const parsed = parseAuditEvent(JSON.parse(readFileSync(samplePath, 'utf8')));
const policy = readPolicyFile(DEFAULT_POLICY_YAML);
if (!parsed.ok || !policy.ok) {
  for (const issue of [...(parsed.ok ? [] : parsed.issues), ...(policy.ok ? [] : policy.issues)])
    console.error(formatIssue(issue));
  process.exit(2);
}
const { audit, warnings } = parsed;
console.log(
  `Audit ${audit.auditTaskId} (${audit.taskType}${audit.scheduledAuditName ? ` ${audit.scheduledAuditName}` : ''}), ` +
    `${audit.taskStatus}, started ${new Date(audit.taskStartTime).toISOString()}, account ${audit.accountId ?? '?'}`,
);
for (const warning of warnings) console.warn(`warning: ${warning}`);

// The switch as an operator would set it for enforcement, an hour before the audit started.
const runtimeSwitch = { value: 'enforce', lastModified: audit.taskStartTime - 3_600_000 };
const plan = planRemediation(audit, policy.policy, runtimeSwitch);
console.table(
  plan.decisions.map((decision) => ({
    check: decision.checkName,
    severity: checkCatalogue.get(decision.checkName)?.severity ?? 'unknown',
    nonCompliant: `${decision.nonCompliantResourcesCount} / ${decision.totalResourcesCount}`,
    decision: decision.outcome,
    actions:
      plan.kind === 'plan' ? (plan.auditCheckToActionsMapping[decision.checkName] ?? []).join(', ') : '',
    why: decision.detail,
  })),
);
if (plan.kind === 'nothing-to-do') {
  console.log(`Nothing to do: ${plan.detail}`);
} else {
  console.log(
    `Mode: ${plan.mode.effective} (${plan.mode.reason}); execution and mitigation task: ${plan.names.executionName}`,
  );
  console.log('The plan, as the planner hands it to Step Functions:');
  console.log(JSON.stringify(plan, null, 2));
}
