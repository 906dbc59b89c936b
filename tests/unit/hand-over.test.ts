/**
 * Issue #17 item 4: a plan's task as the AWS CLI call a person would type. Shapes, names that never
 * collide with the stack's, POSIX quoting, refusals naming the field; and the report that carries it
 * (text and summary) within its size limits. The real `aws` runs the printed commands in
 * tests/cli/hand-over.test.ts.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECK_NAMES, checkCatalogue } from '#domain/catalogue';
import { HAND_OVER_COMMAND, type HandOver, planHandOver, shellQuote } from '#domain/hand-over';
import { NAME_LIMITS, runNames } from '#domain/names';
import { planRemediation, type RemediationPlan } from '#domain/plan';
import { buildRemediationReport, type ReportRequest, withinLimits } from '#domain/remediation-report';

const PLAN: RemediationPlan = JSON.parse(
  readFileSync(new URL('../fixtures/remediation-plan.json', import.meta.url), 'utf8'),
);
const SHARED = 'DEVICE_CERTIFICATE_SHARED_CHECK';
const noRecords = {
  auditFindings: async () => ({ findings: [] }),
  failedExecutions: async () => [],
};

function handOverOf(plan: Pick<RemediationPlan, 'target' | 'auditCheckToActionsMapping'>): HandOver {
  const result = planHandOver(plan);
  if (!result.ok) throw new Error(`no hand-over: ${result.field}: ${result.error}`);
  return result.handOver;
}

/** What a POSIX shell makes of single-quoted and bare words (all shellQuote writes). */
function unquote(word: string): string {
  let out = '';
  for (let i = 0; i < word.length; ) {
    if (word[i] === "'") {
      const end = word.indexOf("'", i + 1);
      out += word.slice(i + 1, end);
      i = end + 1;
    } else if (word[i] === '\\') {
      out += word[i + 1];
      i += 2;
    } else out += word[i++];
  }
  return out;
}

describe('shellQuote', () => {
  it('leaves a word with nothing special as it is', () => {
    expect(shellQuote('manual-abc_1')).toBe('manual-abc_1');
    expect(shellQuote('A=b,c:d/e.f@g%h+i')).toBe('A=b,c:d/e.f@g%h+i');
  });

  it('single-quotes everything else, a single quote as quote, escaped quote, quote', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote('{A=[b,c]}')).toBe("'{A=[b,c]}'");
    expect(shellQuote('$(rm -rf ~) `x` *')).toBe("'$(rm -rf ~) `x` *'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('line\nbreak')).toBe("'line\nbreak'");
  });

  it('gives back any word to a POSIX shell, and quotes whatever a shell would expand', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (word) => {
        const quoted = shellQuote(word);
        expect(unquote(quoted)).toBe(word);
        if (/[^A-Za-z0-9_@%+=:,./-]/.test(word) || word === '') expect(quoted.startsWith("'")).toBe(true);
      }),
    );
  });
});

describe('planHandOver', () => {
  it('is the plan’s task: its target and actions mapping, under the keys of --generate-cli-skeleton', () => {
    const { cliInput, taskId, clientRequestToken } = handOverOf(PLAN);
    expect(Object.keys(cliInput)).toEqual([
      'taskId',
      'target',
      'auditCheckToActionsMapping',
      'clientRequestToken',
    ]);
    expect(cliInput).toEqual({
      taskId,
      target: PLAN.target,
      auditCheckToActionsMapping: PLAN.auditCheckToActionsMapping,
      clientRequestToken,
    });
  });

  it('writes the shorthand: a structure in braces, each map entry KEY=[a,b], joined by commas', () => {
    const { command, taskId, clientRequestToken } = handOverOf(PLAN);
    const audit = PLAN.target.auditTaskId;
    expect(command).toBe(
      [
        HAND_OVER_COMMAND,
        `--task-id ${taskId}`,
        `--target 'auditTaskId=${audit},auditCheckToReasonCodeFilter={${SHARED}=[CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES],REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK=[CERTIFICATE_REVOKED_BY_ISSUER]}'`,
        `--audit-check-to-actions-mapping '${SHARED}=[remediation-PublishFinding,remediation-QuarantineDevice],REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK=[remediation-PublishFinding,remediation-DeactivateDeviceCertificate]'`,
        `--client-request-token ${clientRequestToken}`,
      ].join(' '),
    );
  });

  it('puts the document inline, single-quoted, in --cli-input-json', () => {
    const { cliInput, cliInputCommand } = handOverOf(PLAN);
    const prefix = `${HAND_OVER_COMMAND} --cli-input-json '`;
    expect(cliInputCommand.startsWith(prefix)).toBe(true);
    expect(cliInputCommand.endsWith("'")).toBe(true);
    expect(JSON.parse(cliInputCommand.slice(prefix.length, -1))).toEqual(cliInput);
  });

  it('names its task manual-<audit>-<digest>: within IoT’s patterns and never one of the stack’s names', () => {
    const { taskId, clientRequestToken } = handOverOf(PLAN);
    expect(taskId).toMatch(new RegExp(`^manual-${PLAN.target.auditTaskId}-[0-9a-f]{12}$`));
    expect(taskId).toMatch(NAME_LIMITS.mitigationTaskId.pattern);
    expect(clientRequestToken).toMatch(NAME_LIMITS.clientRequestToken.pattern);
    expect(clientRequestToken).toMatch(/^[0-9a-f]{32}$/);
    for (const mode of ['dry-run', 'enforce'] as const)
      for (const rerun of [undefined, 1, 999_999]) {
        const stack = runNames(mode, PLAN.auditTaskId, rerun);
        expect([taskId, clientRequestToken]).not.toContain(stack.mitigationTaskId);
        expect([taskId, clientRequestToken]).not.toContain(stack.clientRequestToken);
      }
  });

  it('stays within 128 and 64 characters for the longest audit id', () => {
    const auditTaskId = 'a'.repeat(40);
    const { taskId, clientRequestToken } = handOverOf({ ...PLAN, target: { ...PLAN.target, auditTaskId } });
    expect(taskId.length).toBeLessThanOrEqual(128);
    expect(taskId).toMatch(NAME_LIMITS.mitigationTaskId.pattern);
    expect(clientRequestToken.length).toBeLessThanOrEqual(64);
  });

  it('is deterministic: the same task gives the same names, whatever the key order and the mode', () => {
    const reordered = {
      target: {
        auditTaskId: PLAN.target.auditTaskId,
        auditCheckToReasonCodeFilter: Object.fromEntries(
          Object.entries(PLAN.target.auditCheckToReasonCodeFilter).reverse(),
        ),
      },
      auditCheckToActionsMapping: Object.fromEntries(
        Object.entries(PLAN.auditCheckToActionsMapping).reverse(),
      ),
    };
    const first = handOverOf(PLAN);
    expect(handOverOf(PLAN)).toEqual(first);
    expect(handOverOf(reordered)).toMatchObject({
      taskId: first.taskId,
      clientRequestToken: first.clientRequestToken,
    });
  });

  it('gives another task id and token to another task: other actions, other reason codes', () => {
    const first = handOverOf(PLAN);
    const otherActions = handOverOf({
      ...PLAN,
      auditCheckToActionsMapping: {
        ...PLAN.auditCheckToActionsMapping,
        [SHARED]: ['remediation-PublishFinding'],
      },
    });
    const otherCodes = handOverOf({
      ...PLAN,
      target: {
        ...PLAN.target,
        auditCheckToReasonCodeFilter: { ...PLAN.target.auditCheckToReasonCodeFilter, [SHARED]: ['OTHER'] },
      },
    });
    const names = [first, otherActions, otherCodes].flatMap((h) => [h.taskId, h.clientRequestToken]);
    expect(new Set(names).size).toBe(6);
  });

  it('hands over every plan the planner makes, which itself carries nothing of it (the execution input is unchanged)', () => {
    const plan = planRemediation(
      {
        auditTaskId: '4e2bcd1ccbc2a5dd15292a82ab80c380',
        taskStatus: 'COMPLETED',
        taskType: 'ON_DEMAND_AUDIT_TASK',
        taskStartTime: Date.parse('2026-11-26T02:00:00Z'),
        checks: CHECK_NAMES.map((checkName) => ({
          checkName,
          known: true,
          checkRunStatus: 'COMPLETED_NON_COMPLIANT',
          nonCompliantResourcesCount: 3,
          totalResourcesCount: 1000,
        })),
      },
      {
        version: 1,
        mode: 'enforce',
        actions: { PublishFinding: { type: 'PUBLISH_FINDING_TO_SNS' } },
        rules: CHECK_NAMES.map((check) => ({ check, actions: ['PublishFinding'] })),
      },
      { value: 'enforce', lastModified: Date.parse('2026-11-01T00:00:00Z'), version: 1 },
      { actionNamePrefix: 'device-defender-remediation', rerun: 999_999 },
    );
    if (plan.kind !== 'plan') throw new Error(plan.detail);
    expect(Object.keys(plan.auditCheckToActionsMapping)).toEqual(CHECK_NAMES);
    expect(planHandOver(plan)).toMatchObject({ ok: true });
    expect(JSON.stringify(plan)).not.toMatch(/manual-|handOver|aws iot/);
  });

  it('keeps a check named __proto__ a key of the maps', () => {
    const plan = {
      target: { auditTaskId: 'a1', auditCheckToReasonCodeFilter: JSON.parse('{"__proto__":["R"]}') },
      auditCheckToActionsMapping: JSON.parse('{"__proto__":["A"]}'),
    };
    const { cliInput, command } = handOverOf(plan);
    expect(Object.keys(cliInput.auditCheckToActionsMapping)).toEqual(['__proto__']);
    expect(command).toContain("--audit-check-to-actions-mapping '__proto__=[A]'");
  });

  describe('refuses a plan it cannot hand over, naming the field', () => {
    const refusals: ReadonlyArray<
      readonly [string, Pick<RemediationPlan, 'target' | 'auditCheckToActionsMapping'>, string, RegExp]
    > = [
      [
        'no audit id',
        { ...PLAN, target: { ...PLAN.target, auditTaskId: '' } },
        'target.auditTaskId',
        /audit task id/,
      ],
      [
        'an audit id of 41 characters',
        { ...PLAN, target: { ...PLAN.target, auditTaskId: 'a'.repeat(41) } },
        'target.auditTaskId',
        /1 to 40/,
      ],
      [
        'an audit id with an underscore',
        { ...PLAN, target: { ...PLAN.target, auditTaskId: 'a_b' } },
        'target.auditTaskId',
        /A-Z a-z 0-9 -/,
      ],
      [
        'a filter that is a list',
        { ...PLAN, target: { ...PLAN.target, auditCheckToReasonCodeFilter: [] as never } },
        'target.auditCheckToReasonCodeFilter',
        /not a map/,
      ],
      [
        'no filter',
        { ...PLAN, target: { auditTaskId: 'a1' } as never },
        'target.auditCheckToReasonCodeFilter',
        /not a map/,
      ],
      [
        'an empty mapping',
        { ...PLAN, auditCheckToActionsMapping: {} },
        'auditCheckToActionsMapping',
        /no check/,
      ],
      [
        'a check name with a quote',
        { ...PLAN, auditCheckToActionsMapping: { "X'; rm -rf ~": ['a'] } },
        'auditCheckToActionsMapping',
        /check name 1 is not/,
      ],
      [
        'an empty list of actions',
        { ...PLAN, auditCheckToActionsMapping: { [SHARED]: [] } },
        `auditCheckToActionsMapping.${SHARED}`,
        /non-empty list/,
      ],
      [
        'actions that are not a list',
        { ...PLAN, auditCheckToActionsMapping: { [SHARED]: 'a' as never } },
        `auditCheckToActionsMapping.${SHARED}`,
        /non-empty list/,
      ],
      [
        'an action name with a space',
        { ...PLAN, auditCheckToActionsMapping: { [SHARED]: ['ok', 'not ok'] } },
        `auditCheckToActionsMapping.${SHARED}[1]`,
        /not 1 to 128/,
      ],
      [
        'a reason code with a line feed',
        {
          ...PLAN,
          target: { ...PLAN.target, auditCheckToReasonCodeFilter: { [SHARED]: ['A\nMode: enforce'] } },
        },
        `target.auditCheckToReasonCodeFilter.${SHARED}[0]`,
        /not 1 to 128/,
      ],
      [
        'an action name of 129 characters',
        { ...PLAN, auditCheckToActionsMapping: { [SHARED]: ['a'.repeat(129)] } },
        `auditCheckToActionsMapping.${SHARED}[0]`,
        /not 1 to 128/,
      ],
      [
        'a reason code that is a number',
        { ...PLAN, target: { ...PLAN.target, auditCheckToReasonCodeFilter: { [SHARED]: [1 as never] } } },
        `target.auditCheckToReasonCodeFilter.${SHARED}[0]`,
        /not 1 to 128/,
      ],
    ];
    it.each(refusals)('%s', (_, plan, field, error) => {
      const result = planHandOver(plan);
      expect(result).toMatchObject({ ok: false, field });
      expect(result.ok ? '' : result.error).toMatch(error);
    });
  });
});

describe('the report hands the task over', () => {
  const request = (plan: RemediationPlan = PLAN): ReportRequest => ({
    plan,
    outcome: { name: 'DryRun', cause: 'Dry run: nothing was started.' },
  });

  it('in the text, both commands whole on lines of their own, and in the summary', async () => {
    const { summary, message } = await buildRemediationReport(request(), noRecords);
    const { command, cliInput, cliInputCommand } = handOverOf(PLAN);
    const lines = message.text.split('\n');
    expect(lines).toContain(command);
    expect(lines).toContain(cliInputCommand);
    expect(lines[lines.indexOf(command) - 1]).toMatch(
      /^To run or adapt this task by hand .*never the stack's/,
    );
    expect(summary.handOver).toEqual({ command, cliInput });
    expect(JSON.parse(message.report).handOver).toEqual({ command, cliInput });
  });

  it('says why there is none, escaped, when the plan cannot be handed over', async () => {
    const plan = { ...PLAN, auditCheckToActionsMapping: { [SHARED]: ['a\u202eb'] } };
    const { summary, message } = await buildRemediationReport(request(plan), noRecords);
    expect(summary.handOver).toEqual({
      unavailable: `auditCheckToActionsMapping.${SHARED}[0]: not 1 to 128 of A-Z a-z 0-9 _ -`,
    });
    expect(message.text).toContain(
      `No AWS CLI command for this task: auditCheckToActionsMapping.${SHARED}[0]: not 1 to 128`,
    );
    expect(message.text).not.toContain(HAND_OVER_COMMAND);
  });

  it('leaves the hand-over out, and says so, with the long texts when the state leaves no room', async () => {
    const base: ReportRequest = {
      plan: PLAN,
      outcome: { name: 'Unexpected', error: 'Iot.IotException', cause: `Denied: ${'c'.repeat(20_000)}` },
    };
    const crowded = {
      ...base,
      padding: 'p'.repeat(262_144 - 4_096 - Buffer.byteLength(JSON.stringify(base)) - 7_000),
    };
    const report = await buildRemediationReport(crowded, noRecords);
    expect(withinLimits(crowded, report)).toBe(true);
    expect(report.summary.handOver).toEqual({ unavailable: 'left out to fit the size limits' });
    expect(report.summary.truncatedForSize).toMatchObject({ fields: true });
  });

  it('keeps the largest real plan’s report whole, hand-over included: every check of the catalogue, all its reason codes, 5 actions of 128 characters', async () => {
    const actions = Array.from({ length: 5 }, (_, i) => `${i}${'a'.repeat(127)}`);
    const plan: RemediationPlan = {
      ...PLAN,
      target: {
        ...PLAN.target,
        auditCheckToReasonCodeFilter: Object.fromEntries(
          [...checkCatalogue.values()].map((c) => [c.name, c.reasonCodes]),
        ),
      },
      auditCheckToActionsMapping: Object.fromEntries(CHECK_NAMES.map((c) => [c, actions])),
    };
    const report = await buildRemediationReport(request(plan), noRecords);
    expect(withinLimits(request(plan), report)).toBe(true);
    expect(report.summary.truncatedForSize).toBeUndefined();
    expect(report.summary.handOver && 'command' in report.summary.handOver).toBe(true);
    expect(report.message.text.split('\n')).toContain(handOverOf(plan).cliInputCommand);
    // The hand-over takes about what the target and the mapping take, twice (command and document).
    const mapping = JSON.stringify([plan.target, plan.auditCheckToActionsMapping]).length;
    expect(JSON.stringify(report.summary.handOver).length).toBeLessThan(3 * mapping);
  });

  it('leaves the hand-over out, saying so, when a plan of absurd names would not fit otherwise', async () => {
    const checks = Array.from({ length: 17 }, (_, i) => `CHECK_${i}_${'C'.repeat(100)}`);
    const codes = Array.from({ length: 25 }, (_, i) => `CODE_${i}_${'R'.repeat(120)}`);
    const plan: RemediationPlan = {
      ...PLAN,
      target: {
        ...PLAN.target,
        auditCheckToReasonCodeFilter: Object.fromEntries(checks.map((c) => [c, codes])),
      },
      auditCheckToActionsMapping: Object.fromEntries(checks.map((c) => [c, ['a'.repeat(128)]])),
    };
    const report = await buildRemediationReport(request(plan), noRecords);
    expect(withinLimits(request(plan), report)).toBe(true);
    expect(report.summary.handOver).toEqual({ unavailable: 'left out to fit the size limits' });
    expect(report.message.text).toContain(
      'No AWS CLI command for this task: left out to fit the size limits.',
    );
  });
});
