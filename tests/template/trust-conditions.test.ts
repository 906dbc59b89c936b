/**
 * Every trust condition, sourced (issue #13, item 3). docs/trust-conditions.md has one row per grant of
 * the template to an AWS service principal: what the service documents sending as aws:SourceArn, what
 * the template requires, and the documentation. This test parses that table and checks both ways that
 * each grant has its row and conditions exactly as the row says; and, per principal, that the required
 * aws:SourceArn names the resource the service documents: the schedule GROUP of the schedules using the
 * role, the state machine / pipe / mitigation action running with the role, the topics, rules and alarms
 * that really deliver to the resource, and no aws:SourceArn at all for a Lambda execution role.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isObject,
  type Json,
  mentions,
  ROOT,
  resources,
  resourcesOfType,
  roleOf,
  type Statement,
  statements,
  template,
} from './support.ts';

// --- The table ----------------------------------------------------------------------------------

interface Row {
  readonly principal: string;
  readonly where: string;
  readonly sends: string;
  readonly sourceArn: string;
  readonly sourceAccount: string;
  readonly why: string;
  readonly url: string;
}

const DOC = 'docs/trust-conditions.md';

function parseTable(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === '## The table');
  if (start < 0) throw new Error(`${DOC}: no "## The table" section`);
  const table: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('|')) table.push(line);
    else if (table.length > 0) break;
  }
  const strip = (cell: string) => cell.trim().replace(/^`(.*)`$/, '$1');
  return table.slice(2).map((line) => {
    const cells = line.trim().slice(1, -1).split('|').map(strip);
    if (cells.length !== 7) throw new Error(`${DOC}: a row has ${cells.length} cells, not 7: ${line}`);
    const [principal, where, sends, sourceArn, sourceAccount, why, url] = cells as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    return { principal, where, sends, sourceArn, sourceAccount, why, url };
  });
}

const rows = parseTable(readFileSync(join(ROOT, DOC), 'utf8'));

// --- The template's grants to services ----------------------------------------------------------

/** A value as the table writes it: `!Ref X`, `!GetAtt X.Attr`, `!Sub text`, `[a, b]`. */
function render(value: Json): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value))
    return value.length === 1 ? render(value[0]!) : `[${value.map(render).join(', ')}]`;
  if (isObject(value)) {
    if (typeof value.Ref === 'string') return `!Ref ${value.Ref}`;
    if ('Fn::GetAtt' in value) {
      const target = value['Fn::GetAtt'];
      return `!GetAtt ${Array.isArray(target) ? target.join('.') : String(target)}`;
    }
    if (typeof value['Fn::Sub'] === 'string') return `!Sub ${value['Fn::Sub']}`;
  }
  return JSON.stringify(value);
}

function renderCondition(condition: Statement['Condition'], key: string): string {
  const found = Object.entries(condition ?? {}).flatMap(([operator, keys]) =>
    Object.entries(keys)
      .filter(([k]) => k.toLowerCase() === key.toLowerCase())
      .map(([, value]) => `${operator} ${render(value)}`),
  );
  return found.length > 0 ? found.join('; ') : 'none';
}

interface Grant {
  readonly principal: string;
  /** The logical id of the role, key, policy or permission. */
  readonly where: string;
  readonly sourceArn: string;
  readonly sourceAccount: string;
}

const POLICY_DOCUMENTS: Record<string, string> = {
  'AWS::IAM::Role': 'AssumeRolePolicyDocument',
  'AWS::KMS::Key': 'KeyPolicy',
  'AWS::SQS::QueuePolicy': 'PolicyDocument',
  'AWS::SNS::TopicPolicy': 'PolicyDocument',
};

function servicesOf(s: Statement): string[] {
  return isObject(s.Principal) ? ([s.Principal.Service ?? []].flat() as string[]) : [];
}

function serviceGrants(): Grant[] {
  const found: Grant[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    const property = POLICY_DOCUMENTS[resource.Type];
    if (property)
      for (const s of statements(resource.Properties?.[property]))
        for (const principal of servicesOf(s))
          found.push({
            principal,
            where: id,
            sourceArn: renderCondition(s.Condition, 'aws:SourceArn'),
            sourceAccount: renderCondition(s.Condition, 'aws:SourceAccount'),
          });
    if (resource.Type === 'AWS::Lambda::Permission') {
      const p = resource.Properties!;
      if (typeof p.Principal === 'string' && p.Principal.endsWith('.amazonaws.com'))
        found.push({
          principal: p.Principal,
          where: id,
          sourceArn: p.SourceArn === undefined ? 'none' : `SourceArn ${render(p.SourceArn)}`,
          sourceAccount: p.SourceAccount === undefined ? 'none' : `SourceAccount ${render(p.SourceAccount)}`,
        });
    }
  }
  return found;
}

const grants = serviceGrants();
const key = (g: { principal: string; where: string }) => `${g.principal} in ${g.where}`;

// --- What each service documents sending --------------------------------------------------------

const arn = (service: string, resource: string) =>
  `!Sub arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}`;
const exact = (value: string) => [`ArnEquals ${value}`, `StringEquals ${value}`];
/** The text of a fixed name (`!Sub ${AWS::StackName}-x` or a literal), or undefined when generated. */
function fixedName(value: Json | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value['Fn::Sub'] === 'string') return value['Fn::Sub'];
  return undefined;
}
const usingRole = (type: string, property: string, role: string) =>
  resourcesOfType(type).filter(([, r]) => roleOf(r.Properties?.[property]) === role);
const listOf = (ids: string[], attribute?: string) =>
  render(ids.map((id): Json => (attribute ? { 'Fn::GetAtt': [id, attribute] } : { Ref: id })));

const ALARM_ACTIONS = ['AlarmActions', 'OKActions', 'InsufficientDataActions'];
const alarmsNotifying = (topics: Set<string>) =>
  resourcesOfType('AWS::CloudWatch::Alarm')
    .filter(([, a]) => ALARM_ACTIONS.some((p) => [...mentions(a.Properties?.[p])].some((t) => topics.has(t))))
    .map(([id]) => id);

/**
 * The aws:SourceArn conditions the service's documentation supports for this grant (as the table
 * renders them); empty when the template offers the service nothing it documents.
 */
function documentedSourceArn(grant: Grant): string[] {
  const resource = resources[grant.where]!;
  const type = resource.Type;
  switch (grant.principal) {
    case 'scheduler.amazonaws.com': {
      // The schedule group of every schedule that runs with the role; never a schedule.
      const groups = new Set(
        usingRole('AWS::Scheduler::Schedule', 'Target', grant.where).flatMap(([, s]) => [
          ...mentions(s.Properties?.GroupName),
        ]),
      );
      if (groups.size !== 1) return [];
      const [group] = [...groups];
      return resources[group!]?.Type === 'AWS::Scheduler::ScheduleGroup' ? exact(`!GetAtt ${group}.Arn`) : [];
    }
    case 'states.amazonaws.com': {
      const machines = [
        ...usingRole('AWS::Serverless::StateMachine', 'Role', grant.where),
        ...usingRole('AWS::StepFunctions::StateMachine', 'RoleArn', grant.where),
      ];
      const names = machines.map(([, m]) => fixedName(m.Properties?.Name ?? m.Properties?.StateMachineName));
      if (names.length !== 1 || names[0] === undefined) return [];
      return exact(arn('states', `stateMachine:${names[0]}`));
    }
    case 'pipes.amazonaws.com': {
      const names = usingRole('AWS::Pipes::Pipe', 'RoleArn', grant.where).map(([, p]) =>
        fixedName(p.Properties?.Name),
      );
      if (names.length !== 1 || names[0] === undefined) return [];
      return exact(arn('pipes', `pipe/${names[0]}`));
    }
    case 'iot.amazonaws.com': {
      if (type === 'AWS::KMS::Key') return [`ArnLike ${arn('iot', '*')}`];
      const actions = usingRole('AWS::IoT::MitigationAction', 'RoleArn', grant.where);
      if (actions.length > 0) {
        const names = actions.map(([, a]) => fixedName(a.Properties?.ActionName));
        if (names.length !== 1 || names[0] === undefined) return [];
        return exact(arn('iot', `mitigationaction/${names[0]}`));
      }
      // A role handed to UpdateAccountAuditConfiguration: by the audit-configuration resource, or
      // by the operator with the command an output prints.
      const handedOver =
        Object.values(resources).some(
          (r) =>
            (r.Type === 'AWS::CloudFormation::CustomResource' ||
              r.Type.startsWith('Custom::') ||
              r.Type === 'AWS::IoT::AccountAuditConfiguration') &&
            mentions(r.Properties).has(grant.where),
        ) || mentions(template.Outputs).has(grant.where);
      return handedOver ? [...exact(arn('iot', '')), `ArnLike ${arn('iot', '*')}`] : [];
    }
    case 'cloudwatch.amazonaws.com': {
      if (type === 'AWS::KMS::Key') return [`ArnLike ${arn('cloudwatch', `alarm:\${AWS::StackName}-*`)}`];
      if (type === 'AWS::SNS::TopicPolicy') {
        const alarms = alarmsNotifying(mentions(resource.Properties?.Topics));
        return alarms.length > 0 ? exact(listOf(alarms, 'Arn')) : [];
      }
      return [];
    }
    case 'sns.amazonaws.com': {
      if (type !== 'AWS::SQS::QueuePolicy') return [];
      const queues = mentions(resource.Properties?.Queues);
      const topics = resourcesOfType('AWS::SNS::Subscription')
        .filter(([, s]) =>
          [...mentions(s.Properties?.Endpoint), ...mentions(s.Properties?.RedrivePolicy)].some((q) =>
            queues.has(q),
          ),
        )
        .flatMap(([, s]) => [...mentions(s.Properties?.TopicArn)]);
      const distinct = [...new Set(topics)];
      return distinct.length > 0 ? exact(listOf(distinct)) : [];
    }
    case 'events.amazonaws.com': {
      const rules = resourcesOfType('AWS::Events::Rule');
      const targets = (r: (typeof rules)[number][1]) =>
        (r.Properties?.Targets ?? []) as { Arn: Json; DeadLetterConfig?: { Arn: Json } }[];
      const targeting = (ids: Set<string>) =>
        rules.filter(([, r]) => targets(r).some((t) => [...mentions(t.Arn)].some((id) => ids.has(id))));
      if (type === 'AWS::SNS::TopicPolicy') {
        // A rule publishing to a topic: the rule's ARN (the topic policy can !GetAtt it).
        const publishing = targeting(mentions(resource.Properties?.Topics)).map(([id]) => id);
        return publishing.length > 0 ? exact(listOf(publishing, 'Arn')) : [];
      }
      if (type === 'AWS::KMS::Key') {
        // A rule publishing to a topic this key encrypts: the rule's ARN, from its fixed Name (the
        // rule's target refers to the key, so the key cannot !GetAtt the rule). Default bus only.
        const topics = new Set(
          resourcesOfType('AWS::SNS::Topic')
            .filter(([, t]) => mentions(t.Properties?.KmsMasterKeyId).has(grant.where))
            .map(([id]) => id),
        );
        const publishing = targeting(topics);
        if (publishing.length !== 1) return [];
        const [[, rule]] = publishing as [(typeof rules)[number]];
        const name = fixedName(rule.Properties?.Name);
        if (name === undefined || rule.Properties?.EventBusName !== undefined) return [];
        return exact(arn('events', `rule/${name}`));
      }
      if (type === 'AWS::SQS::QueuePolicy') {
        const queues = mentions(resource.Properties?.Queues);
        const using = rules
          .filter(([, r]) =>
            targets(r).some((t) => [...mentions(t.DeadLetterConfig?.Arn)].some((q) => queues.has(q))),
          )
          .map(([id]) => id);
        return using.length > 0 ? exact(listOf(using, 'Arn')) : [];
      }
      if (type === 'AWS::Lambda::Permission') {
        const functions = mentions(resource.Properties?.FunctionName);
        const invoking = rules
          .filter(([, r]) => targets(r).some((t) => [...mentions(t.Arn)].some((f) => functions.has(f))))
          .map(([id]) => id);
        return invoking.length === 1 ? [`SourceArn !GetAtt ${invoking[0]}.Arn`] : [];
      }
      return [];
    }
    case 'lambda.amazonaws.com':
      // Lambda assumes an execution role with aws:SourceAccount only: an aws:SourceArn would refuse it.
      return type === 'AWS::IAM::Role' ? ['none'] : [];
    default:
      return [];
  }
}

// --- The checks ---------------------------------------------------------------------------------

describe(`${DOC}: one row per grant to an AWS service`, () => {
  it('the template grants to services, and the table has rows', () => {
    expect(grants.length).toBeGreaterThan(0);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('every grant of the template has exactly one row, and every row a grant', () => {
    const rowKeys = rows.map(key);
    expect(
      rowKeys.filter((k, i) => rowKeys.indexOf(k) !== i),
      'rows listed twice',
    ).toEqual([]);
    const grantKeys = new Set(grants.map(key));
    expect(
      grants.map(key).filter((k) => !rowKeys.includes(k)),
      'grants without a row',
    ).toEqual([]);
    expect(
      rowKeys.filter((k) => !grantKeys.has(k)),
      'rows without a grant',
    ).toEqual([]);
  });

  it.each(rows.map((r) => [key(r), r] as const))('%s: cites AWS documentation and says why', (_, row) => {
    expect(row.url).toMatch(/^https:\/\/(docs\.aws\.amazon\.com|repost\.aws)\//);
    expect(row.sends.length).toBeGreaterThan(10);
    expect(row.why.length).toBeGreaterThan(5);
  });
});

describe('every grant to a service has the conditions of its row', () => {
  it.each(grants.map((g) => [key(g), g] as const))('%s', (_, grant) => {
    const row = rows.find((r) => key(r) === key(grant));
    expect(row, `${DOC} has no row for ${key(grant)}`).toBeDefined();
    expect(grant.sourceArn).toBe(row!.sourceArn);
    expect(grant.sourceAccount).toBe(row!.sourceAccount);
  });
});

describe('every aws:SourceArn names what the service documents sending', () => {
  it.each(grants.map((g) => [key(g), g] as const))('%s', (_, grant) => {
    const documented = documentedSourceArn(grant);
    expect(documented, `no documented aws:SourceArn for ${key(grant)}`).not.toEqual([]);
    expect(documented).toContain(grant.sourceArn);
  });

  it.each(grants.map((g) => [key(g), g] as const))('%s: only from this account', (_, grant) => {
    expect(['StringEquals !Ref AWS::AccountId', 'SourceAccount !Ref AWS::AccountId']).toContain(
      grant.sourceAccount,
    );
  });

  it('a schedule trust never names a schedule (Scheduler sends the group)', () => {
    for (const grant of grants.filter((g) => g.principal === 'scheduler.amazonaws.com'))
      expect(grant.sourceArn).not.toMatch(/:schedule\//);
  });

  it('every alarm that notifies a topic encrypted with a key is named <stack name>-…, as the key policy admits', () => {
    for (const [keyId] of resourcesOfType('AWS::KMS::Key')) {
      const topics = new Set(
        resourcesOfType('AWS::SNS::Topic')
          .filter(([, t]) => mentions(t.Properties?.KmsMasterKeyId).has(keyId))
          .map(([id]) => id),
      );
      for (const alarm of alarmsNotifying(topics))
        expect(fixedName(resources[alarm]!.Properties?.AlarmName), alarm).toMatch(/^\$\{AWS::StackName\}-/);
    }
  });
});

describe('the rules of the check refuse what the services do not send', () => {
  const role = (condition: Json): Grant => ({
    principal: 'scheduler.amazonaws.com',
    where: 'SweepScheduleRole',
    sourceArn: renderCondition(condition as Statement['Condition'], 'aws:SourceArn'),
    sourceAccount: 'StringEquals !Ref AWS::AccountId',
  });

  it("a schedule's ARN (the old trust) is not the schedule group's", () => {
    const old = role({
      ArnLike: {
        'aws:SourceArn': {
          'Fn::Sub': `arn:\${AWS::Partition}:scheduler:\${AWS::Region}:\${AWS::AccountId}:schedule/*`,
        },
      },
    });
    expect(documentedSourceArn(old)).not.toContain(old.sourceArn);
  });

  it('a Lambda execution role may not require an aws:SourceArn', () => {
    const grant: Grant = {
      principal: 'lambda.amazonaws.com',
      where: 'SweepAuditsRole',
      sourceArn: `ArnLike ${arn('lambda', 'function:*')}`,
      sourceAccount: 'StringEquals !Ref AWS::AccountId',
    };
    expect(documentedSourceArn(grant)).not.toContain(grant.sourceArn);
  });
});
