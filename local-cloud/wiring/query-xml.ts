/**
 * The answers of AWS's query protocol (SNS, STS): XML bodies, and errors as `<ErrorResponse>` with the
 * service's namespace, which the SDK's query error parser reads (code and message).
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

export function respondXml(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
  response.end(body);
}

/** A query-protocol error of the service whose XML namespace is `xmlns`. */
export function failXml(
  response: ServerResponse,
  xmlns: string,
  status: number,
  code: string,
  message: string,
): void {
  respondXml(
    response,
    status,
    `<ErrorResponse xmlns="${xmlns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}
