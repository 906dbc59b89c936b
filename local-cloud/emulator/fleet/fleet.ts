/**
 * The emulated fleet behind the audit API: things, device and CA certificates, IoT policies with
 * versions, thing groups and the account's logging settings. Audits read it (fleet-checks.ts) and
 * mitigation actions change it (fleet-effects.ts); a summary gives the demo its before/after view.
 */

export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED';
export type KeyVulnerability = 'CVE-2017-15361' | 'CVE-2008-0166';

export interface DeviceCertificate {
  /** 64 hex characters, as IoT names certificates. */
  readonly certificateId: string;
  status: CertificateStatus;
  /** The issuing (possibly intermediate) CA registered in the account. */
  readonly caCertificateId?: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly keyVulnerability?: KeyVulnerability;
  /** On the issuer's revocation list: not an IoT status, so the certificate may still be ACTIVE here. */
  readonly revokedByIssuer?: boolean;
  /**
   * Something outside IoT's mitigation (its owner's nightly provisioning job) sets the certificate back
   * to ACTIVE before each scheduled audit: a deactivation completes, an on-demand audit soon after
   * finds it fixed, and the next scheduled audit finds it again. The case the loop guard is for.
   */
  readonly reactivatedByOwner?: boolean;
}

export interface CaCertificate {
  readonly certificateId: string;
  status: Exclude<CertificateStatus, 'REVOKED'>;
  readonly notAfterMs: number;
  readonly keyVulnerability?: KeyVulnerability;
  readonly revokedByIssuer?: boolean;
}

export interface Thing {
  readonly thingName: string;
  /** The MQTT client id it connects with; two things with one id conflict. */
  readonly clientId: string;
  readonly certificateIds: readonly string[];
  readonly thingGroups: Set<string>;
}

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
}

export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: readonly PolicyStatement[];
}

export interface PolicyVersion {
  readonly versionId: string;
  readonly document: PolicyDocument;
  readonly createdMs: number;
}

export interface IotPolicy {
  readonly policyName: string;
  readonly versions: PolicyVersion[];
  defaultVersionId: string;
}

export interface LoggingSettings {
  enabled: boolean;
  logLevel?: string | undefined;
  roleArn?: string | undefined;
}

/**
 * A resource the fleet does not model (role alias, Cognito identity pool) with the problems an audit
 * reports for it, per check: declared, and left as they are since no mitigation action changes them.
 */
export interface OpaqueResource {
  readonly resourceType: 'ROLE_ALIAS' | 'COGNITO_IDENTITY_POOL';
  readonly resourceIdentifier: { readonly roleAliasArn?: string; readonly cognitoIdentityPoolId?: string };
  /** Check name -> reason code. */
  readonly problems: Readonly<Record<string, string>>;
}

export interface PublishedFinding {
  readonly topicArn: string;
  readonly atMs: number;
  readonly message: string;
}

export interface FleetSummary {
  readonly things: number;
  readonly deviceCertificates: Readonly<Record<CertificateStatus, number>>;
  readonly caCertificates: Readonly<Record<'ACTIVE' | 'INACTIVE', number>>;
  /** Things per thing group. */
  readonly thingGroups: Readonly<Record<string, number>>;
  readonly logging: 'ENABLED' | 'DISABLED';
  /** Policy name -> the default version id and how many versions exist. */
  readonly policies: Readonly<Record<string, { defaultVersionId: string; versions: number }>>;
  readonly publishedFindings: number;
}

/** A thing may belong to at most 10 thing groups (an AWS IoT quota). */
export const MAX_GROUPS_PER_THING = 10;
/** A policy keeps at most 5 versions (an AWS IoT quota). */
export const MAX_POLICY_VERSIONS = 5;
/** Published findings kept for inspection; the count goes on beyond it. */
const PUBLISHED_FINDINGS_KEPT = 1_000;

export class Fleet {
  readonly things = new Map<string, Thing>();
  readonly deviceCertificates = new Map<string, DeviceCertificate>();
  readonly caCertificates = new Map<string, CaCertificate>();
  readonly policies = new Map<string, IotPolicy>();
  readonly thingGroups = new Set<string>();
  readonly opaqueResources: OpaqueResource[] = [];
  readonly logging: LoggingSettings = { enabled: false };
  readonly publishedFindings: PublishedFinding[] = [];
  #publishedCount = 0;
  #generated: GeneratedCertificates | undefined;

  addThing(thing: {
    thingName: string;
    clientId?: string | undefined;
    certificateIds?: readonly string[];
  }): Thing {
    const created: Thing = {
      thingName: thing.thingName,
      clientId: thing.clientId ?? thing.thingName,
      certificateIds: thing.certificateIds ?? [],
      thingGroups: new Set(),
    };
    this.things.set(created.thingName, created);
    return created;
  }

  addDeviceCertificate(certificate: DeviceCertificate): DeviceCertificate {
    this.deviceCertificates.set(certificate.certificateId, certificate);
    return certificate;
  }

  addCaCertificate(certificate: CaCertificate): CaCertificate {
    this.caCertificates.set(certificate.certificateId, certificate);
    return certificate;
  }

  addPolicy(policyName: string, document: PolicyDocument, createdMs: number): IotPolicy {
    const policy: IotPolicy = {
      policyName,
      versions: [{ versionId: '1', document, createdMs }],
      defaultVersionId: '1',
    };
    this.policies.set(policyName, policy);
    return policy;
  }

  addThingGroup(name: string): void {
    this.thingGroups.add(name);
  }

  addOpaqueResource(resource: OpaqueResource): void {
    this.opaqueResources.push(resource);
  }

  /** A large block of device certificates made from their index (see generated-certificates.ts). */
  addGeneratedCertificates(generated: GeneratedCertificates): void {
    this.#generated = generated;
  }

  get generatedCertificates(): GeneratedCertificates | undefined {
    return this.#generated;
  }

  setLogging(settings: LoggingSettings): void {
    Object.assign(this.logging, settings);
  }

  /** A certificate's IoT status, wherever it lives; undefined when the fleet does not hold it. */
  deviceCertificateStatus(certificateId: string): CertificateStatus | undefined {
    return this.deviceCertificates.get(certificateId)?.status ?? this.#generated?.status(certificateId);
  }

  setDeviceCertificateStatus(certificateId: string, status: CertificateStatus): void {
    const certificate = this.deviceCertificates.get(certificateId);
    if (certificate) certificate.status = status;
    else this.#generated?.setStatus(certificateId, status);
  }

  /** What the owners' nightly jobs do before a scheduled audit: re-activate their certificates. */
  beforeScheduledAudit(): void {
    for (const certificate of this.deviceCertificates.values())
      if (certificate.reactivatedByOwner && certificate.status === 'INACTIVE') certificate.status = 'ACTIVE';
  }

  /** Things that have the certificate attached. */
  thingsOf(certificateId: string): Thing[] {
    return [...this.things.values()].filter((t) => t.certificateIds.includes(certificateId));
  }

  defaultPolicyVersion(policy: IotPolicy): PolicyVersion {
    return policy.versions.find((v) => v.versionId === policy.defaultVersionId)!;
  }

  /** Creates a version and makes it the default, as CreatePolicyVersion with setAsDefault does. */
  addDefaultPolicyVersion(policy: IotPolicy, document: PolicyDocument, createdMs: number): PolicyVersion {
    const versionId = String(Math.max(...policy.versions.map((v) => Number(v.versionId))) + 1);
    const version = { versionId, document, createdMs };
    policy.versions.push(version);
    policy.defaultVersionId = versionId;
    return version;
  }

  /** The message is built only while it is kept (a million-finding task publishes a million). */
  recordPublishedFinding(topicArn: string, atMs: number, message: () => string): void {
    this.#publishedCount++;
    if (this.publishedFindings.length < PUBLISHED_FINDINGS_KEPT) {
      this.publishedFindings.push({ topicArn, atMs, message: message() });
    }
  }

  summary(): FleetSummary {
    const deviceCertificates = { ACTIVE: 0, INACTIVE: 0, REVOKED: 0 };
    for (const c of this.deviceCertificates.values()) deviceCertificates[c.status]++;
    if (this.#generated) {
      for (const [status, n] of Object.entries(this.#generated.statusCounts())) {
        deviceCertificates[status as CertificateStatus] += n;
      }
    }
    const caCertificates = { ACTIVE: 0, INACTIVE: 0 };
    for (const c of this.caCertificates.values()) caCertificates[c.status]++;
    const thingGroups: Record<string, number> = Object.fromEntries([...this.thingGroups].map((g) => [g, 0]));
    for (const thing of this.things.values()) {
      for (const group of thing.thingGroups) thingGroups[group] = (thingGroups[group] ?? 0) + 1;
    }
    return {
      things: this.things.size,
      deviceCertificates,
      caCertificates,
      thingGroups,
      logging: this.logging.enabled ? 'ENABLED' : 'DISABLED',
      policies: Object.fromEntries(
        [...this.policies.values()].map((p) => [
          p.policyName,
          { defaultVersionId: p.defaultVersionId, versions: p.versions.length },
        ]),
      ),
      publishedFindings: this.#publishedCount,
    };
  }
}

/** What the fleet needs from a generated block of certificates. */
export interface GeneratedCertificates {
  status(certificateId: string): CertificateStatus | undefined;
  setStatus(certificateId: string, status: CertificateStatus): void;
  statusCounts(): Readonly<Record<CertificateStatus, number>>;
}
