/** The HTTP layer answers as the model says: routes, validation, error statuses and headers. */
import { readFileSync } from 'node:fs';
import { DescribeAuditMitigationActionsTaskCommand, ListMitigationActionsCommand } from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { loadModel, MODEL_PATH, type SmithyModel } from '../../emulator/model.ts';
import { createAction, emulatorForTest, rejectionOf, snsParams } from './support.ts';

async function raw(endpoint: string, method: string, path: string, body?: unknown) {
  const response = await fetch(endpoint + path, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    type: response.headers.get('x-amzn-errortype'),
    body: (await response.json()) as { message?: string; [member: string]: unknown },
  };
}

describe('restJson1 from the model', () => {
  it('routes by method and URI template and answers errors with status, x-amzn-ErrorType and a message', async () => {
    const { emulator } = await emulatorForTest();
    const missing = await raw(emulator.endpoint, 'GET', '/audit/mitigationactions/tasks/no-such-task');
    expect(missing).toEqual({
      status: 404,
      type: 'ResourceNotFoundException',
      body: { message: 'Audit mitigation actions task no-such-task does not exist' },
    });
    const unknown = await raw(emulator.endpoint, 'DELETE', '/audit/mitigationactions/tasks/x');
    expect(unknown).toMatchObject({ status: 404, type: 'UnknownOperationException' });
    const malformed = await raw(emulator.endpoint, 'GET', '/audit/tasks/%E0%A4%A');
    expect(malformed).toMatchObject({ status: 404, type: 'UnknownOperationException' });
  });

  it('reads body timestamps as epoch seconds and query timestamps as RFC 3339', async () => {
    const { emulator, clock } = await emulatorForTest();
    emulator.service.addAudit({ taskId: 'audit-1', checks: { LOGGING_DISABLED_CHECK: {} } });
    const nowSeconds = clock.now() / 1000;
    const byBody = await raw(emulator.endpoint, 'POST', '/audit/findings', {
      startTime: nowSeconds - 0.5,
      endTime: nowSeconds + 0.5,
    });
    expect(byBody).toMatchObject({ status: 200, body: { findings: [] } });
    const badBody = await raw(emulator.endpoint, 'POST', '/audit/findings', {
      startTime: '2026-01-01',
      endTime: 1,
    });
    expect(badBody).toMatchObject({ status: 400, type: 'InvalidRequestException' });

    const iso = new Date(clock.now()).toISOString();
    const byQuery = await raw(emulator.endpoint, 'GET', `/audit/tasks?startTime=${iso}&endTime=${iso}`);
    expect(byQuery).toMatchObject({
      status: 200,
      body: { tasks: [{ taskId: 'audit-1', taskStatus: 'COMPLETED' }] },
    });
    const badQuery = await raw(
      emulator.endpoint,
      'GET',
      `/audit/tasks?startTime=${clock.now()}&endTime=${iso}`,
    );
    expect(badQuery).toMatchObject({ status: 400, type: 'InvalidRequestException' });
  });

  it.each([
    [
      'a missing required query member',
      '/audit/tasks?startTime=2026-01-01T00:00:00Z',
      "Value null at 'endTime'",
    ],
    ['maxResults above 250', '/mitigationactions/actions?maxResults=251', 'between 1 and 250'],
    ['maxResults below 1', '/mitigationactions/actions?maxResults=0', 'between 1 and 250'],
    ['an enum value not in the model', '/mitigationactions/actions?actionType=REBOOT', 'enum value set'],
    ['a label breaking its pattern', '/audit/tasks/audit_1', 'regular expression pattern'],
    ['a label too long', `/audit/tasks/${'a'.repeat(41)}`, 'length between 1 and 40'],
  ])('rejects %s with InvalidRequestException', async (_, path, detail) => {
    const { emulator } = await emulatorForTest();
    const answer = await raw(emulator.endpoint, 'GET', path);
    expect(answer).toMatchObject({ status: 400, type: 'InvalidRequestException' });
    expect(answer.body.message).toContain(detail);
  });

  it('validates nested body members: required, list sizes, map values and enums', async () => {
    const { emulator } = await emulatorForTest();
    const post = (body: unknown) =>
      raw(emulator.endpoint, 'POST', '/audit/mitigationactions/tasks/t-1', body);
    const valid = {
      target: { auditTaskId: 'a-1' },
      auditCheckToActionsMapping: { X: ['a'] },
      clientRequestToken: 't',
    };
    expect((await post({ ...valid, clientRequestToken: undefined })).body.message).toContain(
      "Value null at 'clientRequestToken'",
    );
    expect((await post({ ...valid, target: { findingIds: [] } })).body.message).toContain(
      "at 'target.findingIds' failed to satisfy constraint: Member must have length between 1 and 25",
    );
    expect((await post({ ...valid, auditCheckToActionsMapping: { X: ['a b'] } })).body.message).toContain(
      "at 'auditCheckToActionsMapping.X.value.1.member'",
    );
    const action = await raw(emulator.endpoint, 'POST', '/mitigationactions/actions/a', {
      roleArn: 'arn:aws:iam::123456789012:role/x',
      actionParams: { updateDeviceCertificateParams: { action: 'REVOKE' } },
    });
    expect(action.body.message).toContain("at 'actionParams.updateDeviceCertificateParams.action'");
    expect(action.body.message).toContain('enum value set: [DEACTIVATE]');
  });

  it('takes its routes and constraints from the model copy: a changed pattern changes the answer', async () => {
    const model = loadModel();
    const { iot: original } = await emulatorForTest({ model });
    const changed = structuredClone(model) as SmithyModel & { shapes: Record<string, { traits?: object }> };
    const taskIdShape = changed.shapes['com.amazonaws.iot#MitigationActionsTaskId']!;
    taskIdShape.traits = { ...taskIdShape.traits, 'smithy.api#pattern': '^[0-9]+$' };
    const { iot: strict } = await emulatorForTest({ model: changed });

    const describeTask = (taskId: string) => new DescribeAuditMitigationActionsTaskCommand({ taskId });
    expect(await rejectionOf(original.send(describeTask('task-1')))).toMatchObject({ status: 404 });
    expect(await rejectionOf(strict.send(describeTask('task-1')))).toMatchObject({
      name: 'InvalidRequestException',
      status: 400,
      message: expect.stringContaining('^[0-9]+$'),
    });
    expect(await rejectionOf(strict.send(describeTask('123')))).toMatchObject({ status: 404 });
  });

  it('takes routes from the model copy: a moved URI moves the operation', async () => {
    const model = loadModel();
    const moved = structuredClone(model) as SmithyModel & {
      shapes: Record<string, { traits?: Record<string, unknown> }>;
    };
    const operation = moved.shapes['com.amazonaws.iot#ListMitigationActions']!;
    operation.traits = {
      ...operation.traits,
      'smithy.api#http': { method: 'GET', uri: '/moved/actions', code: 200 },
    };
    const { emulator, iot } = await emulatorForTest({ model: moved });
    await createAction(iot, 'publish', snsParams);
    // The SDK still calls the real URI, which the changed model no longer serves.
    expect(await rejectionOf(iot.send(new ListMitigationActionsCommand({})))).toMatchObject({ status: 404 });
    const answer = await raw(emulator.endpoint, 'GET', '/moved/actions');
    expect(answer.body.actionIdentifiers).toHaveLength(1);
  });

  it('reads the project copy of the model inside the repository', () => {
    expect(MODEL_PATH.pathname).toMatch(/local-cloud\/model\/iot-model-subset\.json$/);
    expect(JSON.parse(readFileSync(MODEL_PATH, 'utf8')).shapes).toBeDefined();
  });
});
