/**
 * Least privilege, read from template.yaml offline: every AWS call of the functions' code and every
 * integration of the ASL is granted to the role that runs it, on the resource it touches; no role
 * holds an action nothing uses; no wildcard actions; '*' resources only where IAM offers no other.
 */
import { describe, expect, it } from 'vitest';
import {
  ACTION_PARAMS_TYPE,
  ACTION_TYPE_PERMISSIONS,
  entryPointOf,
  FUNCTION_TYPES,
  functionEnvironment,
  functionProperty,
  grantedActions,
  grants,
  type Json,
  mentions,
  referencesIn,
  resources,
  resourcesOfType,
  roleOf,
  roleStatements,
  sdkCalls,
  sourceClosure,
  stateMachineDefinition,
  taskPermission,
} from './support.ts';

/** Actions IAM defines without a resource type: '*' is their only possible resource. */
const NO_RESOURCE_TYPE = new Set([
  'iot:ListAuditTasks',
  'iot:DescribeAuditTask',
  'iot:StartOnDemandAuditTask',
  'iot:CancelAuditTask',
  'iot:DescribeAccountAuditConfiguration',
  'iot:UpdateAccountAuditConfiguration',
  'iot:StartAuditMitigationActionsTask',
  'iot:DescribeAuditMitigationActionsTask',
  'iot:CancelAuditMitigationActionsTask',
  'iot:ListAuditFindings',
  'iot:ListAuditMitigationActionsExecutions',
  'iot:ListAuditMitigationActionsTasks',
  'iot:CreateAuditSuppression',
  'iot:ListPrincipalThings',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  // Answering a callback task: the token names the task (docs/aws-facts/step-functions.md).
  'states:SendTaskSuccess',
  'states:SendTaskFailure',
]);

/** Step Functions' log delivery (on '*', as its guide documents), when logging is on. */
const STATE_MACHINE_LOG_DELIVERY = [...NO_RESOURCE_TYPE].filter((a) => a.startsWith('logs:'));
const KMS_FOR_SNS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/**
 * The environment variable that names the resource an SDK call touches, where the call has one:
 * the grant must be on the resource that variable refers to.
 */
const CALL_RESOURCE_FROM_ENV: Record<string, readonly string[]> = {
  'ssm:GetParameter': ['SWITCH_PARAMETER_NAME', 'POLICY_PARAMETER_NAME'],
  'states:StartExecution': ['STATE_MACHINE_ARN'],
  'sns:Publish': ['REPORTS_TOPIC_ARN'],
};

/**
 * Calls that hand IoT roles (iam:PassRole): a custom resource's provider passes the roles its custom
 * resources name in their properties, each of which must be granted.
 */
const CALLS_PASSING_ROLES = new Set(['iot:UpdateAccountAuditConfiguration']);

const AWS_MANAGED_POLICY_ALLOWED: Record<string, string> = {
  // Device Defender's audit role: the managed policy follows the checks as AWS adds them.
  AuditRole: 'service-role/AWSIoTDeviceDefenderAudit',
};

interface Need {
  readonly action: string;
  /** Logical ids the grant's Resource must mention (any of them), if the action has a resource. */
  readonly on?: readonly string[];
}

/** Is the SNS topic a resource mentions encrypted with a key of this template? */
function topicsNeedingKms(needs: readonly Need[]): boolean {
  return needs.some(
    (n) =>
      n.action === 'sns:Publish' &&
      (n.on ?? []).some(
        (id) => resources[id]?.Type === 'AWS::SNS::Topic' && resources[id]?.Properties?.KmsMasterKeyId,
      ),
  );
}

function functionNeeds(functionId: string): Need[] {
  const env = functionEnvironment(functionId);
  const needs: Need[] = sdkCalls(sourceClosure(entryPointOf(functionId))).map(({ action }) => {
    const names = CALL_RESOURCE_FROM_ENV[action];
    if (!names) return { action };
    const on = names.flatMap((name) => [...mentions(env[name])]).filter((id) => id !== 'AWS::NoValue');
    return { action, on };
  });
  const logGroup = (functionProperty(functionId, 'LoggingConfig') as { LogGroup: Json }).LogGroup;
  needs.push(
    { action: 'logs:CreateLogStream', on: [...mentions(logGroup)] },
    { action: 'logs:PutLogEvents', on: [...mentions(logGroup)] },
  );
  // Tracing follows the TracingMode parameter: a stack deployed with Active sends trace segments.
  const tracing = functionProperty(functionId, 'Tracing');
  if (tracing === 'Active' || JSON.stringify(tracing) === JSON.stringify({ Ref: 'TracingMode' }))
    needs.push({ action: 'xray:PutTraceSegments' }, { action: 'xray:PutTelemetryRecords' });
  const onFailure = (
    functionProperty(functionId, 'EventInvokeConfig') as
      | { DestinationConfig?: { OnFailure?: { Type: string; Destination: Json } } }
      | undefined
  )?.DestinationConfig?.OnFailure;
  if (onFailure?.Type === 'SQS')
    needs.push({ action: 'sqs:SendMessage', on: [...mentions(onFailure.Destination)] });
  if (needs.some((n) => CALLS_PASSING_ROLES.has(n.action)))
    for (const [, r] of resourcesOfType('AWS::CloudFormation::CustomResource'))
      if (mentions(r.Properties?.ServiceToken).has(functionId))
        for (const id of mentions(r.Properties))
          if (resources[id]?.Type === 'AWS::IAM::Role') needs.push({ action: 'iam:PassRole', on: [id] });
  return needs;
}

function stateMachineNeeds(machineId: string): Need[] {
  const properties = resources[machineId]!.Properties!;
  const substitutions = (properties.DefinitionSubstitutions ?? {}) as Record<string, Json>;
  const needs: Need[] = stateMachineDefinition(machineId).tasks.map((task) => {
    const { action, placeholders } = taskPermission(task);
    const on = [...placeholders].flatMap((p) => [...mentions(substitutions[p])]);
    return on.length > 0 ? { action, on } : { action };
  });
  if ((properties.Logging as { Level?: string } | undefined)?.Level !== 'OFF')
    needs.push(...STATE_MACHINE_LOG_DELIVERY.map((action) => ({ action })));
  if ((properties.Tracing as { Enabled?: boolean } | undefined)?.Enabled)
    needs.push(
      ...[
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
      ].map((action) => ({ action })),
    );
  return needs;
}

/** Each role, who uses it, and what that use needs. */
function roleUses(): Map<string, { user: string; needs: Need[] }[]> {
  const uses = new Map<string, { user: string; needs: Need[] }[]>();
  const add = (role: string | undefined, user: string, needs: Need[]) => {
    if (!role) throw new Error(`${user} runs with no role of the template`);
    uses.set(role, [...(uses.get(role) ?? []), { user, needs }]);
  };
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    if (FUNCTION_TYPES.has(r.Type)) add(roleOf(p.Role), id, functionNeeds(id));
    else if (r.Type === 'AWS::Serverless::StateMachine') add(roleOf(p.Role), id, stateMachineNeeds(id));
    else if (r.Type === 'AWS::Pipes::Pipe') {
      const target = [...mentions(p.Target)];
      add(roleOf(p.RoleArn), id, [
        ...['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].map((action) => ({
          action,
          on: [...mentions(p.Source)],
        })),
        ...(target.some((t) => resources[t]?.Type === 'AWS::Events::EventBus')
          ? [{ action: 'events:PutEvents', on: target }]
          : []),
      ]);
    } else if (r.Type === 'AWS::Scheduler::Schedule') {
      const t = p.Target as { Arn: Json; RoleArn: Json; DeadLetterConfig?: { Arn: Json } };
      const needs: Need[] = [{ action: 'lambda:InvokeFunction', on: [...mentions(t.Arn)] }];
      if (t.DeadLetterConfig)
        needs.push({ action: 'sqs:SendMessage', on: [...mentions(t.DeadLetterConfig.Arn)] });
      add(roleOf(t.RoleArn), id, needs);
    } else if (r.Type === 'AWS::IoT::MitigationAction') {
      const params = p.ActionParams as Record<string, Record<string, Json>>;
      const [member] = Object.keys(params);
      const type = ACTION_PARAMS_TYPE[member!]!;
      const needs: Need[] = ACTION_TYPE_PERMISSIONS[type]!.map((action) => ({ action }));
      if (type === 'PUBLISH_FINDING_TO_SNS')
        needs.splice(0, 1, { action: 'sns:Publish', on: [...mentions(params[member!]!.TopicArn)] });
      if (type === 'ADD_THINGS_TO_THING_GROUP')
        needs.splice(1, 1, {
          action: 'iot:AddThingToThingGroup',
          on: [...mentions(params[member!]!.ThingGroupNames)],
        });
      add(roleOf(p.RoleArn), id, needs);
    } else if (r.Type === 'AWS::CloudFormation::CustomResource' && 'AuditRoleArn' in p) {
      // The account's audit configuration (functions/audit-configuration): IoT publishes the audit
      // notifications with one role and runs the audits with the other.
      add(roleOf(p.NotificationRoleArn), `${id} notifications`, [
        { action: 'sns:Publish', on: [...mentions(p.NotificationTopicArn)] },
      ]);
      add(roleOf(p.AuditRoleArn), `${id} audits`, []);
    }
  }
  for (const [, list] of uses)
    for (const use of list)
      if (topicsNeedingKms(use.needs)) use.needs.push(...KMS_FOR_SNS.map((action) => ({ action })));
  return uses;
}

const uses = roleUses();
const roles = resourcesOfType('AWS::IAM::Role').map(([id]) => id);

describe('IAM: explicit roles with inline statements', () => {
  it('has no policy resources, SAM policy templates or implicit roles', () => {
    const types = new Set(Object.values(resources).map((r) => r.Type));
    for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::User', 'AWS::IAM::Group'])
      expect(types.has(type), type).toBe(false);
    for (const [id, r] of Object.entries(resources)) {
      expect(r.Properties?.Policies === undefined || r.Type === 'AWS::IAM::Role', `${id}: Policies`).toBe(
        true,
      );
      if (r.Type === 'AWS::Events::Rule')
        for (const target of (r.Properties?.Targets ?? []) as { RoleArn?: Json }[])
          expect(target.RoleArn, `${id}: a Lambda target needs no role`).toBeUndefined();
    }
  });

  it('uses every role for exactly one purpose', () => {
    expect([...uses.keys()].sort()).toEqual([...roles].sort());
    for (const [role, list] of uses)
      expect(
        list.map((u) => u.user),
        role,
      ).toHaveLength(1);
  });

  it('attaches AWS-managed policies only where allowlisted', () => {
    for (const id of roles) {
      const managed = (resources[id]!.Properties?.ManagedPolicyArns ?? []) as Json[];
      const allowed = AWS_MANAGED_POLICY_ALLOWED[id];
      if (!allowed) expect(managed, id).toEqual([]);
      else expect(JSON.stringify(managed), id).toContain(`:iam::aws:policy/${allowed}`);
    }
  });

  it('grants no wildcard action and no NotAction', () => {
    for (const id of roles)
      for (const s of roleStatements(id)) {
        expect(s.Effect, id).toBe('Allow');
        expect('NotAction' in s || 'NotResource' in s, id).toBe(false);
        for (const action of s.Action) expect(action, id).not.toContain('*');
      }
  });

  it("grants on '*' only actions that have no resource type", () => {
    for (const id of roles)
      for (const s of roleStatements(id))
        if (s.Resource.includes('*'))
          for (const action of s.Action)
            expect(NO_RESOURCE_TYPE.has(action), `${id}: ${action} on *`).toBe(true);
  });
});

describe.each([...uses.entries()].map(([role, [use]]) => [role, use!.user, use!.needs] as const))(
  'role %s (used by %s)',
  (role, _user, needs) => {
    it('grants every call its user makes, on the resource it touches', () => {
      const missing = needs
        .filter((need) =>
          need.on && need.on.length > 0
            ? need.on.every((target) => grants(role, need.action, target).length === 0)
            : grants(role, need.action).length === 0,
        )
        .map((need) => `${need.action}${need.on ? ` on ${need.on.join(' | ')}` : ''}`);
      expect(missing).toEqual([]);
    });

    it('holds no action its user does not need', () => {
      const needed = new Set(needs.map((n) => n.action));
      expect([...grantedActions(role)].filter((a) => !needed.has(a))).toEqual([]);
    });
  },
);

describe('the code and the template agree on calls', () => {
  it('finds the AWS calls of each function in its source closure', () => {
    // Guards the scanner itself: the calls each handler is known to make are all found.
    const calls = (id: string) => new Set(sdkCalls(sourceClosure(entryPointOf(id))).map((c) => c.action));
    const byEntry = Object.fromEntries(
      resourcesOfType('AWS::Serverless::Function').map(([id]) => [entryPointOf(id).split('/')[1], calls(id)]),
    );
    // The planner reads the audit and the policy's actions, and reports an audit held back entirely;
    // its loop guard reads the stack's earlier tasks and findings and creates suppressions.
    expect([...(byEntry['plan-remediation'] ?? [])].sort()).toEqual([
      'iot:CreateAuditSuppression',
      'iot:DescribeAuditMitigationActionsTask',
      'iot:DescribeAuditTask',
      'iot:DescribeMitigationAction',
      'iot:ListAuditFindings',
      'iot:ListAuditMitigationActionsTasks',
      'sns:Publish',
      'ssm:GetParameter',
      'states:StartExecution',
    ]);
    // The sweep also counts earlier re-runs (DescribeExecution), and does not publish.
    expect([...(byEntry['sweep-audits'] ?? [])].sort()).toEqual([
      'iot:DescribeAuditTask',
      'iot:DescribeMitigationAction',
      'iot:ListAuditTasks',
      'ssm:GetParameter',
      'states:DescribeExecution',
      'states:StartExecution',
    ]);
    expect([...(byEntry['cleanup-execution'] ?? [])].sort()).toEqual([
      'iot:CancelAuditMitigationActionsTask',
      'iot:DescribeAuditMitigationActionsTask',
      'sns:Publish',
    ]);
    // The approve function answers a waiting execution with the token only it reads.
    expect([...(byEntry['approve-held-back'] ?? [])].sort()).toEqual([
      'ssm:GetParameter',
      'states:DescribeExecution',
      'states:SendTaskFailure',
      'states:SendTaskSuccess',
    ]);
    expect([...(byEntry['audit-configuration'] ?? [])].sort()).toEqual([
      'iot:CreateScheduledAudit',
      'iot:DescribeAccountAuditConfiguration',
      'iot:DescribeScheduledAudit',
      'iot:UpdateAccountAuditConfiguration',
      'iot:UpdateScheduledAudit',
    ]);
  });

  it('finds every Task of the ASL and maps it to an IAM action', () => {
    for (const [id] of resourcesOfType('AWS::Serverless::StateMachine')) {
      const actions = new Set(stateMachineDefinition(id).tasks.map((t) => taskPermission(t).action));
      expect(actions.size).toBeGreaterThan(0);
      for (const action of actions) expect(action).toMatch(/^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$/);
    }
  });

  it('every EventBridge rule that invokes a function has a permission scoped to that rule', () => {
    for (const [ruleId, rule] of resourcesOfType('AWS::Events::Rule'))
      for (const target of rule.Properties!.Targets as { Arn: Json }[]) {
        const [fn] = referencesIn(target.Arn);
        if (!FUNCTION_TYPES.has(resources[fn!.name]?.Type ?? '')) continue;
        const permission = resourcesOfType('AWS::Lambda::Permission').find(
          ([, p]) =>
            mentions(p.Properties?.FunctionName).has(fn!.name) &&
            mentions(p.Properties?.SourceArn).has(ruleId),
        );
        expect(permission, `${ruleId} -> ${fn!.name}`).toBeDefined();
        expect(permission![1].Properties).toMatchObject({
          Action: 'lambda:InvokeFunction',
          Principal: 'events.amazonaws.com',
          SourceAccount: { Ref: 'AWS::AccountId' },
        });
      }
  });
});
