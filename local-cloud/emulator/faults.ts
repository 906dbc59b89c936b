/**
 * Fault injection knobs: throttled API calls, failing mitigation actions, lost notifications, describes
 * without their optional statistics. Rates
 * draw from seeded sources so tests are deterministic: throttling from a seeded sequence (one draw per
 * call), action failures and notification loss from a hash of what they decide about, so the outcome
 * does not depend on the order in which describe calls happen to decide findings.
 */

import type { ActionErrorCode } from './audits/findings.ts';
import { ServiceError } from './errors.ts';
import type { MitigationActionType } from './facts/audit-checks.ts';
import type { ActionExecutor, ActionOutcome, ActionRun } from './mitigation/executor.ts';

export interface ThrottlingInjection {
  /** Operation names (e.g. `DescribeAuditMitigationActionsTask`); absent = every operation. */
  readonly operations?: readonly string[];
  /** Share of the matching calls throttled, 0-1; default 1. */
  readonly rate?: number;
  readonly seed?: number;
}

export interface ActionFailureInjection {
  /** Action types that fail; absent = every type. */
  readonly actionTypes?: readonly MitigationActionType[];
  /** Share of the matching actions that fail, 0-1; default 1. */
  readonly rate?: number;
  readonly errorCode?: ActionErrorCode;
  readonly seed?: number;
}

/**
 * DescribeAuditMitigationActionsTask answers without `taskStatistics`, which the IoT model leaves
 * optional (local-cloud/model/iot-model-subset.json). With neither limit set, every describe omits it.
 */
export interface OmittedStatisticsInjection {
  /** Only the first N describes of each task omit it. */
  readonly describes?: number;
  /** Only while the task is younger than this (virtual ms since its start). */
  readonly youngerThanMs?: number;
}

/** Messages as the action's failure would read in the real service. */
const FAILURE_MESSAGES: Readonly<Record<ActionErrorCode, (run: ActionRun) => string>> = {
  INSUFFICIENT_PERMISSIONS: ({ action }) =>
    `Role ${action.roleArn} is not authorized to perform the ${action.actionType} action`,
  INVALID_STATE_OF_RESOURCE: ({ finding }) =>
    `The resource ${JSON.stringify(finding.nonCompliantResource.resourceIdentifier)} is not in a state that allows this action`,
};

/** A throttle decision per call; undefined injection throttles nothing. */
export class Throttle {
  readonly #injection: ThrottlingInjection | undefined;
  readonly #next: () => number;

  constructor(injection?: ThrottlingInjection) {
    this.#injection = injection;
    this.#next = seededSequence(injection?.seed ?? 1);
  }

  /** Throws the service's ThrottlingException (HTTP 400, docs/aws-facts/iot-api.md) when this call is throttled. */
  check(operationName: string): void {
    const injection = this.#injection;
    if (!injection) return;
    if (injection.operations !== undefined && !injection.operations.includes(operationName)) return;
    if (this.#next() < (injection.rate ?? 1)) throw new ServiceError('ThrottlingException', 'Rate exceeded');
  }
}

/** Decides, describe by describe, whether the answer leaves `taskStatistics` out. */
export class StatisticsOmission {
  readonly #injection: OmittedStatisticsInjection | undefined;
  readonly #describes = new Map<string, number>();

  constructor(injection?: OmittedStatisticsInjection) {
    this.#injection = injection;
  }

  /** Counts this describe of the task; true when its answer omits `taskStatistics`. */
  omits(taskId: string, taskAgeMs: number): boolean {
    const injection = this.#injection;
    if (!injection) return false;
    const describes = (this.#describes.get(taskId) ?? 0) + 1;
    this.#describes.set(taskId, describes);
    if (injection.describes !== undefined && describes > injection.describes) return false;
    return injection.youngerThanMs === undefined || taskAgeMs < injection.youngerThanMs;
  }
}

/** The executor with injected failures in front: a matching action fails before it changes anything. */
export function withInjectedFailures(
  executor: ActionExecutor,
  injection?: ActionFailureInjection,
): ActionExecutor {
  if (!injection) return executor;
  const errorCode = injection.errorCode ?? 'INSUFFICIENT_PERMISSIONS';
  const seed = injection.seed ?? 1;
  return (run) => {
    const matches =
      (injection.actionTypes === undefined || injection.actionTypes.includes(run.action.actionType)) &&
      uniformOf(seed, run.taskId, run.finding.findingId, run.action.actionName) < (injection.rate ?? 1);
    if (!matches) return executor(run);
    const outcome: ActionOutcome = { status: 'FAILED', errorCode, message: FAILURE_MESSAGES[errorCode](run) };
    return outcome;
  };
}

/** A number in [0, 1) determined by the seed and the keys (FNV-1a, then a final avalanche). */
export function uniformOf(seed: number, ...keys: readonly string[]): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (const key of keys) {
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
    hash = Math.imul(hash ^ 0xff, 0x01000193) >>> 0;
  }
  return avalanche(hash) / 2 ** 32;
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
function seededSequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    return avalanche(state) / 2 ** 32;
  };
}

function avalanche(value: number): number {
  let t = value;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}
