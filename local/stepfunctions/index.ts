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
