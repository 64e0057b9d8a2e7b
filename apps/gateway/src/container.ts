// tsyringe needs the Reflect polyfill before it loads; this facade is its only importer.
import 'reflect-metadata';
import type { Logger, Router } from '@msg/core';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import type { CallbackWorker } from './callbacks/callback-worker.js';
import type { BulkRollout } from './campaigns/bulk-rollout.js';
import type { CampaignRunner } from './campaigns/campaign-runner.js';
import type { LoadedConfig } from './config/load-config.js';
import type { Charges } from './costs/charges.js';
import type { DeliveredRates } from './costs/delivered-rates.js';
import type { BacklogMonitor } from './dispatch/backlog-monitor.js';
import type { Dispatcher } from './dispatch/dispatcher.js';
import type { EventKeySource } from './ingress/sendgrid-event-key.js';
import type { ProviderActivity } from './live/provider-activity.js';
import type { GatewayMetrics } from './metrics.js';
import type { MigrationControl } from './migrations/migration-control.js';
import type { HostedProvider } from './plugins/plugin-host.js';
import type { MessageStore } from './store/message-store.js';
import type { IngestContext } from './webhooks/ingest-events.js';

const ConfigToken: unique symbol = Symbol.for('msg.Config');
const LoggerToken: unique symbol = Symbol.for('msg.Logger');
const ClockToken: unique symbol = Symbol.for('msg.Clock');
const MessageStoreToken: unique symbol = Symbol.for('msg.MessageStore');
const MetricsToken: unique symbol = Symbol.for('msg.Metrics');
const ProvidersToken: unique symbol = Symbol.for('msg.Providers');
const RouterToken: unique symbol = Symbol.for('msg.Router');
const DispatcherToken: unique symbol = Symbol.for('msg.Dispatcher');
const BacklogToken: unique symbol = Symbol.for('msg.Backlog');
const CallbackWorkerToken: unique symbol = Symbol.for('msg.CallbackWorker');
const MigrationControlToken: unique symbol = Symbol.for('msg.MigrationControl');
const ActivityToken: unique symbol = Symbol.for('msg.ProviderActivity');
const EventKeyToken: unique symbol = Symbol.for('msg.EventKey');
const IngestToken: unique symbol = Symbol.for('msg.Ingest');
const CampaignRunnerToken: unique symbol = Symbol.for('msg.CampaignRunner');
const BulkRolloutToken: unique symbol = Symbol.for('msg.BulkRollout');
const ChargesToken: unique symbol = Symbol.for('msg.Charges');
const DeliveredRatesToken: unique symbol = Symbol.for('msg.DeliveredRates');

/** Explicit tokens: interfaces have no runtime identity, and no decorator metadata is needed. */
export const Tokens = {
  Config: ConfigToken,
  Logger: LoggerToken,
  Clock: ClockToken,
  MessageStore: MessageStoreToken,
  Metrics: MetricsToken,
  Providers: ProvidersToken,
  Router: RouterToken,
  Dispatcher: DispatcherToken,
  Backlog: BacklogToken,
  CallbackWorker: CallbackWorkerToken,
  MigrationControl: MigrationControlToken,
  Activity: ActivityToken,
  /** The key that signs SendGrid-format events; registered only when an API key has SendGrid ingress. */
  EventKey: EventKeyToken,
  /** How verified delivery events are stored (webhooks, look-ups, receipts over a connection). */
  Ingest: IngestToken,
  CampaignRunner: CampaignRunnerToken,
  BulkRollout: BulkRolloutToken,
  Charges: ChargesToken,
  DeliveredRates: DeliveredRatesToken,
} as const;

/** What each token resolves to. */
export interface Services {
  [Tokens.Config]: LoadedConfig;
  [Tokens.Logger]: Logger;
  [Tokens.Clock]: () => number;
  [Tokens.MessageStore]: MessageStore;
  [Tokens.Metrics]: GatewayMetrics;
  [Tokens.Providers]: readonly HostedProvider[];
  [Tokens.Router]: Router;
  [Tokens.Dispatcher]: Dispatcher;
  [Tokens.Backlog]: BacklogMonitor;
  [Tokens.CallbackWorker]: CallbackWorker;
  [Tokens.MigrationControl]: MigrationControl;
  [Tokens.Activity]: ProviderActivity;
  [Tokens.EventKey]: EventKeySource;
  [Tokens.Ingest]: IngestContext;
  [Tokens.CampaignRunner]: CampaignRunner;
  [Tokens.BulkRollout]: BulkRollout;
  [Tokens.Charges]: Charges;
  [Tokens.DeliveredRates]: DeliveredRates;
}

export type Token = keyof Services;

/**
 * The gateway's one DI container, behind a small typed facade: the composition root registers,
 * the gateway's parts resolve. Plugins never see it. Each gateway gets a child container, so two
 * gateways in one process (tests) never share a registration.
 */
export class GatewayContainer {
  private readonly container: DependencyContainer = rootContainer.createChildContainer();

  value<T extends Token>(token: T, value: Services[T]): this {
    this.container.register(token, { useValue: value });
    return this;
  }

  /** Built on first resolve, then kept. */
  factory<T extends Token>(token: T, build: (container: GatewayContainer) => Services[T]): this {
    let built: { value: Services[T] } | undefined;
    this.container.register(token, {
      useFactory: () => {
        built ??= { value: build(this) };
        return built.value;
      },
    });
    return this;
  }

  get<T extends Token>(token: T): Services[T] {
    return this.container.resolve<Services[T]>(token);
  }

  has(token: Token): boolean {
    return this.container.isRegistered(token);
  }

  async dispose(): Promise<void> {
    await this.container.dispose();
  }
}
