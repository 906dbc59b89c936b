/** What an audit check over the emulated fleet reads, and its shape (fleet-checks.ts, certificate-checks.ts). */
import type { CheckFixture } from '../audits/audit.ts';
import type { Fleet } from './fleet.ts';

export interface CheckContext {
  readonly fleet: Fleet;
  readonly nowMs: number;
  readonly accountId: string;
  /** The check's custom configuration from the account audit configuration. */
  readonly configuration: Readonly<Record<string, string>>;
}

export type Evaluate = (context: CheckContext) => CheckFixture;
