/**
 * The enforce policy the local-stack suites share: the two device-certificate checks of the emulator's
 * fixtures, with the stack's three actions of the types the template deploys, and the given caps.
 */
export const SHARED = 'DEVICE_CERTIFICATE_SHARED_CHECK';
export const REVOKED = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';

export function enforcePolicy<const Defaults extends Record<string, number>>(defaults: Defaults) {
  return {
    version: 1,
    mode: 'enforce',
    actions: {
      PublishFinding: { type: 'PUBLISH_FINDING_TO_SNS' },
      QuarantineDevice: { type: 'ADD_THINGS_TO_THING_GROUP' },
      DeactivateDeviceCertificate: { type: 'UPDATE_DEVICE_CERTIFICATE' },
    },
    defaults,
    rules: [
      { check: SHARED, actions: ['PublishFinding', 'QuarantineDevice'] },
      { check: REVOKED, actions: ['PublishFinding', 'DeactivateDeviceCertificate'] },
    ],
  } as const;
}
