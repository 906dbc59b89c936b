/**
 * Local Step Functions: the project's ASL in aws-local-stepfunctions, on the virtual clock it shares
 * with the Device Defender emulator, and an awsJson1.0 endpoint for the real SFN client.
 *
 *   const runner = new LocalStepFunctions({ clock, iotEndpoint: emulator.endpoint, lambdas, ssmParameters,
 *     definitionSubstitutions: { Partition: 'aws', ReportFunctionArn: '...' } });
 *   const execution = runner.startExecution({ definition: 'statemachine/remediation.asl.json', name, input });
 *   const { status, output, error, cause } = await execution.result;   // execution.history: counts
 *   const { endpoint, close } = await startLocalSfnEndpoint({ runner, stateMachines: { [arn]: aslPath } });
 */
export { type LocalSfnEndpoint, type LocalSfnEndpointOptions, startLocalSfnEndpoint } from './endpoint.ts';
export type { ExecutionOutcome, ExecutionStatus, LocalExecution } from './execution.ts';
export type { HistoryCounts } from './history.ts';
export type { LambdaHandler, LambdaHandlers } from './lambda-task.ts';
export {
  type DefinitionSource,
  LocalStepFunctions,
  type LocalStepFunctionsOptions,
  type StartExecutionRequest,
} from './runner.ts';
export type { SnsMessage } from './sns-task.ts';
export type { SsmParameterSource, StoredParameter } from './ssm-task.ts';
export { type ExecutionStatusChangeEvent, executionStatusChangeEvent } from './status-change.ts';
