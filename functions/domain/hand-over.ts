/**
 * The hand-over: a plan's mitigation task as the AWS CLI call a person would type to run or adapt it
 * by hand (README "Hand over to a person"), in the CLI's shorthand and as `--cli-input-json`. Same
 * target and actions mapping as the stack's task, under a task id of its own, `manual-...`: the
 * stack's are `dry-`/`enf-` (names.ts), so a task started by hand is never mistaken for the stack's
 * and the state machine never adopts it. Pure and deterministic: the same plan gives the same call,
 * so the same call typed twice carries the same client request token.
 *
 * Shorthand (https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-shorthand.html): a structure
 * `{key=value,...}`, a list `[a,b]`, a map `KEY1=[a,b],KEY2=[c]`; checked against the real `aws`
 * (tests/cli/hand-over.test.ts). Only plain names go in (PLAIN_NAME): they need no escaping in
 * shorthand, JSON or a report's text, and every name a plan from the planner holds is one.
 */
import { createHash } from 'node:crypto';
import type { RemediationPlan } from './plan.ts';

/** What every hand-over task id starts with; the stack's own start with `dry-` or `enf-`. */
export const HAND_OVER_TASK_PREFIX = 'manual-';
export const HAND_OVER_COMMAND = 'aws iot start-audit-mitigation-actions-task';
/** What a person reads above the two commands, in the report and from `npm run plan`. */
export const HAND_OVER_HEADING =
  "To run or adapt this task by hand (AWS CLI; its own task id, never the stack's; it changes the fleet as the stack's task would):";
export const HAND_OVER_CLI_INPUT_HEADING = 'The same call as --cli-input-json:';

/**
 * Check names, reason codes and action names written as they are: IoT's pattern for action names
 * (MitigationActionName), which the catalogue's check names and reason codes also follow.
 */
const PLAIN_NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** IoT's AuditTaskId: 1 to 40 of `[a-zA-Z0-9-]`, so `manual-<id>-<12 hex>` stays within 128. */
const AUDIT_TASK_ID = /^[a-zA-Z0-9-]{1,40}$/;
/** Hex digits of the content digest in the task id (48 bits: distinct calls get distinct ids). */
const TASK_ID_DIGEST_LENGTH = 12;
/** Hex digits of the client request token (at most 64, `[a-zA-Z0-9_-]`). */
const TOKEN_LENGTH = 32;

type NameLists = Readonly<Record<string, readonly string[]>>;

/** The `--cli-input-json` document: the keys `--generate-cli-skeleton` prints. */
export interface HandOverCliInput {
  readonly taskId: string;
  readonly target: {
    readonly auditTaskId: string;
    readonly auditCheckToReasonCodeFilter: NameLists;
  };
  readonly auditCheckToActionsMapping: NameLists;
  readonly clientRequestToken: string;
}

export interface HandOver {
  readonly taskId: string;
  readonly clientRequestToken: string;
  /** The call in the CLI's shorthand, every argument quoted for a POSIX shell. */
  readonly command: string;
  /** The `--cli-input-json` document. */
  readonly cliInput: HandOverCliInput;
  /** The same call with the document inline, quoted for a POSIX shell. */
  readonly cliInputCommand: string;
}

export type HandOverResult =
  | { readonly ok: true; readonly handOver: HandOver }
  /** Why there is none: the field of the plan that cannot be handed over, and the rule it breaks. */
  | { readonly ok: false; readonly field: string; readonly error: string };

/** A word for a POSIX shell: as it is when nothing in it is special, else in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The plan's task as a CLI call. The plan is read defensively (a report may hold a plan the state
 * machine refused): a field that is not a plain name, or a check without a list, gives no hand-over.
 */
export function planHandOver(
  plan: Pick<RemediationPlan, 'target' | 'auditCheckToActionsMapping'>,
): HandOverResult {
  const refuse = (field: string, error: string): HandOverResult => ({ ok: false, field, error });
  const auditTaskId: unknown = plan.target?.auditTaskId;
  if (typeof auditTaskId !== 'string' || !AUDIT_TASK_ID.test(auditTaskId))
    return refuse('target.auditTaskId', 'not an audit task id (1 to 40 of A-Z a-z 0-9 -)');
  const filter = nameLists(plan.target.auditCheckToReasonCodeFilter, 'target.auditCheckToReasonCodeFilter');
  if (!filter.ok) return filter;
  const mapping = nameLists(plan.auditCheckToActionsMapping, 'auditCheckToActionsMapping');
  if (!mapping.ok) return mapping;

  const target = { auditTaskId, auditCheckToReasonCodeFilter: filter.lists };
  const content = canonicalJson({ target, auditCheckToActionsMapping: mapping.lists });
  const taskId = `${HAND_OVER_TASK_PREFIX}${auditTaskId}-${sha256(`task-id\n${content}`).slice(0, TASK_ID_DIGEST_LENGTH)}`;
  const clientRequestToken = sha256(`client-request-token\n${taskId}\n${content}`).slice(0, TOKEN_LENGTH);
  const cliInput: HandOverCliInput = {
    taskId,
    target,
    auditCheckToActionsMapping: mapping.lists,
    clientRequestToken,
  };
  const command = [
    HAND_OVER_COMMAND,
    '--task-id',
    taskId,
    '--target',
    shellQuote(`auditTaskId=${auditTaskId},auditCheckToReasonCodeFilter={${shorthandMap(filter.lists)}}`),
    '--audit-check-to-actions-mapping',
    shellQuote(shorthandMap(mapping.lists)),
    '--client-request-token',
    clientRequestToken,
  ].join(' ');
  return {
    ok: true,
    handOver: { taskId, clientRequestToken, command, cliInput, cliInputCommand: cliInputCommand(cliInput) },
  };
}

/** The call with its `--cli-input-json` document inline. */
export function cliInputCommand(cliInput: HandOverCliInput): string {
  return `${HAND_OVER_COMMAND} --cli-input-json ${shellQuote(JSON.stringify(cliInput))}`;
}

/** The hand-over for a person: the heading, then each command on a line of its own. */
export function handOverLines(handOver: HandOver): string[] {
  return [HAND_OVER_HEADING, handOver.command, HAND_OVER_CLI_INPUT_HEADING, handOver.cliInputCommand];
}

/** A map of lists of plain names, copied; or the first field that is not. */
function nameLists(
  value: unknown,
  field: string,
): { readonly ok: true; readonly lists: NameLists } | (HandOverResult & { readonly ok: false }) {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, field, error: 'not a map of check names to lists' };
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return { ok: false, field, error: 'no check' };
  const lists: [string, readonly string[]][] = [];
  for (const [index, [check, names]] of entries.entries()) {
    if (!PLAIN_NAME.test(check))
      return { ok: false, field, error: `check name ${index + 1} is not 1 to 128 of A-Z a-z 0-9 _ -` };
    if (!Array.isArray(names) || names.length === 0)
      return { ok: false, field: `${field}.${check}`, error: 'not a non-empty list' };
    const bad = names.findIndex((name) => typeof name !== 'string' || !PLAIN_NAME.test(name));
    if (bad >= 0)
      return { ok: false, field: `${field}.${check}[${bad}]`, error: 'not 1 to 128 of A-Z a-z 0-9 _ -' };
    lists.push([check, [...(names as string[])]]);
  }
  // fromEntries defines each key: a check named __proto__ stays a key, never the prototype.
  return { ok: true, lists: Object.fromEntries(lists) };
}

/** `KEY1=[a,b],KEY2=[c]`: the shorthand of a map of lists. */
function shorthandMap(lists: NameLists): string {
  return Object.entries(lists)
    .map(([key, names]) => `${key}=[${names.join(',')}]`)
    .join(',');
}

/** JSON with every object's keys sorted: the same content, the same digest. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
