import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteMessageStore } from '../src/store/sqlite-store.js';
import { GATEWAY_DIRECTORY, startChild, temporaryDirectory } from './helpers.js';

const KEY = 'crash-test-key-0123456789';

describe('crash safety (separate process, SIGKILL under load)', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('loses no accepted message: after a restart each ends delivered or explicitly failed', async () => {
    const directory = temporaryDirectory();
    const storePath = join(directory, 'gateway.sqlite');
    const config = join(directory, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0 },
        apiKeys: [{ id: 'load', key: KEY, scopes: ['send', 'read'], rateLimitPerMinute: 10_000_000 }],
        store: { driver: 'sqlite', path: storePath },
        dispatch: { concurrency: 4, shutdownTimeoutMs: 5000 },
        plugins: [
          {
            resolve: join(GATEWAY_DIRECTORY, 'test/fixtures/slow-plugin.ts'),
            id: 'slow',
            // Slow enough that a backlog builds and every worker is busy when the kill comes.
            options: { delayMs: 100 },
          },
        ],
        log: { level: 'info' },
      }),
    );

    const first = await startChild(config);
    children.push(first.process);
    const pool = new Pool(first.url, { connections: 16 });
    const accepted: string[] = [];
    let killed = false;
    const loadDeadline = Date.now() + 30_000;
    const worker = async (index: number) => {
      for (let sequence = 0; !killed; sequence++) {
        try {
          const response = await pool.request({
            method: 'POST',
            path: '/v1/messages',
            headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              to: `+26097${String(index).padStart(2, '0')}${String(sequence).padStart(5, '0')}`,
              text: 'load',
            }),
          });
          const body = (await response.body.json()) as { id?: string };
          if (response.statusCode === 202 && body.id) accepted.push(body.id);
        } catch {
          // The connection died with the process: this request was never acknowledged.
        }
      }
    };
    // Kill only when the store holds both kinds of unfinished work, so both recovery paths run
    // whatever the machine's load: messages in flight at a provider, and messages still queued.
    const killer = async () => {
      const probe = new Pool(first.url, { connections: 1 });
      while (!killed) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const response = await probe.request({ method: 'GET', path: '/readyz' });
        const body = (await response.body.json()) as { queue?: { queued: number; inFlight: number } };
        const busy = (body.queue?.inFlight ?? 0) > 0 && (body.queue?.queued ?? 0) > 0;
        if (accepted.length >= 200 && busy) {
          killed = true;
          first.process.kill('SIGKILL');
        } else if (Date.now() > loadDeadline) {
          // Killing without work both in flight and queued would test less than this test claims.
          killed = true;
          first.process.kill('SIGKILL');
          throw new Error(
            `no backlog built up in time: ${JSON.stringify(body.queue)}, ${accepted.length} accepted`,
          );
        }
      }
      await probe.destroy().catch(() => {});
    };
    await Promise.all([killer(), ...Array.from({ length: 16 }, (_, index) => worker(index))]);
    await first.exited;
    await pool.destroy();
    expect(accepted.length).toBeGreaterThanOrEqual(200);

    // Restart on the same store: recovery finishes what the crash left.
    const second = await startChild(config);
    children.push(second.process);
    const probe = new Pool(second.url, { connections: 1 });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const response = await probe.request({ method: 'GET', path: '/readyz' });
      const body = (await response.body.json()) as { queue?: { queued: number; inFlight: number } };
      if (body.queue && body.queue.queued === 0 && body.queue.inFlight === 0) break;
      if (Date.now() > deadline) throw new Error('recovery did not finish');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await probe.destroy();
    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const recovered = /"message":"recovered messages from the store"[^\n]*/.exec(second.stderr());
    expect(recovered, 'the crash should leave work behind').not.toBeNull();
    const counts = JSON.parse(recovered?.[0].startsWith('{') ? recovered[0] : `{${recovered?.[0]}`) as {
      redispatched: number;
      failed: number;
      queued: number;
    };
    // Both recovery paths ran: messages in flight at the kill, and messages still queued.
    expect(counts.redispatched + counts.failed).toBeGreaterThan(0);
    expect(counts.queued).toBeGreaterThan(0);

    const store = new SqliteMessageStore({ path: storePath });
    try {
      const unfinished: string[] = [];
      for (const id of accepted) {
        const message = await store.get(id);
        if (message?.dispatchState !== 'done' || !['delivered', 'failed'].includes(message.status)) {
          unfinished.push(`${id}: ${message ? `${message.dispatchState}/${message.status}` : 'missing'}`);
        }
      }
      expect(unfinished).toEqual([]);
      expect(await store.countByDispatchState()).toMatchObject({ queued: 0, 'in-flight': 0 });
    } finally {
      await store.close();
    }
  }, 60_000);
});
