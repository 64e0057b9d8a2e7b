import { assertPlugin, createProvider, SPECIFICATION_VERSION } from '@msg/core';
import { expect, it } from 'vitest';
import { type ConformanceRun, describeError, holdsWithin, settle } from './conformance-run.js';
import { secretsOf } from './conformance-secrets.js';

/** The plugin object, the provider's shape, options, credentials kept apart, and `close()`. */
export function lifecycleChecks<Options>(run: ConformanceRun<Options>): void {
  it('exports a plugin object this host accepts', () => {
    const plugin = assertPlugin(run.target.plugin, run.name);
    expect(plugin.specificationVersion, 'plugin.specificationVersion').toBe(SPECIFICATION_VERSION);
    expect(plugin.version, 'plugin.version must be semver').toMatch(/^\d+\.\d+\.\d+/);
  });

  it('creates a provider that describes itself', async () => {
    const provider = await run.make(run.setup.options, 'conformance-a');
    expect(provider.id, 'provider.id must be context.instanceId').toBe('conformance-a');
    expect(provider.specificationVersion, 'provider.specificationVersion').toBe(SPECIFICATION_VERSION);
    expect(provider.plugin, 'provider.plugin must be the plugin name').toBe(run.target.plugin.name);
    expect(run.target.plugin.channels, 'provider.channel must be one of the plugin channels').toContain(
      provider.channel,
    );
    const { capabilities } = provider;
    expect(capabilities.maxBatchSize, 'capabilities.maxBatchSize').toBeGreaterThanOrEqual(1);
    expect(typeof capabilities.unicode, 'capabilities.unicode').toBe('boolean');
    expect(typeof capabilities.deliveryReceipts, 'capabilities.deliveryReceipts').toBe('boolean');
    expect(capabilities.senderTypes.length, 'capabilities.senderTypes').toBeGreaterThan(0);
  });

  it('can be closed twice', async () => {
    const provider = await createProvider(
      run.target.plugin,
      run.setup.options,
      run.context('conformance-close'),
    );
    await provider.close();
    await expect(provider.close(), 'a second close() must resolve').resolves.toBeUndefined();
  });

  it('refuses options that are not an object, naming the plugin', async () => {
    const outcome = await settle(createProvider(run.target.plugin, 42, run.context('conformance-bad')));
    expect(outcome.ok, 'options 42 must be refused').toBe(false);
    const error = (outcome as { error: unknown }).error;
    expect((error as { code?: string }).code, `error code of ${describeError(error)}`).toBe(
      'MSG_ERR_PLUGIN_OPTIONS',
    );
    expect((error as Error).message, 'the error names the plugin').toContain(`[${run.target.plugin.name}]`);
  });

  it('declares which options are secrets, and they are real option values', async () => {
    const declared = run.setup.secrets as readonly string[] | undefined;
    expect(
      declared,
      'declare `secrets`: the option paths whose values are secrets (`[]` when there are none)',
    ).toBeDefined();
    const { problems } = secretsOf([run.setup.options, run.setup.otherOptions], declared ?? []);
    expect(problems, 'every declared secret path must hold a string option').toEqual([]);
  });

  it('keeps two instances with different credentials apart', async (context) => {
    const { setup } = run;
    if (!setup.otherOptions || !setup.simulator || !setup.credentialOf) {
      return context.skip('no second set of credentials');
    }
    const simulator = setup.simulator;
    const first = await run.make(setup.options, 'conformance-first');
    const second = await run.make(setup.otherOptions, 'conformance-second');
    const expected = [setup.credentialOf(setup.options), setup.credentialOf(setup.otherOptions)];
    expect(expected[0], 'the two option sets must carry different credentials').not.toBe(expected[1]);
    const seen: Array<string | undefined> = [];
    for (const provider of [first, second, first, second]) {
      const before = simulator.requests.length;
      await run.send(provider);
      seen.push(simulator.requests.slice(before).find((request) => request.credential)?.credential);
    }
    expect(seen, 'the credential each send reached the simulator with').toEqual([
      expected[0],
      expected[1],
      expected[0],
      expected[1],
    ]);
    await first.close();
    await expect(
      run.send(second),
      'closing one instance must leave the other working',
    ).resolves.toMatchObject({
      providerMessageId: expect.any(String),
    });
  });
}

/** Runs last: every provider the suite made is closed, and no connection may stay open. */
export function connectionChecks<Options>(run: ConformanceRun<Options>): void {
  it('leaves no connection open after close()', async (context) => {
    const simulator = run.setup.simulator;
    if (!simulator) return context.skip('no simulator');
    const deadline = run.target.closeDeadlineMs ?? 1000;
    await run.closeAll();
    const drained = await holdsWithin(() => simulator.openConnections === 0, deadline * 2);
    expect(
      drained ? 0 : simulator.openConnections,
      `connections still open ${deadline * 2} ms after close() of every provider the suite made`,
    ).toBe(0);
    const provider = await run.make(run.setup.options, 'conformance-connections');
    await run.send(provider);
    const afterSend = simulator.openConnections;
    await provider.close();
    const closed = await holdsWithin(() => simulator.openConnections === 0, deadline);
    expect(
      closed ? 0 : simulator.openConnections,
      `connections still open ${deadline} ms after close() (${afterSend} open after one send)`,
    ).toBe(0);
  });
}
