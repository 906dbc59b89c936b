// aws-sdk:ssm:putParameter on the local engine, as the remediation state machine writes its
// verification markers: into the same store getParameter reads, Overwrite as PutParameter's API
// reference says, errors named as Step Functions names AWS SDK errors (Ssm.<Name>Exception).
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../clock.ts';
import { ParameterStore } from '../../parameter-store.ts';
import { LocalStepFunctions } from '../../stepfunctions/index.ts';

const START = Date.UTC(2026, 0, 1);

function newRunner() {
  const clock = new VirtualClock(START);
  const store = new ParameterStore(clock);
  const sfn = new LocalStepFunctions({ clock, ssmParameters: store });
  return { clock, store, sfn };
}

/** Writes `$.parameters` and reads the name back; any error is caught as the output. */
const writeThenRead = {
  StartAt: 'Write',
  States: {
    Write: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:ssm:putParameter',
      Parameters: { 'Name.$': '$.name', 'Value.$': '$.value', Type: 'String', 'Overwrite.$': '$.overwrite' },
      ResultPath: '$.written',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }],
      Next: 'Read',
    },
    Read: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:ssm:getParameter',
      Parameters: { 'Name.$': '$.name' },
      ResultSelector: { 'value.$': '$.Parameter.Value', 'version.$': '$.Parameter.Version' },
      ResultPath: '$.read',
      End: true,
    },
    Failed: { Type: 'Pass', End: true },
  },
};

describe('aws-sdk:ssm:putParameter', () => {
  it('creates a parameter that getParameter then reads, answering its Version and Tier', async () => {
    const { store, sfn, clock } = newRunner();
    const outcome = await sfn.startExecution({
      definition: writeThenRead,
      input: { name: '/stack/verification-audits/abc', value: 'enf-1', overwrite: false },
    }).result;

    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toMatchObject({
      written: { Version: 1, Tier: 'Standard' },
      read: { value: 'enf-1', version: 1 },
    });
    expect(store.get('/stack/verification-audits/abc')).toEqual({
      value: 'enf-1',
      lastModified: clock.now(),
      version: 1,
    });
  });

  it('replaces an existing value with Overwrite: true, a new version', async () => {
    const { store, sfn } = newRunner();
    store.set('/stack/verification-audits/_starting', 'enf-0');
    const outcome = await sfn.startExecution({
      definition: writeThenRead,
      input: { name: '/stack/verification-audits/_starting', value: 'enf-1', overwrite: true },
    }).result;

    expect(outcome.output).toMatchObject({ written: { Version: 2 }, read: { value: 'enf-1', version: 2 } });
  });

  it('refuses to replace an existing value without Overwrite: Ssm.ParameterAlreadyExistsException', async () => {
    const { store, sfn } = newRunner();
    store.set('/stack/x', 'kept');
    const outcome = await sfn.startExecution({
      definition: writeThenRead,
      input: { name: '/stack/x', value: 'new', overwrite: false },
    }).result;

    expect(outcome.output).toMatchObject({ Error: 'Ssm.ParameterAlreadyExistsException' });
    expect(store.get('/stack/x')?.value).toBe('kept');
  });

  it.each([
    ['no Value', { Name: '/stack/x', Type: 'String' }],
    ['no Name', { Value: 'v', Type: 'String' }],
    ['a StringList (not served locally)', { Name: '/stack/x', Value: 'a,b', Type: 'StringList' }],
  ])('refuses %s: Ssm.ValidationException, nothing written', async (_, parameters) => {
    const { store, sfn } = newRunner();
    const outcome = await sfn.startExecution({
      definition: {
        StartAt: 'Write',
        States: {
          Write: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:ssm:putParameter',
            Parameters: parameters,
            Catch: [{ ErrorEquals: ['Ssm.ValidationException'], Next: 'Refused' }],
            End: true,
          },
          Refused: { Type: 'Pass', End: true },
        },
      },
    }).result;

    expect(outcome.output).toMatchObject({ Error: 'Ssm.ValidationException' });
    expect(store.values.size).toBe(0);
  });
});
