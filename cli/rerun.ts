/**
 * `npm run rerun -- --audit-task-id ID [--rerun N] [--force] [--event-bus NAME] [--region R]`
 * Asks the deployed stack to remediate one audit again, under the name `<mode>-<auditTaskId>-r<N>`:
 * puts an "Audit Remediation Requested" event on the stack's bus with your AWS credentials. The sweep
 * function plans it with the policy and switch in force now. Re-run numbers go up one at a time (1, 2,
 * 3...), at most 3 re-runs of an audit in 24 hours unless `--force` (the plan records it). The request
 * names you by your STS identity (GetCallerIdentity's ARN) as `requestedBy` (cli/operator-request.ts:
 * what the operators' commands share).
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { AUDIT_EVENT_SOURCE } from '#domain/audit';
import { formatIssue } from '#domain/json-schema';
import { parseRerunRequest, RERUN_DETAIL_TYPE } from '#domain/sweep';
import { HELP_OPTION } from '../local/cli/args.ts';
import {
  BUS_OPTIONS,
  type BuiltEntry,
  localStackUsage,
  runOperatorCommand,
  sendOperatorRequest,
  withOptionNames,
} from './operator-request.ts';

/** The event entry, checked with the same code the sweep function uses to read it. */
export function rerunEntry(
  auditTaskId: string,
  rerun: number,
  eventBusName: string,
  requestedBy?: string,
  force = false,
): BuiltEntry {
  const detail = { auditTaskId, rerun, ...(requestedBy ? { requestedBy } : {}), ...(force ? { force } : {}) };
  const request = parseRerunRequest({ source: AUDIT_EVENT_SOURCE, 'detail-type': RERUN_DETAIL_TYPE, detail });
  if (request.kind !== 'rerun')
    return { ok: false as const, errors: request.kind === 'invalid' ? request.issues.map(formatIssue) : [] };
  const entry: PutEventsRequestEntry = {
    EventBusName: eventBusName,
    Source: AUDIT_EVENT_SOURCE,
    DetailType: RERUN_DETAIL_TYPE,
    Detail: JSON.stringify(detail),
  };
  return { ok: true as const, entry };
}

const command = {
  name: 'npm run rerun',
  usage: [
    'usage: npm run rerun -- --audit-task-id ID [--rerun N] [--force] [--event-bus NAME] [--region R]',
    "Asks the deployed stack to remediate one audit again (puts an event on the stack's bus; uses your AWS credentials).",
    ...localStackUsage('rerun'),
  ].join('\n'),
  options: {
    ...HELP_OPTION,
    'audit-task-id': { type: 'string' },
    rerun: { type: 'string', default: '1' },
    force: { type: 'boolean', default: false },
    ...BUS_OPTIONS,
  },
} as const;

runOperatorCommand(import.meta.url, command, (values) => {
  const build = (requestedBy?: string) =>
    withOptionNames(
      rerunEntry(
        values['audit-task-id'] ?? '',
        Number(values.rerun),
        values['event-bus'],
        requestedBy,
        values.force,
      ),
      { 'detail.auditTaskId': '--audit-task-id', 'detail.rerun': '--rerun' },
    );
  return sendOperatorRequest(
    values.region,
    build,
    (requestedBy, eventId) =>
      `Re-run ${values.rerun}${values.force ? ' (forced)' : ''} of audit ${values['audit-task-id']} requested by ${requestedBy} on ${values['event-bus']} (event ${eventId}).`,
  );
});
