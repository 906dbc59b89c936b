/**
 * The one place the functions' own configuration comes from. Every environment variable a function
 * reads is declared below, per function, with what a valid value looks like; `readConfig` reads and
 * checks them once, when the function's module loads (Lambda's init phase:
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-ib),
 * and throws a ConfigError naming every variable that is missing or malformed. A misconfigured
 * function therefore fails at start-up, before it has touched anything, with the variable's name in
 * the error.
 *
 * Nothing else under functions/ reads `process.env`. Powertools and the AWS SDK read their own
 * variables (POWERTOOLS_*, AWS_*) themselves; the two Powertools settings declared here are the ones
 * the functions give a default of their own.
 */
import { MAX_SWEEP_WINDOW_HOURS } from '#domain/sweep';

export interface ConfigProblem {
  readonly variable: string;
  /** What is wrong, to follow the variable's name: "is not set". */
  readonly problem: string;
}

/** A function's environment does not match its declaration; the message names each variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `environment variable ${p.variable} ${p.problem}`).join('; '));
    this.problems = problems;
  }

  /** The variables at fault, in declaration order. */
  get variables(): string[] {
    return this.problems.map((p) => p.variable);
  }
}

/** One environment variable: its name, whether it must be set, and how its text is read. */
export interface Variable<T> {
  readonly name: string;
  /** Must be set and not empty. Otherwise unset or empty reads as `fallback`. */
  readonly required: boolean;
  /** What a valid value is, for the error: "the ARN of the reports SNS topic (arn:...)". */
  readonly expected: string;
  readonly fallback?: T;
  /** The value, or undefined when the text is malformed. */
  readonly parse: (text: string) => T | undefined;
}

/** Required, or optional with the value an unset (or empty) variable reads as. */
type Presence<F> = { readonly required: true } | { readonly required: false; readonly fallback: F };

const REQUIRED = { required: true } as const;
const OPTIONAL = { required: false, fallback: undefined } as const;

function variable<T, F = never>(
  name: string,
  expected: string,
  parse: (text: string) => T | undefined,
  presence: Presence<F>,
): Variable<T | F> {
  return presence.required
    ? { name, expected, parse, required: true }
    : { name, expected, parse, required: false, fallback: presence.fallback };
}

const matching = (pattern: RegExp) => (text: string) => (pattern.test(text) ? text : undefined);

/**
 * An ARN of one service (and resource type), in any partition:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 */
function arn(name: string, service: string, resourceType: string | undefined, what: string) {
  const resource = resourceType === undefined ? '' : `${resourceType}:`;
  return variable(
    name,
    `the ARN of ${what} (arn:<partition>:${service}:<region>:<account>:${resource}<name>)`,
    matching(new RegExp(`^arn:aws(-[a-z]+)*:${service}:[a-z0-9-]+:\\d{12}:${resource}[A-Za-z0-9_.-]+$`)),
    REQUIRED,
  );
}

/**
 * The name of an SSM parameter of the stack's (a path: starting with '/'), as the template's
 * PolicyParameterName pattern admits it;
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html
 */
function parameterName<F = never>(name: string, presence: Presence<F>) {
  return variable(
    name,
    "an SSM parameter name starting with '/' (letters, digits, _ . - /; at most 1,001 characters)",
    matching(/^\/[a-zA-Z0-9_.\-/]{1,1000}$/),
    presence,
  );
}

/** A whole number in [min, max], written as CloudFormation passes a Number: digits only. */
function wholeNumber<F = never>(name: string, min: number, max: number, unit: string, presence: Presence<F>) {
  return variable(
    name,
    `a whole number of ${unit} from ${min} to ${max}`,
    (text) => {
      if (!/^\d{1,9}$/.test(text)) return undefined;
      const value = Number(text);
      return value >= min && value <= max ? value : undefined;
    },
    presence,
  );
}

// --- What each function declares --------------------------------------------------------------------

/**
 * The shared remediation path (plan-remediation, sweep-audits): where to start executions, the
 * runtime switch, the optional policy parameter (empty: the bundled policy) and the prefix of the
 * stack's mitigation action names (`<stack>-<action>`; unset: the policy's names as they are).
 */
const REMEDIATION = {
  stateMachineArn: arn('STATE_MACHINE_ARN', 'states', 'stateMachine', 'the remediation state machine'),
  switchParameterName: parameterName('SWITCH_PARAMETER_NAME', REQUIRED),
  policyParameterName: parameterName('POLICY_PARAMETER_NAME', OPTIONAL),
  // A mitigation action name is [a-zA-Z0-9_-], at most 128 characters
  // (https://docs.aws.amazon.com/iot/latest/apireference/API_CreateMitigationAction.html); the
  // policy's action names take up to 64 of them after the prefix and its '-'.
  actionNamePrefix: variable(
    'ACTION_NAME_PREFIX',
    'a mitigation action name prefix (letters, digits, _ and -; at most 63 characters)',
    matching(/^[a-zA-Z0-9_-]{1,63}$/),
    OPTIONAL,
  ),
} as const;

/** Every function's variables, by its folder under functions/ (template.yaml sets exactly these). */
export const FUNCTION_ENVIRONMENTS = {
  'plan-remediation': {
    ...REMEDIATION,
    // Where the planner reports an audit whose every check was held back by its cap (no execution
    // starts, so the state machine cannot).
    reportsTopicArn: arn('REPORTS_TOPIC_ARN', 'sns', undefined, 'the reports SNS topic'),
  },
  'sweep-audits': {
    ...REMEDIATION,
    // ListAuditTasks refuses a start more than 90 days back
    // (https://docs.aws.amazon.com/iot/latest/apireference/API_ListAuditTasks.html); 48: the template's default.
    sweepWindowHours: wholeNumber('SWEEP_WINDOW_HOURS', 1, MAX_SWEEP_WINDOW_HOURS, 'hours', {
      required: false,
      fallback: 48,
    }),
  },
  'cleanup-execution': {
    reportsTopicArn: arn('REPORTS_TOPIC_ARN', 'sns', undefined, 'the reports SNS topic'),
  },
  'report-remediation': {
    // A tuning knob the template leaves unset: unset, the report's own default applies (README, "The
    // remediation state machine", step 5).
    callBudgetPerCheck: wholeNumber('REPORT_CALL_BUDGET_PER_CHECK', 1, 1000, 'API calls', OPTIONAL),
  },
  'audit-configuration': {},
  'approve-held-back': {
    // The execution an approval names is this state machine's (DescribeExecution, by its ARN).
    stateMachineArn: REMEDIATION.stateMachineArn,
    // Where a waiting execution keeps its task token: <path>/<execution name> (docs/decisions/approval.md).
    approvalParameterPath: parameterName('APPROVAL_PARAMETER_PATH', REQUIRED),
  },
} as const;

/**
 * Powertools settings every function shares (template.yaml Globals), with the defaults the functions
 * use when they are unset (tests, local runs). Powertools itself reads the rest of POWERTOOLS_*.
 */
export const OBSERVABILITY_ENVIRONMENT = {
  serviceName: variable(
    'POWERTOOLS_SERVICE_NAME',
    'a service name of 1 to 255 characters',
    matching(/^.{1,255}$/),
    { required: false, fallback: 'device-defender-remediation' },
  ),
  // CloudWatch namespaces: 1-255 characters, not starting with ':'
  // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html).
  metricsNamespace: variable(
    'POWERTOOLS_METRICS_NAMESPACE',
    "a CloudWatch namespace (1 to 255 characters, not starting with ':')",
    matching(/^[^:].{0,254}$/),
    { required: false, fallback: 'DeviceDefenderRemediation' },
  ),
  // The stack's TracingMode (Active: 'true'). Unset reads as on, Powertools' own default; 'false'
  // keeps the Tracer and its X-Ray SDK from loading at all (functions/aws/observability.ts).
  tracingEnabled: variable(
    'POWERTOOLS_TRACE_ENABLED',
    "'true' or 'false'",
    (text) => (text === 'true' ? true : text === 'false' ? false : undefined),
    { required: false, fallback: true },
  ),
} as const;

// --- Reading ------------------------------------------------------------------------------------------

export type Declaration = Readonly<Record<string, Variable<unknown>>>;
export type Config<D extends Declaration> = {
  readonly [K in keyof D]: D[K] extends Variable<infer T> ? T : never;
};

/** The variables of a declaration, in order. */
export function declaredVariables(declaration: Declaration): Variable<unknown>[] {
  return Object.values(declaration);
}

/**
 * Reads every variable of the declaration from the environment (by default the process's), once:
 * a value, or a ConfigError naming each variable that is missing or malformed.
 */
export function readConfig<D extends Declaration>(
  declaration: D,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): Config<D> {
  const config: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [key, spec] of Object.entries(declaration)) {
    const text = environment[spec.name];
    if (text === undefined || text === '') {
      if (spec.required) problems.push({ variable: spec.name, problem: 'is not set' });
      else config[key] = spec.fallback;
      continue;
    }
    const value = spec.parse(text);
    if (value === undefined)
      problems.push({
        variable: spec.name,
        problem: `is ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)}, not ${spec.expected}`,
      });
    else config[key] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config) as Config<D>;
}
