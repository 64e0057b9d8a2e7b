import type { Channel, Logger, Router } from '@msg/core';
import { CallbackTargetPolicy } from '../callbacks/callback-target.js';
import type { CallbackWorker } from '../callbacks/callback-worker.js';
import type { BulkRollout } from '../campaigns/bulk-rollout.js';
import { type RouteProviders, routeProviders } from '../campaigns/campaign-providers.js';
import type { CampaignRunner } from '../campaigns/campaign-runner.js';
import type { GatewayConfig } from '../config/config-schema.js';
import { type GatewayContainer, Tokens } from '../container.js';
import type { Charges } from '../costs/charges.js';
import type { DeliveredRates } from '../costs/delivered-rates.js';
import type { BacklogMonitor } from '../dispatch/backlog-monitor.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { EventKeySource } from '../ingress/sendgrid-event-key.js';
import type { ProviderActivity } from '../live/provider-activity.js';
import type { GatewayMetrics } from '../metrics.js';
import type { MigrationControl } from '../migrations/migration-control.js';
import type { HostedProvider } from '../plugins/plugin-host.js';
import type { SharedStateHealth } from '../state/shared-state.js';
import type { MessageStore } from '../store/message-store.js';
import type { IngestContext } from '../webhooks/ingest-events.js';
import type { ApiKeys } from './auth.js';
import { HttpError } from './http-error.js';
import { MessageIntake } from './message-intake.js';

/** The parts that exist only once the providers are loaded. */
export interface GatewayRuntime {
  router: Router;
  dispatcher: Dispatcher;
  /** The queue in the store, as backpressure and readiness see it. */
  backlog: BacklogMonitor;
  callbacks: CallbackWorker;
  migrations: MigrationControl;
  /** Each provider's last minute, for the live feed. */
  activity: ProviderActivity;
  /** How verified delivery events are stored. */
  ingest: IngestContext;
  providers: ReadonlyMap<string, HostedProvider>;
  channels: ReadonlyMap<string, Channel>;
  /** Each route's providers (campaigns name a route). */
  routes: RouteProviders;
  campaigns: CampaignRunner;
  bulkRollout: BulkRollout;
}

export interface Lifecycle {
  ready: boolean;
  stopping: boolean;
  /** Base of webhook URLs, as providers reach this gateway. */
  publicUrl: string;
  /** The shared router state's reachability (Redis), when the fleet shares one. */
  sharedState?: (() => SharedStateHealth) | undefined;
}

/** What the HTTP layer is built from: resolved from the container once, not per request. */
export class ServerContext {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly store: MessageStore;
  readonly metrics: GatewayMetrics;
  readonly now: () => number;
  /** Where a `callbackUrl` may point. */
  readonly callbackTargets: CallbackTargetPolicy;
  /** Hides the config's `${VAR}` values in text the API returns (errors stored by older versions too). */
  readonly redact: (text: string) => string;
  /** How every API accepts a message. */
  readonly intake: MessageIntake;
  /** The SendGrid event key, when an API key has SendGrid ingress. */
  readonly eventKey: EventKeySource | undefined;
  /** Prices, credit accounts and the 402 of a short balance. */
  readonly charges: Charges;
  /** Providers' recent delivered rates, fed by receipts. */
  readonly deliveredRates: DeliveredRates;
  private current: GatewayRuntime | undefined;

  constructor(
    private readonly container: GatewayContainer,
    readonly lifecycle: Lifecycle,
    readonly apiKeys: ApiKeys,
  ) {
    this.config = container.get(Tokens.Config).config;
    this.logger = container.get(Tokens.Logger);
    this.store = container.get(Tokens.MessageStore);
    this.metrics = container.get(Tokens.Metrics);
    this.now = container.get(Tokens.Clock);
    const { secrets } = container.get(Tokens.Config);
    this.redact = (text) => secrets.redact(text);
    this.callbackTargets = new CallbackTargetPolicy(this.config.callbacks);
    this.eventKey = container.has(Tokens.EventKey) ? container.get(Tokens.EventKey) : undefined;
    this.charges = container.get(Tokens.Charges);
    this.deliveredRates = container.get(Tokens.DeliveredRates);
    this.intake = new MessageIntake({
      charges: this.charges,
      store: this.store,
      metrics: this.metrics,
      config: this.config,
      callbackTargets: this.callbackTargets,
      now: this.now,
    });
  }

  /** The loaded runtime, or a 503 while the gateway starts or stops. */
  runtime(): GatewayRuntime {
    if (this.current && this.lifecycle.ready && !this.lifecycle.stopping) return this.current;
    if (this.lifecycle.ready && !this.lifecycle.stopping) {
      const providers = this.container.get(Tokens.Providers);
      this.current = {
        router: this.container.get(Tokens.Router),
        dispatcher: this.container.get(Tokens.Dispatcher),
        backlog: this.container.get(Tokens.Backlog),
        callbacks: this.container.get(Tokens.CallbackWorker),
        migrations: this.container.get(Tokens.MigrationControl),
        activity: this.container.get(Tokens.Activity),
        ingest: this.container.get(Tokens.Ingest),
        providers: new Map(providers.map((hosted) => [hosted.entry.id, hosted])),
        channels: new Map(providers.map((hosted) => [hosted.entry.id, hosted.provider.channel])),
        routes: routeProviders(this.container.get(Tokens.Router)),
        campaigns: this.container.get(Tokens.CampaignRunner),
        bulkRollout: this.container.get(Tokens.BulkRollout),
      };
      return this.current;
    }
    throw new HttpError(
      503,
      'not_ready',
      this.lifecycle.stopping ? 'the gateway is shutting down' : 'the gateway is starting',
      undefined,
      { 'retry-after': '1' },
    );
  }
}
