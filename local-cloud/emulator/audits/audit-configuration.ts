/**
 * The account's audit configuration (which checks are enabled, their custom configuration, the
 * notification target) and its scheduled audits. Scheduled audits are recorded, not timed: the
 * emulator's control surface runs one on demand (`runScheduledAudit`). The audit-configuration
 * function's tests answer IoT calls from this state too (update and delete of scheduled audits are
 * here for them; the HTTP emulator does not route those operations).
 */
import type * as iot from '@aws-sdk/client-iot';
import { invalidRequest, notFound, ServiceError } from '../errors.ts';
import { AUDIT_CHECK_NAMES, isAuditCheck } from '../facts/audit-checks.ts';
import { pageOf } from '../pagination.ts';

export const MAX_SCHEDULED_AUDITS = 5;
/**
 * "This check is disabled by default":
 * https://docs.aws.amazon.com/iot-device-defender/latest/devguide/device-certificate-age-check.html
 */
const DISABLED_BY_DEFAULT = new Set(['DEVICE_CERTIFICATE_AGE_CHECK']);

export interface ScheduledAudit {
  readonly scheduledAuditName: string;
  readonly scheduledAuditArn: string;
  readonly frequency: iot.AuditFrequency;
  readonly dayOfMonth?: string;
  readonly dayOfWeek?: iot.DayOfWeek;
  readonly targetCheckNames: readonly string[];
}

export interface AuditConfigurationOptions {
  /**
   * An account that never configured audits: no role and every check disabled, as
   * DescribeAccountAuditConfiguration answers then (docs/aws-facts/audit-configuration.md). By default
   * the emulator starts with the checks a demo needs already enabled.
   */
  readonly unconfigured?: boolean;
}

export class AuditConfiguration {
  #roleArn: string | undefined;
  #notificationTargets: Record<string, iot.AuditNotificationTarget> = {};
  readonly #checks: Map<string, iot.AuditCheckConfiguration>;
  readonly #scheduled = new Map<string, ScheduledAudit>();

  constructor(options: AuditConfigurationOptions = {}) {
    this.#checks = new Map(
      AUDIT_CHECK_NAMES.map((name) => [
        name,
        { enabled: !options.unconfigured && !DISABLED_BY_DEFAULT.has(name) },
      ]),
    );
  }

  isEnabled(checkName: string): boolean {
    return this.#checks.get(checkName)?.enabled === true;
  }

  enabledChecks(): string[] {
    return AUDIT_CHECK_NAMES.filter((name) => this.isEnabled(name));
  }

  customConfiguration(checkName: string): Readonly<Record<string, string>> {
    return this.#checks.get(checkName)?.configuration ?? {};
  }

  describe(): iot.DescribeAccountAuditConfigurationResponse {
    return {
      roleArn: this.#roleArn,
      auditNotificationTargetConfigurations: this.#notificationTargets,
      auditCheckConfigurations: Object.fromEntries(this.#checks),
    };
  }

  update(input: iot.UpdateAccountAuditConfigurationRequest): void {
    const checks = input.auditCheckConfigurations ?? {};
    for (const [name, configuration] of Object.entries(checks)) {
      if (!isAuditCheck(name)) throw invalidRequest(`Unknown audit check ${name}`);
      const used = [...this.#scheduled.values()].find((s) => s.targetCheckNames.includes(name));
      if (configuration.enabled !== true && used) {
        throw invalidRequest(
          `${name} is used by scheduled audit ${used.scheduledAuditName} and cannot be disabled`,
        );
      }
    }
    for (const [name, configuration] of Object.entries(checks)) {
      this.#checks.set(name, {
        enabled: configuration.enabled ?? false,
        configuration: configuration.configuration,
      });
    }
    if (input.roleArn !== undefined) this.#roleArn = input.roleArn;
    if (input.auditNotificationTargetConfigurations !== undefined) {
      this.#notificationTargets = {
        ...this.#notificationTargets,
        ...input.auditNotificationTargetConfigurations,
      };
    }
  }

  /** Every check must be known and enabled, as StartOnDemandAuditTask and scheduled audits require. */
  assertRunnable(checkNames: readonly string[]): void {
    for (const name of checkNames) {
      if (!isAuditCheck(name)) throw invalidRequest(`Unknown audit check ${name}`);
      if (!this.isEnabled(name)) throw invalidRequest(`Audit check ${name} is not enabled`);
    }
  }

  createScheduledAudit(input: iot.CreateScheduledAuditRequest, scheduledAuditArn: string): ScheduledAudit {
    const name = input.scheduledAuditName!;
    if (this.#scheduled.has(name)) {
      throw new ServiceError('ResourceAlreadyExistsException', `Scheduled audit ${name} already exists`, {
        resourceArn: this.#scheduled.get(name)!.scheduledAuditArn,
      });
    }
    if (this.#scheduled.size >= MAX_SCHEDULED_AUDITS) {
      throw new ServiceError('LimitExceededException', `At most ${MAX_SCHEDULED_AUDITS} scheduled audits`);
    }
    const frequency = input.frequency!;
    assertScheduleDays(frequency, input.dayOfWeek, input.dayOfMonth);
    this.assertRunnable(input.targetCheckNames!);
    const audit: ScheduledAudit = {
      scheduledAuditName: name,
      scheduledAuditArn,
      frequency,
      ...(input.dayOfMonth !== undefined && { dayOfMonth: input.dayOfMonth }),
      ...(input.dayOfWeek !== undefined && { dayOfWeek: input.dayOfWeek }),
      targetCheckNames: input.targetCheckNames!,
    };
    this.#scheduled.set(name, audit);
    return audit;
  }

  /** UpdateScheduledAudit: the members given replace the audit's; the checks must be enabled. */
  updateScheduledAudit(input: iot.UpdateScheduledAuditRequest): ScheduledAudit {
    const current = this.scheduledAudit(input.scheduledAuditName!);
    const frequency = input.frequency ?? current.frequency;
    const dayOfWeek = input.dayOfWeek ?? current.dayOfWeek;
    const dayOfMonth = input.dayOfMonth ?? current.dayOfMonth;
    assertScheduleDays(frequency, dayOfWeek, dayOfMonth);
    const targetCheckNames = input.targetCheckNames ?? current.targetCheckNames;
    this.assertRunnable(targetCheckNames);
    const audit: ScheduledAudit = {
      scheduledAuditName: current.scheduledAuditName,
      scheduledAuditArn: current.scheduledAuditArn,
      frequency,
      ...(dayOfMonth !== undefined && { dayOfMonth }),
      ...(dayOfWeek !== undefined && { dayOfWeek }),
      targetCheckNames: [...targetCheckNames],
    };
    this.#scheduled.set(audit.scheduledAuditName, audit);
    return audit;
  }

  /** DeleteScheduledAudit. */
  deleteScheduledAudit(name: string): void {
    this.scheduledAudit(name);
    this.#scheduled.delete(name);
  }

  scheduledAudit(name: string): ScheduledAudit {
    const audit = this.#scheduled.get(name);
    if (!audit) throw notFound(`Scheduled audit ${name} does not exist`);
    return audit;
  }

  listScheduledAudits(input: iot.ListScheduledAuditsRequest): iot.ListScheduledAuditsResponse {
    const { page, nextToken } = pageOf([...this.#scheduled.values()], input);
    return {
      scheduledAudits: page.map(({ targetCheckNames: _, ...metadata }) => metadata),
      nextToken,
    };
  }
}

function assertScheduleDays(
  frequency: iot.AuditFrequency,
  dayOfWeek: iot.DayOfWeek | undefined,
  dayOfMonth: string | undefined,
): void {
  if (frequency === 'MONTHLY' && dayOfMonth === undefined) {
    throw invalidRequest('dayOfMonth is required for a MONTHLY audit');
  }
  if ((frequency === 'WEEKLY' || frequency === 'BIWEEKLY') && dayOfWeek === undefined) {
    throw invalidRequest(`dayOfWeek is required for a ${frequency} audit`);
  }
}
