/**
 * The reports topic's SNS client, loaded through import() by functions/aws/held-back-report.ts on the
 * planner's first report, never at init: these reports are rare, and the client's code (protocol,
 * XML) would otherwise be evaluated in every cold start (docs/decisions/cold-start.md). A module of
 * its own so that the bundle's import() reaches only this client and this one command.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { awsClient, DEFAULT_RETRIES } from './clients.ts';

export const sns = awsClient(SNSClient, DEFAULT_RETRIES);
export { PublishCommand };
