/**
 * What the operators' commands (`npm run rerun`, `npm run approve`) share: each puts one event of the
 * stack's source on its bus with the caller's AWS credentials, naming the caller by its STS identity as
 * `requestedBy`. The event carries no authenticated identity; the bus policy lets only the operators
 * (OperatorPrincipalArns) put these detail types, and CloudTrail's record of the PutEvents call is the
 * authority on who asked. The SDK clients take their endpoints from AWS_ENDPOINT_URL_EVENTBRIDGE and
 * AWS_ENDPOINT_URL_STS, which is how they meet `npm run local-stack` (docs/aws-facts/eventbridge.md).
 */

import type { ParseArgsConfig } from 'node:util';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type Command, parseCommandLine } from '../local/cli/args.ts';

/** The bus `sam deploy` names after the default stack (samconfig.toml). */
export const DEFAULT_EVENT_BUS = 'device-defender-remediation';

/** The options every operator command takes: which bus, in which Region. */
export const BUS_OPTIONS = {
  'event-bus': { type: 'string', default: process.env.DDR_EVENT_BUS ?? DEFAULT_EVENT_BUS },
  region: { type: 'string' },
} as const;

/** The usage lines that say how to point a command at `npm run local-stack`. */
export function localStackUsage(script: string): string[] {
  return [
    'Against npm run local-stack: AWS_ACCESS_KEY_ID=operator AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1',
    `  AWS_ENDPOINT_URL_EVENTBRIDGE=<its EventBridge endpoint> AWS_ENDPOINT_URL_STS=<its STS endpoint> npm run ${script} -- ...`,
  ];
}

/** Who the credentials are: GetCallerIdentity's ARN (it needs no permission). */
export async function callerIdentity(client: STSClient): Promise<string> {
  const { Arn } = await client.send(new GetCallerIdentityCommand({}));
  if (!Arn) throw new Error('STS GetCallerIdentity answered no ARN');
  return Arn;
}

/** Puts one entry; its event id, or an error with EventBridge's code (AccessDeniedException: not an operator). */
export async function putRequest(client: EventBridgeClient, entry: PutEventsRequestEntry): Promise<string> {
  const answer = await client.send(new PutEventsCommand({ Entries: [entry] }));
  const result = answer.Entries?.[0];
  if ((answer.FailedEntryCount ?? 0) > 0 || !result?.EventId)
    throw new Error(
      `EventBridge refused the request: ${result?.ErrorCode ?? 'unknown'} ${result?.ErrorMessage ?? ''}`.trim(),
    );
  return result.EventId;
}

/** An entry built from the command line, or the errors that name its options. */
export type BuiltEntry =
  | { readonly ok: true; readonly entry: PutEventsRequestEntry }
  | { readonly ok: false; readonly errors: readonly string[] };

/** The same errors, each naming the command-line option instead of the event's field it fills. */
export function withOptionNames(built: BuiltEntry, options: Readonly<Record<string, string>>): BuiltEntry {
  if (built.ok) return built;
  const rename = (error: string) => {
    const field = Object.keys(options).find((f) => error.startsWith(`${f}:`) || error.startsWith(`${f}[`));
    return field === undefined ? error : `${options[field]}${error.slice(field.length)}`;
  };
  return { ok: false, errors: built.errors.map(rename) };
}

/**
 * The options first (a typo costs no AWS call), then the caller's identity, the entry with it, and the
 * PutEvents call. The options' errors are printed in one line (exit 2); `describe` says what was sent.
 */
export async function sendOperatorRequest(
  region: string | undefined,
  build: (requestedBy?: string) => BuiltEntry,
  describe: (requestedBy: string, eventId: string) => string,
): Promise<number> {
  const checked = build();
  if (!checked.ok) {
    console.error(checked.errors.join('; '));
    return 2;
  }
  const clientConfig = region ? { region } : {};
  const requestedBy = await callerIdentity(new STSClient(clientConfig));
  const built = build(requestedBy);
  if (!built.ok) {
    console.error(built.errors.join('; '));
    return 2;
  }
  const eventId = await putRequest(new EventBridgeClient(clientConfig), built.entry);
  console.log(describe(requestedBy, eventId));
  return 0;
}

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
type Values<O extends ParseArgsOptionsConfig> = NonNullable<ReturnType<typeof parseCommandLine<O>>>['values'];

/**
 * Runs an operator command when its file is the one node was started with: `--help`, unknown and
 * repeated options as every command does (local/cli/args.ts), then `run` with the options' values; its
 * exit code, or one line and exit 1 for what failed on the way (an AWS error).
 */
export function runOperatorCommand<const O extends ParseArgsOptionsConfig>(
  moduleUrl: string,
  command: Command<O>,
  run: (values: Values<O>) => Promise<number>,
): void {
  if (moduleUrl !== `file://${process.argv[1]}`) return;
  const main = async () => {
    const parsed = parseCommandLine(command, process.argv.slice(2));
    return parsed ? run(parsed.values) : undefined;
  };
  main().then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (error: Error) => {
      console.error(`${command.name}: ${error.message.split('\n')[0]}`);
      process.exitCode = 1;
    },
  );
}
