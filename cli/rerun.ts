/**
 * `npm run rerun -- --audit-task-id ID [--rerun N] [--force] [--event-bus NAME] [--region R]`
 * Asks the deployed stack to remediate one audit again, under the name `<mode>-<auditTaskId>-r<N>`:
 * puts an "Audit Remediation Requested" event on the stack's bus with your AWS credentials. The sweep
 * function plans it with the policy and switch in force now. Re-run numbers go up one at a time (1, 2,
 * 3...), at most 3 re-runs of an audit in 24 hours unless `--force` (the plan records it). The request
 * names you by your STS identity (GetCallerIdentity's ARN) as `requestedBy`; the event itself carries no
 * authenticated identity, so CloudTrail's record of your PutEvents call is the authoritative one.
 * The SDK clients take their endpoints from AWS_ENDPOINT_URL_EVENTBRIDGE and AWS_ENDPOINT_URL_STS, which
 * is how it meets `npm run local-stack` (docs/aws-facts/eventbridge.md).
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AUDIT_EVENT_SOURCE } from '#domain/audit';
import { formatIssue } from '#domain/json-schema';
import { parseRerunRequest, RERUN_DETAIL_TYPE } from '#domain/sweep';
import { HELP_OPTION, parseCommandLine } from '../local/cli/args.ts';

export const DEFAULT_EVENT_BUS = 'device-defender-remediation';

/** The event entry, checked with the same code the sweep function uses to read it. */
export function rerunEntry(
  auditTaskId: string,
  rerun: number,
  eventBusName: string,
  requestedBy?: string,
  force = false,
) {
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

/** Who the credentials are: GetCallerIdentity's ARN (it needs no permission). */
export async function callerIdentity(client: STSClient): Promise<string> {
  const { Arn } = await client.send(new GetCallerIdentityCommand({}));
  if (!Arn) throw new Error('STS GetCallerIdentity answered no ARN');
  return Arn;
}

export async function requestRerun(client: EventBridgeClient, entry: PutEventsRequestEntry): Promise<string> {
  const answer = await client.send(new PutEventsCommand({ Entries: [entry] }));
  const result = answer.Entries?.[0];
  if ((answer.FailedEntryCount ?? 0) > 0 || !result?.EventId)
    throw new Error(
      `EventBridge refused the request: ${result?.ErrorCode ?? 'unknown'} ${result?.ErrorMessage ?? ''}`.trim(),
    );
  return result.EventId;
}

const command = {
  name: 'npm run rerun',
  usage: [
    'usage: npm run rerun -- --audit-task-id ID [--rerun N] [--force] [--event-bus NAME] [--region R]',
    "Asks the deployed stack to remediate one audit again (puts an event on the stack's bus; uses your AWS credentials).",
    'Against npm run local-stack: AWS_ACCESS_KEY_ID=operator AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1',
    '  AWS_ENDPOINT_URL_EVENTBRIDGE=<its EventBridge endpoint> AWS_ENDPOINT_URL_STS=<its STS endpoint> npm run rerun -- ...',
  ].join('\n'),
  options: {
    ...HELP_OPTION,
    'audit-task-id': { type: 'string' },
    rerun: { type: 'string', default: '1' },
    force: { type: 'boolean', default: false },
    'event-bus': { type: 'string', default: process.env.DDR_EVENT_BUS ?? DEFAULT_EVENT_BUS },
    region: { type: 'string' },
  },
} as const;

async function main(argv: string[]): Promise<number | undefined> {
  const parsed = parseCommandLine(command, argv);
  if (!parsed) return undefined;
  const { values } = parsed;
  const build = (requestedBy?: string) =>
    rerunEntry(
      values['audit-task-id'] ?? '',
      Number(values.rerun),
      values['event-bus'],
      requestedBy,
      values.force,
    );
  // The options first, so that a typo costs no AWS call.
  const checked = build();
  if (!checked.ok) {
    for (const error of checked.errors)
      console.error(
        error.replace(/^detail\.auditTaskId/, '--audit-task-id').replace(/^detail\.rerun/, '--rerun'),
      );
    return 2;
  }
  const clientConfig = values.region ? { region: values.region } : {};
  const requestedBy = await callerIdentity(new STSClient(clientConfig));
  const built = build(requestedBy);
  if (!built.ok) {
    for (const error of built.errors) console.error(error);
    return 2;
  }
  const client = new EventBridgeClient(clientConfig);
  const eventId = await requestRerun(client, built.entry);
  console.log(
    `Re-run ${values.rerun}${values.force ? ' (forced)' : ''} of audit ${values['audit-task-id']} requested by ${requestedBy} on ${values['event-bus']} (event ${eventId}).`,
  );
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (error: Error) => {
      console.error(`npm run rerun: ${error.message.split('\n')[0]}`);
      process.exitCode = 1;
    },
  );
}
