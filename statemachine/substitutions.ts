/**
 * The DefinitionSubstitutions remediation.asl.json needs. The template supplies them in AWS, and in the
 * local stack too (local-cloud/stack.ts resolves them from template.yaml); the state machine's own tests use
 * `localSubstitutions`. Numbers are given as strings, as CloudFormation passes them.
 */
export interface RemediationSubstitutions {
  /** `aws`, `aws-cn`, `aws-us-gov`: the partition of every `arn:${Partition}:states:::...` resource. */
  readonly Partition: string;
  /** The report-remediation function (ARN or name), invoked with `lambda:invoke`. */
  readonly ReportFunctionArn: string;
  /** The "remediation reports" SNS topic every outcome is published to. */
  readonly ReportsTopicArn: string;
  /** The runtime switch, an SSM String parameter: dry-run | enforce | paused. */
  readonly SwitchParameterName: string;
  /** How long a started task may run before it is canceled (DeadlineExceeded); at least 900. */
  readonly DeadlineSeconds: string;
  /** How long to keep retrying a start refused for capacity (LimitExceeded) before StartRejected. */
  readonly CapacityWaitSeconds: string;
  /**
   * The stack's own mitigation actions, by name, joined by commas (action names are `[a-zA-Z0-9_-]+`):
   * a plan naming any other action is refused (PlanRefused). A list, not a prefix: anyone who may create
   * mitigation actions can create `<stack>-Evil`.
   */
  readonly MitigationActionNames: string;
  /**
   * Where the state machine marks the audits it starts to verify a remediation (`/<stack>/verification-audits`,
   * beside the switch: functions/domain/verification.ts), so that the planner and the sweep never
   * remediate them.
   */
  readonly VerificationMarkerPath: string;
  /**
   * How long an execution waits for an operator to approve the checks a cap held back
   * (functions/domain/approval.ts) before it reports the wait as timed out; 60 to 604800.
   */
  readonly ApprovalTimeoutSeconds: string;
  /**
   * Where a waiting execution keeps its task token, as the SecureString `<path>/<execution name>`
   * (`/<stack>/approvals`): the approve function reads it, the person approving never sees it.
   */
  readonly ApprovalParameterPath: string;
  /** The stack's event bus: the report of a waiting execution names it in the commands that approve. */
  readonly EventBusName: string;
}

export const DEFAULT_DEADLINE_SECONDS = 86_400;
export const DEFAULT_CAPACITY_WAIT_SECONDS = 3_600;
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 86_400;

export const REMEDIATION_ASL = new URL('./remediation.asl.json', import.meta.url);

/** The local stand-ins for the template's four mitigation actions (stack name `remediation`). */
export const LOCAL_MITIGATION_ACTION_NAMES = [
  'remediation-PublishFinding',
  'remediation-QuarantineDevice',
  'remediation-DeactivateDeviceCertificate',
  'remediation-DeactivateCaCertificate',
] as const;

export const localSubstitutions: RemediationSubstitutions = {
  Partition: 'aws',
  ReportFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:report-remediation',
  ReportsTopicArn: 'arn:aws:sns:us-east-1:123456789012:remediation-reports',
  SwitchParameterName: '/device-defender-remediation/mode',
  DeadlineSeconds: String(DEFAULT_DEADLINE_SECONDS),
  CapacityWaitSeconds: String(DEFAULT_CAPACITY_WAIT_SECONDS),
  MitigationActionNames: LOCAL_MITIGATION_ACTION_NAMES.join(','),
  VerificationMarkerPath: '/device-defender-remediation/verification-audits',
  ApprovalTimeoutSeconds: String(DEFAULT_APPROVAL_TIMEOUT_SECONDS),
  ApprovalParameterPath: '/device-defender-remediation/approvals',
  EventBusName: 'device-defender-remediation',
};
