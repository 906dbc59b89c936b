/**
 * The template deploys unchanged in any partition and region (issue #13, item 6): every string of the
 * parsed template, Sub templates included, is free of a partition's domain (amazonaws.com), a literal
 * ARN partition (arn:aws…), an account id and a region. The one exception is service principals, which
 * stay `<service>.amazonaws.com` in every partition: Principal.Service, a Lambda permission's Principal,
 * and iam:PassedToService (whose values are service principals). kms:ViaService is built from
 * ${AWS::URLSuffix} (docs/aws-facts/partitions.md).
 */
import { describe, expect, it } from 'vitest';
import { isObject, type Json, resourcesOfType, statements, template } from './support.ts';

const FORBIDDEN: readonly [string, RegExp][] = [
  ['a partition domain', /amazonaws\.com/],
  ['a literal ARN partition', /arn:aws/],
  ['an account id', /(?<![\w-])\d{12}(?![\w-])/],
  [
    'a region',
    /\b(?:us|eu|ap|sa|ca|me|af|il|mx|cn|eusc)(?:-gov|-iso[a-z]*)?-(?:east|west|north|south|central|northeast|southeast|northwest|southwest)-\d\b/,
  ],
];

/** A service principal: `<service>.amazonaws.com`, the same name in every partition. */
const SERVICE_PRINCIPAL = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$/;

interface Found {
  readonly path: string;
  readonly text: string;
}

/** Every string (keys and values) of a value, with its path; `allowed(path)` skips service principals. */
function stringsOf(value: unknown, path: string, allowed: (path: string) => boolean): Found[] {
  const found: Found[] = [];
  const walk = (v: unknown, at: string) => {
    if (typeof v === 'string') {
      if (!allowed(at)) found.push({ path: at, text: v });
    } else if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) walk(item, `${at}[${i}]`);
    } else if (isObject(v))
      for (const [key, item] of Object.entries(v)) {
        found.push({ path: `${at}{key}`, text: key });
        walk(item, `${at}.${key}`);
      }
  };
  walk(value, path);
  return found;
}

const lambdaPermissions = new Set(resourcesOfType('AWS::Lambda::Permission').map(([id]) => id));

/** Paths whose string is a service principal by definition. */
function isServicePrincipalPath(path: string): boolean {
  if (/\.Principal\.Service(\[\d+\])?$/.test(path)) return true;
  if (/\.iam:PassedToService(\[\d+\])?$/.test(path)) return true;
  const permission = /Resources\.(\w+)\.Properties\.Principal$/.exec(path);
  return permission !== null && lambdaPermissions.has(permission[1]!);
}

function violations(value: unknown, path: string): string[] {
  return stringsOf(value, path, isServicePrincipalPath).flatMap(({ path: at, text }) =>
    FORBIDDEN.filter(([, pattern]) => pattern.test(text)).map(
      ([what]) => `${at}: ${what} in ${JSON.stringify(text)}`,
    ),
  );
}

describe('template.yaml names no partition, account or region', () => {
  it('no string of the parsed template (Sub templates included) holds one', () => {
    expect(violations(template as unknown as Json, 'template')).toEqual([]);
  });

  it('the scan finds what it must (a literal ViaService, ARN, account, region) and skips service principals', () => {
    const sample = {
      Resources: {
        Key: {
          Properties: {
            Statement: [
              { Principal: { Service: 'sns.amazonaws.com' } },
              {
                Condition: {
                  StringEquals: { 'kms:ViaService': { 'Fn::Sub': `sns.\${AWS::Region}.amazonaws.com` } },
                },
              },
              { Resource: 'arn:aws-cn:sns:cn-north-1:123456789012:topic' },
            ],
          },
        },
      },
    };
    const found = violations(sample, 'sample');
    expect(found.some((v) => v.includes('kms:ViaService') && v.includes('partition domain'))).toBe(true);
    expect(found.filter((v) => v.includes('.Resource:')).length).toBe(3);
    expect(found.some((v) => v.includes('Principal'))).toBe(false);
  });

  it('service principals stay <service>.amazonaws.com', () => {
    const principals = stringsOf(template.Resources as unknown as Json, 'Resources', () => false)
      .filter(({ path }) => isServicePrincipalPath(path))
      .map(({ text }) => text);
    expect(principals.length).toBeGreaterThan(0);
    for (const principal of principals) expect(principal).toMatch(SERVICE_PRINCIPAL);
  });

  it(`every kms:ViaService is <service>.\${AWS::Region}.\${AWS::URLSuffix}`, () => {
    const values: Json[] = [];
    for (const [, role] of resourcesOfType('AWS::IAM::Role'))
      for (const policy of (role.Properties?.Policies ?? []) as { PolicyDocument: Json }[])
        for (const s of statements(policy.PolicyDocument))
          for (const keys of Object.values(s.Condition ?? {}))
            if ('kms:ViaService' in keys) values.push(keys['kms:ViaService']!);
    expect(values.length).toBeGreaterThan(0);
    for (const value of values)
      expect(value).toEqual({
        'Fn::Sub': expect.stringMatching(/^[a-z0-9-]+\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}$/),
      });
  });
});
