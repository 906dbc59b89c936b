// The local cloud enforces what the template's resource policies say: PutEvents on a bus is refused
// (AccessDeniedException, no rule runs) when the bus's policy denies the caller; a Pipe puts as its
// role; a rule's SNS target gets the InputTransformer's text only when the topic policy and the
// topic's key policy admit EventBridge for that rule, and otherwise the event goes to the target's
// dead-letter queue, as a failed invocation would.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import { LocalCloud } from '../../wiring/index.ts';
import { DeployedTemplate, parseTemplate } from '../../wiring/template.ts';

const target = { stackName: 'ddr', accountId: '123456789012', region: 'us-east-1', partition: 'aws' };
const OPERATOR = 'arn:aws:iam::123456789012:role/operator';

const TEMPLATE = `
Parameters:
  Operators: { Type: CommaDelimitedList, Default: '' }
  TopicPolicyAdmitsRule: { Type: String, Default: 'true' }
  KeyAdmitsRule: { Type: String, Default: 'true' }
Conditions:
  HasOperators: !Not [!Equals [!Join ['', !Ref Operators], '']]
  TopicAdmits: !Equals [!Ref TopicPolicyAdmitsRule, 'true']
  KeyAdmits: !Equals [!Ref KeyAdmitsRule, 'true']
Resources:
  Bus: { Type: AWS::Events::EventBus, Properties: { Name: !Ref AWS::StackName } }
  OnlyOperators:
    Type: AWS::Events::EventBusPolicy
    Properties:
      EventBusName: !Ref Bus
      StatementId: !Sub '\${AWS::StackName}-operators-only'
      Statement: !If
        - HasOperators
        - Effect: Deny
          Principal: '*'
          Action: events:PutEvents
          Resource: !GetAtt Bus.Arn
          Condition:
            ForAnyValue:StringEquals: { events:detail-type: Rerun }
            ArnNotLike: { aws:PrincipalArn: !Ref Operators }
        - Effect: Deny
          Principal: '*'
          Action: events:PutEvents
          Resource: !GetAtt Bus.Arn
          Condition:
            ForAnyValue:StringEquals: { events:detail-type: Rerun }
  Inbox: { Type: AWS::SQS::Queue }
  DeadLetters: { Type: AWS::SQS::Queue }
  RerunRule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern: { detail-type: [Rerun] }
      Targets: [{ Id: inbox, Arn: !GetAtt Inbox.Arn }]
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - Effect: Allow
            Principal: { AWS: !Sub 'arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root' }
            Action: kms:*
            Resource: '*'
          - !If
            - KeyAdmits
            - Effect: Allow
              Principal: { Service: events.amazonaws.com }
              Action: [kms:GenerateDataKey*, kms:Decrypt]
              Resource: '*'
              Condition:
                StringEquals: { aws:SourceAccount: !Ref AWS::AccountId }
                ArnEquals: { aws:SourceArn: !Sub 'arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/\${AWS::StackName}-changes' }
            - !Ref AWS::NoValue
  Reports: { Type: AWS::SNS::Topic, Properties: { KmsMasterKeyId: !GetAtt Key.Arn } }
  ReportsPolicy:
    Type: AWS::SNS::TopicPolicy
    Condition: TopicAdmits
    Properties:
      Topics: [!Ref Reports]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: { Service: events.amazonaws.com }
            Action: sns:Publish
            Resource: !Ref Reports
            Condition:
              StringEquals: { aws:SourceAccount: !Ref AWS::AccountId }
              ArnEquals: { aws:SourceArn: !GetAtt ChangesRule.Arn }
  ChangesRule:
    Type: AWS::Events::Rule
    Properties:
      Name: !Sub '\${AWS::StackName}-changes'
      EventPattern: { source: [aws.ssm], detail-type: [Parameter Store Change] }
      Targets:
        - Id: reports
          Arn: !Ref Reports
          DeadLetterConfig: { Arn: !GetAtt DeadLetters.Arn }
          InputTransformer:
            InputPathsMap: { name: $.detail.name, operation: $.detail.operation, missing: $.detail.nothing }
            InputTemplate: '"<name> was <operation>d by rule <aws.events.rule-name><missing>"'
`;

function cloud(parameters: Record<string, string> = {}) {
  const deployed = new DeployedTemplate(parseTemplate(TEMPLATE), { ...target, parameters });
  return new LocalCloud(deployed, new VirtualClock(Date.UTC(2026, 0, 1)));
}
const rerun = { EventBusName: 'ddr', Source: 'custom.test', DetailType: 'Rerun', Detail: { n: 1 } };

describe("the bus's resource-based policy on PutEvents", () => {
  it('with no operator, refuses every re-run: AccessDeniedException, no event, no rule', async () => {
    const local = cloud();
    const [result] = await local.putEvents([rerun], { principalArn: OPERATOR });
    expect(result).toMatchObject({ errorCode: 'AccessDeniedException', matchedRules: [] });
    expect(result?.errorMessage).toMatch(/explicit deny in a resource-based policy \(ddr-operators-only\)/);
    expect(local.buses.get('ddr')!.events).toEqual([]);
    expect(local.queueMessages('Inbox')).toEqual([]);
  });

  it('with operators, lets them (by ARN pattern) and nobody else put a re-run; other events pass', async () => {
    const local = cloud({ Operators: `${OPERATOR},arn:aws:iam::123456789012:role/on-call-*` });
    const [byOperator, byOnCall, byOther] = await Promise.all([
      local.putEvents([rerun], { principalArn: OPERATOR }),
      local.putEvents([rerun], { principalArn: 'arn:aws:iam::123456789012:role/on-call-eu' }),
      local.putEvents([rerun], { principalArn: 'arn:aws:iam::123456789012:role/intern' }),
    ]);
    expect(byOperator[0]).toMatchObject({ matchedRules: ['RerunRule'] });
    expect(byOnCall[0]).toMatchObject({ matchedRules: ['RerunRule'] });
    expect(byOther[0]).toMatchObject({ errorCode: 'AccessDeniedException' });
    expect(local.queueMessages('Inbox')).toHaveLength(2);
    const [other] = await local.putEvents([{ ...rerun, DetailType: 'Other' }], {
      principalArn: 'arn:aws:iam::123456789012:role/intern',
    });
    expect(other?.event).toBeDefined();
  });

  it('refuses a principal of another account that no statement allows', async () => {
    const [result] = await cloud().putEvents([{ ...rerun, DetailType: 'Other' }], {
      principalArn: 'arn:aws:iam::999999999999:role/stranger',
    });
    expect(result).toMatchObject({ errorCode: 'AccessDeniedException' });
  });
});

describe("a rule's SNS target", () => {
  it('gets the InputTransformer text when the topic and key policies admit EventBridge for the rule', async () => {
    const local = cloud();
    await local.announceParameterChange('/ddr/runtime-switch', 'Update');
    expect(local.topicMessages('Reports').map((m) => m.message)).toEqual([
      '"/ddr/runtime-switch was Updated by rule ddr-changes"',
    ]);
    expect(local.queueMessages('DeadLetters')).toEqual([]);
  });

  it.each([
    ['the topic policy', { TopicPolicyAdmitsRule: 'false' }, /topic policy of Reports/],
    [
      'the key policy',
      { KeyAdmitsRule: 'false' },
      /key policy of Key does not allow events.amazonaws.com kms:GenerateDataKey/,
    ],
  ])('goes to the dead-letter queue when %s does not admit the rule', async (_, parameters, reason) => {
    const local = cloud(parameters);
    await local.announceParameterChange('/ddr/runtime-switch', 'Delete');
    expect(local.topicMessages('Reports')).toEqual([]);
    const [dead] = local.queueMessages('DeadLetters');
    expect(JSON.parse(dead!.body)).toMatchObject({
      source: 'aws.ssm',
      'detail-type': 'Parameter Store Change',
      resources: ['arn:aws:ssm:us-east-1:123456789012:parameter/ddr/runtime-switch'],
      detail: { name: '/ddr/runtime-switch', operation: 'Delete', type: 'String' },
    });
    expect(local.deadLetteredDeliveries[0]?.reason).toMatch(reason);
  });
});
