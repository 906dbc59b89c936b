/**
 * `npm run approve -- --execution NAME --check CHECK[,CHECK] [--reject] [--event-bus NAME] [--region R]`
 * Answers an execution that waits for an operator's approval of the checks a safety cap held back (its
 * report names them and prints this command; README "Approve what a cap held back"): puts a
 * "Held-Back Check Approval Requested" event on the stack's bus with your AWS credentials. The
 * approve-held-back function checks the execution waits and held those checks back, then resumes it
 * with the task token it alone reads: the approved checks run as the task `<NAME>-a1`, a rejection
 * (`--reject`) is reported. Only the operators (OperatorPrincipalArns) may put the event: anyone else
 * is refused by the bus (AccessDeniedException). The request names you by your STS identity as
 * `requestedBy` (cli/operator-request.ts).
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { APPROVAL_DETAIL_TYPE, type ApprovalDecision, parseApprovalRequest } from '#domain/approval';
import { AUDIT_EVENT_SOURCE } from '#domain/audit';
import { formatIssue } from '#domain/json-schema';
import { HELP_OPTION } from '../local/cli/args.ts';
import {
  BUS_OPTIONS,
  type BuiltEntry,
  localStackUsage,
  runOperatorCommand,
  sendOperatorRequest,
  withOptionNames,
} from './operator-request.ts';

/** The event entry, checked with the same code the approve function reads it with. */
export function approvalEntry(
  executionName: string,
  checks: readonly string[],
  decision: ApprovalDecision,
  eventBusName: string,
  requestedBy?: string,
): BuiltEntry {
  const detail = { executionName, checks, decision, ...(requestedBy ? { requestedBy } : {}) };
  const parsed = parseApprovalRequest({
    source: AUDIT_EVENT_SOURCE,
    'detail-type': APPROVAL_DETAIL_TYPE,
    detail,
  });
  if (!parsed.ok) return { ok: false, errors: parsed.issues.map(formatIssue) };
  const entry: PutEventsRequestEntry = {
    EventBusName: eventBusName,
    Source: AUDIT_EVENT_SOURCE,
    DetailType: APPROVAL_DETAIL_TYPE,
    Detail: JSON.stringify(detail),
  };
  return { ok: true, entry };
}

/** `A,B` -> [A, B]; an empty name (`A,,B`, a trailing comma) stays, for the check to name it. */
export function checkList(text: string): string[] {
  return text.split(',').map((check) => check.trim());
}

const command = {
  name: 'npm run approve',
  usage: [
    'usage: npm run approve -- --execution NAME --check CHECK[,CHECK] [--reject] [--event-bus NAME] [--region R]',
    "Approves (or with --reject rejects) checks a safety cap held back in an execution that waits for it (puts an event on the stack's bus; uses your AWS credentials).",
    "The execution's report names the checks and prints this command.",
    ...localStackUsage('approve'),
  ].join('\n'),
  options: {
    ...HELP_OPTION,
    execution: { type: 'string' },
    check: { type: 'string' },
    reject: { type: 'boolean', default: false },
    ...BUS_OPTIONS,
  },
} as const;

runOperatorCommand(import.meta.url, command, async (values) => {
  for (const option of ['execution', 'check'] as const)
    if (values[option] === undefined) {
      console.error(`npm run approve: --${option} is required (see npm run approve -- --help)`);
      return 2;
    }
  const checks = checkList(values.check ?? '');
  const decision: ApprovalDecision = values.reject ? 'reject' : 'approve';
  const build = (requestedBy?: string) =>
    withOptionNames(
      approvalEntry(values.execution ?? '', checks, decision, values['event-bus'], requestedBy),
      {
        'detail.executionName': '--execution',
        'detail.checks': '--check',
      },
    );
  return sendOperatorRequest(
    values.region,
    build,
    (requestedBy, eventId) =>
      `${decision === 'approve' ? 'Approval' : 'Rejection'} of ${checks.join(', ')} in execution ${values.execution} requested by ${requestedBy} on ${values['event-bus']} (event ${eventId}); the execution's next report says what ran.`,
  );
});
