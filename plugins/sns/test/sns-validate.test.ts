import { describe, expect, it } from 'vitest';
import { makeProvider, providerError, send, simulatorForFile, sms } from './sns-helpers.js';

const { simulator, options } = simulatorForFile();
const signal = () => new AbortController().signal;

describe('validate (local: SNS has no dry run for Publish)', () => {
  it('judges a message without publishing it: no request, nothing published', async () => {
    const provider = await makeProvider({ ...options, senderId: 'ACME' });
    expect(provider.capabilities.validation).toBe('local');
    await expect(
      provider.validate!(sms({ text: 'x'.repeat(161) }) as never, { signal: signal() }),
    ).resolves.toEqual({
      method: 'local',
      segments: 2,
    });
    expect(simulator.requests).toHaveLength(0);
    expect(simulator.published).toHaveLength(0);
    await provider.close();
  });

  it('refuses what SNS refuses, with the code and kind a Publish meets, without a request', async () => {
    const provider = await makeProvider({ ...options, senderId: 'ACME' });
    const cases = [
      // SNS takes a sender id of letters, digits and dashes only.
      { message: sms({ from: 'ACME Bank' }), code: 'ParameterValueInvalid' },
      { message: sms({ text: 'x'.repeat(1601) }), code: 'MessageTooLong' },
    ];
    for (const { message, code } of cases) {
      const before = simulator.requests.length;
      const refused = await providerError(provider.validate!(message as never, { signal: signal() }));
      expect(refused).toMatchObject({ kind: 'permanent', providerCode: code });
      expect(simulator.requests).toHaveLength(before);
      // A send of the same message meets the same kind, at SNS or before it.
      expect((await providerError(send(provider, message))).kind).toBe('permanent');
    }
    expect(simulator.published).toHaveLength(0);
    await provider.close();
  });

  it('rejects at once on an aborted signal or a closed provider', async () => {
    const provider = await makeProvider(options);
    const controller = new AbortController();
    controller.abort();
    await expect(provider.validate!(sms() as never, { signal: controller.signal })).rejects.toThrow();
    await provider.close();
    expect((await providerError(provider.validate!(sms() as never, { signal: signal() }))).kind).toBe(
      'configuration',
    );
    expect(simulator.requests).toHaveLength(0);
  });
});
