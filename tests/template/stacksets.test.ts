/**
 * Issue #17 item 5: nothing in template.yaml stops a service-managed StackSet from deploying it to
 * every account and region of an organization (README "Deploy to an AWS Organization (StackSets)",
 * docs/aws-facts/stacksets.md). A stack instance's stack is named `StackSet-<stack set name>-<36
 * characters>`, so every explicit name must fit its limit with that name in it; names of global
 * resources would collide across regions; account or region literals would be wrong everywhere but
 * one place; a parameter without a safe default would enforce, or reach into accounts, by surprise;
 * and service-managed stack sets take no macro but the template's own SAM transform, processed first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isObject, type Json, ROOT, resources, template } from './support.ts';

/** The longest stack set name the README promises, and the stack name StackSets gives its stacks. */
const MAX_STACK_SET_NAME = 11;
const STACK_INSTANCE_NAME = `StackSet-${'s'.repeat(MAX_STACK_SET_NAME)}-${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`;

/** Each physical name the template may set, with its limit (the resource types' CloudFormation schemas). */
const NAME_LIMITS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  'AWS::Events::EventBus': { Name: 256 },
  'AWS::Events::EventBusPolicy': { StatementId: 64 },
  'AWS::Events::Rule': { Name: 64 },
  'AWS::Pipes::Pipe': { Name: 64 },
  'AWS::Scheduler::ScheduleGroup': { Name: 64 },
  'AWS::Scheduler::Schedule': { Name: 64 },
  'AWS::StepFunctions::StateMachine': { StateMachineName: 80 },
  'AWS::Serverless::StateMachine': { Name: 80 },
  'AWS::IoT::MitigationAction': { ActionName: 128 },
  'AWS::IoT::ThingGroup': { ThingGroupName: 128 },
  'AWS::KMS::Alias': { AliasName: 256 },
  'AWS::CloudWatch::Alarm': { AlarmName: 255 },
  'AWS::CloudWatch::Dashboard': { DashboardName: 255 },
  'AWS::Logs::LogGroup': { LogGroupName: 512 },
  'AWS::SSM::Parameter': { Name: 1011 },
  // The audit configuration's custom resource names the scheduled audit (IoT: 1 to 128 characters).
  'AWS::CloudFormation::CustomResource': { ScheduledAuditName: 128 },
};

/** Properties that name a resource which is not regional: the same name in two regions collides. */
const GLOBAL_NAMES: Readonly<Record<string, readonly string[]>> = {
  'AWS::IAM::Role': ['RoleName'],
  'AWS::IAM::ManagedPolicy': ['ManagedPolicyName'],
  'AWS::IAM::Policy': ['PolicyName'],
  'AWS::IAM::User': ['UserName'],
  'AWS::IAM::Group': ['GroupName'],
  'AWS::IAM::InstanceProfile': ['InstanceProfileName'],
  'AWS::S3::Bucket': ['BucketName'],
};

/** A name as CloudFormation would make it in a stack instance; undefined when it is not a plain name. */
function resolvedName(value: Json | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && value.Ref === 'AWS::StackName') return STACK_INSTANCE_NAME;
  if (isObject(value) && typeof value['Fn::Sub'] === 'string')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's ${} in a Sub, not JavaScript's
    return value['Fn::Sub'].replaceAll('${AWS::StackName}', STACK_INSTANCE_NAME);
  return undefined;
}

const dependsOnStackName = (value: Json | undefined) =>
  JSON.stringify(value ?? null).includes('AWS::StackName');

describe('a service-managed StackSet can deploy the template (docs/aws-facts/stacksets.md)', () => {
  it(`every explicit name fits its limit in a stack instance (stack set name up to ${MAX_STACK_SET_NAME} characters)`, () => {
    const checked: string[] = [];
    for (const [id, resource] of Object.entries(resources)) {
      const limits = NAME_LIMITS[resource.Type] ?? {};
      for (const [property, value] of Object.entries(resource.Properties ?? {})) {
        const limit = limits[property];
        if (limit === undefined) {
          // A name the table does not know, made from the stack name: give it its limit above.
          if (/(Name|StatementId)$/.test(property) && dependsOnStackName(value))
            throw new Error(
              `${id}.${property} is made from the stack name: add ${resource.Type} to NAME_LIMITS`,
            );
          continue;
        }
        const name = resolvedName(value);
        expect(name, `${id}.${property}`).toBeDefined();
        expect(name!.length, `${id}.${property} = ${name}`).toBeLessThanOrEqual(limit);
        checked.push(`${id}.${property}`);
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(20);
  });

  it('every explicit name is the stack’s own: made from the stack name, or a statement on the stack’s own bus', () => {
    for (const [id, resource] of Object.entries(resources)) {
      for (const property of Object.keys(NAME_LIMITS[resource.Type] ?? {})) {
        const value = resource.Properties?.[property];
        if (value === undefined) continue;
        if (resource.Type === 'AWS::Events::EventBusPolicy') {
          // Identified by bus and StatementId together, and the bus is named after the stack.
          expect(resource.Properties?.EventBusName, id).toEqual({ Ref: 'EventBus' });
          expect(resources.EventBus?.Properties?.Name).toEqual({ Ref: 'AWS::StackName' });
        } else expect(dependsOnStackName(value), `${id}.${property}`).toBe(true);
      }
    }
  });

  it('names no global resource: IAM roles and policies, buckets are named by CloudFormation, per stack', () => {
    for (const [id, resource] of Object.entries(resources))
      for (const property of GLOBAL_NAMES[resource.Type] ?? [])
        expect(resource.Properties?.[property], `${id}.${property}`).toBeUndefined();
    expect(Object.values(resources).some((r) => r.Type === 'AWS::IAM::Role')).toBe(true);
    // SAM functions and state machines get CloudFormation's names too (no FunctionName).
    for (const [id, resource] of Object.entries(resources))
      if (resource.Type === 'AWS::Serverless::Function')
        expect(resource.Properties?.FunctionName, id).toBeUndefined();
  });

  it('holds no account id, region or partition literal: pseudo parameters only', () => {
    const text = JSON.stringify(template);
    expect(text.match(/\b\d{12}\b/g) ?? []).toEqual([]);
    expect(
      text.match(
        /\b(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-(east|west|north|south|central|northeast|southeast|northwest|southwest)-\d\b/g,
      ) ?? [],
    ).toEqual([]);
    expect(text.match(/arn:aws(-cn|-us-gov)?:/g) ?? []).toEqual([]);
  });

  it('gives every parameter a default, and the defaults are safe: dry-run, nobody trusted, the account left alone', () => {
    for (const [name, parameter] of Object.entries(template.Parameters))
      expect(parameter.Default, `parameter ${name}`).toBeDefined();
    expect(template.Parameters).toMatchObject({
      SwitchDefault: { Default: 'dry-run' },
      PolicyParameterName: { Default: '' },
      OperatorPrincipalArns: { Default: '' },
      FindingsSubscriberPrincipalArns: { Default: '' },
      ReportEmail: { Default: '' },
      ManageAuditConfiguration: { Default: 'false' },
    });
  });

  it('needs no capability a service-managed StackSet cannot give: no macro but SAM’s (processed first), no nested stack, no named IAM', () => {
    const raw = readFileSync(join(ROOT, 'template.yaml'), 'utf8');
    expect(raw.match(/^Transform:.*$/m)?.[0]).toBe('Transform: AWS::Serverless-2016-10-31');
    const text = JSON.stringify(template);
    expect(text).not.toContain('Fn::Transform');
    expect(text).not.toContain('AWS::Include');
    const types = new Set(Object.values(resources).map((r) => r.Type));
    for (const nested of [
      'AWS::CloudFormation::Stack',
      'AWS::Serverless::Application',
      'AWS::CloudFormation::StackSet',
    ])
      expect(types.has(nested), nested).toBe(false);
  });

  it('exports nothing: an export name is per account and region, and nothing else imports it', () => {
    for (const [name, output] of Object.entries(template.Outputs))
      expect((output as { Export?: unknown }).Export, `output ${name}`).toBeUndefined();
  });

  it('the README promises the stack set name length the names allow', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('### Deploy to an AWS Organization (StackSets)');
    expect(readme).toContain(`at most ${MAX_STACK_SET_NAME} characters`);
    expect(STACK_INSTANCE_NAME).toHaveLength(9 + MAX_STACK_SET_NAME + 1 + 36);
  });
});
