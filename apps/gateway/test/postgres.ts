import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Socket } from 'node:net';
import pg from 'pg';
import { describe, it } from 'vitest';
import { openPostgresStore, type PostgresMessageStore } from '../src/store/postgres/postgres-store.js';

/** The server the PostgreSQL tests run on; `.ci/run` sets it, and without it they skip loudly. */
export const POSTGRES_URL = process.env.MSG_TEST_POSTGRES_URL;

/** `describe`, or a visible skip saying why when no PostgreSQL server is configured. */
export const describePostgres: typeof describe.skip = POSTGRES_URL
  ? describe
  : (((name: string) => {
      console.warn(`[msg] skipping "${name}": MSG_TEST_POSTGRES_URL is not set`);
      describe.skip(`${name} (skipped: MSG_TEST_POSTGRES_URL is not set)`, () => {
        it('needs a PostgreSQL server', () => {});
      });
    }) as unknown as typeof describe.skip);

/** A schema of its own for each store a test opens: parallel test files never meet. */
export const testSchema = () => `msg_test_${randomBytes(6).toString('hex')}`;

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A store on a fresh schema, dropped again when the store closes. */
export async function openTestStore(
  options: {
    schema?: string;
    poolSize?: number;
    drop?: boolean;
    url?: string;
    synchronousCommit?: 'on' | 'off';
  } = {},
): Promise<PostgresMessageStore> {
  const schema = options.schema ?? testSchema();
  const store = await openPostgresStore({
    url: options.url ?? (POSTGRES_URL as string),
    schema,
    poolSize: options.poolSize ?? 4,
    synchronousCommit: options.synchronousCommit,
    pg,
  });
  if (options.drop === false) return store;
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await dropSchema(schema);
  };
  return store;
}

/** A TCP proxy to the server that the test can cut (refused and reset connections) and restore. */
export async function tcpProxy(target: URL) {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const upstream = createConnection(Number(target.port || 5432), target.hostname);
    for (const end of [socket, upstream]) {
      sockets.add(end);
      end.on('error', () => {});
      end.on('close', () => sockets.delete(end));
    }
    socket.pipe(upstream).pipe(socket);
  });
  const listen = (port: number) =>
    new Promise<number>((resolve) =>
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
  const port = await listen(0);
  return {
    port,
    down: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
    up: async () => {
      await listen(port);
    },
  };
}
