import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../clock.ts';
import { type LocalSsmEndpoint, ParameterStore, startLocalSsmEndpoint } from '../parameter-store.ts';

const clock = new VirtualClock(Date.UTC(2026, 10, 1), { autoAdvance: false });
const store = new ParameterStore(clock);
let local: LocalSsmEndpoint;
let ssm: SSMClient;

beforeAll(async () => {
  local = await startLocalSsmEndpoint(store);
  ssm = new SSMClient({
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
});
afterAll(() => local.close());

describe('local parameter store', () => {
  it('answers GetParameter to the real SDK with the value and when it was last set', async () => {
    store.set('/ddr/switch', 'dry-run');
    await clock.advance(60_000);
    store.set('/ddr/switch', 'enforce');
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: '/ddr/switch' }));
    expect(Parameter).toMatchObject({
      Value: 'enforce',
      Version: 2,
      LastModifiedDate: new Date(Date.UTC(2026, 10, 1, 0, 1)),
    });
    expect(store.values.get('/ddr/switch')).toBe('enforce');
  });

  it('answers ParameterNotFound for a missing name', async () => {
    await expect(ssm.send(new GetParameterCommand({ Name: '/nope' }))).rejects.toBeInstanceOf(
      ParameterNotFound,
    );
  });
});
