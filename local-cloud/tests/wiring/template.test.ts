// A template, deployed on paper: parameters, conditions and intrinsic functions resolved to the
// fake account's names and ARNs, as the local stack reads the wiring from template.yaml.
import { describe, expect, it } from 'vitest';
import { DeployedTemplate, parseTemplate } from '../../wiring/template.ts';

const target = { stackName: 'ddr', accountId: '123456789012', region: 'us-east-1', partition: 'aws' };

const small = parseTemplate(`
Parameters:
  Mode: { Type: String, Default: 'off', AllowedValues: ['on', 'off'] }
  Seconds: { Type: Number, Default: 900, MinValue: 900, MaxValue: 3600 }
Conditions:
  IsOn: !Equals [!Ref Mode, 'on']
  IsOff: !Not [!Condition IsOn]
Resources:
  Topic: { Type: AWS::SNS::Topic }
  OnlyWhenOn: { Type: AWS::SQS::Queue, Condition: IsOn }
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '\${AWS::StackName}-q'
      Tags:
        - { Key: a, Value: !If [IsOn, 'yes', !Ref AWS::NoValue] }
        - !If [IsOff, { Key: 'off', Value: !Join ['-', [!Ref Seconds, !GetAtt Topic.TopicName]] }, !Ref AWS::NoValue]
      Literal: !Sub '\${!NotResolved} \${Topic} \${Queue2.Arn}'
  Queue2: { Type: AWS::SQS::Queue }
`);

describe('DeployedTemplate', () => {
  it('resolves Ref, GetAtt, Sub (with literals), Join and If with NoValue', () => {
    const deployed = new DeployedTemplate(small, target);
    expect(deployed.ref('Topic')).toBe('arn:aws:sns:us-east-1:123456789012:ddr-Topic');
    expect(deployed.ref('Queue')).toBe('https://sqs.us-east-1.amazonaws.com/123456789012/ddr-q');
    expect(deployed.getAtt('Queue', 'Arn')).toBe('arn:aws:sqs:us-east-1:123456789012:ddr-q');
    expect(deployed.property('Queue', 'Tags')).toEqual([
      { Key: 'a' },
      { Key: 'off', Value: '900-ddr-Topic' },
    ]);
    expect(deployed.property('Queue', 'Literal')).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's ${!Literal} escape, kept literally
      '${NotResolved} arn:aws:sns:us-east-1:123456789012:ddr-Topic arn:aws:sqs:us-east-1:123456789012:ddr-Queue2',
    );
  });

  it('a resource whose condition is false does not exist; overrides switch it on', () => {
    const off = new DeployedTemplate(small, target);
    expect(off.resourceIds('AWS::SQS::Queue')).toEqual(['Queue', 'Queue2']);
    expect(() => off.ref('OnlyWhenOn')).toThrow(/condition IsOn is false/);
    const on = new DeployedTemplate(small, { ...target, parameters: { Mode: 'on' } });
    expect(on.resourceIds('AWS::SQS::Queue')).toEqual(['OnlyWhenOn', 'Queue', 'Queue2']);
    expect(on.property('Queue', 'Tags')).toEqual([{ Key: 'a', Value: 'yes' }]);
  });

  it('refuses parameter values the template does not allow, as CloudFormation would', () => {
    expect(() => new DeployedTemplate(small, { ...target, parameters: { Mode: 'maybe' } })).toThrow(
      /not one of/,
    );
    expect(() => new DeployedTemplate(small, { ...target, parameters: { Seconds: '60' } })).toThrow(
      /below 900/,
    );
    expect(() => new DeployedTemplate(small, { ...target, parameters: { Unknown: 'x' } })).toThrow(
      /no parameter/,
    );
  });
});
