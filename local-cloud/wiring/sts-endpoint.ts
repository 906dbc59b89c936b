/**
 * Who calls the local stack: a request's SigV4 access key id names its principal, so that the event
 * bus's resource-based policy sees an operator or someone else, as it would in AWS. This is a stand-in
 * for authentication, never security: signatures are not checked.
 *
 * - The operator's access key id is a session of the operator role (one of OperatorPrincipalArns):
 *   `aws:PrincipalArn` is the role's ARN (docs/aws-facts/sns-sqs.md), and GetCallerIdentity answers
 *   `arn:<partition>:sts::<account>:assumed-role/<role>/<access key id>`.
 * - Any other access key id is the IAM user of that name in the stack's account
 *   (`arn:<partition>:iam::<account>:user/<access key id>`; a key id that is no IAM user name is the
 *   user `local-user`): an account principal, but no operator.
 *
 * A local STS endpoint (AWS Query protocol, what `@aws-sdk/client-sts` and `aws sts` speak) answers
 * GetCallerIdentity with that identity, so `npm run rerun` names its caller as it does in AWS
 * (docs/aws-facts/eventbridge.md, "The local stack's callers").
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LocalEndpoint, listenLocally } from '../http-endpoint.ts';
import { escapeXml, failXml, respondXml } from './query-xml.ts';

export type LocalStsEndpoint = LocalEndpoint;

export interface LocalOperator {
  /** The access key id that stands for the operator. */
  readonly accessKeyId: string;
  /** `arn:<partition>:iam::<account>:role/<name>`. */
  readonly roleArn: string;
}

export interface CallerIdentity {
  readonly Arn: string;
  readonly UserId: string;
  readonly Account: string;
}

const IAM_USER_NAME = /^[\w+=,.@-]{1,64}$/;
const ROLE_ARN = /^arn:([\w-]+):iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/;
const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export class LocalPrincipals {
  readonly #operator: LocalOperator;
  readonly #partition: string;
  readonly #account: string;
  readonly #roleName: string;

  constructor(operator: LocalOperator) {
    const match = ROLE_ARN.exec(operator.roleArn);
    if (!match) throw new Error(`the operator must be an IAM role ARN, not ${operator.roleArn}`);
    if (!IAM_USER_NAME.test(operator.accessKeyId))
      throw new Error(`the operator's access key id must be a session name, not ${operator.accessKeyId}`);
    this.#operator = operator;
    [, this.#partition, this.#account, this.#roleName] = match as unknown as [string, string, string, string];
  }

  get operator(): LocalOperator {
    return this.#operator;
  }

  /** What a policy sees as `aws:PrincipalArn` for requests signed with this access key id. */
  principalArn(accessKeyId: string): string {
    if (accessKeyId === this.#operator.accessKeyId) return this.#operator.roleArn;
    return `arn:${this.#partition}:iam::${this.#account}:user/${userName(accessKeyId)}`;
  }

  /** GetCallerIdentity's answer for requests signed with this access key id. */
  callerIdentity(accessKeyId: string): CallerIdentity {
    if (accessKeyId === this.#operator.accessKeyId)
      return {
        Arn: `arn:${this.#partition}:sts::${this.#account}:assumed-role/${this.#roleName}/${accessKeyId}`,
        UserId: `${uniqueId('AROA', this.#operator.roleArn)}:${accessKeyId}`,
        Account: this.#account,
      };
    const arn = this.principalArn(accessKeyId);
    return { Arn: arn, UserId: uniqueId('AIDA', arn), Account: this.#account };
  }
}

/**
 * The access key id of a SigV4-signed request: `Authorization: AWS4-HMAC-SHA256
 * Credential=<key id>/<date>/<region>/<service>/aws4_request, ...`, or `X-Amz-Credential` in a
 * presigned URL. Undefined when the request is not signed.
 */
export function accessKeyIdOf(request: IncomingMessage): string | undefined {
  const authorization = String(request.headers.authorization ?? '');
  const fromHeader = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\//.exec(authorization)?.[1];
  if (fromHeader !== undefined) return fromHeader;
  const query = new URL(request.url ?? '/', 'http://localhost').searchParams.get('X-Amz-Credential');
  return query?.split('/')[0] || undefined;
}

export async function startLocalStsEndpoint(
  principals: LocalPrincipals,
  port = 0,
): Promise<LocalStsEndpoint> {
  return listenLocally((request, response) => serve(principals, request, response), port);
}

async function serve(principals: LocalPrincipals, request: IncomingMessage, response: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const action =
    form.get('Action') ?? new URL(request.url ?? '/', 'http://localhost').searchParams.get('Action');
  if (action !== 'GetCallerIdentity')
    return fail(response, 400, 'InvalidAction', `${action ?? '(no Action)'} is not emulated locally`);
  const accessKeyId = accessKeyIdOf(request);
  if (accessKeyId === undefined)
    return fail(response, 403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  const { Arn, UserId, Account } = principals.callerIdentity(accessKeyId);
  respondXml(
    response,
    200,
    `<GetCallerIdentityResponse xmlns="${XMLNS}"><GetCallerIdentityResult><Arn>${escapeXml(Arn)}</Arn><UserId>${escapeXml(UserId)}</UserId><Account>${Account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
  );
}

const userName = (accessKeyId: string) => (IAM_USER_NAME.test(accessKeyId) ? accessKeyId : 'local-user');

/** An IAM-style unique id (prefix and 17 characters), stable for a given principal. */
const uniqueId = (prefix: string, of: string) =>
  `${prefix}${createHash('sha256').update(of).digest('hex').slice(0, 17).toUpperCase()}`;

const fail = (response: ServerResponse, status: number, code: string, message: string) =>
  failXml(response, XMLNS, status, code, message);
