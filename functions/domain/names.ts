/**
 * One name for everything a remediation run creates (docs/decisions.md): the execution
 * name, the mitigation task id and the client request token are all `<mode>-<auditTaskId>`, with
 * `-r<n>` for an operator's re-run n. A duplicate delivery therefore meets the same name and is a
 * no-op, a dry run never blocks a later enforce run, and a retried start is safe.
 */
import type { EffectiveMode } from './switch.ts';

/** Limits of the three places the name goes (https://docs.aws.amazon.com/iot/latest/apireference/API_StartAuditMitigationActionsTask.html; Step Functions execution names: 1-80). */
export const NAME_LIMITS = {
  executionName: { pattern: /^[a-zA-Z0-9_-]{1,80}$/ },
  mitigationTaskId: { pattern: /^[a-zA-Z0-9_-]{1,128}$/ },
  clientRequestToken: { pattern: /^[a-zA-Z0-9_-]{1,64}$/ },
} as const;

/** Keeps `enf-<40 characters>-r<n>` within the token's 64 characters. */
export const MAX_RERUN = 999_999;

export interface RunNames {
  readonly executionName: string;
  readonly mitigationTaskId: string;
  readonly clientRequestToken: string;
}

const MODE_PREFIX: Record<EffectiveMode, string> = { 'dry-run': 'dry', enforce: 'enf' };

export function runName(mode: EffectiveMode, auditTaskId: string, rerun?: number): string {
  return `${MODE_PREFIX[mode]}-${auditTaskId}${rerun === undefined ? '' : `-r${rerun}`}`;
}

export function runNames(mode: EffectiveMode, auditTaskId: string, rerun?: number): RunNames {
  const name = runName(mode, auditTaskId, rerun);
  return { executionName: name, mitigationTaskId: name, clientRequestToken: name };
}

/** Is `name` one of the run names of this audit (`<mode>-<auditTaskId>`, or a re-run's `-r<n>`)? */
export function isRunOfAudit(name: string, auditTaskId: string): boolean {
  const rest = Object.values(MODE_PREFIX).some((prefix) => name.startsWith(`${prefix}-${auditTaskId}`))
    ? name.slice(4 + auditTaskId.length)
    : undefined;
  return rest !== undefined && /^(-r\d{1,6})?$/.test(rest);
}

/**
 * The task an operator's approval starts for the checks a cap held back (functions/domain/approval.ts):
 * `<execution name>-a1`, task id and client request token alike. The state machine derives it from
 * `$$.Execution.Name` in the same way; at most `enf-<40>-r999999-a1`, 55 characters, within the token's 64.
 */
export function approvedTaskName(executionName: string): string {
  return `${executionName}-a1`;
}
