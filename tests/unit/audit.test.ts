import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  auditDisagreements,
  auditFromDescribeAuditTask,
  MAX_AUDIT_CHECKS,
  parseAuditEvent,
  parseAuditNotification,
} from '#domain/audit';
import { formatIssue } from '#domain/json-schema';

const sample = JSON.parse(
  readFileSync(new URL('../../local/samples/audit-notification.json', import.meta.url), 'utf8'),
);

function notification(overrides: Record<string, unknown> = {}) {
  return { ...structuredClone(sample), ...overrides };
}

function issuesOf(result: ReturnType<typeof parseAuditEvent>): string[] {
  if (result.ok) throw new Error('expected a rejection');
  return result.issues.map(formatIssue);
}

/** The event as the stack's Pipe puts it on the bus: `{"notification": <$.body>}` as detail. */
function auditCompleted(detail: unknown) {
  return { version: '0', source: 'custom.devicedefender', 'detail-type': 'Audit Completed', detail };
}

describe('the forms the notification arrives in', () => {
  const expected = {
    auditTaskId: '4e2bcd1ccbc2a5dd15292a82ab80c380',
    accountId: '123456789012',
    taskStatus: 'COMPLETED',
    taskType: 'SCHEDULED_AUDIT_TASK',
    scheduledAuditName: 'DailyAudit',
    taskStartTime: 1795658400000,
  };

  it('reads the bare notification', () => {
    const result = parseAuditNotification(notification());
    expect(result).toMatchObject({ ok: true, source: 'notification', audit: expected, warnings: [] });
    if (!result.ok) return;
    expect(result.audit.checks).toHaveLength(9);
    expect(result.audit.checks[0]).toEqual({
      checkName: 'DEVICE_CERTIFICATE_SHARED_CHECK',
      known: true,
      checkRunStatus: 'COMPLETED_NON_COMPLIANT',
      nonCompliantResourcesCount: 3,
      totalResourcesCount: 1200,
    });
  });

  it('reads the "Audit Completed" event the Pipe puts on the bus: detail.notification', () => {
    expect(parseAuditEvent(auditCompleted({ notification: notification() }))).toMatchObject({
      ok: true,
      audit: expected,
    });
  });

  it.each([
    ['the notification as detail (a bare <$.body> template)', notification()],
    ['the notification as JSON text', { notification: JSON.stringify(notification()) }],
  ])('rejects an event with %s: no real source sends it', (_, detail) => {
    expect(issuesOf(parseAuditEvent(auditCompleted(detail)))[0]).toMatch(/^detail\.notification: /);
  });

  it('rejects the bare notification and SNS records: only the bus invokes the planner', () => {
    expect(issuesOf(parseAuditEvent(notification()))).toContain(
      'detail: expected {"notification": <the audit notification>}, got undefined',
    );
    expect(issuesOf(parseAuditEvent(auditCompleted({})))).toEqual([
      'detail.notification: is required (the Pipe puts the notification there)',
    ]);
    const record = {
      Records: [{ EventSource: 'aws:sns', Sns: { Message: JSON.stringify(notification()) } }],
    };
    expect(parseAuditEvent(record).ok).toBe(false);
  });

  it('reads the notification as JSON text', () => {
    expect(parseAuditNotification(JSON.stringify(notification()))).toMatchObject({ ok: true });
  });

  it('tolerates extra fields', () => {
    const extra = notification({ futureField: { nested: true } });
    extra.auditDetails[0].anotherField = 'x';
    expect(parseAuditNotification(extra)).toMatchObject({ ok: true });
  });

  it('keeps the suppressed count, error code and message of a check', () => {
    const n = notification();
    n.auditDetails[0] = {
      ...n.auditDetails[0],
      suppressedNonCompliantResourcesCount: 1,
      checkRunStatus: 'FAILED',
      errorCode: 'INSUFFICIENT_PERMISSIONS',
      message: 'role lacks iot:ListCertificates',
    };
    const result = parseAuditNotification(n);
    expect(result.ok && result.audit.checks[0]).toMatchObject({
      suppressedNonCompliantResourcesCount: 1,
      errorCode: 'INSUFFICIENT_PERMISSIONS',
      message: 'role lacks iot:ListCertificates',
    });
  });
});

describe('parseAuditEvent: check names', () => {
  it('normalises a legacy name and warns', () => {
    const n = notification();
    n.auditDetails[3].checkName = 'DEVICE_CERT_APPROACHING_EXPIRATION_CHECK';
    const result = parseAuditNotification(n);
    expect(result.ok && result.audit.checks[3]?.checkName).toBe('DEVICE_CERTIFICATE_EXPIRING_CHECK');
    expect(result.ok && result.warnings).toEqual([
      'auditDetails[3]: legacy check name DEVICE_CERT_APPROACHING_EXPIRATION_CHECK read as DEVICE_CERTIFICATE_EXPIRING_CHECK',
    ]);
  });

  it('keeps an unknown check, flagged, and warns', () => {
    const n = notification();
    n.auditDetails.push({
      checkName: 'QUANTUM_CERT_CHECK',
      checkRunStatus: 'COMPLETED_NON_COMPLIANT',
      nonCompliantResourcesCount: 5,
      totalResourcesCount: 5,
    });
    const result = parseAuditNotification(n);
    expect(result.ok && result.audit.checks.at(-1)).toMatchObject({
      checkName: 'QUANTUM_CERT_CHECK',
      known: false,
    });
    expect(result.ok && result.warnings[0]).toMatch(/^auditDetails\[9\]: unknown check "QUANTUM_CERT_CHECK"/);
  });

  it('rejects a check reported twice, also under its legacy alias', () => {
    const n = notification();
    n.auditDetails.push({ ...n.auditDetails[1], checkName: 'REVOKED_DEVICE_CERT_CHECK' });
    expect(issuesOf(parseAuditNotification(n))).toEqual([
      'auditDetails[9]: check REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK is reported twice (also at auditDetails[1])',
    ]);
  });
});

describe('parseAuditEvent: rejections name their path', () => {
  it.each([
    [{ taskId: 'has_underscore' }, 'taskId: "has_underscore" does not match'],
    [{ taskId: 'a'.repeat(41) }, 'taskId: "aaa'],
    [{ accountId: '12345' }, 'accountId: "12345" does not match ^[0-9]{12}$'],
    [{ taskStatus: 'DONE' }, 'taskStatus: "DONE" is not valid; expected one of COMPLETED, FAILED, CANCELED'],
    [{ taskType: 'WEEKLY' }, 'taskType: "WEEKLY" is not valid'],
    [{ taskStartTime: 1524740766 }, 'taskStartTime: expected at least 1000000000000, got 1524740766'],
    [{ taskStartTime: '1524740766191' }, 'taskStartTime: expected an integer, got "1524740766191"'],
    [{ failedChecksCount: -1 }, 'failedChecksCount: expected at least 0, got -1'],
    [{ totalChecksCount: 1.5 }, 'totalChecksCount: expected an integer, got 1.5'],
    [{ auditDetails: {} }, 'auditDetails: expected an array, got an object'],
  ])('%j', (overrides, message) => {
    const issues = issuesOf(parseAuditNotification(notification(overrides)));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain(message);
  });

  it('names a missing field', () => {
    const { taskId: _, ...n } = notification();
    expect(issuesOf(parseAuditNotification(n))).toEqual(['taskId: is required']);
  });

  it('reports every error at once, with paths into auditDetails', () => {
    const n = notification({ accountId: 1 });
    n.auditDetails[2].nonCompliantResourcesCount = -4;
    n.auditDetails[5].checkRunStatus = 'DONE';
    delete n.auditDetails[6].totalResourcesCount;
    expect(issuesOf(parseAuditNotification(n))).toEqual([
      'accountId: expected a string, got 1',
      'auditDetails[2].nonCompliantResourcesCount: expected at least 0, got -4',
      'auditDetails[5].checkRunStatus: "DONE" is not valid; expected one of FAILED, CANCELED, COMPLETED_COMPLIANT, COMPLETED_NON_COMPLIANT',
      'auditDetails[6].totalResourcesCount: is required',
    ]);
  });

  it('prefixes paths inside an EventBridge detail', () => {
    const event = auditCompleted({ notification: notification({ taskId: '' }) });
    expect(issuesOf(parseAuditEvent(event))[0]).toMatch(/^detail\.notification\.taskId: /);
  });

  it('rejects an event from another source or of another type', () => {
    const event = {
      source: 'aws.iot',
      'detail-type': 'AWS API Call via CloudTrail',
      detail: { notification: notification() },
    };
    expect(issuesOf(parseAuditEvent(event))).toEqual([
      'source: expected "custom.devicedefender", got "aws.iot"',
      'detail-type: expected "Audit Completed", got "AWS API Call via CloudTrail"',
    ]);
  });

  it('rejects a notification text that is not JSON', () => {
    expect(issuesOf(parseAuditNotification('{oops'))[0]).toMatch(/^\(document\): not valid JSON/);
  });

  it.each([null, 42, 'null', [], true])('rejects %j as a document', (input) => {
    expect(issuesOf(parseAuditEvent(input))[0]).toMatch(/^\(document\): expected an object/);
  });
});

describe('auditFromDescribeAuditTask', () => {
  const response = {
    taskStatus: 'COMPLETED',
    taskType: 'ON_DEMAND_AUDIT_TASK',
    taskStartTime: new Date('2026-11-26T02:00:00.250Z'),
    taskStatistics: { totalChecks: 2, nonCompliantChecks: 1 },
    auditDetails: {
      DEVICE_CERTIFICATE_SHARED_CHECK: {
        checkRunStatus: 'COMPLETED_NON_COMPLIANT',
        checkCompliant: false,
        totalResourcesCount: 100,
        nonCompliantResourcesCount: 4,
        suppressedNonCompliantResourcesCount: 1,
      },
      REVOKED_CA_CERT_CHECK: {
        checkRunStatus: 'FAILED',
        errorCode: 'AUDIT_CHECK_DISABLED',
        message: 'disabled',
      },
    },
  };

  it('normalises the SDK answer: Date to epoch ms, map to list, legacy names', () => {
    const result = auditFromDescribeAuditTask('abc-123', response);
    expect(result).toMatchObject({
      ok: true,
      source: 'describe-audit-task',
      audit: {
        auditTaskId: 'abc-123',
        taskStatus: 'COMPLETED',
        taskType: 'ON_DEMAND_AUDIT_TASK',
        taskStartTime: 1795658400250,
      },
    });
    expect(result.ok && result.audit.accountId).toBeUndefined();
    expect(result.ok && result.audit.checks).toEqual([
      {
        checkName: 'DEVICE_CERTIFICATE_SHARED_CHECK',
        known: true,
        checkRunStatus: 'COMPLETED_NON_COMPLIANT',
        nonCompliantResourcesCount: 4,
        totalResourcesCount: 100,
        suppressedNonCompliantResourcesCount: 1,
      },
      {
        checkName: 'REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK',
        known: true,
        checkRunStatus: 'FAILED',
        nonCompliantResourcesCount: 0,
        totalResourcesCount: 0,
        errorCode: 'AUDIT_CHECK_DISABLED',
        message: 'disabled',
      },
    ]);
    expect(result.ok && result.warnings).toHaveLength(1);
  });

  it('reads raw JSON epoch seconds with a fraction and keeps the scheduled audit name', () => {
    const result = auditFromDescribeAuditTask('abc', {
      ...response,
      taskType: 'SCHEDULED_AUDIT_TASK',
      scheduledAuditName: 'Weekly',
      taskStartTime: 1795658400.172,
    });
    expect(result.ok && result.audit.taskStartTime).toBe(1795658400172);
    expect(result.ok && result.audit.scheduledAuditName).toBe('Weekly');
  });

  it('names every bad field', () => {
    const result = auditFromDescribeAuditTask('bad_id', {
      ...response,
      taskStatus: 'NOPE',
      taskStartTime: 'yesterday',
      auditDetails: { X: { checkRunStatus: 'NOPE', totalResourcesCount: -1 } },
    });
    expect(issuesOf(result)).toEqual([
      'taskId: "bad_id" does not match ^[a-zA-Z0-9-]{1,40}$',
      'taskStatus: "NOPE" is not valid; expected one of IN_PROGRESS, COMPLETED, FAILED, CANCELED',
      'auditDetails.X.checkRunStatus: "NOPE" is not valid; expected one of IN_PROGRESS, WAITING_FOR_DATA_COLLECTION, CANCELED, COMPLETED_COMPLIANT, COMPLETED_NON_COMPLIANT, FAILED',
      'auditDetails.X.totalResourcesCount: expected at least 0, got -1',
      'taskStartTime: expected a Date or epoch seconds, got "yesterday"',
    ]);
  });

  it('rejects an invalid Date, a non-object, and a check reported twice', () => {
    expect(issuesOf(auditFromDescribeAuditTask('a', { ...response, taskStartTime: new Date('x') }))).toEqual([
      'taskStartTime: expected a Date or epoch seconds, got an object',
    ]);
    expect(issuesOf(auditFromDescribeAuditTask('a', null))).toEqual([
      '(document): expected an object, got null',
    ]);
    const twice = {
      ...response,
      auditDetails: {
        ...response.auditDetails,
        REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK: { checkRunStatus: 'FAILED' },
      },
    };
    expect(issuesOf(auditFromDescribeAuditTask('a', twice))[0]).toContain('is reported twice');
  });

  it(`refuses an answer of more than ${MAX_AUDIT_CHECKS} checks`, () => {
    const many = Object.fromEntries(
      Array.from({ length: MAX_AUDIT_CHECKS + 1 }, (_, i) => [
        `CUSTOM_${i}`,
        { checkRunStatus: 'COMPLETED_COMPLIANT' },
      ]),
    );
    expect(issuesOf(auditFromDescribeAuditTask('a', { ...response, auditDetails: many }))).toEqual([
      `auditDetails: expected at most ${MAX_AUDIT_CHECKS} checks, got ${MAX_AUDIT_CHECKS + 1}`,
    ]);
  });

  it('reads an audit in progress: statuses only, no counts yet', () => {
    const result = auditFromDescribeAuditTask('a', {
      ...response,
      taskStatus: 'IN_PROGRESS',
      auditDetails: { DEVICE_CERTIFICATE_SHARED_CHECK: { checkRunStatus: 'IN_PROGRESS' } },
    });
    expect(result).toMatchObject({ ok: true, audit: { taskStatus: 'IN_PROGRESS' } });
  });
});

describe('auditDisagreements: what an event claims against what AWS answers', () => {
  const answer = auditFromDescribeAuditTask('4e2bcd1ccbc2a5dd15292a82ab80c380', {
    taskStatus: 'COMPLETED',
    taskType: 'SCHEDULED_AUDIT_TASK',
    taskStartTime: new Date(1795658400000),
    auditDetails: {
      DEVICE_CERTIFICATE_SHARED_CHECK: {
        checkRunStatus: 'COMPLETED_NON_COMPLIANT',
        nonCompliantResourcesCount: 3,
        totalResourcesCount: 1200,
      },
      LOGGING_DISABLED_CHECK: { checkRunStatus: 'COMPLETED_COMPLIANT', totalResourcesCount: 1 },
    },
  });
  const described = answer.ok ? answer.audit : undefined;

  it('finds none when the notification and the answer agree', () => {
    const claim = parseAuditNotification({
      ...notification(),
      auditDetails: [
        {
          checkName: 'DEVICE_CERTIFICATE_SHARED_CHECK',
          checkRunStatus: 'COMPLETED_NON_COMPLIANT',
          nonCompliantResourcesCount: 3,
          totalResourcesCount: 1200,
        },
        {
          checkName: 'LOGGING_DISABLED_CHECK',
          checkRunStatus: 'COMPLETED_COMPLIANT',
          nonCompliantResourcesCount: 0,
          totalResourcesCount: 1,
        },
      ],
    });
    expect(claim.ok && described && auditDisagreements(claim.audit, described)).toEqual([]);
  });

  it('names each field a forged event changes, and checks only one side has', () => {
    const claim = parseAuditNotification({
      ...notification(),
      taskStartTime: 1795658400000 + 1000,
      auditDetails: [
        {
          checkName: 'DEVICE_CERTIFICATE_SHARED_CHECK',
          checkRunStatus: 'COMPLETED_NON_COMPLIANT',
          nonCompliantResourcesCount: 1,
          totalResourcesCount: 1_000_000,
        },
        {
          checkName: 'CA_CERTIFICATE_EXPIRING_CHECK',
          checkRunStatus: 'COMPLETED_COMPLIANT',
          nonCompliantResourcesCount: 0,
          totalResourcesCount: 2,
        },
      ],
    });
    expect(claim.ok && described && auditDisagreements(claim.audit, described)).toEqual([
      'taskStartTime: the event says 1795658401000, AWS 1795658400000',
      'DEVICE_CERTIFICATE_SHARED_CHECK.nonCompliantResourcesCount: the event says 1, AWS 3',
      'DEVICE_CERTIFICATE_SHARED_CHECK.totalResourcesCount: the event says 1000000, AWS 1200',
      "CA_CERTIFICATE_EXPIRING_CHECK: in the event, not in AWS's answer",
      "LOGGING_DISABLED_CHECK: in AWS's answer, not in the event",
    ]);
  });
});

describe('properties', () => {
  it('never throws on arbitrary JSON: it returns a result or a typed error with paths', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const result of [
          parseAuditEvent(value),
          parseAuditEvent(auditCompleted({ notification: value })),
          parseAuditNotification(value),
          parseAuditNotification(JSON.stringify(value)),
          auditFromDescribeAuditTask('a', value),
        ]) {
          if (!result.ok) {
            expect(result.issues.length).toBeGreaterThan(0);
            for (const issue of result.issues) expect(typeof issue.path).toBe('string');
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated notifications and events', () => {
    const field = fc.constantFrom(...Object.keys(sample), 'auditDetails');
    fc.assert(
      fc.property(field, fc.jsonValue(), fc.boolean(), (key, value, wrap) => {
        const n = notification({ [key]: value });
        const result = wrap
          ? parseAuditEvent(auditCompleted({ notification: n }))
          : parseAuditNotification(n);
        if (result.ok) expect(result.audit.auditTaskId).toMatch(/^[a-zA-Z0-9-]{1,40}$/);
      }),
      { numRuns: 1000 },
    );
  });
});
