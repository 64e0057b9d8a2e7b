import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CHANNELS,
  type Logger,
  Router,
  type RouterConfig,
  type RouterStateStore,
  validateRouterConfig,
} from '@msg/core';
import type { FastifyInstance } from 'fastify';
import { formatSigner } from './callbacks/callback-signer.js';
import { CallbackTargetPolicy } from './callbacks/callback-target.js';
import { CallbackWorker } from './callbacks/callback-worker.js';
import { BulkRollout } from './campaigns/bulk-rollout.js';
import { campaignProviders, routeProviders } from './campaigns/campaign-providers.js';
import { CampaignRunner } from './campaigns/campaign-runner.js';
import type { GatewayConfig } from './config/config-schema.js';
import type { LoadedConfig } from './config/load-config.js';
import { GatewayContainer, Tokens } from './container.js';
import { Charges } from './costs/charges.js';
import { DeliveredRates } from './costs/delivered-rates.js';
import { SpendLimits } from './costs/spend-limits.js';
import { BacklogMonitor } from './dispatch/backlog-monitor.js';
import { Dispatcher, type SendCosts } from './dispatch/dispatcher.js';
import { recoverInFlight, recoverMessages } from './dispatch/recovery.js';
import { pruneFinished } from './dispatch/retention.js';
import { releaseDueRetries } from './dispatch/retry-release.js';
import { ApiKeys } from './http/auth.js';
import { buildServer } from './http/server.js';
import { type Lifecycle, ServerContext } from './http/server-context.js';
import { Sessions } from './http/sessions.js';
import { EventKeySource, EventSigningKey } from './ingress/sendgrid-event-key.js';
import { ProviderActivity } from './live/provider-activity.js';
import { createLogger } from './logger.js';
import { GatewayMetrics } from './metrics.js';
import { Alerts } from './migrations/alerts.js';
import { MigrationControl } from './migrations/migration-control.js';
import { watchRouter } from './migrations/router-watch.js';
import { ShadowValidator } from './migrations/shadow-validator.js';
import { PeriodicTask } from './periodic-task.js';
import { installLoopbackGuard } from './plugins/loopback-guard.js';
import { closeProviders, type HostedProvider, loadProviders } from './plugins/plugin-host.js';
import { redactingProvider } from './plugins/redacting-provider.js';
import { expireOverdueReceipts } from './receipts/receipt-deadlines.js';
import { ReceiptPlan } from './receipts/receipt-plan.js';
import { reconcileOverdue } from './receipts/reconciler.js';
import { type GatewayState, openGatewayState } from './state/shared-state.js';
import type { MessageStore } from './store/message-store.js';
import { SqliteMessageStore } from './store/sqlite-store.js';
import { isStorageOutage, StoreUnavailableError } from './store/store-error.js';
import { probeWhileUnwritable } from './store/store-probe.js';
import { subscribeDeliveryEvents } from './webhooks/delivery-subscriptions.js';
import { type IngestContext, matchHeldReceipts } from './webhooks/ingest-events.js';

export interface GatewayOptions {
  /**
   * A store to use instead of the config's (tests; embedding with another adapter), or a function
   * that opens one (called again while it fails as a full disk does).
   */
  store?: MessageStore | (() => MessageStore);
  logger?: Logger;
  now?: () => number;
  /** Override the config's listen address (the CLI's `--port`). */
  port?: number;
  host?: string;
  /** Export conditions for resolving plugin packages (`@msg/source` runs plugins from source). */
  pluginConditions?: readonly string[];
}

export interface Gateway {
  /**
   * Opens the store, listens, loads the plugins, recovers the store's unfinished messages and
   * starts dispatching. A store that cannot be written (a full disk) is waited for, not fatal.
   */
  start(): Promise<{ url: string }>;
  /** Graceful: refuses new work, drains sends in flight within the bound, closes everything. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  readonly url: string;
  readonly container: GatewayContainer;
  /** The callback signing secret in force (generated when the config has none). */
  readonly callbackSecret: string;
}

/** Routes per channel over every provider in config order, when the config names none. */
export function defaultRouting(providers: readonly HostedProvider[]): RouterConfig {
  const routes = CHANNELS.map((channel) => ({
    id: channel,
    match: { channel },
    providers: providers
      .filter((hosted) => hosted.provider.channel === channel)
      .map((hosted) => hosted.entry.id),
  })).filter((route) => route.providers.length > 0);
  return { routes };
}

/** Twilio account SID -> auth token, of every API key with Twilio ingress (they sign its callbacks). */
function twilioAuthTokens(config: GatewayConfig): Map<string, string> {
  return new Map(
    config.apiKeys.flatMap((key) =>
      key.ingress?.twilio ? [[key.ingress.twilio.accountSid, key.ingress.twilio.authToken] as const] : [],
    ),
  );
}

export async function openStore(config: GatewayConfig, directory: string): Promise<MessageStore> {
  const store = config.store;
  if (store.driver === 'memory') return new SqliteMessageStore({ path: ':memory:' });
  if (store.driver === 'postgres') {
    // Loaded only here: a gateway on SQLite never needs `pg`.
    const { openPostgresStore } = await import('./store/postgres/postgres-store.js');
    return openPostgresStore({
      url: store.url,
      poolSize: store.poolSize,
      schema: store.schema,
      synchronousCommit: store.synchronousCommit,
    });
  }
  const path = isAbsolute(store.path) ? store.path : resolve(directory, store.path);
  return new SqliteMessageStore({
    path,
    synchronous: store.synchronous,
    cacheMb: store.cacheMb,
    checkpoints: 'background',
  });
}

/**
 * The composition root: the only place that reads config, loads plugins and wires the container.
 * Nothing starts until `start()`.
 */
export function createGateway(loaded: LoadedConfig, options: GatewayOptions = {}): Gateway {
  const { config } = loaded;
  const now = options.now ?? Date.now;
  const logger =
    options.logger ??
    createLogger({ level: config.log.level, format: config.log.format, secrets: loaded.secrets });
  const callbackSecret = config.callbacks.signingSecret ?? randomBytes(32).toString('hex');
  if (!config.callbacks.signingSecret) {
    logger.warn(
      'callbacks.signingSecret is not set: status callbacks are signed with a secret generated for this run',
    );
  }
  const container = new GatewayContainer()
    .value(Tokens.Config, loaded)
    .value(Tokens.Logger, logger)
    .value(Tokens.Clock, now)
    .value(Tokens.Metrics, new GatewayMetrics())
    .value(Tokens.Charges, new Charges(config))
    .value(Tokens.DeliveredRates, new DeliveredRates());
  const lifecycle: Lifecycle = { ready: false, stopping: false, publicUrl: '' };
  let app: FastifyInstance | undefined;
  let url = '';
  let stopMetrics: (() => void) | undefined;
  let unsubscribeReceipts: Array<() => void> = [];
  let sweeps: PeriodicTask[] = [];
  let alertWorker: CallbackWorker | undefined;
  let shadow: ShadowValidator | undefined;
  let unsubscribeRouter: (() => void) | undefined;
  let opened: MessageStore | undefined;
  let campaignRunner: CampaignRunner | undefined;
  let sharedState: GatewayState | undefined;
  let stopRefresh: (() => void) | undefined;
  // Ends every wait for the store when the gateway stops.
  const stopSignal = new AbortController();

  /**
   * Opens the store, waiting while it fails for want of room (a schema upgrade on a full disk):
   * the process stays up and starts once it can. A configuration error (a bad path) fails at once.
   */
  async function openWhenPossible(): Promise<MessageStore> {
    for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 10_000)) {
      try {
        const store =
          typeof options.store === 'function'
            ? options.store()
            : (options.store ?? (await openStore(config, loaded.directory)));
        container.value(Tokens.MessageStore, store);
        return store;
      } catch (error) {
        if (!StoreUnavailableError.isInstance(error) || !isStorageOutage(error)) throw error;
        logger.error('cannot open the store; waiting until it can be written', { error });
        try {
          await sleep(delayMs, undefined, { signal: stopSignal.signal });
        } catch {
          throw error;
        }
      }
    }
  }

  let removeLoopbackGuard: (() => void) | undefined;

  async function start(): Promise<{ url: string }> {
    if (config.sandbox) {
      removeLoopbackGuard = installLoopbackGuard((message) => logger.error(message));
    }
    const store = await openWhenPossible();
    opened = store;
    const gatewayState = await openGatewayState(config, logger);
    sharedState = gatewayState;
    // Names this process in the store's leases and in the shared breaker snapshots.
    const instanceId = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const metrics = container.get(Tokens.Metrics);
    metrics.observeStore(() => store.writeHealth().writable);
    if (config.apiKeys.some((key) => key.ingress?.sendgrid)) {
      const eventKey = new EventKeySource(() =>
        EventSigningKey.load(config.ingress.sendgrid.eventSigningKey, store, now()),
      );
      container.value(Tokens.EventKey, eventKey);
      // Made now when the store can take it; else on first use.
      eventKey
        .get()
        .catch((error: unknown) => logger.warn('cannot load the SendGrid event key yet', { error }));
    }
    const sessions = config.dashboard.enabled
      ? new Sessions({
          store,
          ttlMs: config.dashboard.sessionTtlMs,
          idleMs: config.dashboard.idleTimeoutMs,
          now,
        })
      : undefined;
    const context = new ServerContext(
      container,
      lifecycle,
      new ApiKeys(config.apiKeys, now, sessions, gatewayState.limiter),
    );
    app = await buildServer(context);
    const address = await app.listen({
      host: options.host ?? config.server.host,
      port: options.port ?? config.server.port,
    });
    url = address.replace('[::1]', 'localhost');
    lifecycle.publicUrl = config.server.publicUrl ?? url;
    lifecycle.sharedState = gatewayState.health;
    try {
      // Plugins learn their webhook URL from the bound address, so they load after listening;
      // until then the API answers 503 and /readyz says starting.
      const providers = await loadProviders(config.plugins, {
        directory: loaded.directory,
        logger,
        publicUrl: lifecycle.publicUrl,
        sandbox: config.sandbox,
        now,
        ...(options.pluginConditions ? { conditions: options.pluginConditions } : {}),
      });
      // Error texts are redacted where they leave the plugin, before the router, store or API see them.
      for (const hosted of providers) hosted.provider = redactingProvider(hosted.provider, loaded.secrets);
      container.value(Tokens.Providers, providers);
      const routing = Array.isArray((config.routing as { routes?: unknown }).routes)
        ? config.routing
        : { ...config.routing, routes: defaultRouting(providers).routes };
      const routerConfig = validateRouterConfig(routing, {
        providers: providers.map((hosted) => hosted.provider),
      });
      // The router reads its control state from this copy (shared through Redis by a fleet); the
      // store keeps the durable truth.
      const routerState = gatewayState.state;
      const alerts = new Alerts(config.alerts.endpoints, now);
      const deliveredRates = container.get(Tokens.DeliveredRates);
      const spendLimits = new SpendLimits(config.costs, store, alerts, logger, now);
      await spendLimits
        .load()
        .catch((error: unknown) => logger.warn("cannot read this month's provider spend", { error }));
      const router = new Router({
        config: routerConfig,
        providers: providers.map((hosted) => hosted.provider),
        store: routerState,
        instanceId,
        now,
        onListenerError: (error) => logger.warn('router listener failed', { error }),
        overSpendLimit: spendLimits.over,
        price: (provider, message) => container.get(Tokens.Charges).prices.cost(provider, message),
        deliveredRate: deliveredRates.rate,
      });
      container.value(Tokens.Router, router);
      const callbacks = new CallbackWorker({
        store,
        secret: callbackSecret,
        // Messages that came in through Twilio's or SendGrid's API get callbacks signed as theirs.
        sign: formatSigner({
          secret: callbackSecret,
          twilioAuthTokens: twilioAuthTokens(config),
          eventKey: container.has(Tokens.EventKey) ? container.get(Tokens.EventKey) : undefined,
        }),
        attempts: config.callbacks.attempts,
        timeoutMs: config.callbacks.timeoutMs,
        initialBackoffMs: config.callbacks.initialBackoffMs,
        maxBackoffMs: config.callbacks.maxBackoffMs,
        targets: new CallbackTargetPolicy(config.callbacks),
        logger,
        metrics,
        now,
      });
      container.value(Tokens.CallbackWorker, callbacks);
      alertWorker = new CallbackWorker({
        store,
        outbox: {
          due: (at, limit) => store.dueAlerts(at, limit),
          done: (id) => store.alertDone(id),
          retry: (id, next, giveUp) => store.alertRetry(id, next, giveUp),
        },
        kind: 'alert',
        count: (outcome) => metrics.alerts.inc({ outcome }),
        secret: callbackSecret,
        attempts: config.alerts.attempts,
        timeoutMs: config.alerts.timeoutMs,
        initialBackoffMs: config.alerts.initialBackoffMs,
        maxBackoffMs: config.alerts.maxBackoffMs,
        logger,
        metrics,
        now,
      });
      const migrations = new MigrationControl({
        store,
        router,
        state: routerState,
        routerConfig,
        alerts,
        logger,
        metrics,
        now,
        onAlertQueued: () => alertWorker?.kick(),
      });
      // Runtime control state is back in the router before the first message is routed.
      await migrations.load();
      if (gatewayState.onReconnect) {
        // The store is the truth: the shared copy is put back from it now and after every outage
        // of the shared state, so that a change it missed, or a reset, is not lost.
        await migrations.reseed();
        gatewayState.onReconnect(() => migrations.reseed());
      }
      if (store.shared) stopRefresh = refreshOnRemoteChanges(routerState, migrations, logger);
      shadow = new ShadowValidator({
        store,
        providers: new Map(providers.map((hosted) => [hosted.entry.id, hosted.provider])),
        migrations,
        isHalted: (id) => routerState.isHalted(id),
        metrics,
        logger,
        now,
      });
      container.value(Tokens.MigrationControl, migrations);
      unsubscribeRouter = watchRouter(router, {
        store,
        alerts,
        migrations,
        logger,
        onAlertQueued: () => alertWorker?.kick(),
        now,
      });
      let heldReceipts: PeriodicTask | undefined;
      const ingest: IngestContext = {
        store,
        logger,
        metrics,
        now,
        onCallbackQueued: () => callbacks.kick(),
        receiptWindowMs: config.receipts.windowMs,
        holdUnmatchedMs: config.receipts.holdUnmatchedMs,
        onHeld: () => heldReceipts?.kick(),
        onAdvanced: deliveredRates.record.bind(deliveredRates),
      };
      container.value(Tokens.Ingest, ingest);
      // Receipts that arrive over a provider's own connection (SMPP) are stored like webhook events.
      unsubscribeReceipts = subscribeDeliveryEvents(providers, ingest);
      const plan = new ReceiptPlan(
        new Map(providers.map((hosted) => [hosted.entry.id, hosted.provider])),
        config.receipts,
      );
      const { intervalMs, batchSize } = config.sweeper;
      const sweep = (name: string, run: () => Promise<boolean>) =>
        new PeriodicTask(run, { name, intervalMs, logger });
      const deadlines = sweep(
        'receipt deadlines',
        expireOverdueReceipts({
          store,
          plan,
          metrics,
          now,
          batchSize,
          onCallbackQueued: () => callbacks.kick(),
        }),
      );
      heldReceipts = sweep('held receipts', () => matchHeldReceipts(ingest, batchSize));
      const concurrency = config.dispatch.concurrency;
      const leaseMs = config.dispatch.leaseMs;
      // Registered now if the store takes writes; else by the lease task once it does (nothing is
      // claimed meanwhile: claims are writes too).
      await store
        .renewLease(instanceId, now() + leaseMs, now())
        .catch((error: unknown) => logger.warn('cannot register the dispatch lease yet', { error }));
      const charges = container.get(Tokens.Charges);
      const sendCosts: SendCosts = {
        costOf: (stored, routed) => charges.costOf(stored.message, routed.provider, routed.result),
        settled: (provider, micros) => spendLimits.record(provider, micros),
      };
      const dispatcher = new Dispatcher({
        store,
        router,
        logger,
        metrics,
        now,
        instanceId,
        concurrency: typeof concurrency === 'number' ? { min: concurrency, max: concurrency } : concurrency,
        onCallbackQueued: () => callbacks.kick(),
        retryRounds: config.dispatch.retryRounds,
        receipts: plan,
        onReceiptDue: () => deadlines.kick(),
        onSent: (stored, routed) => shadow?.consider(stored, routed),
        costs: sendCosts,
      });
      container.value(Tokens.Dispatcher, dispatcher);
      const bulkRollout = new BulkRollout(store, config.campaigns.bulk);
      await bulkRollout.load();
      container.value(Tokens.BulkRollout, bulkRollout);
      const channels = new Map(providers.map((hosted) => [hosted.entry.id, hosted.provider.channel]));
      const routes = routeProviders(router);
      campaignRunner = new CampaignRunner({
        store,
        router,
        dispatcher,
        rollout: bulkRollout,
        prices: charges.prices,
        costs: sendCosts,
        config: config.campaigns,
        providersFor: (campaign) => campaignProviders(campaign.definition, channels, routes),
        logger,
        now,
      });
      container.value(Tokens.CampaignRunner, campaignRunner);
      const backlog = new BacklogMonitor(store, config.dispatch.backlog, now, () =>
        dispatcher.deliveryRate.perSecond(),
      );
      container.value(Tokens.Backlog, backlog);
      const activity = new ProviderActivity(now);
      container.value(Tokens.Activity, activity);
      const stopObserving = [
        metrics.observe(router, () => ({
          queued: backlog.current().queued,
          inFlight: dispatcher.depth.inFlight,
          limit: dispatcher.depth.limit,
        })),
        activity.observe(router),
      ];
      stopMetrics = () => {
        for (const stop of stopObserving) stop();
      };
      const recovery = {
        store,
        router,
        routerConfig,
        instanceId,
        policy: config.dispatch.onRestartInFlight,
        logger,
        now,
        signal: stopSignal.signal,
      };
      sweeps = [
        new PeriodicTask(
          async () => {
            // On a shared store one instance runs the plans, on what the store holds now.
            if (store.isLeader && !(await store.isLeader())) return false;
            if (store.shared) await migrations.refresh();
            return migrations.tick();
          },
          { name: 'migration plans', intervalMs: config.migrations.tickMs, logger },
        ),
        ...(store.shared
          ? [
              // Spend settled by the other instances counts against each provider's limit.
              sweep('spend limits', async () => {
                await spendLimits.refresh();
                return false;
              }),
              sweep('in-flight recovery', async () => {
                // Another instance died: its lease ended, and its in-flight messages are ours now.
                const recovered = await recoverInFlight(recovery);
                if (recovered.redispatched + recovered.failed > 0) {
                  logger.warn('recovered the in-flight messages of an instance whose lease ended', recovered);
                  dispatcher.wake();
                }
                return false;
              }),
            ]
          : []),
        sweep('retry rounds', releaseDueRetries({ store, now, batchSize })),
        sweep('backlog', async () => {
          await backlog.refresh();
          return false;
        }),
        new PeriodicTask(
          async () => {
            await store.renewLease(instanceId, now() + leaseMs, now());
            // Also a wake-up that no notification can miss.
            dispatcher.wake();
            return false;
          },
          { name: 'dispatch lease', intervalMs: Math.max(1, Math.floor(leaseMs / 3)), logger },
        ),
        deadlines,
        heldReceipts,
        sweep('status look-ups', reconcileOverdue({ store, plan, ingest, metrics, logger, now, batchSize })),
        sweep('store probe', probeWhileUnwritable(store, now)),
        ...(config.retention.finishedAfterMs === null
          ? []
          : [
              sweep(
                'retention',
                pruneFinished({
                  store,
                  now,
                  batchSize,
                  retentionMs: config.retention.finishedAfterMs,
                  onPruned: (count) => metrics.pruned.inc(count),
                }),
              ),
            ]),
      ];
      await recoverMessages(recovery);
      await backlog.refresh();
      const discarded = await store.campaigns.discardUnfinishedUploads();
      if (discarded > 0) logger.warn(`discarded ${discarded} campaign upload(s) cut short by the last stop`);
      // What waits in the store goes out now.
      dispatcher.wake();
      campaignRunner.start();
      callbacks.start();
      alertWorker.start();
      for (const task of sweeps) task.start();
      lifecycle.ready = true;
      logger.info(`gateway listening on ${url}`, { providers: providers.map((hosted) => hosted.entry.id) });
      return { url };
    } catch (error) {
      await stop(0);
      throw error;
    }
  }

  async function shutdown(timeoutMs: number): Promise<void> {
    // New sends get 503 from here on; accepted ones drain while the server closes.
    lifecycle.stopping = true;
    if (container.has(Tokens.Dispatcher)) container.get(Tokens.Dispatcher).stopClaiming();
    stopSignal.abort();
    await campaignRunner?.stop();
    await Promise.all(sweeps.map((task) => task.stop()));
    const drained = container.has(Tokens.Dispatcher)
      ? container.get(Tokens.Dispatcher).drain(timeoutMs)
      : Promise.resolve({ finished: true });
    await Promise.all([app?.close(), drained]);
    if (!(await drained).finished) {
      logger.warn('shutdown: sends still in flight were cut short; the next start resolves them');
    }
    for (const unsubscribe of unsubscribeReceipts) unsubscribe();
    if (container.has(Tokens.CallbackWorker)) await container.get(Tokens.CallbackWorker).stop();
    await shadow?.drain();
    await alertWorker?.stop();
    unsubscribeRouter?.();
    stopMetrics?.();
    stopRefresh?.();
    if (container.has(Tokens.Router)) container.get(Tokens.Router).close();
    await sharedState?.close();
    if (container.has(Tokens.Providers)) await closeProviders(container.get(Tokens.Providers));
    await opened?.close();
    await container.dispose();
    removeLoopbackGuard?.();
  }

  let stopping: Promise<void> | undefined;
  const stop = (timeoutMs: number) => {
    stopping ??= shutdown(timeoutMs);
    return stopping;
  };
  return {
    start,
    stop: (stopOptions = {}) => stop(stopOptions.timeoutMs ?? config.dispatch.shutdownTimeoutMs),
    get url() {
      return url;
    },
    container,
    callbackSecret,
  };
}

/**
 * Another instance changed control state (through the shared state store): this instance's view
 * of it (the API's answers, the base of its next change) is read again from the store, at most
 * once per burst of changes.
 */
function refreshOnRemoteChanges(
  state: RouterStateStore,
  migrations: MigrationControl,
  logger: Logger,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const unsubscribe = state.subscribe((change) => {
    if (change.type === 'breaker' || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      migrations.refresh().catch((error: unknown) => logger.warn('cannot re-read control state', { error }));
    }, 50);
  });
  return () => {
    clearTimeout(timer);
    unsubscribe();
  };
}
