/**
 * The cost of one remediation as AWS would bill it (issue #18 item 3), for mitigation tasks of 1 min,
 * 10 min, 2 h and 24 h and audits of 10, 10,000 and 1,000,000 findings. Each cell runs the real flow on
 * the local stack in virtual time: the audit's notification goes SNS -> SQS -> Pipe -> bus -> rule to
 * the real planner, which starts the real state machine; the task runs, an on-demand verification
 * audit follows (its own notification reaches the planner too, as it would in AWS) and the report is
 * published. Counted per audit: state transitions (the engine's history), Lambda invocations and
 * GB-seconds, IoT calls by API (the emulator's counter) beside their TPS quotas, Parameter Store reads
 * and writes, the stack's SNS messages, SQS requests, Pipe requests and custom events; priced with
 * bench/cost-model.ts. The findings PUBLISH_FINDING_TO_SNS sends are priced on their own line, and the
 * fixed 10-second poll baseline (bench/polling.ts) beside each cell.
 *
 * Billed Lambda duration is a model, not this machine's handler time: every invocation is billed as a
 * cold start, INIT plus handler, with the medians `npm run bench -- cold-start` measured per function
 * (BILLED_DURATIONS, recorded in bench/RESULTS.md), at the template's memory and architecture.
 */
import { readFileSync } from 'node:fs';
import {
  type AuditNotification,
  type CheckFindings,
  deviceCertificateFinding,
  type LocalStack,
  type PublishTrace,
  plannerResult,
  type StoredFinding,
  startLocalStack,
} from '@device-defender-remediation/local-cloud';
import { summaryFromAttributes } from '#domain/remediation-report';
import type { PlanRemediationResult } from '../functions/plan-remediation/index.ts';
import {
  type Architecture,
  chunkedRequests,
  gigabyteSeconds,
  invocationBilledMs,
  PRICES,
  PRICES_READ_ON,
  type PriceLine,
  priceAudit,
  priceFindingPublishes,
} from './cost-model.ts';
import { fixedPollBaseline, lastingTask } from './polling.ts';

/**
 * INIT and handler medians per function (ms), PassThrough tracing (the template's default), from
 * `npm run bench -- cold-start` on 2026-11-30, 20 rounds (bench/RESULTS.md, "Cost per remediation"):
 * INIT = a fresh process importing the bundle (Node's own start included); handler = the first event
 * less that, at least 0. Measured on a loaded machine (bare node 101 ms), so an upper bound.
 */
export const BILLED_DURATIONS: Readonly<Record<string, { initMs: number; handlerMs: number }>> = {
  'plan-remediation': { initMs: 417.4, handlerMs: 172.1 },
  'report-remediation': { initMs: 351.5, handlerMs: 0 },
  'cleanup-execution': { initMs: 387.3, handlerMs: 62.6 },
  'sweep-audits': { initMs: 466.1, handlerMs: 0 },
};

/** The transitions of the task's polling loop: what the fixed 10-second loop replaces in the baseline. */
export const TASK_POLLING_STATES = [
  'PollAgain',
  'WaitToPoll',
  'AdvancePoll',
  'WaitToPollThenReadSwitch',
  'AdvancePollThenReadSwitch',
  'WaitToPollAtCap',
  'AdvancePollAtCap',
  'ReadSwitchWhileRunning',
  'DescribeTask',
  'TaskStatus',
] as const;

/**
 * Device Defender's API throttling limits, per account (https://docs.aws.amazon.com/general/latest/gr/iot_device_defender.html,
 * docs/aws-facts/iot-api.md); operations absent here are not among those the facts record.
 */
export const IOT_TPS: Readonly<Record<string, number>> = {
  ListAuditFindings: 10,
  ListAuditMitigationActionsExecutions: 10,
  ListAuditTasks: 10,
  ListAuditMitigationActionsTasks: 10,
  DescribeAuditTask: 25,
  DescribeMitigationAction: 25,
  DescribeAuditFinding: 25,
  DescribeAuditMitigationActionsTask: 25,
};

/** Fleet-changing and fixing (so verified), under its cap: the same 10 findings in every cell. */
export const FIXED_CHECK = 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK';
export const FIXED_FINDINGS = 10;
/** Published only: the rest of the cell's findings. */
export const PUBLISHED_CHECK = 'DEVICE_CERTIFICATE_EXPIRING_CHECK';
/** How long the verification audit runs (the emulator's on-demand audit); AWS documents no duration. */
export const VERIFICATION_AUDIT_MINUTES = 10;

/** The policy benchmarked: every finding published, the revoked certificates deactivated (capped). */
export const COST_POLICY = {
  version: 1,
  mode: 'enforce',
  actions: {
    PublishFinding: { type: 'PUBLISH_FINDING_TO_SNS' },
    DeactivateDeviceCertificate: { type: 'UPDATE_DEVICE_CERTIFICATE' },
  },
  defaults: { maxFindings: 10_000 },
  rules: [
    { check: FIXED_CHECK, actions: ['PublishFinding', 'DeactivateDeviceCertificate'] },
    { check: PUBLISHED_CHECK, actions: ['PublishFinding'] },
  ],
} as const;

export interface CostCell {
  readonly taskSeconds: number;
  readonly findings: number;
  readonly outcome: string;
  /** The verification's outcome state, as the report names it. */
  readonly verification: string;
  readonly stateTransitions: number;
  /** States entered, from the history's events: equal to the transitions when nothing was retried. */
  readonly statesEntered: number;
  /** Of the transitions: the task's polling loop (TASK_POLLING_STATES), the verification audit's states. */
  readonly taskPollingTransitions: number;
  readonly verificationTransitions: number;
  readonly historyEvents: number;
  /** Invocations per function folder: the planner (audit and verification notifications), the report. */
  readonly lambdaInvocations: Readonly<Record<string, number>>;
  readonly lambdaBilledMs: number;
  readonly lambdaGbSeconds: number;
  readonly iotCalls: Readonly<Record<string, number>>;
  readonly ssm: { readonly reads: number; readonly writes: number };
  /** The stack's own SNS messages: audit notifications in, reports out (alarms aside). */
  readonly snsMessages: number;
  readonly snsChunks: number;
  readonly sqsRequests: number;
  readonly pipeRequests: number;
  readonly customEvents: number;
  readonly lines: readonly PriceLine[];
  readonly totalUsd: number;
  /** PUBLISH_FINDING_TO_SNS: one message per finding, the user's choice, priced apart. */
  readonly findingPublishes: number;
  readonly findingPublishesUsd: number;
  readonly baseline: {
    readonly describes: number;
    readonly describesOurs: number;
    readonly stateTransitions: number;
    readonly totalUsd: number;
  };
}

export interface CostResult {
  readonly pricesReadOn: string;
  readonly prices: typeof PRICES;
  readonly memoryMb: Readonly<Record<string, number>>;
  readonly architecture: Architecture;
  readonly billedDurations: typeof BILLED_DURATIONS;
  readonly policy: typeof COST_POLICY;
  readonly verificationAuditMinutes: number;
  readonly iotTps: typeof IOT_TPS;
  readonly cells: readonly CostCell[];
}

export interface CostOptions {
  readonly taskSeconds?: readonly number[];
  readonly findings?: readonly number[];
  readonly billedDurations?: typeof BILLED_DURATIONS;
}

/** `count` findings of PUBLISHED_CHECK, each made from its index when read. */
function publishedFindings(count: number, cell: number): CheckFindings {
  const prefix = `00000000-${cell.toString(16).padStart(4, '0')}-4000-8000-`;
  return {
    count,
    at: (index): StoredFinding => ({
      findingId: prefix + index.toString(16).padStart(12, '0'),
      checkName: PUBLISHED_CHECK,
      severity: 'MEDIUM',
      reasonForNonComplianceCode: 'CERTIFICATE_APPROACHING_EXPIRATION',
      nonCompliantResource: {
        resourceType: 'DEVICE_CERTIFICATE',
        resourceIdentifier: {
          deviceCertificateId: `cd${cell.toString(16).padStart(4, '0')}${index.toString(16).padStart(58, '0')}`,
        },
      },
    }),
    indexOf: (findingId) => {
      if (!findingId.startsWith(prefix)) return undefined;
      const index = Number.parseInt(findingId.slice(prefix.length), 16);
      return Number.isInteger(index) && index >= 0 && index < count ? index : undefined;
    },
  };
}

async function notificationOf(stack: LocalStack, taskId: string): Promise<AuditNotification> {
  for (let waited = 0; waited <= 3_600_000; waited += 5_000) {
    const notification = stack.notifications.find((n) => n.taskId === taskId);
    if (notification) return notification;
    await stack.clock.sleep(5_000);
  }
  throw new Error(`no notification for audit ${taskId} within an hour of virtual time`);
}

/** Function folder (functions/<folder>/index.ts) by logical id, and each function's ARN. */
function functionsOf(stack: LocalStack) {
  return stack.deployed.resourceIds('AWS::Serverless::Function').map((id) => {
    const entry = (stack.deployed.resource(id).Metadata as { BuildProperties: { EntryPoints: string[] } })
      .BuildProperties.EntryPoints[0]!;
    const folder = /^functions\/([^/]+)\/index\.ts$/.exec(entry)![1]!;
    const memoryMb = Number(stack.deployed.functionProperty(id, 'MemorySize') ?? 128);
    const architectures = (stack.deployed.functionProperty(id, 'Architectures') ?? ['x86_64']) as string[];
    const arn = String(stack.deployed.resolve({ 'Fn::GetAtt': [id, 'Arn'] }));
    return { id, folder, memoryMb, architecture: architectures[0] as Architecture, arn };
  });
}

/** The largest finding message the emulated PUBLISH_FINDING_TO_SNS sent (AWS documents no size). */
function publishedMessageBytes(stack: LocalStack): number {
  return Math.max(
    0,
    ...stack.emulator.service.fleet.publishedFindings.map((p) => Buffer.byteLength(p.message)),
  );
}

const messageBytes = (message: string, attributes?: Readonly<Record<string, string>>) =>
  Buffer.byteLength(message) +
  Object.entries(attributes ?? {}).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );

export async function measureCost(options: CostOptions = {}): Promise<CostResult> {
  const taskSeconds = options.taskSeconds ?? [60, 600, 7_200, 86_400];
  const findingCounts = options.findings ?? [10, 10_000, 1_000_000];
  const durations = options.billedDurations ?? BILLED_DURATIONS;
  if (findingCounts.some((n) => !Number.isInteger(n) || n < FIXED_FINDINGS))
    throw new RangeError(`findings: each cell needs at least ${FIXED_FINDINGS} findings`);
  const definition = JSON.parse(
    readFileSync(new URL('../statemachine/remediation.asl.json', import.meta.url), 'utf8'),
  ) as { States: Record<string, unknown> };
  const missing = TASK_POLLING_STATES.filter((name) => !(name in definition.States));
  if (missing.length > 0) throw new Error(`TASK_POLLING_STATES names no state ${missing.join(', ')}`);

  const deadline = Math.max(...taskSeconds) + 7_200;
  const stack = await startLocalStack({
    switchValue: 'enforce',
    policy: COST_POLICY,
    parameters: { DeadlineSeconds: String(deadline) },
  });
  const service = stack.emulator.service;
  service.setAuditProgress({ durationMs: VERIFICATION_AUDIT_MINUTES * 60_000 });
  const functions = functionsOf(stack);
  const byFolder = new Map(functions.map((f) => [f.folder, f]));
  const ssm = { reads: 0, writes: 0 };
  const get = stack.parameters.get.bind(stack.parameters);
  const set = stack.parameters.set.bind(stack.parameters);
  stack.parameters.get = (name) => {
    ssm.reads++;
    return get(name);
  };
  stack.parameters.set = (...args: Parameters<typeof set>) => {
    ssm.writes++;
    return set(...args);
  };

  const cells: CostCell[] = [];
  try {
    for (const findings of findingCounts)
      for (const seconds of taskSeconds) {
        const cell = cells.length + 1;
        // After the switch's last change: no retroactive enforcement applies.
        await stack.clock.sleep(1_000);
        const seen = {
          invocations: stack.invocations.length,
          reports: stack.topicMessages('ReportsTopic').length,
          notifications: stack.notifications.length,
        };
        service.resetCallCounts();
        Object.assign(ssm, { reads: 0, writes: 0 });
        service.setTaskProgress(lastingTask(seconds, findings));
        const taskId = `cost-${cell}`;
        service.addAudit({
          taskId,
          // Scheduled, as most automatic runs are (an on-demand one started within 15 minutes of a
          // verification's start waits for the sweep: functions/domain/verification.ts).
          taskType: 'SCHEDULED_AUDIT_TASK',
          scheduledAuditName: `${stack.deployed.stackName}-audit`,
          taskStartTime: stack.clock.now(),
          checks: {
            [FIXED_CHECK]: {
              totalResourcesCount: 10_000,
              findings: Array.from({ length: FIXED_FINDINGS }, (_, i) =>
                deviceCertificateFinding(cell * 1_000 + i),
              ),
            },
            ...(findings > FIXED_FINDINGS
              ? {
                  [PUBLISHED_CHECK]: {
                    totalResourcesCount: findings,
                    findings: publishedFindings(findings - FIXED_FINDINGS, cell),
                  },
                }
              : {}),
          },
        });
        const notification = await notificationOf(stack, taskId);
        const traces: PublishTrace[] = [await stack.publishAuditNotification(notification)];
        const planned = plannerResult<PlanRemediationResult>(traces[0]!);
        if (planned.outcome !== 'started')
          throw new Error(`cell ${cell}: the planner answered ${planned.outcome}`);
        const execution = stack.runner.describeExecution(planned.executionArn)!;
        const outcome = await execution.result;
        // The verification audit's notification reaches the planner too, which recognises it.
        const later = stack.notifications.slice(seen.notifications).filter((n) => n.taskId !== taskId);
        for (const other of later) {
          const trace = await stack.publishAuditNotification(other);
          const answer = plannerResult<PlanRemediationResult>(trace);
          if (answer.outcome === 'started')
            throw new Error(`cell ${cell}: the verification audit started a run`);
          traces.push(trace);
        }
        await stack.idle();
        const iotCalls = service.callCounts();

        // Lambda: the rules' invocations, and the state machine's lambda:invoke tasks.
        const invoked = new Map<string, number>();
        const count = (folder: string) => invoked.set(folder, (invoked.get(folder) ?? 0) + 1);
        for (const invocation of stack.invocations.slice(seen.invocations))
          count(functions.find((f) => f.id === invocation.functionId)?.folder ?? invocation.functionId);
        for (const event of execution.historyEvents) {
          if (event.type !== 'TaskScheduled' || event.details?.resourceType !== 'lambda') continue;
          const { FunctionName } = JSON.parse(String(event.details.parameters)) as { FunctionName: string };
          count(functions.find((f) => f.arn === FunctionName)?.folder ?? FunctionName);
        }
        let billedMs = 0;
        let gbSeconds = 0;
        for (const [folder, n] of invoked) {
          const duration = durations[folder];
          const fn = byFolder.get(folder);
          if (!duration || !fn) throw new Error(`no billed duration or template function for ${folder}`);
          const ms = invocationBilledMs(duration.initMs, duration.handlerMs);
          billedMs += n * ms;
          gbSeconds += n * gigabyteSeconds(ms, fn.memoryMb);
        }
        const architectures = new Set(
          [...invoked.keys()].map((folder) => byFolder.get(folder)!.architecture),
        );
        if (architectures.size !== 1)
          throw new Error('functions of more than one architecture are not priced');

        // SNS: the notifications Device Defender publishes to the stack's topic, the reports it publishes.
        const reports = stack.topicMessages('ReportsTopic').slice(seen.reports);
        // The state machine's Publish sends message attributes the local topic does not keep.
        const published = stack.runner.snsMessages.filter((m) => m.executionArn === execution.executionArn);
        const attributesOf = (message: string, kept?: Readonly<Record<string, string>>) => {
          const sent = published.find((m) => m.message === message)?.messageAttributes as
            | Record<string, { StringValue?: string }>
            | undefined;
          return sent
            ? Object.fromEntries(Object.entries(sent).map(([k, v]) => [k, v.StringValue ?? '']))
            : kept;
        };
        const notifications = [notification, ...later];
        const snsChunks =
          notifications.reduce((sum, n) => sum + chunkedRequests(Buffer.byteLength(JSON.stringify(n))), 0) +
          reports.reduce(
            (sum, r) => sum + chunkedRequests(messageBytes(r.message, attributesOf(r.message, r.attributes))),
            0,
          );
        const deliveries = traces.flatMap((t) => t.deliveries);
        // Each message: SNS's SendMessage, then the Pipe's ReceiveMessage and DeleteMessage per receive.
        const sqsRequests = deliveries.reduce(
          (sum, d) => sum + chunkedRequests(Buffer.byteLength(d.body)) * (1 + 2 * d.receives),
          0,
        );
        const customEvents = traces.reduce((sum, t) => sum + t.putEvents.length, 0);
        const pipeRequests = deliveries.filter((d) => d.outcome === 'consumed').length;
        const emailDeliveries = stack.deployed.target.parameters?.ReportEmail ? reports.length : 0;
        const architecture = [...architectures][0]!;
        const { lines, totalUsd } = priceAudit({
          stateTransitions: execution.history.transitions,
          lambda: { invocations: [...invoked.values()].reduce((a, b) => a + b, 0), gbSeconds, architecture },
          snsChunks,
          emailDeliveries,
          sqsRequests,
          customEvents,
          pipeRequests,
        });

        // The baseline: the same run, its task polling loop replaced by the fixed 10-second loop.
        const loopStates = new Set<string>(TASK_POLLING_STATES);
        const loopTransitions = execution.historyEvents.filter(
          (e) => e.type.endsWith('StateEntered') && loopStates.has(String(e.details?.name)),
        ).length;
        const fixed = fixedPollBaseline(seconds);
        const baselineTransitions = execution.history.transitions - loopTransitions + fixed.transitions;
        const summary = summaryFromAttributes(published[0]?.messageAttributes);
        cells.push({
          taskSeconds: seconds,
          findings,
          outcome: outcome.status,
          verification: summary?.verification?.status ?? 'none',
          stateTransitions: execution.history.transitions,
          statesEntered: execution.historyEvents.filter((e) => e.type.endsWith('StateEntered')).length,
          taskPollingTransitions: loopTransitions,
          verificationTransitions: execution.historyEvents.filter(
            (e) =>
              e.type.endsWith('StateEntered') && /Verification|AuditCapacity/.test(String(e.details?.name)),
          ).length,
          historyEvents: execution.history.historyEvents,
          lambdaInvocations: Object.fromEntries(invoked),
          lambdaBilledMs: billedMs,
          lambdaGbSeconds: gbSeconds,
          iotCalls,
          ssm: { ...ssm },
          snsMessages: notifications.length + reports.length,
          snsChunks,
          sqsRequests,
          pipeRequests,
          customEvents,
          lines,
          totalUsd,
          findingPublishes: findings,
          findingPublishesUsd: priceFindingPublishes(findings, publishedMessageBytes(stack)),
          baseline: {
            describes: fixed.describes,
            describesOurs: iotCalls.DescribeAuditMitigationActionsTask ?? 0,
            stateTransitions: baselineTransitions,
            totalUsd:
              totalUsd + (baselineTransitions - execution.history.transitions) * PRICES.stateTransition.usd,
          },
        });
      }
  } finally {
    await stack.close();
  }
  const memoryMb = Object.fromEntries(functions.map((f) => [f.folder, f.memoryMb]));
  return {
    pricesReadOn: PRICES_READ_ON,
    prices: PRICES,
    memoryMb,
    architecture: functions[0]!.architecture,
    billedDurations: durations,
    policy: COST_POLICY,
    verificationAuditMinutes: VERIFICATION_AUDIT_MINUTES,
    iotTps: IOT_TPS,
    cells,
  };
}
