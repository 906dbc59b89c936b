import { TaskFailure } from './errors.ts';

/**
 * Serves `aws-sdk:ssm:getParameter` from an in-process map that tests may change while executions run
 * (e.g. turning the runtime switch to `paused`). The result is PascalCase, as the SDK integration returns it.
 */
export function getSsmParameter(parameters: ReadonlyMap<string, string>, input: unknown) {
  const { Name } = (input ?? {}) as { Name?: unknown };
  const value = typeof Name === 'string' ? parameters.get(Name) : undefined;
  if (typeof Name !== 'string' || value === undefined) {
    throw new TaskFailure(
      'Ssm.ParameterNotFoundException',
      `Parameter ${String(Name)} not found. (Service: Ssm, Status Code: 400)`,
    );
  }
  return {
    Parameter: {
      Name,
      Type: 'String',
      Value: value,
      Version: 1,
      ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${Name.startsWith('/') ? '' : '/'}${Name}`,
      DataType: 'text',
    },
  };
}
