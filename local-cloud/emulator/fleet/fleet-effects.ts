/**
 * What each mitigation action type does to the emulated fleet, as an action executor. A finding whose
 * resource the fleet does not hold (a declared fixture) is left alone and the action completes, so
 * fixture audits behave as in part 1. Where the real service would refuse (a revoked certificate, a
 * thing in too many groups, a policy with five versions), the action fails INVALID_STATE_OF_RESOURCE.
 */
import type { ActionExecutor, ActionOutcome, ActionRun } from '../mitigation/executor.ts';
import { type Fleet, MAX_GROUPS_PER_THING, MAX_POLICY_VERSIONS, type PolicyDocument } from './fleet.ts';

/** The BLANK_POLICY template: a version that allows nothing. */
export const BLANK_POLICY: PolicyDocument = { Version: '2012-10-17', Statement: [] };

const COMPLETED: ActionOutcome = { status: 'COMPLETED' };
const invalidState = (message: string): ActionOutcome => ({
  status: 'FAILED',
  errorCode: 'INVALID_STATE_OF_RESOURCE',
  message,
});

type Effect = (fleet: Fleet, run: ActionRun) => ActionOutcome;

const effects: Readonly<Record<ActionRun['action']['actionType'], Effect>> = {
  UPDATE_DEVICE_CERTIFICATE: (fleet, { finding }) => {
    const id = finding.nonCompliantResource.resourceIdentifier.deviceCertificateId;
    const status = id === undefined ? undefined : fleet.deviceCertificateStatus(id);
    if (status === 'REVOKED') return invalidState(`Certificate ${id} is revoked and cannot be deactivated`);
    if (status === 'ACTIVE') fleet.setDeviceCertificateStatus(id!, 'INACTIVE');
    return COMPLETED;
  },

  UPDATE_CA_CERTIFICATE: (fleet, { finding }) => {
    const id = finding.nonCompliantResource.resourceIdentifier.caCertificateId;
    const ca = id === undefined ? undefined : fleet.caCertificates.get(id);
    if (ca) ca.status = 'INACTIVE';
    return COMPLETED;
  },

  ADD_THINGS_TO_THING_GROUP: (fleet, { finding, action }) => {
    const id = finding.nonCompliantResource.resourceIdentifier.deviceCertificateId;
    const groups = action.actionParams.addThingsToThingGroupParams?.thingGroupNames ?? [];
    const things = id === undefined ? [] : fleet.thingsOf(id);
    if (things.length === 0) return COMPLETED;
    const missing = groups.find((g) => !fleet.thingGroups.has(g));
    if (missing !== undefined) return invalidState(`Thing group ${missing} does not exist`);
    // All or nothing, so a failed finding leaves no thing half-quarantined.
    for (const thing of things) {
      const joined = new Set([...thing.thingGroups, ...groups]);
      if (joined.size > MAX_GROUPS_PER_THING) {
        return invalidState(`Thing ${thing.thingName} is already in the maximum number of thing groups`);
      }
    }
    for (const thing of things) for (const group of groups) thing.thingGroups.add(group);
    return COMPLETED;
  },

  REPLACE_DEFAULT_POLICY_VERSION: (fleet, { finding, atMs }) => {
    const name = finding.nonCompliantResource.resourceIdentifier.policyVersionIdentifier?.policyName;
    const policy = name === undefined ? undefined : fleet.policies.get(name);
    if (!policy) return COMPLETED;
    if (policy.versions.length >= MAX_POLICY_VERSIONS) {
      return invalidState(`Policy ${name} already has the maximum of ${MAX_POLICY_VERSIONS} versions`);
    }
    fleet.addDefaultPolicyVersion(policy, BLANK_POLICY, atMs);
    return COMPLETED;
  },

  ENABLE_IOT_LOGGING: (fleet, { action }) => {
    const params = action.actionParams.enableIoTLoggingParams;
    fleet.setLogging({ enabled: true, logLevel: params?.logLevel, roleArn: params?.roleArnForLogging });
    return COMPLETED;
  },

  PUBLISH_FINDING_TO_SNS: (fleet, { taskId, finding, action, atMs }) => {
    const topicArn = action.actionParams.publishFindingToSnsParams?.topicArn ?? '';
    // The real message format is undocumented (https://docs.aws.amazon.com/iot-device-defender/latest/devguide/dd-mitigation-actions.html): the finding and its task, as JSON.
    fleet.recordPublishedFinding(topicArn, atMs, () => JSON.stringify({ taskId, finding }));
    return COMPLETED;
  },
};

export function fleetEffects(fleet: Fleet): ActionExecutor {
  return (run) => effects[run.action.actionType](fleet, run);
}
