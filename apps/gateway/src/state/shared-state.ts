import { type Logger, MemoryRouterStateStore, type RouterStateStore } from '@msg/core';
import type { GatewayConfig } from '../config/config-schema.js';
import type { SharedRateLimiter } from '../http/auth.js';

/** Whether the shared state can be reached; while not, the instance runs on its last known copy. */
export type SharedStateHealth = { connected: true } | { connected: false; since: number; reason: string };

/** The router's state store as the gateway holds it: in memory, or shared by the fleet. */
export interface GatewayState {
  state: RouterStateStore;
  /** API-key buckets shared by every instance (none: each process keeps its own). */
  limiter?: SharedRateLimiter | undefined;
  health?: (() => SharedStateHealth) | undefined;
  /** Runs after the shared state came back from an outage (the gateway re-seeds it from the store). */
  onReconnect?: ((listener: () => Promise<void>) => void) | undefined;
  close(): Promise<void>;
}

interface RedisStateModule {
  RedisRouterStateStore: {
    connect(options: { url: string; keyPrefix?: string; onError?: (error: unknown) => void }): Promise<
      RouterStateStore &
        SharedRateLimiter & {
          health(): SharedStateHealth;
          onReconnect(listener: () => Promise<void>): () => void;
          close(): Promise<void>;
        }
    >;
  };
}

/** `state.driver: redis` loads `@msg/state-redis`, installed only by those who use it. */
async function loadRedisState(): Promise<RedisStateModule> {
  const name = '@msg/state-redis';
  try {
    return (await import(name)) as RedisStateModule;
  } catch (error) {
    throw new Error(`[msg] [state] state.driver is redis, but cannot find ${name} — is it installed?`, {
      cause: error,
    });
  }
}

export async function openGatewayState(config: GatewayConfig, logger: Logger): Promise<GatewayState> {
  if (config.state.driver === 'memory') {
    return { state: new MemoryRouterStateStore(), close: async () => {} };
  }
  const { RedisRouterStateStore } = await loadRedisState();
  let lastReport = 0;
  const store = await RedisRouterStateStore.connect({
    url: config.state.url,
    keyPrefix: config.state.keyPrefix,
    // A Redis outage repeats its error on every retry: say it once in a while.
    onError: (error) => {
      if (Date.now() - lastReport < 10_000) return;
      lastReport = Date.now();
      logger.warn('shared router state (Redis) unreachable: routing on the last known state', { error });
    },
  });
  if (!store.health().connected) {
    logger.warn('shared router state (Redis) unreachable at start: running degraded until it answers');
  }
  return {
    state: store,
    limiter: store,
    health: () => store.health(),
    onReconnect: (listener) => {
      store.onReconnect(listener);
    },
    close: () => store.close(),
  };
}
