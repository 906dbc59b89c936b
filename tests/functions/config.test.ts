// The functions' configuration: each function reads its declared environment once, when its module
// loads, and a missing or malformed variable fails that load with a ConfigError naming the variable.

import {
  DeployedTemplate,
  functionEnvironments,
  parseTemplate,
  readTemplateText,
} from '@device-defender-remediation/local-cloud';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  declaredVariables,
  FUNCTION_ENVIRONMENTS,
  OBSERVABILITY_ENVIRONMENT,
  readConfig,
} from '#aws/config';
import { coldStart, STATE_MACHINE_ARN, SWITCH_PARAMETER } from './support.ts';

const FUNCTIONS = Object.keys(FUNCTION_ENVIRONMENTS) as (keyof typeof FUNCTION_ENVIRONMENTS)[];

/** The ConfigError a load fails with. */
async function loadError(load: Promise<unknown>): Promise<ConfigError> {
  const error = await load.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('a function at start-up', () => {
  it.each(FUNCTIONS.map((name) => [name]))('%s loads with the stack environment', async (name) => {
    await expect(coldStart(name)).resolves.toHaveProperty('handler');
  });

  it.each([
    ['plan-remediation', 'STATE_MACHINE_ARN'],
    ['plan-remediation', 'SWITCH_PARAMETER_NAME'],
    ['sweep-audits', 'STATE_MACHINE_ARN'],
    ['sweep-audits', 'SWITCH_PARAMETER_NAME'],
    ['cleanup-execution', 'REPORTS_TOPIC_ARN'],
  ] as const)('%s fails without %s, naming it', async (name, variable) => {
    for (const missing of [undefined, '']) {
      const error = await loadError(coldStart(name, { [variable]: missing }));
      expect(error.name).toBe('ConfigError');
      expect(error.variables).toEqual([variable]);
      expect(error.message).toBe(`environment variable ${variable} is not set`);
    }
  });

  it.each([
    ['plan-remediation', 'STATE_MACHINE_ARN', 'remediation', /the ARN of the remediation state machine/],
    [
      'plan-remediation',
      'STATE_MACHINE_ARN',
      'arn:aws:states:us-east-1:123456789012:execution:remediation:x',
      /arn:<partition>:states:<region>:<account>:stateMachine:<name>/,
    ],
    ['plan-remediation', 'SWITCH_PARAMETER_NAME', 'ddr/switch', /starting with '\/'/],
    ['plan-remediation', 'POLICY_PARAMETER_NAME', 'policy', /starting with '\/'/],
    ['plan-remediation', 'ACTION_NAME_PREFIX', 'my stack', /mitigation action name prefix/],
    ['sweep-audits', 'SWEEP_WINDOW_HOURS', '0', /from 1 to 2136/],
    ['sweep-audits', 'SWEEP_WINDOW_HOURS', '2137', /from 1 to 2136/],
    ['sweep-audits', 'SWEEP_WINDOW_HOURS', '48.5', /a whole number of hours/],
    ['sweep-audits', 'SWEEP_WINDOW_HOURS', '6 hours', /a whole number of hours/],
    ['cleanup-execution', 'REPORTS_TOPIC_ARN', 'arn:aws:sqs:us-east-1:123456789012:reports', /SNS topic/],
    ['report-remediation', 'REPORT_CALL_BUDGET_PER_CHECK', '0', /API calls from 1 to 1000/],
    ['report-remediation', 'REPORT_CALL_BUDGET_PER_CHECK', 'lots', /API calls from 1 to 1000/],
  ] as const)(
    '%s fails with %s=%j, naming it and what it should be',
    async (name, variable, value, expected) => {
      const error = await loadError(coldStart(name, { [variable]: value }));
      expect(error.variables).toEqual([variable]);
      expect(error.message).toMatch(
        new RegExp(`^environment variable ${variable} is ${JSON.stringify(value)}, not `),
      );
      expect(error.message).toMatch(expected);
    },
  );

  it('names every variable at fault at once', async () => {
    const error = await loadError(
      coldStart('sweep-audits', { STATE_MACHINE_ARN: undefined, SWEEP_WINDOW_HOURS: '-1' }),
    );
    expect(error.variables).toEqual(['STATE_MACHINE_ARN', 'SWEEP_WINDOW_HOURS']);
    expect(error.message).toMatch(
      /STATE_MACHINE_ARN is not set; environment variable SWEEP_WINDOW_HOURS is "-1"/,
    );
  });
});

describe('readConfig', () => {
  const remediation = FUNCTION_ENVIRONMENTS['sweep-audits'];
  const base = { STATE_MACHINE_ARN, SWITCH_PARAMETER_NAME: SWITCH_PARAMETER };

  it('reads each variable into its declared field; unset or empty optional ones take their default', () => {
    expect(readConfig(remediation, base)).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      switchParameterName: SWITCH_PARAMETER,
      policyParameterName: undefined,
      actionNamePrefix: undefined,
      sweepWindowHours: 48,
    });
    const config = readConfig(remediation, {
      ...base,
      POLICY_PARAMETER_NAME: '',
      ACTION_NAME_PREFIX: 'device-defender-remediation',
      SWEEP_WINDOW_HOURS: '2136',
    });
    expect(config).toMatchObject({ policyParameterName: undefined, sweepWindowHours: 2136 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('accepts the ARNs of every partition', () => {
    for (const partition of ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso-b'])
      expect(
        readConfig(FUNCTION_ENVIRONMENTS['cleanup-execution'], {
          REPORTS_TOPIC_ARN: `arn:${partition}:sns:cn-north-1:123456789012:ddr-ReportsTopic-1AB2`,
        }).reportsTopicArn,
      ).toMatch(/^arn:/);
  });

  it('gives the Powertools settings their defaults and checks them', () => {
    expect(readConfig(OBSERVABILITY_ENVIRONMENT, {})).toEqual({
      serviceName: 'device-defender-remediation',
      metricsNamespace: 'DeviceDefenderRemediation',
      tracingEnabled: true,
    });
    expect(() => readConfig(OBSERVABILITY_ENVIRONMENT, { POWERTOOLS_METRICS_NAMESPACE: ':x' })).toThrow(
      /^environment variable POWERTOOLS_METRICS_NAMESPACE is ":x", not a CloudWatch namespace/,
    );
  });

  it('quotes at most 80 characters of a bad value', () => {
    expect(() =>
      readConfig(FUNCTION_ENVIRONMENTS['cleanup-execution'], { REPORTS_TOPIC_ARN: 'x'.repeat(500) }),
    ).toThrow(`is "${'x'.repeat(80)}...", not the ARN`);
  });
});

describe("the template's environments", () => {
  it.each([
    ['with the default parameters', {}],
    [
      'with a policy parameter and the longest sweep window',
      { PolicyParameterName: '/ddr/policy', SweepWindowHours: '2136' },
    ],
  ])('%s, satisfy every declaration', (_label, parameters: Record<string, string>) => {
    const deployed = new DeployedTemplate(parseTemplate(readTemplateText()), {
      stackName: 'device-defender-remediation',
      accountId: '123456789012',
      region: 'eu-west-1',
      partition: 'aws',
      parameters: { ManageAuditConfiguration: 'true', ...parameters },
    });
    const checked: string[] = [];
    for (const [id, environment] of functionEnvironments(deployed)) {
      const metadata = deployed.resource(id).Metadata as { BuildProperties: { EntryPoints: string[] } };
      const folder = /^functions\/([^/]+)\/index\.ts$/.exec(metadata.BuildProperties.EntryPoints[0]!)![1]!;
      const declaration = FUNCTION_ENVIRONMENTS[folder as keyof typeof FUNCTION_ENVIRONMENTS];
      expect(() => readConfig(declaration, environment), id).not.toThrow();
      expect(() => readConfig(OBSERVABILITY_ENVIRONMENT, environment), id).not.toThrow();
      for (const variable of declaredVariables(declaration))
        if (variable.required) expect(environment[variable.name], `${id} ${variable.name}`).toBeTruthy();
      checked.push(folder);
    }
    expect(checked.sort()).toEqual([...FUNCTIONS].sort());
  });
});
