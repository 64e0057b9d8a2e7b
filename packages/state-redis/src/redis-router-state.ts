import { randomBytes } from 'node:crypto';
import {
  type BreakerSnapshot,
  MemoryRouterStateStore,
  type MigrationState,
  type RouterStateChange,
  type RouterStateStore,
  type TokenBucketLimit,
} from '@msg/core';
import { Redis } from 'ioredis';

/** A failed catch-up after (re)connecting is tried again this long after. */
const CATCH_UP_RETRY_MS = 200;

import { TOKEN_BUCKET_SCRIPT, type TokenBucketResult } from './token-bucket.js';

export interface RedisRouterStateOptions {
  /** `redis://[:password@]host:6379[/db]` (or `rediss://`). */
  url: string;
  /** Prefix of every key and channel, so several fleets can share one Redis. */
  keyPrefix?: string | undefined;
  /** How long `connect` waits for Redis before it starts degraded (it keeps trying). */
  connectTimeoutMs?: number | undefined;
  /** A command Redis has not answered after this fails, and the local copy decides. */
  commandTimeoutMs?: number | undefined;
  /** Told of connection losses and failed writes (never thrown to the router). */
  onError?: ((error: unknown) => void) | undefined;
}

/** Whether the shared state is reachable; while not, the instance runs on its last known copy. */
export type RedisStateHealth = { connected: true } | { connected: false; since: number; reason: string };

interface Published {
  origin: string;
  field: string;
  value: string | null;
}

type Field = `migration:${string}` | `halt:${string}` | `breaker:${string}`;

/**
 * The router's state shared by every gateway instance through Redis. Reads are synchronous, from
 * this instance's copy; a write changes the copy at once, is stored in one Redis hash and
 * published, and every other instance applies it when the message arrives. While Redis cannot be
 * reached the copy keeps serving (the last known state), writes wait in order, token buckets are
 * taken from a local bucket, and `health()` says degraded; when Redis is back the copy is read
 * again, the waiting writes go out, and `onReconnect` listeners run (the gateway puts its durable
 * control state back from its store there).
 */
export class RedisRouterStateStore implements RouterStateStore {
  private readonly migrations = new Map<string, MigrationState>();
  private readonly halted = new Set<string>();
  private readonly breakers = new Map<string, BreakerSnapshot>();
  private readonly listeners = new Set<(change: RouterStateChange) => void>();
  private readonly reconnectListeners = new Set<() => void | Promise<void>>();
  /** Writes not yet in Redis, by field (the latest wins), in the order they were made. */
  private readonly pending = new Map<Field, string | null>();
  /** Buckets taken from while Redis cannot be reached: each instance then holds the limit alone. */
  private readonly fallback = new MemoryRouterStateStore();
  private readonly origin = randomBytes(8).toString('hex');
  private readonly stateKey: string;
  private readonly channel: string;
  private readonly prefix: string;
  private connection: RedisStateHealth = { connected: false, since: Date.now(), reason: 'connecting' };
  private flushing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly client: Redis,
    private readonly subscriber: Redis,
    private readonly options: RedisRouterStateOptions,
  ) {
    this.prefix = options.keyPrefix ?? 'msg:';
    this.stateKey = `${this.prefix}router-state`;
    this.channel = `${this.prefix}router-state:changes`;
  }

  /**
   * Connects, loads the shared state and subscribes to its changes. Redis being down does not fail
   * the start: after `connectTimeoutMs` the store runs degraded and catches up when Redis comes.
   */
  static async connect(options: RedisRouterStateOptions): Promise<RedisRouterStateStore> {
    const common = {
      // Commands fail at once while disconnected: the router never waits on Redis.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      connectTimeout: 2000,
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
      lazyConnect: true,
    };
    const client = new Redis(options.url, common);
    const subscriber = new Redis(options.url, { ...common, commandTimeout: undefined });
    const store = new RedisRouterStateStore(client, subscriber, options);
    client.defineCommand('msgTakeTokens', { numberOfKeys: 1, lua: TOKEN_BUCKET_SCRIPT });
    store.watch();
    const ready = new Promise<void>((resolve) => client.once('ready', () => resolve()));
    client.connect().catch((error: unknown) => store.report(error));
    subscriber.connect().catch((error: unknown) => store.report(error));
    const timeout = options.connectTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ready, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeout)))]);
    clearTimeout(timer);
    // The first load happens in the ready handler; wait for it when Redis answered in time.
    await store.flushing;
    return store;
  }

  private watch(): void {
    this.subscriber.on('ready', () => {
      // A change published before this subscription took effect was missed: it is in the hash,
      // read once the subscription holds (a change after that arrives as a message).
      this.subscriber
        .subscribe(this.channel)
        .then(() => (this.connection.connected ? this.reload() : undefined))
        .catch((error: unknown) => this.report(error));
    });
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      let message: Published;
      try {
        message = JSON.parse(text) as Published;
      } catch {
        return;
      }
      // Our own writes are applied already; a field with a write of ours still waiting keeps ours.
      if (message.origin === this.origin || this.pending.has(message.field as Field)) return;
      this.apply(message.field, message.value);
    });
    this.client.on('ready', () => {
      this.flushing = this.catchUp();
    });
    const lost = (reason: string) => {
      if (this.connection.connected) this.connection = { connected: false, since: Date.now(), reason };
      else if (this.connection.reason === 'connecting') this.connection = { ...this.connection, reason };
    };
    this.client.on('error', (error: Error) => {
      lost(error.message);
      this.report(error);
    });
    this.client.on('close', () => lost('the connection to Redis closed'));
    this.subscriber.on('error', (error: Error) => this.report(error));
  }

  /** After (re)connecting: the shared state as it is now, then our writes made meanwhile, then the listeners. */
  private async catchUp(): Promise<void> {
    try {
      await this.reload();
      this.connection = { connected: true };
      await this.flush();
      for (const listener of this.reconnectListeners) await listener();
    } catch (error) {
      this.report(error);
      // Connected, yet the catch-up failed (a command timed out on a loaded server): try again, or
      // the copy would stay degraded until the next reconnect, which may never come.
      if (!this.closed && this.client.status === 'ready') {
        setTimeout(() => {
          if (!this.closed && this.client.status === 'ready') this.flushing = this.catchUp();
        }, CATCH_UP_RETRY_MS).unref();
      }
    }
  }

  /** The shared state as Redis has it now, applied to the copy (fields with a write of ours waiting keep ours). */
  private async reload(): Promise<void> {
    const saved = await this.client.hgetall(this.stateKey);
    for (const [field, value] of Object.entries(saved)) {
      if (!this.pending.has(field as Field)) this.apply(field, value);
    }
  }

  getMigration(id: string): MigrationState | undefined {
    return this.migrations.get(id);
  }

  setMigration(id: string, state: MigrationState): Promise<void> {
    const merged = { ...this.migrations.get(id), ...state };
    this.migrations.set(id, merged);
    this.notify({ type: 'migration', id, state: merged });
    return this.write(`migration:${id}`, JSON.stringify(merged));
  }

  isHalted(provider: string): boolean {
    return this.halted.size > 0 && this.halted.has(provider);
  }

  setHalted(provider: string, halted: boolean): Promise<void> {
    if (halted) this.halted.add(provider);
    else this.halted.delete(provider);
    this.notify({ type: 'halt', provider, halted });
    return this.write(`halt:${provider}`, halted ? '1' : '0');
  }

  getBreaker(provider: string): BreakerSnapshot | undefined {
    return this.breakers.get(provider);
  }

  setBreaker(provider: string, snapshot: BreakerSnapshot): Promise<void> {
    this.breakers.set(provider, snapshot);
    this.notify({ type: 'breaker', provider, snapshot });
    return this.write(`breaker:${provider}`, JSON.stringify(snapshot));
  }

  /** One token from the fleet's bucket `key`; from this instance's own bucket while Redis is away. */
  takeToken(key: string, limit: TokenBucketLimit, now: number): boolean | Promise<boolean> {
    if (!this.connection.connected) return this.fallback.takeToken(key, limit, now);
    return this.takeTokens(key, 1, limit).then((result) =>
      result === undefined ? this.fallback.takeToken(key, limit, now) : result.taken,
    );
  }

  /** `count` tokens from the fleet's bucket `key`, atomically; `undefined` when Redis did not answer. */
  async takeTokens(
    key: string,
    count: number,
    limit: TokenBucketLimit,
  ): Promise<TokenBucketResult | undefined> {
    if (!this.connection.connected) return undefined;
    try {
      const [taken, tokens] = (await (
        this.client as unknown as {
          msgTakeTokens: (
            key: string,
            perSecond: number,
            burst: number,
            count: number,
          ) => Promise<[number, string]>;
        }
      ).msgTakeTokens(`${this.prefix}bucket:${key}`, limit.perSecond, limit.burst, count)) as [
        number,
        string,
      ];
      return { taken: taken === 1, tokens: Number(tokens) };
    } catch (error) {
      this.report(error);
      return undefined;
    }
  }

  subscribe(listener: (change: RouterStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs after every (re)connection once the shared state was read again and our waiting writes went out. */
  onReconnect(listener: () => void | Promise<void>): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  health(): RedisStateHealth {
    return this.connection;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    for (const connection of [this.client, this.subscriber]) {
      if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
      else connection.disconnect();
    }
  }

  private write(field: Field, value: string | null): Promise<void> {
    this.pending.delete(field);
    this.pending.set(field, value);
    if (!this.connection.connected) return Promise.resolve();
    this.flushing = (this.flushing ?? Promise.resolve()).then(() => this.flush());
    return this.flushing;
  }

  /** Sends the waiting writes in order; one that fails stays waiting for the next connection. */
  private async flush(): Promise<void> {
    for (const [field, value] of [...this.pending]) {
      if (!this.connection.connected) return;
      const message = JSON.stringify({ origin: this.origin, field, value } satisfies Published);
      try {
        const transaction = this.client.multi();
        if (value === null) transaction.hdel(this.stateKey, field);
        else transaction.hset(this.stateKey, field, value);
        await transaction.publish(this.channel, message).exec();
        // A newer write of the field may have come meanwhile: that one still waits.
        if (this.pending.get(field) === value) this.pending.delete(field);
      } catch (error) {
        this.report(error);
        return;
      }
    }
  }

  private apply(field: string, value: string | null): void {
    const [kind, id] = field.split(/:(.*)/s) as [string, string];
    if (kind === 'migration') {
      const state = value === null ? undefined : (JSON.parse(value) as MigrationState);
      if (state) this.migrations.set(id, state);
      else this.migrations.delete(id);
      this.notify({ type: 'migration', id, state });
    } else if (kind === 'halt') {
      const halted = value === '1';
      if (halted === this.halted.has(id)) return;
      if (halted) this.halted.add(id);
      else this.halted.delete(id);
      this.notify({ type: 'halt', provider: id, halted });
    } else if (kind === 'breaker' && value !== null) {
      const snapshot = JSON.parse(value) as BreakerSnapshot;
      const current = this.breakers.get(id);
      if (current && current.writer === snapshot.writer && current.updatedAt === snapshot.updatedAt) return;
      this.breakers.set(id, snapshot);
      this.notify({ type: 'breaker', provider: id, snapshot });
    }
  }

  private notify(change: RouterStateChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private report(error: unknown): void {
    if (!this.closed) this.options.onError?.(error);
  }
}
