/**
 * The stack's runtime switch (an SSM parameter: dry-run | enforce | paused) and the two-key rule:
 * a run enforces only when the policy and the switch both say enforce.
 */
import type { PolicyMode } from './policy.ts';

export const SWITCH_VALUES = ['dry-run', 'enforce', 'paused'] as const;
export type SwitchValue = (typeof SWITCH_VALUES)[number];
export type EffectiveMode = 'dry-run' | 'enforce';

export interface RuntimeSwitch {
  /** Anything but the three values reads as paused: the switch fails closed. */
  readonly value: SwitchValue | (string & {});
  /** When the switch was last set (epoch milliseconds): the parameter's LastModifiedDate. */
  readonly lastModified: number;
  /**
   * The parameter's Version, which every change increments: the state machine starts a task only
   * while the switch still has the version the plan saw, so a pause undone since still stops it.
   */
  readonly version: number;
}

export function isSwitchValue(value: unknown): value is SwitchValue {
  return typeof value === 'string' && (SWITCH_VALUES as readonly string[]).includes(value);
}

export type ModeDecision =
  | { readonly paused: true; readonly reason: string }
  | { readonly paused: false; readonly effective: EffectiveMode; readonly reason: string };

/**
 * Applies the two keys. Automatic runs never enforce an audit that started before the switch was
 * last set to enforce; an operator's re-run is an explicit request and may.
 */
export function decideMode(
  policyMode: PolicyMode,
  runtimeSwitch: RuntimeSwitch,
  auditStartTime: number,
  operatorRerun: boolean,
): ModeDecision {
  const { value, lastModified } = runtimeSwitch;
  if (!isSwitchValue(value))
    return { paused: true, reason: `the runtime switch holds ${JSON.stringify(value)}, read as paused` };
  if (value === 'paused') return { paused: true, reason: 'the runtime switch is paused' };
  if (policyMode !== 'enforce')
    return { paused: false, effective: 'dry-run', reason: 'the policy says dry-run' };
  if (value !== 'enforce')
    return { paused: false, effective: 'dry-run', reason: 'the runtime switch says dry-run' };
  if (!operatorRerun && !(auditStartTime >= lastModified))
    return {
      paused: false,
      effective: 'dry-run',
      reason: `the audit started (${iso(auditStartTime)}) before the switch was set to enforce (${iso(lastModified)})`,
    };
  return {
    paused: false,
    effective: 'enforce',
    reason: operatorRerun
      ? 'policy and switch say enforce; operator re-run'
      : 'policy and switch say enforce',
  };
}

export function iso(epochMillis: number): string {
  const date = new Date(epochMillis);
  return Number.isNaN(date.getTime()) ? String(epochMillis) : date.toISOString();
}
