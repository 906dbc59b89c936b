/**
 * Build step: validates `config/default-policy.yaml` and writes `config/default-policy.json` (what the
 * planner Lambda bundles) and `config/policy.schema.json` (for editors) from `POLICY_SCHEMA`, the one
 * definition the `Policy` type is derived from (docs/decisions/policy-validation.md). Tests keep both
 * files in sync (tests/unit/policy.test.ts).
 */
import { writeFileSync } from 'node:fs';
import { formatIssue } from '#domain/json-schema';
import { policyJsonSchemaDocument } from '#domain/policy';
import { DEFAULT_POLICY_YAML, readPolicyFile } from '../local/policy-file.ts';

const result = readPolicyFile(DEFAULT_POLICY_YAML);
if (!result.ok) {
  for (const issue of result.issues) console.error(formatIssue(issue));
  process.exit(2);
}
writeFileSync(
  new URL('../config/default-policy.json', import.meta.url),
  `${JSON.stringify(result.policy, null, 2)}\n`,
);
writeFileSync(
  new URL('../config/policy.schema.json', import.meta.url),
  `${JSON.stringify(policyJsonSchemaDocument(), null, 2)}\n`,
);
console.log('config/default-policy.json and config/policy.schema.json written');
