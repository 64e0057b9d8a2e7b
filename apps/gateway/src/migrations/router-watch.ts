import type { Logger, Router } from '@msg/core';
import type { MessageStore } from '../store/message-store.js';
import type { Alerts } from './alerts.js';
import type { MigrationControl } from './migration-control.js';

export interface RouterWatchOptions {
  store: MessageStore;
  alerts: Alerts;
  migrations: MigrationControl;
  logger: Logger;
  onAlertQueued: () => void;
  now: () => number;
}

/** One log line per key and period, with how many were held back: a dead provider must not flood the log. */
function throttled(logger: Logger, periodMs: number) {
  const last = new Map<string, { at: number; held: number }>();
  return (key: string, message: string, fields: Record<string, unknown>, at: number) => {
    const seen = last.get(key);
    if (seen && at - seen.at < periodMs) {
      seen.held++;
      return;
    }
    last.set(key, { at, held: 0 });
    logger.warn(message, seen?.held ? { ...fields, heldBack: seen.held } : fields);
  };
}

/**
 * Turns router events into what operators need: breaker transitions logged and alerted (through
 * the store's outbox), failovers logged (throttled), state-store errors logged, and a
 * `configuration` error from a migration's new side handed to its plan, which aborts at once.
 */
export function watchRouter(router: Router, options: RouterWatchOptions): () => void {
  const { store, alerts, migrations, logger, now } = options;
  const failover = throttled(logger, 10_000);
  const alert = (event: 'breaker-opened' | 'breaker-closed', provider: string) => {
    const queued = alerts.build(
      event,
      `provider:${provider}`,
      `${provider}: circuit breaker ${event === 'breaker-opened' ? 'opened' : 'closed'}`,
      { provider },
    );
    if (queued.length === 0) return;
    store
      .writeOperation({ alerts: queued }, now())
      .then(options.onAlertQueued, (error: unknown) =>
        logger.error(`could not queue the ${event} alert for ${provider}`, { error }),
      );
  };
  const off = [
    router.on('breaker-opened', (event) => {
      logger.error(`${event.provider}: circuit breaker opened; messages go to the next provider`, {
        provider: event.provider,
      });
      alert('breaker-opened', event.provider);
    }),
    router.on('breaker-half-open', (event) =>
      logger.warn(`${event.provider}: circuit breaker half-open, probing`, { provider: event.provider }),
    ),
    router.on('breaker-closed', (event) => {
      logger.warn(`${event.provider}: circuit breaker closed`, { provider: event.provider });
      alert('breaker-closed', event.provider);
    }),
    router.on('failover', (event) => {
      if (event.skipped) return;
      failover(
        event.from,
        `failover from ${event.from} (${event.trigger})`,
        { provider: event.from, trigger: event.trigger, messageId: event.messageId },
        now(),
      );
    }),
    router.on('attempt-failed', (event) => {
      if (event.attempt.errorKind !== 'configuration') return;
      void migrations.onConfigurationError(
        event.provider,
        event.attempt.error?.message ?? event.attempt.errorCode ?? 'configuration error',
      );
    }),
    router.on('state-store-error', (event) =>
      logger.error(`router state store: ${event.operation} failed`, { error: event.error }),
    ),
  ];
  return () => {
    for (const stop of off) stop();
  };
}
