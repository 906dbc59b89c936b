/**
 * audit-configuration: the provider of the AuditConfiguration custom resource (template.yaml), which
 * exists only with ManageAuditConfiguration=true. Create and Update upsert the account's Device
 * Defender audit configuration and the stack's scheduled audit; Delete leaves the account's audits
 * working and only turns off the notifications to the stack's topic, which is deleted next. Every
 * request is answered at its pre-signed ResponseURL, failures too, with a Reason that says what to do.
 * The rules are in functions/domain/audit-configuration.ts; the AWS behaviour they rely on in
 * docs/aws-facts/audit-configuration.md.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  CreateScheduledAuditCommand,
  DescribeAccountAuditConfigurationCommand,
  DescribeScheduledAuditCommand,
  type DescribeScheduledAuditResponse,
  IoTClient,
  LimitExceededException,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateAccountAuditConfigurationCommand,
  UpdateScheduledAuditCommand,
} from '@aws-sdk/client-iot';
import type { Context } from 'aws-lambda';
import { awsClient, IOT_RETRIES } from '#aws/clients';
import { FUNCTION_ENVIRONMENTS, readConfig } from '#aws/config';
import { lambdaHandler } from '#aws/handler';
import { logger, metrics } from '#aws/observability';
import {
  type AuditConfigurationProperties,
  alreadyApplied,
  buildResponse,
  type CustomResourceRequest,
  type CustomResourceResponse,
  disableNotificationsCommand,
  parseProperties,
  parseRequest,
  planRelease,
  planUpsert,
  scheduledAuditChange,
  scheduledAuditRequest,
} from '#domain/audit-configuration';

// Declares no variable of its own: everything it sets comes in the request's ResourceProperties.
readConfig(FUNCTION_ENVIRONMENTS['audit-configuration']);
export const iot = awsClient(IoTClient, IOT_RETRIES);

/** Kept back from the function's own timeout to send a FAILED response instead of none. */
export const RESPONSE_MARGIN_MS = 5_000;
/** Attempts to deliver the response (the pre-signed URL is S3's). */
export const RESPONSE_ATTEMPTS = 3;

type Outcome =
  | { readonly status: 'SUCCESS'; readonly data?: Readonly<Record<string, string>> }
  | { readonly status: 'FAILED'; readonly reason: string };

/** A failure whose message already says what to do. */
class Refusal extends Error {}

// --- Create and Update ----------------------------------------------------------------------------

async function upsert(
  request: CustomResourceRequest,
  properties: AuditConfigurationProperties,
  previous: AuditConfigurationProperties | undefined,
): Promise<Outcome> {
  const current = await iot.send(new DescribeAccountAuditConfigurationCommand({}));
  const plan = planUpsert(current, properties, request.StackId, previous);
  if (plan.kind === 'refuse') {
    metrics.addMetric('AuditConfigurationRefused', MetricUnit.Count, 1);
    logger.error('Refused to take over the account audit configuration', { reason: plan.reason });
    return { status: 'FAILED', reason: plan.reason };
  }
  if (plan.replacedRoleArn)
    logger.warn('The account audits ran with another role until now; it may no longer be used', {
      replacedRoleArn: plan.replacedRoleArn,
      auditRoleArn: properties.auditRoleArn,
    });
  if (plan.adoptedTopicArn)
    logger.info('Took over the notification target of an earlier deployment of this stack', {
      adoptedTopicArn: plan.adoptedTopicArn,
    });
  const changed = !alreadyApplied(current, plan.request);
  if (changed) await iot.send(new UpdateAccountAuditConfigurationCommand(plan.request));
  const scheduledAudit = await ensureScheduledAudit(properties);
  logger.info('Account audit configuration in place', { configurationChanged: changed, scheduledAudit });
  return {
    status: 'SUCCESS',
    data: { ScheduledAuditName: properties.scheduledAuditName, AuditRoleArn: properties.auditRoleArn },
  };
}

/** Creates the stack's scheduled audit, or adopts the one an earlier deployment left running. */
async function ensureScheduledAudit(properties: AuditConfigurationProperties): Promise<string> {
  const wanted = scheduledAuditRequest(properties);
  let existing: DescribeScheduledAuditResponse | undefined;
  try {
    existing = await iot.send(
      new DescribeScheduledAuditCommand({ scheduledAuditName: wanted.scheduledAuditName }),
    );
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const change = scheduledAuditChange(existing, wanted);
  if (change === 'update') await iot.send(new UpdateScheduledAuditCommand(wanted));
  if (change !== 'create') return existing ? `${change} (existing)` : change;
  try {
    await iot.send(new CreateScheduledAuditCommand(wanted));
    return 'created';
  } catch (error) {
    // Created since the describe (a retried request): the same name is the same audit.
    if (error instanceof ResourceAlreadyExistsException) {
      await iot.send(new UpdateScheduledAuditCommand(wanted));
      return 'updated (existing)';
    }
    if (error instanceof LimitExceededException)
      throw new Refusal(
        `The account already has as many scheduled audits as AWS allows, so ${wanted.scheduledAuditName} ` +
          'could not be created. List them (aws iot list-scheduled-audits), delete one nothing needs ' +
          '(aws iot delete-scheduled-audit --scheduled-audit-name <name>) and deploy again, or deploy with ' +
          'ManageAuditConfiguration=false.',
      );
    throw error;
  }
}

// --- Delete ---------------------------------------------------------------------------------------

async function release(request: CustomResourceRequest): Promise<Outcome> {
  const parsed = parseProperties(request.ResourceProperties);
  if (!parsed.ok) {
    // Nothing this resource set can be recognised (a Create with these properties failed first).
    logger.warn('Delete of a resource whose properties cannot be read: nothing to release', {
      issues: parsed.issues,
    });
    return { status: 'SUCCESS' };
  }
  const { properties } = parsed;
  const current = await iot.send(new DescribeAccountAuditConfigurationCommand({}));
  const change = planRelease(current, properties, request.StackId);
  try {
    if (change) await iot.send(new UpdateAccountAuditConfigurationCommand(change));
  } catch (error) {
    const topic = properties.notificationTopicArn;
    throw new Refusal(
      `Could not turn off the audit notifications to ${topic} (${describeError(error)}); the audit checks, ` +
        'role and scheduled audit were not touched. Delete the stack again, or turn them off yourself and ' +
        `then delete it retaining this resource (--retain-resources ${request.LogicalResourceId}): ` +
        disableNotificationsCommand(topic, properties.notificationRoleArn),
    );
  }
  logger.info('Released the account audit configuration; the checks, the role and the scheduled audit stay', {
    notificationsTurnedOff: change !== undefined,
    scheduledAuditName: properties.scheduledAuditName,
  });
  return { status: 'SUCCESS' };
}

// --- The request and its response ---------------------------------------------------------------

async function handle(request: CustomResourceRequest): Promise<Outcome> {
  if (request.RequestType === 'Delete') return release(request);
  const parsed = parseProperties(request.ResourceProperties);
  if (!parsed.ok)
    return {
      status: 'FAILED',
      reason: `The ${request.LogicalResourceId} properties in template.yaml are invalid: ${parsed.issues.join('; ')}. Nothing was changed; fix the template and deploy again.`,
    };
  const old = request.OldResourceProperties && parseProperties(request.OldResourceProperties);
  return upsert(request, parsed.properties, old?.ok ? old.properties : undefined);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function failureReason(request: CustomResourceRequest, error: unknown, context: Context): string {
  if (error instanceof Refusal) return error.message;
  return (
    `${request.RequestType} failed with ${describeError(error)}. No audit check was disabled. Details are in ` +
    `the log group ${context.logGroupName} (request ${request.RequestId}). Fix the cause (an AccessDenied ` +
    "names a permission of the function's role) and deploy again."
  );
}

/** Resolves with a FAILED outcome shortly before the function would time out without answering. */
function deadline(context: Context): { outcome: Promise<Outcome>; clear: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const outcome = new Promise<Outcome>((resolve) => {
    const ms = Math.max(0, context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS);
    timer = setTimeout(
      () =>
        resolve({
          status: 'FAILED',
          reason:
            'AWS IoT did not answer before the function timed out; nothing is known to have changed ' +
            `beyond what the log group ${context.logGroupName} shows. Deploy again: every step is safe to repeat.`,
        }),
      ms,
    );
  });
  return { outcome, clear: () => clearTimeout(timer) };
}

/** PUT to the pre-signed URL with an empty content type (the signature covers none). */
function put(url: string, body: string): Promise<number> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('the response URL did not answer')));
    req.on('error', reject);
    req.end(body);
  });
}

async function sendResponse(url: string, response: CustomResourceResponse): Promise<void> {
  const body = JSON.stringify(response);
  let last = '';
  for (let attempt = 1; attempt <= RESPONSE_ATTEMPTS; attempt += 1) {
    try {
      const status = await put(url, body);
      if (status >= 200 && status < 300) return;
      last = `HTTP ${status}`;
    } catch (error) {
      last = describeError(error);
    }
    if (attempt < RESPONSE_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
  // Fails the invocation: Lambda retries it, and every step is safe to repeat.
  throw new Error(`could not deliver the ${response.Status} response to CloudFormation: ${last}`);
}

async function auditConfigurationHandler(event: unknown, context: Context): Promise<CustomResourceResponse> {
  const parsed = parseRequest(event);
  if (!parsed.ok) {
    // Without a response URL there is nobody to answer: fail loudly.
    logger.error('Not a CloudFormation custom resource request', { issues: parsed.issues });
    throw new Error(`not a CloudFormation custom resource request: ${parsed.issues.join('; ')}`);
  }
  const { request } = parsed;
  logger.appendKeys({ requestType: request.RequestType, stackId: request.StackId });
  const timeout = deadline(context);
  // Errors become a FAILED outcome here, so a late one after the deadline answered is not unhandled.
  const work = handle(request).catch((error: unknown): Outcome => {
    logger.error('The audit configuration request failed', { error: error as Error });
    return { status: 'FAILED', reason: failureReason(request, error, context) };
  });
  const outcome = await Promise.race([work, timeout.outcome]);
  timeout.clear();
  const response = buildResponse(request, outcome);
  await sendResponse(request.ResponseURL, response);
  logger.info('Answered CloudFormation', { status: response.Status, reason: response.Reason });
  return response;
}

// The common wiring around its own special path: whatever happens inside, CloudFormation gets an answer.
export const handler = lambdaHandler(auditConfigurationHandler);
