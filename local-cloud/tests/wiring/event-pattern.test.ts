// The event-pattern matcher against AWS's own examples:
// - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html
// - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
// - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
// - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
import { describe, expect, it } from 'vitest';
import { InvalidEventPatternError, matchesEventPattern as matches } from '../../wiring/event-pattern.ts';

// The EC2 event the pages use.
const ec2 = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
};
const withDetail = (detail: Record<string, unknown>) => ({ ...ec2, detail });

describe('event pattern syntax', () => {
  it('matches fields (AND) and values (OR), ignoring fields the pattern does not name', () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    };
    expect(matches(pattern, withDetail({ state: 'terminated', other: 1 }))).toBe(true);
    expect(matches(pattern, ec2)).toBe(false);
    expect(matches({ source: ['aws.ec2', 'aws.fargate'] }, ec2)).toBe(true);
    expect(matches({ source: ['aws.fargate'] }, ec2)).toBe(false);
  });

  it('needs the same nesting: a field the event lacks, or has at another level, does not match', () => {
    expect(matches({ detail: { state: ['pending'] } }, ec2)).toBe(true);
    expect(matches({ state: ['pending'] }, ec2)).toBe(false);
    expect(
      matches(
        { detail: { notification: { taskStatus: ['COMPLETED'] } } },
        withDetail({ taskStatus: 'COMPLETED' }),
      ),
    ).toBe(false);
    expect(
      matches(
        { detail: { taskStatus: ['COMPLETED'] } },
        withDetail({ notification: { taskStatus: 'COMPLETED' } }),
      ),
    ).toBe(false);
    expect(
      matches(
        { detail: { notification: { taskStatus: ['COMPLETED'] } } },
        withDetail({ notification: { taskStatus: 'COMPLETED' } }),
      ),
    ).toBe(true);
  });

  it('matches an array in the event when the intersection with the pattern is not empty', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { resources: [event.resources[0]] })).toBe(false);
  });

  it('matches null and empty-string values exactly', () => {
    expect(matches({ detail: { responseElements: [null] } }, withDetail({ responseElements: null }))).toBe(
      true,
    );
    expect(matches({ detail: { responseElements: [null] } }, withDetail({}))).toBe(false);
    expect(matches({ detail: { eventVersion: [''] } }, withDetail({ eventVersion: '' }))).toBe(true);
    expect(matches({ detail: { eventVersion: [''] } }, withDetail({ eventVersion: '1.0' }))).toBe(false);
  });
});

describe('comparison operators', () => {
  it('prefix, and prefix ignoring case', () => {
    expect(matches({ time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-02T18:43:48Z' })).toBe(true);
    expect(matches({ time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-03T18:43:48Z' })).toBe(false);
    const ignoreCase = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    expect(matches(ignoreCase, withDetail({ service: 'eventbridge' }))).toBe(true);
    expect(matches(ignoreCase, withDetail({ service: 'EVENTBRIDGE' }))).toBe(true);
    expect(matches(ignoreCase, withDetail({ service: 'bridge' }))).toBe(false);
  });

  it('suffix, and suffix ignoring case', () => {
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(true);
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' })).toBe(false);
    const ignoreCase = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(matches(ignoreCase, withDetail({ FileName: 'image.PNG' }))).toBe(true);
    expect(matches(ignoreCase, withDetail({ FileName: 'image.jpg' }))).toBe(false);
  });

  it('equals-ignore-case', () => {
    const pattern = { Name: [{ 'equals-ignore-case': 'alice' }] };
    expect(matches(pattern, { Name: 'Alice' })).toBe(true);
    expect(matches(pattern, { Name: 'Alicia' })).toBe(false);
  });

  it('wildcard', () => {
    const pattern = { Filename: [{ wildcard: 'dir/*.png' }] };
    expect(matches(pattern, { Filename: 'dir/image.png' })).toBe(true);
    expect(matches(pattern, { Filename: 'dir/sub/image.png' })).toBe(true);
    expect(matches(pattern, { Filename: 'other/image.png' })).toBe(false);
    const arn = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
    expect(matches(arn, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' })).toBe(
      true,
    );
    expect(matches(arn, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/default' })).toBe(
      false,
    );
    expect(matches({ key: [{ wildcard: 'a\\*b' }] }, { key: 'a*b' })).toBe(true);
    expect(matches({ key: [{ wildcard: 'a\\*b' }] }, { key: 'axb' })).toBe(false);
  });

  it('anything-but: a value, a list, a prefix, a suffix, ignoring case, a wildcard', () => {
    expect(
      matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, withDetail({ state: 'running' })),
    ).toBe(true);
    expect(
      matches(
        { detail: { state: [{ 'anything-but': 'initializing' }] } },
        withDetail({ state: 'initializing' }),
      ),
    ).toBe(false);
    expect(
      matches({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, withDetail({ 'x-limit': 124 })),
    ).toBe(true);
    expect(
      matches({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, withDetail({ 'x-limit': 123 })),
    ).toBe(false);
    const list = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matches(list, withDetail({ state: 'running' }))).toBe(true);
    expect(matches(list, withDetail({ state: 'overloaded' }))).toBe(false);
    const numbers = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matches(numbers, withDetail({ 'x-limit': 150 }))).toBe(true);
    expect(matches(numbers, withDetail({ 'x-limit': 200 }))).toBe(false);
    const prefix = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expect(matches(prefix, withDetail({ state: 'running' }))).toBe(true);
    expect(matches(prefix, withDetail({ state: 'initializing' }))).toBe(false);
    const suffix = { FileName: [{ 'anything-but': { suffix: '.png' } }] };
    expect(matches(suffix, { FileName: 'a.txt' })).toBe(true);
    expect(matches(suffix, { FileName: 'a.png' })).toBe(false);
    const ignoreCase = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
    expect(matches(ignoreCase, { state: 'INITIALIZING' })).toBe(false);
    expect(matches(ignoreCase, { state: 'RUNNING' })).toBe(true);
    const wildcard = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expect(matches(wildcard, { FilePath: 'src/lib/a.ts' })).toBe(false);
    expect(matches(wildcard, { FilePath: 'src/app/a.ts' })).toBe(true);
    // Like every comparison but exists, anything-but needs the field.
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, withDetail({}))).toBe(false);
  });

  it('numeric ranges', () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };
    expect(matches(pattern, withDetail({ 'c-count': 5, 'd-count': 9, 'x-limit': 301.8 }))).toBe(true);
    expect(matches(pattern, withDetail({ 'c-count': 0, 'd-count': 9, 'x-limit': 301.8 }))).toBe(false);
    expect(matches(pattern, withDetail({ 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 }))).toBe(false);
    expect(matches(pattern, withDetail({ 'c-count': '5', 'd-count': 9, 'x-limit': 301.8 }))).toBe(false);
  });

  it('IP address (cidr)', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
    expect(matches(pattern, withDetail({ sourceIPAddress: '10.0.0.255' }))).toBe(true);
    expect(matches(pattern, withDetail({ sourceIPAddress: '10.0.1.0' }))).toBe(false);
  });

  it('exists true and false, on leaf nodes only', () => {
    const exists = { detail: { state: [{ exists: true }] } };
    expect(matches(exists, ec2)).toBe(true);
    const without = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { 'c-count': { c1: 100 } },
    };
    expect(matches(exists, without)).toBe(false);
    expect(matches({ detail: { state: [{ exists: false }] } }, without)).toBe(true);
    expect(matches({ detail: { state: [{ exists: false }] } }, ec2)).toBe(false);
    expect(matches({ detail: { 'c-count': [{ exists: true }] } }, without)).toBe(false);
  });

  it('the complex example: prefix, anything-but and numeric together', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
      },
    };
    const event = {
      time: '2017-10-02T18:43:48Z',
      detail: { state: 'running', 'c-count': 3, 'd-count': 2, 'x-limit': 150 },
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { ...event, detail: { ...event.detail, 'x-limit': 300 } })).toBe(false);
  });

  it('$or between fields, nested and at the top level', () => {
    const nested = {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    };
    expect(matches(nested, withDetail({ 'd-count': 3 }))).toBe(true);
    expect(matches(nested, withDetail({ 'c-count': 9, 'd-count': 30 }))).toBe(false);
    const top = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    expect(matches(top, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
    expect(matches(top, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
    expect(matches(top, { source: 'aws.cloudwatch', namespace: 'AWS/S3' })).toBe(false);
  });

  it('refuses a pattern PutRule would refuse', () => {
    expect(() => matches({ source: 'aws.ec2' }, ec2)).toThrow(InvalidEventPatternError);
    expect(() => matches({ source: [{ 'begins-with': 'aws' }] }, ec2)).toThrow(InvalidEventPatternError);
    expect(() => matches({ n: [{ numeric: ['>', 'x'] }] }, ec2)).toThrow(InvalidEventPatternError);
  });
});
