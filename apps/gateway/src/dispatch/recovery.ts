import { DEFAULT_FAILOVER_TRIGGERS, type Logger, type Router, type RouterConfig } from '@msg/core';
import { statusCallback } from '../callbacks/callback-body.js';
import type { MessageStore, StoredMessage } from '../store/message-store.js';
import { untilStored } from '../store/until-stored.js';

export type InFlightPolicy = 'route' | 'fail' | 'retry';

export interface RecoveryOptions {
  store: MessageStore;
  router: Router;
  routerConfig: RouterConfig;
  /** This gateway's dispatcher instance: it takes over what dead instances left in flight. */
  instanceId: string;
  policy: InFlightPolicy;
  logger: Logger;
  now: () => number;
  /** Ends the wait for a store that cannot be written (the gateway is stopping). */
  signal?: AbortSignal | undefined;
}

export const RESTART_ERROR_CODE = 'MSG_RESTART_IN_FLIGHT';

/** Whether the message's route fails over on an ambiguous outcome (then a re-send is its rule too). */
function routeRetriesAmbiguous(message: StoredMessage, router: Router, config: RouterConfig): boolean {
  try {
    const decision = router.decide(message.message);
    const route = config.routes.find((candidate) => candidate.id === decision.route);
    return (route?.failoverOn ?? DEFAULT_FAILOVER_TRIGGERS).includes('ambiguous');
  } catch {
    return false;
  }
}

/** In-flight messages taken over at a time: recovery never holds them all in memory. */
const BATCH = 500;

/**
 * Start-up after a crash: a message left in flight by an instance whose lease ended has an
 * ambiguous outcome (the provider may have it; an attempt whose start was never written counts as
 * one at an unknown provider). By the route's rule it is queued again, flagged as a possible
 * duplicate, or failed with kind `ambiguous`. Queued messages stay in the store, where the
 * dispatcher claims them. A store that cannot be written (a full disk) is waited for: the start
 * waits, it does not fail.
 */
export async function recoverMessages(
  options: RecoveryOptions,
): Promise<{ redispatched: number; failed: number; queued: number }> {
  const { redispatched, failed } = await recoverInFlight(options);
  const queued = (await options.store.backlog(options.now())).queued - redispatched;
  if (redispatched + failed + queued > 0) {
    options.logger.info('recovered messages from the store', { redispatched, failed, queued });
  }
  return { redispatched, failed, queued };
}

/**
 * Takes over and resolves, by the rule above, every in-flight message whose instance's lease
 * ended: at start, and while running on a store that several instances share (one of them died).
 */
export async function recoverInFlight(
  options: RecoveryOptions,
): Promise<{ redispatched: number; failed: number }> {
  const { store, router, routerConfig, instanceId, policy, logger, now } = options;
  const write = <T>(what: string, run: () => Promise<T>) =>
    untilStored(run, { what, logger, signal: options.signal });
  let redispatched = 0;
  let failed = 0;
  for (;;) {
    const batch = await write('take over in-flight messages', () =>
      store.takeOverInFlight(instanceId, now(), BATCH),
    );
    if (batch.length === 0) break;
    for (const message of batch) {
      const outcome = await recoverOne(message);
      if (outcome === 'redispatched') redispatched++;
      else failed++;
    }
  }

  async function recoverOne(message: StoredMessage): Promise<'redispatched' | 'failed'> {
    const attempts = await store.attempts(message.id);
    const retry =
      policy === 'retry' || (policy === 'route' && routeRetriesAmbiguous(message, router, routerConfig));
    const open = attempts.filter((attempt) => attempt.outcome === 'in-flight');
    const reason = 'the gateway stopped while this attempt was in flight; it may have been delivered';
    const settled = (open.length > 0 ? open : [undefined]).map((attempt, index) => ({
      messageId: message.id,
      sequence: attempt?.sequence ?? attempts.length + 1 + index,
      providerId: attempt?.providerId ?? '(unknown)',
      startedAt: attempt?.startedAt ?? message.updatedAt,
      finishedAt: now(),
      outcome: 'ambiguous' as const,
      errorKind: 'ambiguous',
      errorCode: RESTART_ERROR_CODE,
      errorMessage: reason,
      possibleDuplicate: retry,
      reason: attempt?.reason,
    }));
    const lastProvider = settled.at(-1)?.providerId;
    if (retry) {
      await write(`requeue ${message.id}`, async () => {
        for (const attempt of settled) await store.recordAttempt(attempt);
        await store.requeue(message.id, now());
      });
      return 'redispatched';
    }
    {
      const error = { kind: 'ambiguous' as const, code: RESTART_ERROR_CODE, message: reason };
      const callback = statusCallback(message, {
        status: 'failed',
        provider: lastProvider,
        error,
        occurredAt: now(),
      });
      await write(`fail ${message.id}`, () =>
        store.finishDispatch(
          message.id,
          { status: 'failed', providerId: lastProvider, error, attempts: settled, callback },
          now(),
        ),
      );
      return 'failed';
    }
  }

  return { redispatched, failed };
}
