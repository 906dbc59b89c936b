/**
 * Audit checks over the emulated fleet: one simple condition per check, producing the check's
 * findings (reason code, resource identifiers) and the number of resources it looked at. Severity
 * and finding ids are filled in from the check's facts when the audit is built (audits/audit.ts).
 */
import type { ResourceIdentifier } from '@aws-sdk/client-iot';
import type { CheckFixture, FindingFixture } from '../audits/audit.ts';
import { auditCheck } from '../facts/audit-checks.ts';
import { certificateChecks } from './certificate-checks.ts';
import type { CheckContext, Evaluate } from './check-context.ts';
import type { PolicyStatement } from './fleet.ts';

const asList = (value: string | readonly string[]) => (typeof value === 'string' ? [value] : value);
const DATA_PLANE_ACTION = /^(\*|iot:\*|iot:(Connect|Publish|Subscribe|Receive))$/i;

/** Allows an MQTT data-plane action (or every action) on every resource. */
function allowsBroadDataPlaneAccess(statement: PolicyStatement): boolean {
  return (
    statement.Effect === 'Allow' &&
    asList(statement.Action).some((a) => DATA_PLANE_ACTION.test(a)) &&
    asList(statement.Resource).some((r) => r === '*' || r.endsWith(':*'))
  );
}

/** MQTT wildcards in a Deny do not deny what they seem to (IoT policies match them literally). */
function deniesWithMqttWildcards(statement: PolicyStatement): boolean {
  return statement.Effect === 'Deny' && asList(statement.Resource).some((r) => /[#+]/.test(r));
}

function defaultPolicyVersions(
  condition: (statement: PolicyStatement) => boolean,
  reasonForNonComplianceCode: string,
  reasonForNonCompliance: string,
): Evaluate {
  return ({ fleet }) => {
    const findings: FindingFixture[] = [];
    for (const policy of fleet.policies.values()) {
      const version = fleet.defaultPolicyVersion(policy);
      if (!version.document.Statement.some(condition)) continue;
      findings.push({
        nonCompliantResource: {
          resourceType: 'IOT_POLICY',
          resourceIdentifier: {
            policyVersionIdentifier: { policyName: policy.policyName, policyVersionId: version.versionId },
          },
        },
        reasonForNonComplianceCode,
        reasonForNonCompliance,
      });
    }
    return { findings, totalResourcesCount: fleet.policies.size };
  };
}

/** Role aliases and identity pools carry their problems as declared. */
function declaredProblems(checkName: string): Evaluate {
  const resourceType = auditCheck(checkName)!.resourceType;
  return ({ fleet }) => {
    const resources = fleet.opaqueResources.filter((r) => r.resourceType === resourceType);
    const findings = resources
      .filter((r) => r.problems[checkName] !== undefined)
      .map(
        (r): FindingFixture => ({
          nonCompliantResource: {
            resourceType: r.resourceType,
            resourceIdentifier: r.resourceIdentifier as ResourceIdentifier,
          },
          reasonForNonComplianceCode: r.problems[checkName]!,
        }),
      );
    return { findings, totalResourcesCount: resources.length };
  };
}

const evaluators: Readonly<Record<string, Evaluate>> = {
  ...certificateChecks,
  CONFLICTING_CLIENT_IDS_CHECK: ({ fleet }) => {
    const thingsByClientId = new Map<string, number>();
    for (const { clientId } of fleet.things.values()) {
      thingsByClientId.set(clientId, (thingsByClientId.get(clientId) ?? 0) + 1);
    }
    const findings = [...thingsByClientId]
      .filter(([, things]) => things > 1)
      .map(
        ([clientId]): FindingFixture => ({
          nonCompliantResource: { resourceType: 'CLIENT_ID', resourceIdentifier: { clientId } },
          reasonForNonComplianceCode: 'DUPLICATE_CLIENT_ID_ACROSS_CONNECTIONS',
        }),
      );
    return { findings, totalResourcesCount: thingsByClientId.size };
  },
  IOT_POLICY_OVERLY_PERMISSIVE_CHECK: defaultPolicyVersions(
    allowsBroadDataPlaneAccess,
    'ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS',
    'Policy allows broad access to IoT data plane actions',
  ),
  IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK: defaultPolicyVersions(
    deniesWithMqttWildcards,
    'POLICY_CONTAINS_MQTT_WILDCARDS_IN_DENY_STATEMENT',
    'Policy contains MQTT wildcards in a Deny statement',
  ),
  IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK: declaredProblems('IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK'),
  IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK: declaredProblems(
    'IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK',
  ),
  AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK: declaredProblems(
    'AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
  ),
  UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK: declaredProblems(
    'UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
  ),
  LOGGING_DISABLED_CHECK: ({ fleet, accountId }) => ({
    findings: fleet.logging.enabled
      ? []
      : [
          {
            nonCompliantResource: {
              resourceType: 'ACCOUNT_SETTINGS',
              resourceIdentifier: { account: accountId },
            },
            reasonForNonComplianceCode: 'LOGGING_DISABLED',
            reasonForNonCompliance: 'Logging is disabled for the account',
          },
        ],
    totalResourcesCount: 1,
  }),
};

/** The check's result on the fleet as it is now. */
export function evaluateCheck(checkName: string, context: CheckContext): CheckFixture {
  const evaluate = evaluators[checkName];
  if (!evaluate) throw new Error(`no fleet condition for ${checkName}`);
  return evaluate(context);
}
