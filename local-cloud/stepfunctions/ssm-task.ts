import { TaskFailure } from './errors.ts';

/** A parameter as Parameter Store keeps it: its value and its Version, which every change increments. */
export interface StoredParameter {
  readonly value: string;
  readonly version: number;
}

/**
 * What `aws-sdk:ssm:getParameter` reads: a name -> value map (every parameter at Version 1), or a store
 * that keeps versions, such as ParameterStore. Tests may change either while executions run.
 */
export interface SsmParameterSource {
  get(name: string): string | StoredParameter | undefined;
  /** What `aws-sdk:ssm:putParameter` writes with (a Map, or ParameterStore, which counts versions). */
  set?(name: string, value: string): unknown;
  /** What `aws-sdk:ssm:deleteParameter` removes with (true when the parameter was there). */
  delete?(name: string): boolean;
}

/**
 * Serves `aws-sdk:ssm:getParameter` from an in-process source that tests may change while executions run
 * (e.g. turning the runtime switch to `paused`). The result is PascalCase, as the SDK integration returns it;
 * Version is the source's, as GetParameter's `Parameter.Version` is the parameter's
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_Parameter.html).
 */
export function getSsmParameter(parameters: SsmParameterSource, input: unknown) {
  const { Name } = (input ?? {}) as { Name?: unknown };
  const found = typeof Name === 'string' ? parameters.get(Name) : undefined;
  if (typeof Name !== 'string' || found === undefined) {
    throw new TaskFailure(
      'Ssm.ParameterNotFoundException',
      `Parameter ${String(Name)} not found. (Service: Ssm, Status Code: 400)`,
    );
  }
  const { value, version } = typeof found === 'string' ? { value: found, version: 1 } : found;
  return {
    Parameter: {
      Name,
      Type: 'String',
      Value: value,
      Version: version,
      ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${Name.startsWith('/') ? '' : '/'}${Name}`,
      DataType: 'text',
    },
  };
}

/**
 * Serves `aws-sdk:ssm:putParameter` (String and SecureString parameters: the local store keeps the value
 * as given, it encrypts nothing) into the same source: a new name needs no
 * Overwrite, an existing one needs `Overwrite: true`, else ParameterAlreadyExists, as PutParameter answers
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html). The result's
 * Version is the stored one.
 */
export function putSsmParameter(parameters: SsmParameterSource, input: unknown) {
  const { Name, Value, Type, Overwrite } = (input ?? {}) as Record<string, unknown>;
  if (
    typeof Name !== 'string' ||
    typeof Value !== 'string' ||
    (Type !== undefined && Type !== 'String' && Type !== 'SecureString')
  )
    throw new TaskFailure(
      'Ssm.ValidationException',
      'PutParameter needs a Name and a Value, of Type String or SecureString here. (Service: Ssm, Status Code: 400)',
    );
  if (parameters.set === undefined) throw new Error('the local SSM parameters cannot be written');
  if (parameters.get(Name) !== undefined && Overwrite !== true)
    throw new TaskFailure(
      'Ssm.ParameterAlreadyExistsException',
      `The parameter ${Name} already exists. (Service: Ssm, Status Code: 400)`,
    );
  parameters.set(Name, Value);
  const stored = parameters.get(Name);
  return { Version: typeof stored === 'object' ? stored.version : 1, Tier: 'Standard' };
}

/**
 * Serves `aws-sdk:ssm:deleteParameter`: an empty answer, or ParameterNotFound when there is no such
 * parameter (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DeleteParameter.html).
 */
export function deleteSsmParameter(parameters: SsmParameterSource, input: unknown) {
  const { Name } = (input ?? {}) as { Name?: unknown };
  if (parameters.delete === undefined) throw new Error('the local SSM parameters cannot be deleted');
  if (typeof Name !== 'string' || !parameters.delete(Name))
    throw new TaskFailure(
      'Ssm.ParameterNotFoundException',
      `Parameter ${String(Name)} not found. (Service: Ssm, Status Code: 400)`,
    );
  return {};
}
