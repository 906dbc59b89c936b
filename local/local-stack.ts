/**
 * `npm run local-stack -- [--speed F] [--preset NAME] [--switch VALUE] [--policy FILE] [--<service>-port N]`
 * The stack of template.yaml on this machine until Ctrl-C, for the real AWS CLI (`--endpoint-url`) and
 * `npm run rerun`: the Device Defender emulator, Step Functions (StartExecution, DescribeExecution,
 * ListExecutions, GetExecutionHistory), the parameter store, SNS, EventBridge PutEvents (the stack's
 * bus, its rules and its resource policy) and STS GetCallerIdentity, each on a fixed port; the
 * template's functions and state machine; real time, sped up by --speed. An audit that ends reaches
 * the planner as in AWS: notification -> topic -> queue -> Pipe -> bus -> rule. Callers are named by
 * their access key id: `operator` is the stack's operator, any other key id a non-operator
 * (local-cloud/wiring/sts-endpoint.ts).
 */

import {
  type LocalStack,
  LocalStackPortError,
  type LocalStackService,
  OPERATOR_ACCESS_KEY_ID,
  OPERATOR_ROLE_ARN,
  presets,
  startLocalStack,
} from '@device-defender-remediation/local-cloud';
import { formatIssue } from '#domain/json-schema';
import { HELP_OPTION, parseCommandLine, refuse } from './cli/args.ts';
import { readPolicyFile } from './policy-file.ts';

/** Each endpoint's flag, default port and what it serves, in the order the banner lists them. */
const ENDPOINTS: ReadonlyArray<readonly [LocalStackService, port: number, title: string]> = [
  ['iot', 4566, 'Device Defender (aws iot)'],
  ['sfn', 4567, 'Step Functions (aws stepfunctions)'],
  ['ssm', 4568, 'Parameter Store (aws ssm get-parameter)'],
  ['sns', 4569, 'SNS (Publish)'],
  ['events', 4570, 'EventBridge (aws events put-events)'],
  ['sts', 4571, 'STS (aws sts get-caller-identity)'],
];
const SWITCH_VALUES = ['dry-run', 'enforce', 'paused'];
/** Real time between two looks at what the stack did (audits announced, executions started or ended). */
const WATCH_INTERVAL_MS = 200;
/** After Ctrl-C, how long closing may take before the process ends anyway. */
const CLOSE_GRACE_MS = 3_000;

const command = {
  name: 'npm run local-stack',
  usage: [
    'usage: npm run local-stack -- [--speed FACTOR] [--preset demo|large|fixture] [--switch dry-run|enforce|paused]',
    '                              [--policy FILE] [--iot-port N] [--sfn-port N] [--ssm-port N] [--sns-port N]',
    '                              [--events-port N] [--sts-port N] [--verbose]',
    'The stack of template.yaml on 127.0.0.1 until Ctrl-C, for the AWS CLI (--endpoint-url) and npm run rerun.',
    '  --speed FACTOR   virtual seconds per real second, at least 1 (default 1; 60 makes an hour a minute)',
    '  --preset NAME    what the emulated account holds: demo (default), large or fixture',
    '  --switch VALUE   the runtime switch as the stack creates it: dry-run (default), enforce or paused',
    '  --policy FILE    a policy (YAML or JSON) served from the policy parameter; default: the bundled one',
    ...ENDPOINTS.map(
      ([service, port, title]) =>
        `  --${`${service}-port N`.padEnd(15)}${title} (default ${port}; 0: any free port)`,
    ),
    "  --verbose        show the functions' logs",
    `Callers are named by their access key id: ${OPERATOR_ACCESS_KEY_ID} is the stack's operator, any other is not.`,
  ].join('\n'),
  options: {
    ...HELP_OPTION,
    speed: { type: 'string', default: '1' },
    preset: { type: 'string', default: 'demo' },
    switch: { type: 'string', default: 'dry-run' },
    policy: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    ...Object.fromEntries(
      ENDPOINTS.map(
        ([service, port]) => [`${service}-port`, { type: 'string', default: String(port) }] as const,
      ),
    ),
  },
} as const;

type Values = Record<string, string | boolean | undefined>;

async function main() {
  const parsed = parseCommandLine(command);
  if (!parsed) return;
  const values = parsed.values as Values;
  const text = (name: string) => String(values[name]);

  const speed = Number(text('speed'));
  if (!/^\d+(\.\d+)?$/.test(text('speed')) || !(speed >= 1))
    return refuse(
      command,
      `--speed: "${text('speed')}" is not a number of at least 1 (virtual seconds per real second)`,
    );
  if (!Object.hasOwn(presets, text('preset')))
    return refuse(command, `--preset: "${text('preset')}" is not one of ${Object.keys(presets).join(', ')}`);
  if (!SWITCH_VALUES.includes(text('switch')))
    return refuse(command, `--switch: "${text('switch')}" is not one of ${SWITCH_VALUES.join(', ')}`);
  const ports: Partial<Record<LocalStackService, number>> = {};
  const taken = new Map<number, string>();
  for (const [service] of ENDPOINTS) {
    const flag = `--${service}-port`;
    const value = text(`${service}-port`);
    const port = Number(value);
    if (!/^\d+$/.test(value) || port > 65535)
      return refuse(command, `${flag}: "${value}" is not a port (0 to 65535)`);
    const other = taken.get(port);
    if (port !== 0 && other !== undefined)
      return refuse(command, `${flag}: port ${port} is already ${other}'s`);
    taken.set(port, flag);
    ports[service] = port;
  }
  let policy: unknown;
  const policyFile = values.policy === undefined ? undefined : text('policy');
  if (policyFile !== undefined) {
    const read = readPolicyFile(policyFile);
    if (!read.ok) {
      const [only] = read.issues;
      if (read.issues.length === 1 && only)
        return refuse(
          command,
          `--policy${only.path === policyFile ? '' : ` ${policyFile}`}: ${formatIssue(only)}`,
        );
      refuse(command, `--policy ${policyFile}: ${read.issues.length} errors`);
      for (const issue of read.issues) console.error(`  ${formatIssue(issue)}`);
      return;
    }
    policy = read.policy;
  }

  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      preset: text('preset'),
      switchValue: text('switch'),
      ...(policy === undefined ? {} : { policy }),
      ports,
      realTimeSpeed: speed,
      deliverAuditNotifications: true,
      verbose: values.verbose === true,
    });
  } catch (error) {
    if (error instanceof LocalStackPortError) {
      const flag = `--${error.service}-port`;
      return refuse(
        command,
        error.code === 'EADDRINUSE'
          ? `port ${error.port} is in use; choose another with ${flag}`
          : `port ${error.port} cannot be used (${error.code}); choose one above 1023 with ${flag}`,
      );
    }
    throw error;
  }

  for (const line of banner(stack, speed, text('preset'), policyFile)) console.log(line);
  const stopWatching = watch(stack);
  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (closing) return;
      closing = true;
      stopWatching();
      console.log('Stopping the local stack.');
      // Anything a function left open must not keep the process alive once the servers are closed.
      setTimeout(() => process.exit(0), CLOSE_GRACE_MS).unref();
      stack.close().then(
        () => {
          console.log('Stopped.');
          process.exitCode = 0;
        },
        (error: unknown) => {
          console.error(`npm run local-stack: closing failed: ${String(error)}`);
          process.exitCode = 1;
        },
      );
    });
  }
}

/** What the stack holds and how to use it, said once it listens. */
function banner(stack: LocalStack, speed: number, preset: string, policyFile: string | undefined): string[] {
  const { endpoints, deployed, stateMachineArn } = stack;
  const busId = deployed.resourceIds('AWS::Events::EventBus')[0];
  const bus = busId === undefined ? 'default' : deployed.physicalName(busId);
  const switchValue = stack.parameters.get(stack.switchParameterName)?.value ?? '(missing)';
  const actions = stack.emulator.service.listMitigationActions({ maxResults: 250 }).actionIdentifiers ?? [];
  const region = deployed.target.region;
  const cli = (service: LocalStackService) => `--endpoint-url ${endpoints[service]}`;
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:dry-<taskId>`;
  return [
    `Local stack ${deployed.target.stackName} (template.yaml) on 127.0.0.1, ${speed === 1 ? 'real time' : `${speed}x real time`}, until Ctrl-C`,
    ...ENDPOINTS.map(([service, , title]) => `  ${title.padEnd(40)}${endpoints[service]}`),
    `  state machine   ${stateMachineArn}`,
    `  event bus       ${bus}`,
    `  switch          ${stack.switchParameterName} = ${switchValue}`,
    `  policy          ${policyFile ?? 'the bundled default policy'}`,
    `  account         ${deployed.target.accountId} in ${region}; preset ${preset}: ${actions.length} mitigation actions`,
    `  operator        AWS_ACCESS_KEY_ID=${OPERATOR_ACCESS_KEY_ID} (a session of ${OPERATOR_ROLE_ARN}); any other key id is not an operator`,
    'Try (the secret key is not checked):',
    `  export AWS_ACCESS_KEY_ID=${OPERATOR_ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY=local AWS_REGION=${region} AWS_DEFAULT_REGION=${region}`,
    `  aws iot start-on-demand-audit-task ${cli('iot')} --target-check-names DEVICE_CERTIFICATE_SHARED_CHECK`,
    `  aws stepfunctions list-executions ${cli('sfn')} --state-machine-arn ${stateMachineArn}`,
    `  aws stepfunctions get-execution-history ${cli('sfn')} --execution-arn ${executionArn}`,
    `  AWS_ENDPOINT_URL_EVENTBRIDGE=${endpoints.events} AWS_ENDPOINT_URL_STS=${endpoints.sts} npm run rerun -- --audit-task-id <taskId>`,
    `  aws events put-events ${cli('events')} --entries '[{"EventBusName":"${bus}","Source":"custom.devicedefender","DetailType":"Audit Remediation Requested","Detail":"{\\"auditTaskId\\":\\"<taskId>\\",\\"rerun\\":2}"}]'`,
    'Listening until Ctrl-C.',
  ];
}

/** Says what happens: audits announced and delivered, executions started and ended (virtual times). */
function watch(stack: LocalStack): () => void {
  const at = (ms = stack.clock.now()) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const unsubscribe = stack.emulator.service.onAuditNotification((n) => {
    console.log(
      `${at()} audit ${n.taskId} ${n.taskStatus}: ${n.nonCompliantChecksCount} of ${n.totalChecksCount} checks non-compliant; notification sent to the stack's topic`,
    );
  });
  const seen = new Set<string>();
  const timer = setInterval(() => {
    for (const execution of stack.runner.executions) {
      if (seen.has(execution.executionArn)) continue;
      seen.add(execution.executionArn);
      console.log(`${at(execution.startDate.getTime())} execution ${execution.name} started`);
      void execution.result.then((outcome) => {
        const why = outcome.error === undefined ? '' : ` (${outcome.error}: ${outcome.cause ?? ''})`;
        console.log(
          `${at(execution.stopDate?.getTime())} execution ${execution.name} ${outcome.status}${why}`,
        );
      });
    }
  }, WATCH_INTERVAL_MS);
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}

main().catch((error: unknown) => {
  console.error(
    `npm run local-stack: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
  );
  process.exitCode = 1;
});
