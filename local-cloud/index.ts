/**
 * The local cloud's public entry: the only module the rest of the repository imports (README.md in
 * this folder describes each part, how to use it and its limits). Everything else under local-cloud/
 * is internal, and nothing here imports the product: the stack is read from template.yaml at run time.
 *
 *   const stack = await startLocalStack({ preset: 'demo', switchValue: 'enforce' });
 *   const trace = await stack.publishAuditNotification(notification);   // SNS -> SQS -> Pipe -> rule -> λ
 *   await stack.close();
 */

// One virtual clock for everything: the emulator, the Step Functions engine, the wiring's retries.
export {
  type Clock,
  type ClockListener,
  ScaledClock,
  VirtualClock,
  type VirtualClockOptions,
} from './clock.ts';
// The strict command-line parser of the emulator's command, shared with the product's local commands.
export { type Command, HELP_OPTION, parseCommandLine, refuse } from './emulator/args.ts';
// The Device Defender emulator: the audit API over HTTP for the real SDK and the AWS CLI.
export {
  AuditConfiguration,
  type AuditConfigurationOptions,
  type ScheduledAudit,
} from './emulator/audits/audit-configuration.ts';
export { ServiceError } from './emulator/errors.ts';
// What the emulator knows of Device Defender's checks, transcribed from AWS's pages and the IoT model.
export {
  AUDIT_CHECK_NAMES,
  AUDIT_CHECKS,
  type AuditCheckFacts,
  auditCheck,
  type FindingSeverity,
  MITIGATION_ACTION_TYPES,
  type MitigationActionType,
} from './emulator/facts/audit-checks.ts';
export {
  type ActionExecutor,
  type ActionFailureInjection,
  type ActionOutcome,
  type ActionRun,
  type AuditFixture,
  type AuditNotification,
  type AuditNotificationListener,
  type AuditProgress,
  type CheckFindings,
  type CheckFixture,
  type DeclaredFailure,
  DeviceDefenderService,
  deviceCertificateFinding,
  type Emulator,
  type EmulatorOptions,
  type FindingFixture,
  type FleetSummary,
  type MitigationActionRecord,
  type NotificationTarget,
  presets,
  type StoredFinding,
  startEmulator,
  type TaskProgress,
  type ThrottlingInjection,
} from './emulator/index.ts';
/** The IoT Smithy model the emulator serves (a subset: the audit and mitigation operations). */
export { loadModel, MODEL_PATH as IOT_MODEL_URL, type SmithyModel } from './emulator/model.ts';
export { LARGE_AUDIT_ID, LARGE_FINDING_COUNT, largeAudit } from './emulator/presets/large-audit.ts';
// SSM Parameter Store: GetParameter over SSM's protocol, for the functions' real clients.
export { type LocalSsmEndpoint, ParameterStore, startLocalSsmEndpoint } from './parameter-store.ts';
// A virtual clock that follows real time, sped up (a stack people drive by hand).
export { driveWithRealTime, REAL_TIME_TICK_MS } from './real-time.ts';
// The template-driven local stack: everything above, wired as template.yaml says.
export {
  ACCOUNT_ID,
  AUDIT_NOTIFICATIONS_TOPIC,
  LOCAL_STACK_SERVICES,
  type LocalStack,
  type LocalStackOptions,
  LocalStackPortError,
  type LocalStackService,
  OPERATOR_ACCESS_KEY_ID,
  OPERATOR_ROLE_ARN,
  PARTITION,
  POLICY_PARAMETER,
  plannerResult,
  REAL_TIME_LEAD_MS,
  REGION,
  STACK_NAME,
  startLocalStack,
} from './stack.ts';
// Step Functions: the ASL in aws-local-stepfunctions, and an endpoint for the real SFN client.
export { substitute } from './stepfunctions/definition.ts';
export {
  type DefinitionSource,
  type ExecutionOutcome,
  type ExecutionStatus,
  type ExecutionStatusChangeEvent,
  executionStatusChangeEvent,
  type HistoryCounts,
  type LambdaHandler,
  type LambdaHandlers,
  type LocalExecution,
  type LocalSfnEndpoint,
  type LocalSfnEndpointOptions,
  LocalStepFunctions,
  type LocalStepFunctionsOptions,
  type SnsMessage,
  type StartExecutionRequest,
  startLocalSfnEndpoint,
} from './stepfunctions/index.ts';
// The template's wiring: SNS, SQS, Pipes, EventBridge buses, rules and schedules, Lambda functions.
export { matchesEventPattern } from './wiring/event-pattern.ts';
// PutEvents over EventBridge's protocol, and GetCallerIdentity over STS's, by callers named by their access key id.
export {
  type LocalEventsEndpoint,
  type LocalEventsEndpointOptions,
  startLocalEventsEndpoint,
} from './wiring/events-endpoint.ts';
// Resource-based policies as AWS evaluates them (the bus's, the topics', the keys').
export {
  type Caller,
  evaluatePolicy,
  type PolicyDecision,
  type PolicyRequest,
  type PolicyStatement,
  statementsOf,
} from './wiring/iam-policy.ts';
export {
  type BusEvent,
  type Invocation,
  LocalCloud,
  type LocalFunction,
  type PublishedMessage,
  type PublishTrace,
  type PutEventResult,
  type PutEventsEntry,
  type QueueDelivery,
  type SqsMessage,
} from './wiring/index.ts';
export { functionEnvironments, lambdaContext, mergedEnvironment } from './wiring/lambda.ts';
export {
  accessKeyIdOf,
  type CallerIdentity,
  type LocalOperator,
  LocalPrincipals,
  type LocalStsEndpoint,
  startLocalStsEndpoint,
} from './wiring/sts-endpoint.ts';
export {
  type CfnParameter,
  type CfnResource,
  type CfnTemplate,
  DeployedTemplate,
  type DeploymentTarget,
  type Json,
  parseTemplate,
  readTemplateText,
  TEMPLATE_URL,
} from './wiring/template.ts';
