/**
 * The pluggable step that applies one mitigation action to one finding. Part 1 only honours failures
 * declared by fixtures; part 2 plugs in one that changes the emulated fleet and injects faults.
 */
import type { MitigationActionParams } from '@aws-sdk/client-iot';
import type { StoredFinding } from '../audits/findings.ts';
import type { MitigationActionType } from '../facts/audit-checks.ts';

export interface MitigationActionRecord {
  readonly actionName: string;
  readonly actionType: MitigationActionType;
  readonly actionArn: string;
  readonly actionId: string;
  readonly roleArn: string;
  readonly actionParams: MitigationActionParams;
  readonly creationDate: number;
  readonly lastModifiedDate: number;
}

export type ActionOutcome =
  | { readonly status: 'COMPLETED' }
  | { readonly status: 'FAILED'; readonly errorCode: string; readonly message: string };

export interface ActionRun {
  readonly taskId: string;
  readonly finding: StoredFinding;
  readonly action: MitigationActionRecord;
  /** Virtual time at which the action finishes (epoch ms). */
  readonly atMs: number;
}

export type ActionExecutor = (run: ActionRun) => ActionOutcome;

/** Fails exactly where a fixture declared it: the named action, or the finding's first one. */
export const declaredFailures: ActionExecutor = ({ finding, action }) => {
  const failure = finding.failure;
  if (!failure) return { status: 'COMPLETED' };
  if (failure.actionName !== undefined && failure.actionName !== action.actionName)
    return { status: 'COMPLETED' };
  return { status: 'FAILED', errorCode: failure.errorCode, message: failure.message };
};

/** Failures a fixture declares win; otherwise `effects` applies the action. */
export function declaredFailuresThen(effects: ActionExecutor): ActionExecutor {
  return (run) => {
    const declared = declaredFailures(run);
    return declared.status === 'FAILED' ? declared : effects(run);
  };
}
