import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PluginError } from '../src/errors.js';
import {
  assertPlugin,
  createProvider,
  definePlugin,
  importPlugin,
  type Plugin,
  silentLogger,
} from '../src/plugin.js';
import type { Provider } from '../src/provider.js';

const context = { instanceId: 'demo-1', logger: silentLogger, now: () => Date.now() };

function providerFor(id: string): Provider<'sms'> {
  return {
    specificationVersion: 'v1',
    id,
    plugin: 'demo',
    channel: 'sms',
    capabilities: { maxBatchSize: 1, unicode: true, deliveryReceipts: false, senderTypes: ['numeric'] },
    send: async () => ({ providerMessageId: 'p-1', status: 'queued' }),
    close: async () => {},
  };
}

const zodPlugin = definePlugin({
  name: 'demo',
  version: '1.0.0',
  specificationVersion: 'v1',
  channels: ['sms'],
  optionsSchema: z.object({ apiKey: z.string().min(1), region: z.object({ name: z.enum(['eu', 'us']) }) }),
  create: (_options, ctx) => providerFor(ctx.instanceId),
});

async function caught(promise: Promise<unknown>): Promise<PluginError> {
  try {
    await promise;
  } catch (error) {
    if (PluginError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a PluginError');
}

describe('plugin loading', () => {
  it('creates a provider from a zod-schema plugin with valid options', async () => {
    const provider = await createProvider(zodPlugin, { apiKey: 'k', region: { name: 'eu' } }, context);
    expect(provider.id).toBe('demo-1');
  });

  it('accepts a valibot schema just the same', async () => {
    const plugin = definePlugin({
      name: 'demo-valibot',
      version: '1.0.0',
      specificationVersion: 'v1',
      channels: ['sms'],
      optionsSchema: v.object({ token: v.pipe(v.string(), v.minLength(3)) }),
      create: (options, ctx) => {
        expect(options.token).toBe('abc');
        return providerFor(ctx.instanceId);
      },
    });
    await expect(createProvider(plugin, { token: 'abc' }, context)).resolves.toMatchObject({ id: 'demo-1' });
    const error = await caught(createProvider(plugin, { token: 'a' }, context));
    expect(error.message).toMatch(/options\.token/);
  });

  it('names the plugin, the instance and the option path of invalid options', async () => {
    const error = await caught(createProvider(zodPlugin, { apiKey: '', region: { name: 'mars' } }, context));
    expect(error.code).toBe('MSG_ERR_PLUGIN_OPTIONS');
    expect(error.message).toContain('[msg] [demo]');
    expect(error.message).toContain('"demo-1"');
    expect(error.issues.map((issue) => issue.path)).toEqual(['apiKey', 'region.name']);
    expect(error.message).toContain('options.region.name');
  });

  it('refuses a plugin of an unsupported contract version and names both versions', () => {
    let error: unknown;
    try {
      assertPlugin({ default: { ...zodPlugin, specificationVersion: 'v9' } }, 'demo-pkg');
    } catch (e) {
      error = e;
    }
    expect(PluginError.isInstance(error) && error.code).toBe('MSG_ERR_PLUGIN_VERSION');
    expect((error as Error).message).toMatch(/"v9".*supports v1/);
  });

  it('refuses a module whose default export is not a plugin', () => {
    expect(() => assertPlugin({ default: 42 }, 'x')).toThrow(/default export must be a plugin object/);
    expect(() => assertPlugin({ ...zodPlugin, create: undefined }, 'x')).toThrow(/create\(\)/);
  });

  it('says a package is not installed rather than showing a resolver stack', async () => {
    const error = await caught(importPlugin('@msg/plugin-does-not-exist'));
    expect(error.code).toBe('MSG_ERR_PLUGIN_NOT_FOUND');
    expect(error.message).toBe(
      '[msg] [@msg/plugin-does-not-exist] cannot find @msg/plugin-does-not-exist — is it installed?',
    );
  });

  it('refuses a plugin declaring a channel this host does not know, naming it and the known ones', () => {
    let caught: unknown;
    try {
      assertPlugin({ ...zodPlugin, channels: ['sms', 'fax'] }, 'fax-plugin');
    } catch (error) {
      caught = error;
    }
    expect(PluginError.isInstance(caught)).toBe(true);
    expect((caught as PluginError).code).toBe('MSG_ERR_PLUGIN_INVALID');
    expect((caught as PluginError).message).toBe(
      '[msg] [demo] declares channel "fax", which is unknown; this host knows sms, email, whatsapp (upgrade the host, or the plugin is not for it)',
    );
  });

  it('accepts a plugin for the WhatsApp channel', () => {
    expect(assertPlugin({ ...zodPlugin, channels: ['whatsapp'] }, 'wa').channels).toEqual(['whatsapp']);
  });

  it('refuses a provider whose channel this host does not know', async () => {
    const fax: Plugin<unknown> = {
      ...zodPlugin,
      channels: ['fax' as never],
      optionsSchema: z.any(),
      create: (_options, ctx) => ({ ...providerFor(ctx.instanceId), channel: 'fax' as never }),
    };
    const error = await caught(createProvider(fax, {}, context));
    expect(error.code).toBe('MSG_ERR_PLUGIN_INVALID');
    expect(error.message).toBe(
      '[msg] [demo] create() returned a provider of channel "fax", which is unknown; this host knows sms, email, whatsapp',
    );
  });

  it('checks what create() returned', async () => {
    const wrongId: Plugin<unknown> = {
      ...zodPlugin,
      optionsSchema: z.any(),
      create: () => providerFor('other'),
    };
    const error = await caught(createProvider(wrongId, {}, context));
    expect(error.message).toMatch(/context\.instanceId/);
    const throwing: Plugin<unknown> = {
      ...wrongId,
      create: () => {
        throw new Error('boom');
      },
    };
    expect((await caught(createProvider(throwing, {}, context))).code).toBe('MSG_ERR_PLUGIN_CREATE');
  });
});
