// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` is the config's own reference syntax, not a template.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jsonResponse, type SimulatorRequest, SimulatorServer } from '@msg/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokens } from '../src/container.js';
import {
  GATEWAY_DIRECTORY,
  startGateway,
  type TestGateway,
  temporaryDirectory,
  twilioEntry,
} from './helpers.js';

/** What `startGateway` puts in the environment as TEST_SECRET. */
const SECRET = 'super-secret-value';
const ACCOUNT_SID = `AC${'7'.repeat(32)}`;

/**
 * Twilio's API on loopback, refusing every credential with a 401 whose message echoes them, as
 * some providers' auth failures do.
 */
function echoingTwilio(): SimulatorServer {
  const refuse = (request: SimulatorRequest) => {
    const credentials = Buffer.from(
      (request.headers.authorization ?? '').replace(/^Basic /, ''),
      'base64',
    ).toString();
    return jsonResponse(401, {
      code: 20003,
      message: `Authenticate: credentials ${credentials} are not valid`,
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
  };
  return new SimulatorServer({ name: 'twilio-echo' })
    .route('POST', '/2010-04-01/Accounts/:accountSid/Messages.json', refuse)
    .route('GET', '/2010-04-01/Accounts/:accountFile', refuse);
}

describe('provider errors that echo a credential', () => {
  let simulator: SimulatorServer;
  let gateway: TestGateway;

  beforeAll(async () => {
    simulator = echoingTwilio();
    await simulator.start();
    gateway = await startGateway({
      plugins: [twilioEntry({ sid: ACCOUNT_SID, token: '${TEST_SECRET}', baseUrl: simulator.url })],
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await simulator?.stop();
  });

  it('are stored and returned redacted: attempt errors and the message error', async () => {
    const sent = await gateway.call('POST', '/v1/messages?wait=true', {
      body: { to: '+260971234567', text: 'x' },
    });
    expect(sent.body).toMatchObject({
      status: 'failed',
      error: { kind: 'configuration' },
      attempts: [
        { error: { kind: 'configuration', message: expect.stringContaining(`${ACCOUNT_SID}:***`) } },
      ],
    });
    // The simulator did echo it: the redaction is what keeps it out.
    expect(simulator.requests).toHaveLength(1);
    expect(JSON.stringify(sent.body)).not.toContain(SECRET);
    const read = await gateway.call('GET', `/v1/messages/${sent.body.id}`);
    expect(JSON.stringify(read.body)).not.toContain(SECRET);

    const store = gateway.gateway.container.get(Tokens.MessageStore);
    const stored = await store.get(sent.body.id);
    const attempts = await store.attempts(sent.body.id);
    expect(attempts[0]?.errorMessage).toContain('***');
    expect(JSON.stringify([stored, attempts])).not.toContain(SECRET);
  });

  it('are redacted in the health check details of GET /v1/providers?check=true', async () => {
    const providers = await gateway.call('GET', '/v1/providers?check=true');
    expect(providers.body.providers[0].health.check).toEqual({
      ok: false,
      detail: expect.stringContaining(`${ACCOUNT_SID}:***`),
    });
    expect(JSON.stringify(providers.body)).not.toContain(SECRET);
  });
});

describe('start-up errors of the CLI', () => {
  const run = promisify(execFile);

  async function startWith(config: string, env: Record<string, string>): Promise<string> {
    const directory = temporaryDirectory();
    const file = join(directory, 'gateway.yaml');
    writeFileSync(file, config);
    const outcome = await run(
      process.execPath,
      ['--conditions=@msg/source', '--import', 'tsx', 'src/cli.ts', 'start', '--config', file, '--port', '0'],
      { cwd: GATEWAY_DIRECTORY, env: { ...process.env, ...env }, timeout: 20_000 },
    ).then(
      () => ({ stderr: '', exited: 0 }),
      (error: { stderr: string; code: number }) => ({ stderr: error.stderr, exited: error.code }),
    );
    expect(outcome.exited).toBe(1);
    return outcome.stderr;
  }

  const base = `
apiKeys: [{ id: client, key: "\${MSG_API_KEY}" }]
plugins: [{ resolve: "@msg/plugin-console", id: console, options: { silent: true } }]
log: { level: silent }
`;

  it('never print a ${VAR} value used in store.path', async () => {
    const blocker = join(temporaryDirectory(), 'tenant-7f3a9c-private');
    writeFileSync(blocker, 'a file where a folder must go');
    const stderr = await startWith(
      `${base}store: { driver: sqlite, path: "\${STORE_DIR}/sub/gateway.sqlite" }\n`,
      {
        MSG_API_KEY: 'cli-api-key-0123456789abcdef',
        STORE_DIR: blocker,
      },
    );
    expect(stderr).toContain('***/sub/gateway.sqlite');
    expect(stderr).not.toContain('tenant-7f3a9c-private');
  });

  it('never print a ${VAR} value used in a plugin resolve path', async () => {
    const directory = join(temporaryDirectory(), 'vendor-9d2e1b-token');
    mkdirSync(directory);
    const stderr = await startWith(
      `apiKeys: [{ id: client, key: "\${MSG_API_KEY}" }]
plugins: [{ resolve: "\${PLUGIN_DIR}/missing-plugin.js", id: custom }]
store: { driver: memory }
log: { level: silent }
`,
      { MSG_API_KEY: 'cli-api-key-0123456789abcdef', PLUGIN_DIR: directory },
    );
    expect(stderr).toContain('***/missing-plugin.js');
    expect(stderr).not.toContain('vendor-9d2e1b-token');
  });
});
