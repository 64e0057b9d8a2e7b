import { join } from 'node:path';
import { createAcmeSimulator } from '@msg/example-plugin-acme/simulator';
import type { SimulatorServer } from '@msg/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcceptResult } from '../src/store/message-store.js';
import { SqliteMessageStore } from '../src/store/sqlite-store.js';
import { eventually, startGateway, temporaryDirectory } from './helpers.js';

const KEY = 'acme-key';
const SECRET = 'acme-webhook-secret-0123';

/** Holds every accept after its commit until released: shutdown can begin in that gap. */
class GatedStore extends SqliteMessageStore {
  committed = 0;
  private gate: Promise<void> | undefined;
  private open: () => void = () => {};

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open();
    this.gate = undefined;
  }

  override async accept(...args: Parameters<SqliteMessageStore['accept']>): Promise<AcceptResult> {
    const result = await super.accept(...args);
    this.committed++;
    await this.gate;
    return result;
  }
}

describe('a send accepted while shutdown begins', () => {
  let simulator: SimulatorServer;

  beforeAll(async () => {
    simulator = createAcmeSimulator({ [KEY]: SECRET });
    await simulator.start();
  });
  afterAll(async () => {
    await simulator.stop();
  });

  const config = (path: string) => ({
    store: { driver: 'sqlite', path },
    plugins: [
      {
        resolve: '@msg/example-plugin-acme',
        id: 'acme',
        options: { apiKey: KEY, baseUrl: simulator.url, webhookSecret: SECRET },
      },
    ],
  });

  /** Starts a gateway, sends while shutdown begins between the commit and the answer, stops it. */
  async function sendDuringShutdown(path: string, method: 'single' | 'batch') {
    const store = new GatedStore({ path });
    const gateway = await startGateway(config(path), { store });
    store.hold();
    const response =
      method === 'single'
        ? gateway.call('POST', '/v1/messages', { body: { to: '+260971234567', text: 'x' } })
        : gateway.call('POST', '/v1/messages/batch', {
            body: {
              messages: [
                { to: '+260971234567', text: 'x' },
                { to: '+260971234568', text: 'y' },
              ],
            },
          });
    await eventually(async () => (store.committed === (method === 'single' ? 1 : 2) ? true : undefined));
    const stopped = gateway.gateway.stop({ timeoutMs: 2000 });
    store.release();
    const answer = await response;
    await stopped;
    return answer;
  }

  async function deliveredAfterRestart(path: string, ids: string[]) {
    const restarted = await startGateway(config(path));
    try {
      for (const id of ids) {
        await eventually(async () => {
          const read = await restarted.call('GET', `/v1/messages/${id}`);
          return read.body.status === 'delivered' ? true : undefined;
        });
      }
    } finally {
      await restarted.stop();
    }
    const references = simulator.requests.map((request) => JSON.parse(request.body.toString()).reference);
    for (const id of ids) expect(references.filter((reference) => reference === id)).toHaveLength(1);
  }

  it('answers 202 for a message it stored (never 503), and the next start sends it once', async () => {
    const path = join(temporaryDirectory(), 'gateway.sqlite');
    const answer = await sendDuringShutdown(path, 'single');
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ id: expect.stringMatching(/^msg_/), status: 'queued' });
    const check = new SqliteMessageStore({ path });
    expect((await check.get(answer.body.id))?.dispatchState).toBe('queued');
    await check.close();
    await deliveredAfterRestart(path, [answer.body.id]);
  });

  it('answers 202 with every stored message of a batch, and the next start sends each once', async () => {
    const path = join(temporaryDirectory(), 'gateway.sqlite');
    const answer = await sendDuringShutdown(path, 'batch');
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ accepted: 2, rejected: 0 });
    const ids = answer.body.results.map((result: { id: string }) => result.id);
    await deliveredAfterRestart(path, ids);
  });
});
