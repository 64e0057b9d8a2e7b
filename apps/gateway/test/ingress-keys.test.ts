import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../src/config/load-config.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { GATEWAY_DIRECTORY, memoryLogger, temporaryDirectory } from './helpers.js';

const SENDGRID_KEY = 'SG.keys-test.0123456789abcdef';
const run = promisify(execFile);

async function publicKeyOf(url: string): Promise<string> {
  const response = await request(`${url}/v3/user/webhooks/event/settings/signed`, {
    headers: { authorization: `Bearer ${SENDGRID_KEY}` },
  });
  expect(response.statusCode).toBe(200);
  return ((await response.body.json()) as { public_key: string }).public_key;
}

function configFile(directory: string, extra = ''): string {
  const file = join(directory, 'gateway.yaml');
  writeFileSync(
    file,
    [
      `apiKeys: [{ id: app, key: "${SENDGRID_KEY}", ingress: { sendgrid: true } }]`,
      'store: { driver: sqlite, path: ./data/gateway.sqlite }',
      "plugins: [{ resolve: '@msg/plugin-console', id: console, options: { silent: true } }]",
      'server: { host: 127.0.0.1, port: 0 }',
      extra,
    ].join('\n'),
  );
  return file;
}

describe('the SendGrid event key', () => {
  let running: Gateway | undefined;
  afterEach(async () => {
    await running?.stop({ timeoutMs: 1000 });
    running = undefined;
  });
  const start = async (file: string) => {
    running = createGateway(await loadConfig(file), {
      logger: memoryLogger(),
      pluginConditions: ['@msg/source'],
    });
    return (await running.start()).url;
  };

  it('is generated once, kept in the store across restarts, and printed by `msg sendgrid-key`', async () => {
    const file = configFile(temporaryDirectory());
    const first = await publicKeyOf(await start(file));
    await running?.stop({ timeoutMs: 1000 });
    const second = await publicKeyOf(await start(file));
    expect(second).toBe(first);
    const printed = await run(
      process.execPath,
      ['--conditions=@msg/source', '--import', 'tsx', 'src/cli.ts', 'sendgrid-key', '--config', file],
      { cwd: GATEWAY_DIRECTORY },
    );
    expect(printed.stdout.trim()).toBe(first);
  });

  it('is the configured one when the config gives a private key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const directory = temporaryDirectory();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config's environment reference, read by the gateway.
    const file = configFile(directory, 'ingress: { sendgrid: { eventSigningKey: "${SG_EVENT_KEY}" } }');
    const loaded = await loadConfig(file, { SG_EVENT_KEY: pem });
    running = createGateway(loaded, { logger: memoryLogger(), pluginConditions: ['@msg/source'] });
    const { url } = await running.start();
    expect(await publicKeyOf(url)).toBe(publicKey.export({ format: 'der', type: 'spki' }).toString('base64'));
  });
});

describe('ingress settings in the config', () => {
  const parse = (raw: Record<string, unknown>) => () =>
    parseConfig(
      {
        store: { driver: 'memory' },
        plugins: [{ resolve: '@msg/plugin-console', id: 'console' }],
        ...raw,
      },
      { directory: GATEWAY_DIRECTORY, env: {} },
    );

  it('refuses a signing key that is not ECDSA P-256', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    expect(
      parse({
        apiKeys: [{ id: 'app', key: SENDGRID_KEY }],
        ingress: { sendgrid: { eventSigningKey: rsa.toString() } },
      }),
    ).toThrow(/ingress\.sendgrid\.eventSigningKey: must be a PEM ECDSA P-256 private key/);
  });

  it('refuses an event webhook the callback policy would refuse, naming it', () => {
    expect(
      parse({
        apiKeys: [
          {
            id: 'app',
            key: SENDGRID_KEY,
            ingress: { sendgrid: { eventWebhookUrl: 'http://127.0.0.1:9000/events' } },
          },
        ],
      }),
    ).toThrow(/apiKeys\.0\.ingress\.sendgrid\.eventWebhookUrl: 127\.0\.0\.1 is a loopback address/);
  });

  it('refuses one Twilio account on two keys', () => {
    const twilio = { accountSid: `AC${'e5'.repeat(16)}`, authToken: 'token-0123456789abcdef' };
    expect(
      parse({
        apiKeys: [
          { id: 'one', key: 'one-key-0123456789abcdef', ingress: { twilio } },
          { id: 'two', key: 'two-key-0123456789abcdef', ingress: { twilio } },
        ],
      }),
    ).toThrow(
      /apiKeys\.1\.ingress\.twilio\.accountSid: account AC(e5){16} is already given to another API key/,
    );
  });
});
