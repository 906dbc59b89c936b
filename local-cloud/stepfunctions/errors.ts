/** A task failure as Step Functions names it: `name` is what Retry and Catch match, `message` the cause. */
export class TaskFailure extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/**
 * States.Runtime: a fault in the definition or its data, e.g. an unsupported parameter. As in Step
 * Functions, neither Retry nor Catch sees it (aws-local-stepfunctions reads these two flags).
 */
export class RuntimeFailure extends Error {
  override readonly name = 'States.Runtime';
  readonly isRetryable = false;
  readonly isCatchable = false;
}

/** An error of the Step Functions API itself, answered by the local endpoint as `__type`. */
export class SfnApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}
