/**
 * Cold start of every function, as Lambda runs it (issue #18 item 1). Each function is bundled with
 * its own BuildProperties from template.yaml (scripts/build-functions.ts maps them as `sam build`
 * does) and run in a fresh Node process with a clean environment: the variables the template gives
 * it (Globals merged, intrinsics resolved, the stack's TracingMode applied) and the ones Lambda
 * defines (docs/aws-facts/lambda-runtime.md), nothing inherited (no CA bundle, no NODE_OPTIONS of
 * this shell), plus the local endpoints. Two timings per function, each paired with a bare
 * `node -e 0` in the same round, rounds interleaved so every figure sees the same machine load:
 *
 * - import: the process starts and imports the bundle (Lambda's init phase);
 * - first event: the same, then one invocation as Lambda hands it (init + first invoke).
 *
 * "Loaded at start" is the bytes of the modules evaluated before the handler's first line: the
 * modules the entry reaches through static imports and require() calls (esbuild evaluates them when
 * the bundle loads), from esbuild's metafile, plus the bytes no module owns (esbuild's runtime, the
 * banner). Modules reached only through `import()` are bundled but evaluated only when first used.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ACCOUNT_ID,
  DeployedTemplate,
  deviceCertificateFinding,
  executionStatusChangeEvent,
  functionEnvironments,
  type LocalStack,
  REGION,
  startLocalStack,
} from '@device-defender-remediation/local-cloud';
import type { Metafile } from 'esbuild';
import { APPROVAL_DETAIL_TYPE } from '#domain/approval';
import { AUDIT_EVENT_SOURCE } from '#domain/audit';
import { type BuildFunctionOptions, type BuiltFunction, buildFunction } from '../scripts/build-functions.ts';
import { median, timeProcess } from './process-timing.ts';

export type TracingMode = 'Active' | 'PassThrough';

export interface FunctionColdStart {
  readonly name: string;
  readonly tracing: TracingMode;
  readonly bundleBytes: number;
  readonly mapBytes: number;
  /** Bytes of the modules evaluated before the handler's first line (see the module comment). */
  readonly loadedAtStartBytes: number;
  readonly importMedianMs: number;
  readonly firstEventMedianMs: number;
  /** Medians over bare node's median of the same rounds. */
  readonly importRatio: number;
  readonly firstEventRatio: number;
  /** Interquartile range of the first-event runs over their median: how noisy this figure is. */
  readonly firstEventSpread: number;
  /** The planner only: one process timing itself (medians), to show what only the first event pays. */
  readonly phases?: InProcessPhases;
}

/** Medians of one process timing itself: importing the bundle, the first event, a second event. */
export interface InProcessPhases {
  readonly importMs: number;
  readonly firstEventMs: number;
  readonly secondEventMs: number;
}

export interface ColdStartResult {
  readonly runs: number;
  readonly bareNodeMedianMs: number;
  readonly bareNodeSpread: number;
  /** Every function, once per tracing mode measured. */
  readonly functions: readonly FunctionColdStart[];
  // The planner with the template's default tracing mode, as the earlier benchmark reported it.
  readonly bundleBytes: number;
  readonly plannerMedianMs: number;
  readonly ratio: number;
  readonly executionsStarted: number;
}

export interface ColdStartOptions {
  /** Rounds; the issue asks for a median of at least 20. */
  readonly runs?: number;
  /** Tracing settings to measure (the stack's TracingMode parameter); default both. */
  readonly tracing?: readonly TracingMode[];
  /** Function folders to measure; default all six. */
  readonly functions?: readonly string[];
  /** How to build (what-if runs, e.g. `{ prune: false }`); default as deployed. */
  readonly build?: BuildFunctionOptions;
}

export const ALL_FUNCTIONS = [
  'plan-remediation',
  'sweep-audits',
  'cleanup-execution',
  'report-remediation',
  'audit-configuration',
  'approve-held-back',
] as const;

/**
 * Bytes of the modules esbuild evaluates when the bundle loads: not those reached only by import(),
 * unless init takes that import() (`initImports`: the Tracer's, when tracing is on).
 */
export function loadedAtStartBytes(metafile: Metafile, initImports: readonly string[] = []): number {
  const [, output] = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint) ?? [];
  if (!output?.entryPoint) throw new Error('the metafile has no entry point');
  const eager = new Set([output.entryPoint]);
  const pending = [output.entryPoint];
  while (pending.length > 0) {
    for (const edge of metafile.inputs[pending.pop()!]?.imports ?? []) {
      const lazy = edge.kind === 'dynamic-import' && !initImports.includes(edge.original ?? '');
      if (edge.external || lazy || eager.has(edge.path)) continue;
      eager.add(edge.path);
      pending.push(edge.path);
    }
  }
  const owned = Object.values(output.inputs).reduce((sum, input) => sum + input.bytesInOutput, 0);
  let bytes = output.bytes - owned;
  for (const path of eager) bytes += output.inputs[path]?.bytesInOutput ?? 0;
  return bytes;
}

/** The planner's first event, as the stack's rule hands it: an on-demand audit completed at `now`. */
export function auditCompletedEvent(taskId: string, now: number) {
  return {
    version: '0',
    id: `bench-${taskId}`,
    'detail-type': 'Audit Completed',
    source: 'custom.devicedefender',
    account: ACCOUNT_ID,
    region: REGION,
    time: new Date(now).toISOString(),
    resources: [],
    detail: {
      notification: {
        accountId: ACCOUNT_ID,
        taskId,
        taskStatus: 'COMPLETED',
        taskType: 'ON_DEMAND_AUDIT_TASK',
        failedChecksCount: 0,
        canceledChecksCount: 0,
        nonCompliantChecksCount: 1,
        compliantChecksCount: 0,
        totalChecksCount: 1,
        taskStartTime: now,
        auditDetails: [
          {
            checkName: 'DEVICE_CERTIFICATE_SHARED_CHECK',
            checkRunStatus: 'COMPLETED_NON_COMPLIANT',
            nonCompliantResourcesCount: 3,
            totalResourcesCount: 100,
          },
        ],
      },
    },
  };
}

/** What Lambda defines for a function (docs/aws-facts/lambda-runtime.md), locally valued. */
export function lambdaDefinedEnvironment(
  name: string,
  bundle: string,
  tracing: TracingMode,
): Record<string, string> {
  return {
    PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    _HANDLER: 'index.handler',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/01/01/[$LATEST]bench',
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_ACCESS_KEY_ID: 'ASIABENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    LAMBDA_TASK_ROOT: dirname(bundle),
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    // The SDK warns on Node 20 (this machine's), never on the runtime's Node 22: not Lambda's cost.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // X-Ray's daemon address and the invocation's trace header exist only with active tracing.
    ...(tracing === 'Active'
      ? {
          AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
          AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
          _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
        }
      : {}),
  };
}

interface Invocation {
  readonly event: unknown;
  /** A JavaScript expression over `result`: true when the handler did what this event asks. */
  readonly expect: string;
}

/** The child: optionally reads the event, imports the bundle, invokes the handler once as Lambda does. */
function childScript(bundle: string, name: string, eventFile?: string, expect?: string): string {
  const url = JSON.stringify(pathToFileURL(bundle).href);
  if (eventFile === undefined) return `await import(${url});`;
  return [
    `const event = JSON.parse((await import('node:fs')).readFileSync(${JSON.stringify(eventFile)}, 'utf8'));`,
    `const { handler } = await import(${url});`,
    `const context = { functionName: ${JSON.stringify(name)}, functionVersion: '$LATEST', awsRequestId: 'bench',`,
    `  invokedFunctionArn: 'arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${name}', memoryLimitInMB: '512',`,
    `  logGroupName: '/aws/lambda/${name}', logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true,`,
    `  getRemainingTimeInMillis: () => 30000 };`,
    'const result = await handler(event, context);',
    `if (!(${expect})) { console.error(JSON.stringify(result)); process.exitCode = 3; }`,
  ].join('\n');
}

/**
 * The child that times itself: imports the bundle, then invokes the handler twice, and prints the three
 * durations on a line of its own (the functions log to stdout too).
 */
function phasesScript(bundle: string, name: string, eventFiles: readonly [string, string], expect: string) {
  const url = JSON.stringify(pathToFileURL(bundle).href);
  return [
    "const { readFileSync } = await import('node:fs');",
    `const events = ${JSON.stringify(eventFiles)}.map((file) => JSON.parse(readFileSync(file, 'utf8')));`,
    `const context = { functionName: ${JSON.stringify(name)}, functionVersion: '$LATEST', awsRequestId: 'bench',`,
    `  invokedFunctionArn: 'arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${name}', memoryLimitInMB: '512',`,
    `  logGroupName: '/aws/lambda/${name}', logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true,`,
    '  getRemainingTimeInMillis: () => 30000 };',
    'const started = performance.now();',
    `const { handler } = await import(${url});`,
    'const times = [performance.now()];',
    'for (const event of events) {',
    '  const result = await handler(event, context);',
    '  times.push(performance.now());',
    `  if (!(${expect})) { console.error(JSON.stringify(result)); process.exitCode = 3; }`,
    '}',
    'const phases = [times[0] - started, times[1] - times[0], times[2] - times[1]];',
    "process.stdout.write('\\nPHASES ' + JSON.stringify(phases) + '\\n');",
  ].join('\n');
}

/** Runs the self-timing child; its three durations, or a rejection with its stderr. */
function timePhases(script: string, env: NodeJS.ProcessEnv | undefined): Promise<readonly number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('PHASES '));
      if (code !== 0 || line === undefined) reject(new Error(`exit ${code}: ${stderr}`));
      else resolve(JSON.parse(line.slice('PHASES '.length)) as number[]);
    });
  });
}

function interquartileSpread(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return (at(0.75) - at(0.25)) / median(values);
}

/** A ResponseURL for the custom resource: accepts CloudFormation's PUT. */
async function startResponseServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/response` };
}

/** The stack's function logical ids, by folder under functions/. */
function functionIds(stack: LocalStack): Map<string, string> {
  const ids = new Map<string, string>();
  for (const id of stack.deployed.resourceIds('AWS::Serverless::Function')) {
    const entry = (stack.deployed.resource(id).Metadata as { BuildProperties: { EntryPoints: string[] } })
      .BuildProperties.EntryPoints[0]!;
    ids.set(/^functions\/([^/]+)\/index\.ts$/.exec(entry)![1]!, id);
  }
  return ids;
}

export async function measureColdStart(options: ColdStartOptions = {}): Promise<ColdStartResult> {
  const runs = options.runs ?? 20;
  const names = options.functions ?? ALL_FUNCTIONS;
  // The planner is built in any case: its warm-up execution is what the report, cleanup and approval use.
  const builtNames = names.includes('plan-remediation') ? names : ['plan-remediation', ...names];
  const work = mkdtempSync(join(tmpdir(), 'ddr-cold-start-'));
  const built = new Map<string, BuiltFunction>();
  for (const name of builtNames) built.set(name, await buildFunction(name, work, {}, options.build));

  // The local stack: the emulator, SSM, SNS and Step Functions endpoints, the template deployed.
  const stack = await startLocalStack({ parameters: { ManageAuditConfiguration: 'true' } });
  const responses = await startResponseServer();
  const hasTracingParameter = stack.deployed.template.Parameters?.TracingMode !== undefined;
  const tracingModes: readonly TracingMode[] = hasTracingParameter
    ? (options.tracing ?? ['PassThrough', 'Active'])
    : [stack.deployed.functionProperty(functionIds(stack).get(names[0]!)!, 'Tracing') as TracingMode];
  const endpoints = Object.fromEntries(
    ['IOT', 'SSM', 'SNS', 'SFN'].map((service) => [
      `AWS_ENDPOINT_URL_${service}`,
      process.env[`AWS_ENDPOINT_URL_${service}`] ?? '',
    ]),
  );
  const ids = functionIds(stack);
  let audits = 0;
  const newAudit = () => {
    audits += 1;
    const taskId = `bench${Date.now().toString(16)}${audits}`;
    stack.emulator.service.addAudit({
      taskId,
      checks: {
        DEVICE_CERTIFICATE_SHARED_CHECK: {
          totalResourcesCount: 100,
          findings: [1, 2, 3].map((n) => deviceCertificateFinding(n)),
        },
      },
    });
    return taskId;
  };
  const settle = async () => {
    await Promise.all(stack.runner.executions.map((execution) => execution.result));
    await stack.idle();
  };

  // Each function's environment per tracing mode, as the template deploys it.
  const environments = new Map<string, NodeJS.ProcessEnv>();
  for (const tracing of tracingModes) {
    const deployed = hasTracingParameter
      ? new DeployedTemplate(stack.deployed.template, {
          ...stack.deployed.target,
          parameters: { ...stack.deployed.target.parameters, TracingMode: tracing },
        })
      : stack.deployed;
    const variables = functionEnvironments(deployed);
    for (const name of builtNames) {
      const id = ids.get(name)!;
      environments.set(`${name}/${tracing}`, {
        ...lambdaDefinedEnvironment(name, built.get(name)!.outfile, tracing),
        ...variables.get(id),
        ...endpoints,
      });
    }
  }

  // The first event of each function, as its trigger hands it.
  const auditCompleted = (taskId: string) => auditCompletedEvent(taskId, stack.clock.now());
  const audit = (): Invocation => ({
    event: auditCompleted(newAudit()),
    expect: "result.outcome === 'started'",
  });
  const eventFile = (invocation: Invocation, name: string, index: number) => {
    const file = join(work, `${name}-${index}.json`);
    writeFileSync(file, JSON.stringify(invocation.event));
    return file;
  };
  const spawn = async (name: string, tracing: TracingMode, invocation?: Invocation, index = 0) => {
    const bundle = built.get(name)!.outfile;
    const script =
      invocation === undefined
        ? childScript(bundle, name)
        : childScript(bundle, name, eventFile(invocation, name, index), invocation.expect);
    const ms = await timeProcess(
      ['--input-type=module', '-e', script],
      environments.get(`${name}/${tracing}`),
    );
    if (name === 'plan-remediation' && invocation) await settle();
    return ms;
  };

  // Warm-up, unmeasured: file caches, and an execution whose plan the report and the cleanup use.
  await spawn('plan-remediation', tracingModes[0]!, audit());
  const execution = stack.runner.executions[0]!;
  const ended = executionStatusChangeEvent(execution, stack.clock.now());
  const customResource = {
    RequestType: 'Create',
    ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:audit-configuration`,
    ResponseURL: responses.url,
    StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT_ID}:stack/${stack.deployed.stackName}/bench`,
    RequestId: 'bench',
    LogicalResourceId: 'AuditConfiguration',
    ResourceType: 'AWS::CloudFormation::CustomResource',
    ResourceProperties: Object.fromEntries(
      Object.entries(
        (stack.deployed.resolve(stack.deployed.resource('AuditConfiguration').Properties ?? {}) as object) ??
          {},
      ).map(([key, value]) => [key, typeof value === 'number' ? String(value) : value]),
    ),
  };
  const invocations: Record<string, () => Invocation> = {
    'plan-remediation': audit,
    // The schedule's own input; the window holds no audit to catch up, so one ListAuditTasks.
    'sweep-audits': () => ({
      event: { trigger: 'sweep-schedule' },
      expect: "result.kind === 'sweep'",
    }),
    // A failed execution whose task never started: DescribeAuditMitigationActionsTask, then the notice.
    'cleanup-execution': () => ({
      event: { ...ended, detail: { ...ended.detail, status: 'FAILED' } },
      expect: "typeof result.outcome === 'string' && result.outcome !== 'event-invalid'",
    }),
    // The dry run's report: nothing failed, so no IoT call.
    'report-remediation': () => ({
      event: {
        plan: execution.input,
        outcome: { name: 'DryRun', cause: 'The effective mode is dry-run.' },
        switch: { value: 'dry-run' },
      },
      expect: "typeof result.subject === 'string'",
    }),
    'audit-configuration': () => ({ event: customResource, expect: "result.Status === 'SUCCESS'" }),
    // An operator's approval for the warm-up execution, which has ended: DescribeExecution, then refused
    // as not running (no token read, nothing sent).
    'approve-held-back': () => ({
      event: {
        version: '0',
        id: 'bench-approval',
        'detail-type': APPROVAL_DETAIL_TYPE,
        source: AUDIT_EVENT_SOURCE,
        account: ACCOUNT_ID,
        region: REGION,
        time: new Date(stack.clock.now()).toISOString(),
        resources: [],
        detail: { executionName: execution.name, checks: ['LOGGING_DISABLED_CHECK'], decision: 'approve' },
      },
      expect: "result.outcome === 'refused' && result.reason === 'not-running'",
    }),
  };
  for (const name of names)
    for (const tracing of tracingModes) await spawn(name, tracing, invocations[name]!(), -1);

  const bare: number[] = [];
  const importRuns = new Map<string, number[]>();
  const eventRuns = new Map<string, number[]>();
  const phaseRuns = new Map<string, (readonly number[])[]>();
  // The planner timing itself in one process: import, first event, second event (two new audits).
  const plannerPhases = async (tracing: TracingMode, round: number) => {
    const invocations = [audit(), audit()] as const;
    const files = invocations.map((invocation, index) =>
      eventFile(invocation, 'plan-remediation-phases', round * 2 + index),
    ) as [string, string];
    const bundle = built.get('plan-remediation')!.outfile;
    const script = phasesScript(bundle, 'plan-remediation', files, invocations[0].expect);
    const phases = await timePhases(script, environments.get(`plan-remediation/${tracing}`));
    await settle();
    return phases;
  };
  const cleanEnvironment = { PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin' };
  try {
    for (let round = 0; round < runs; round += 1) {
      bare.push(await timeProcess(['-e', '0'], cleanEnvironment));
      for (const name of names)
        for (const tracing of tracingModes) {
          const key = `${name}/${tracing}`;
          importRuns.set(key, [...(importRuns.get(key) ?? []), await spawn(name, tracing)]);
          const ms = await spawn(name, tracing, invocations[name]!(), round);
          eventRuns.set(key, [...(eventRuns.get(key) ?? []), ms]);
          if (name === 'plan-remediation')
            phaseRuns.set(key, [...(phaseRuns.get(key) ?? []), await plannerPhases(tracing, round)]);
        }
    }
  } finally {
    responses.server.close();
    await stack.close();
  }

  const bareNodeMedianMs = median(bare);
  const functions = names.flatMap((name) =>
    tracingModes.map((tracing): FunctionColdStart => {
      const key = `${name}/${tracing}`;
      const fn = built.get(name)!;
      const importMedianMs = median(importRuns.get(key)!);
      const firstEventMedianMs = median(eventRuns.get(key)!);
      return {
        name,
        tracing,
        bundleBytes: fn.bytes,
        mapBytes: fn.mapBytes,
        // With tracing on, observability.ts imports the Tracer during init (a top-level await).
        loadedAtStartBytes: loadedAtStartBytes(
          fn.metafile,
          tracing === 'Active' ? ['@aws-lambda-powertools/tracer'] : [],
        ),
        importMedianMs,
        firstEventMedianMs,
        importRatio: importMedianMs / bareNodeMedianMs,
        firstEventRatio: firstEventMedianMs / bareNodeMedianMs,
        firstEventSpread: interquartileSpread(eventRuns.get(key)!),
        ...(phaseRuns.has(key)
          ? {
              phases: {
                importMs: median(phaseRuns.get(key)!.map((p) => p[0]!)),
                firstEventMs: median(phaseRuns.get(key)!.map((p) => p[1]!)),
                secondEventMs: median(phaseRuns.get(key)!.map((p) => p[2]!)),
              },
            }
          : {}),
      };
    }),
  );
  const defaultTracing = (stack.deployed.template.Parameters?.TracingMode?.Default ??
    tracingModes[0]) as string;
  const planner =
    functions.find((f) => f.name === 'plan-remediation' && f.tracing === defaultTracing) ?? functions[0]!;
  return {
    runs,
    bareNodeMedianMs,
    bareNodeSpread: interquartileSpread(bare),
    functions,
    bundleBytes: planner.bundleBytes,
    plannerMedianMs: planner.firstEventMedianMs,
    ratio: planner.firstEventRatio,
    executionsStarted: stack.runner.executions.length,
  };
}

/** The benchmark's table rows (`npm run bench -- cold-start`), made from its figures alone. */
export function coldStartRows(r: ColdStartResult) {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  return [
    {
      measure: `bare node -e 0, clean environment (median of ${r.runs})`,
      value: `${r.bareNodeMedianMs.toFixed(1)} ms (IQR ${(r.bareNodeSpread * 100).toFixed(0)} %)`,
      goal: '',
    },
    ...r.functions.flatMap((f) => [
      {
        measure: `${f.name} (tracing ${f.tracing}): bundle / map / loaded at start`,
        value: `${kb(f.bundleBytes)} / ${kb(f.mapBytes)} / ${kb(f.loadedAtStartBytes)}`,
        goal: f.name === 'plan-remediation' ? 'loaded at start <= 320 KB' : '',
      },
      {
        measure: `${f.name} (tracing ${f.tracing}): import; import + first event`,
        value:
          `${f.importMedianMs.toFixed(1)} ms (${f.importRatio.toFixed(2)}x); ` +
          `${f.firstEventMedianMs.toFixed(1)} ms (${f.firstEventRatio.toFixed(2)}x, IQR ${(f.firstEventSpread * 100).toFixed(0)} %)`,
        goal: f.name === 'plan-remediation' && f.tracing === 'PassThrough' ? 'first event <= 4.5x' : '',
      },
      ...(f.phases
        ? [
            {
              measure: `${f.name} (tracing ${f.tracing}), one process timing itself: import / first event / second event`,
              value: `${f.phases.importMs.toFixed(1)} / ${f.phases.firstEventMs.toFixed(1)} / ${f.phases.secondEventMs.toFixed(1)} ms`,
              goal: '',
            },
          ]
        : []),
    ]),
  ];
}
