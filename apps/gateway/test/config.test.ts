// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` is the config's own reference syntax, not a template.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '@msg/core';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../src/config/load-config.js';
import { closeProviders, loadProviders } from '../src/plugins/plugin-host.js';
import { activeConditions } from '../src/plugins/resolve-module.js';
import { GATEWAY_DIRECTORY, temporaryDirectory } from './helpers.js';

const minimal = {
  apiKeys: [{ id: 'k', key: '${MSG_API_KEY}' }],
  plugins: [{ resolve: '@msg/plugin-console', id: 'console' }],
};
const env = { MSG_API_KEY: 'a-very-secret-api-key-123' };

describe('config', () => {
  it('loads YAML with ${VAR} references and defaults', async () => {
    const directory = temporaryDirectory();
    const file = join(directory, 'gateway.yaml');
    writeFileSync(
      file,
      'apiKeys:\n  - id: k\n    key: ${MSG_API_KEY}\nplugins:\n  - resolve: "@msg/plugin-console"\n    id: console\n    options:\n      channel: ${CHANNEL:-email}\n',
    );
    const loaded = await loadConfig(file, env);
    expect(loaded.config.apiKeys[0]).toMatchObject({ key: env.MSG_API_KEY, scopes: ['send', 'read'] });
    expect(loaded.config.plugins[0]?.options).toEqual({ channel: 'email' });
    expect(loaded.config.store).toMatchObject({ driver: 'sqlite', synchronous: 'normal' });
    expect(loaded.directory).toBe(directory);
    expect(loaded.secrets.redact(`key=${env.MSG_API_KEY}`)).toBe('key=***');
  });

  it('loads JSON', async () => {
    const file = join(temporaryDirectory(), 'gateway.json');
    writeFileSync(file, JSON.stringify(minimal));
    expect((await loadConfig(file, env)).config.plugins).toHaveLength(1);
  });

  it('names the file, the path and the reason, and never prints a secret', async () => {
    const file = join(temporaryDirectory(), 'gateway.json');
    writeFileSync(
      file,
      JSON.stringify({ ...minimal, server: { port: 'eighty' }, apiKeys: [{ id: 'k', key: '${SHORT}' }] }),
    );
    const error = await loadConfig(file, { SHORT: 'tiny-secret' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.file).toBe(file);
    expect(configError.message).toContain(file);
    expect(configError.issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining(['server.port', 'apiKeys.0.key']),
    );
    expect(configError.message).not.toContain('tiny-secret');
  });

  it('defaults the message lifecycle and refuses a receipt window shorter than the deadline', () => {
    const { config } = parseConfig(minimal, { env });
    expect(config.receipts).toMatchObject({
      deadlineMs: 72 * 3600 * 1000,
      reconcile: { afterMs: 15 * 60 * 1000 },
    });
    expect(config.dispatch.retryRounds).toMatchObject({ maxRounds: 10, maxAgeMs: 3600 * 1000 });
    expect(() =>
      parseConfig({ ...minimal, receipts: { deadlineMs: 10_000, windowMs: 5000 } }, { env }),
    ).toThrow(/receipts\.windowMs: must be at least receipts\.deadlineMs \(10000\)/);
  });

  it('refuses a negative or malformed price and a price or spend limit for an unknown provider', () => {
    const error = (() => {
      try {
        parseConfig(
          {
            ...minimal,
            costs: {
              prices: [{ provider: 'console', amount: '-0.01' }],
            },
          },
          { env },
        );
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('accepted');
    })();
    expect(error.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'costs.prices.0.amount',
          message: expect.stringMatching(/non-negative/),
        }),
      ]),
    );
    // The instance ids are checked once the shapes are right.
    expect(() =>
      parseConfig(
        {
          ...minimal,
          costs: { prices: [{ provider: 'nowhere', amount: '0.01' }], spendLimits: { ghost: '1' } },
        },
        { env },
      ),
    ).toThrow(
      /costs\.prices\.0\.provider: unknown provider instance "nowhere"[\s\S]*costs\.spendLimits\.ghost: unknown provider instance "ghost"/,
    );
  });

  it('names a missing environment variable with the path that uses it', () => {
    expect(() => parseConfig(minimal, { env: {} })).toThrow(
      /apiKeys\.0\.key: environment variable MSG_API_KEY is not set/,
    );
  });

  it('refuses unknown keys and duplicate instance ids', () => {
    const error = (() => {
      try {
        parseConfig({ ...minimal, plugins: [minimal.plugins[0], minimal.plugins[0]], extra: 1 }, { env });
      } catch (caught) {
        return caught as ConfigError;
      }
    })();
    expect(error?.issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(['plugins.1.id', '']));
    expect(error?.message).toContain('duplicate instance id "console"');
    expect(error?.message).toContain('extra');
  });

  it('reports an unreadable file and bad YAML with the file', async () => {
    await expect(loadConfig('/nonexistent/gateway.yaml')).rejects.toThrow(
      /\/nonexistent\/gateway.yaml[\s\S]*cannot read/,
    );
    const file = join(temporaryDirectory(), 'broken.yaml');
    writeFileSync(file, 'plugins: [\n  - {');
    await expect(loadConfig(file, env)).rejects.toThrow(/not valid YAML/);
  });

  it('reads --conditions from the command line', () => {
    expect(activeConditions(['--conditions=@msg/source'], '')).toEqual(['@msg/source']);
    expect(activeConditions(['-C', 'dev'], '--conditions=x')).toEqual(['dev', 'x']);
  });
});

describe('plugin host', () => {
  const options = {
    directory: GATEWAY_DIRECTORY,
    logger: silentLogger,
    publicUrl: 'http://127.0.0.1:1',
    sandbox: false,
    conditions: ['@msg/source'],
  };
  const entry = (resolve: string, id: string, pluginOptions: Record<string, unknown> = {}) => ({
    resolve,
    id,
    options: pluginOptions,
  });

  it('runs several instances of one plugin side by side', async () => {
    const hosted = await loadProviders(
      [
        entry('@msg/plugin-console', 'sms-sink'),
        entry('@msg/plugin-console', 'mail-sink', { channel: 'email' }),
      ],
      options,
    );
    expect(hosted.map((item) => [item.provider.id, item.provider.channel])).toEqual([
      ['sms-sink', 'sms'],
      ['mail-sink', 'email'],
    ]);
    await closeProviders(hosted);
  });

  it('says which package is missing', async () => {
    await expect(loadProviders([entry('@msg/plugin-nope', 'x')], options)).rejects.toThrow(
      'cannot find @msg/plugin-nope — is it installed?',
    );
  });

  it('refuses invalid options, naming the plugin, the instance and the option', async () => {
    await expect(
      loadProviders([entry('@msg/plugin-console', 'c', { colour: 'red' })], options),
    ).rejects.toMatchObject({
      code: 'MSG_ERR_PLUGIN_OPTIONS',
      message: expect.stringMatching(/plugin-console.*instance "c"/),
    });
  });

  it('refuses a plugin of an unsupported contract version', async () => {
    await expect(
      loadProviders([entry('./test/fixtures/old-contract-plugin.ts', 'old')], options),
    ).rejects.toMatchObject({
      code: 'MSG_ERR_PLUGIN_VERSION',
      message: expect.stringContaining('"v0"'),
    });
  });

  it('points an instance at its simulator in sandbox mode', async () => {
    const hosted = await loadProviders([entry('@msg/example-plugin-acme', 'acme', { apiKey: 'real-key' })], {
      ...options,
      sandbox: true,
    });
    try {
      const result = await hosted[0]?.provider.send(
        { id: 'm1', channel: 'sms', to: '+260971234567', text: 'hi' } as never,
        { signal: new AbortController().signal },
      );
      expect(result?.providerMessageId).toMatch(/^acme_/);
    } finally {
      await closeProviders(hosted);
    }
  });
});
