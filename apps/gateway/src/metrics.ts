import type { Router } from '@msg/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

export interface QueueDepth {
  queued: number;
  inFlight: number;
}

/**
 * Prometheus series of one gateway, on its own registry (never prom-client's global one, so two
 * gateways in a process, or a host application's metrics, never collide).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly accepted = new Counter({
    name: 'msg_messages_accepted_total',
    help: 'Messages accepted by the API (persisted, 202).',
    labelNames: ['channel'],
    registers: [this.registry],
  });
  readonly ingressMessages = new Counter({
    name: 'msg_ingress_messages_total',
    help: "Messages accepted through a provider's API (drop-in ingress: twilio, sendgrid).",
    labelNames: ['api'],
    registers: [this.registry],
  });
  readonly sends = new Counter({
    name: 'msg_provider_sends_total',
    help: 'Provider calls, by provider and outcome.',
    labelNames: ['provider', 'outcome'],
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'msg_provider_failures_total',
    help: 'Failed provider calls, by provider and error kind.',
    labelNames: ['provider', 'kind'],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'msg_provider_send_duration_seconds',
    help: 'Latency of provider calls.',
    labelNames: ['provider'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly failovers = new Counter({
    name: 'msg_failovers_total',
    help: 'Times the router left a provider for the next one.',
    labelNames: ['from', 'trigger'],
    registers: [this.registry],
  });
  readonly dispatched = new Counter({
    name: 'msg_messages_dispatched_total',
    help: 'Messages whose dispatch finished, by result.',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly webhookEvents = new Counter({
    name: 'msg_webhook_events_total',
    help: 'Delivery events received, by provider instance and what became of them.',
    labelNames: ['provider', 'outcome'],
    registers: [this.registry],
  });
  readonly callbacks = new Counter({
    name: 'msg_status_callbacks_total',
    help: 'Status callbacks to clients, by outcome.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly retryRounds = new Counter({
    name: 'msg_retry_rounds_total',
    help: 'Messages whose every provider failed for a reason that may pass: another round scheduled, or given up.',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly receiptDeadlines = new Counter({
    name: 'msg_receipt_deadlines_total',
    help: 'Messages ended `unknown` for want of a final status, by reason (receipt-deadline, no-receipts).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly reconciliations = new Counter({
    name: 'msg_reconciliations_total',
    help: 'Status look-ups of messages whose receipt is overdue, by provider and outcome (updated, unchanged, failed).',
    labelNames: ['provider', 'outcome'],
    registers: [this.registry],
  });
  readonly receipts = new Counter({
    name: 'msg_receipts_total',
    help: 'Delivery events that moved a message, by provider, normalised status and migration side (none outside a migration).',
    labelNames: ['provider', 'status', 'side'],
    registers: [this.registry],
  });
  readonly timeToDelivery = new Histogram({
    name: 'msg_time_to_delivery_seconds',
    help: 'From accept to the first delivered receipt, by provider and migration side.',
    labelNames: ['provider', 'side'],
    buckets: [1, 5, 15, 30, 60, 120, 240, 600, 1800, 3600, 14_400, 86_400],
    registers: [this.registry],
  });
  readonly cost = new Counter({
    name: 'msg_cost_total',
    help: 'What providers reported they charged, by provider and currency.',
    labelNames: ['provider', 'currency'],
    registers: [this.registry],
  });
  readonly migrationMode = new Gauge({
    name: 'msg_migration_mode',
    help: 'The mode in force per migration: 1 for the current mode, 0 for the others.',
    labelNames: ['migration', 'mode'],
    registers: [this.registry],
  });
  readonly migrationPercentage = new Gauge({
    name: 'msg_migration_percentage',
    help: "Share of a migration's traffic on its `to` side (0 off, shadow and rolled back; 100 complete).",
    labelNames: ['migration'],
    registers: [this.registry],
  });
  readonly migrationPlanPhase = new Gauge({
    name: 'msg_migration_plan_phase',
    help: "A migration plan's phase: 1 for the current phase, 0 for the others.",
    labelNames: ['migration', 'phase'],
    registers: [this.registry],
  });
  readonly migrationChecks = new Counter({
    name: 'msg_migration_checks_total',
    help: 'Migration analysis check results, by migration, check and verdict.',
    labelNames: ['migration', 'check', 'verdict'],
    registers: [this.registry],
  });
  readonly alerts = new Counter({
    name: 'msg_alerts_total',
    help: "Alerts to operators' endpoints, by outcome.",
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly shadowValidations = new Counter({
    name: 'msg_shadow_validations_total',
    help: 'Shadow-mode validations on the `to` side, by provider and outcome (accepted, refused, failed, unsupported).',
    labelNames: ['provider', 'outcome'],
    registers: [this.registry],
  });
  private router: Router | undefined;
  private depth: (() => QueueDepth) | undefined;
  private storeWritable: (() => boolean) | undefined;

  constructor() {
    const metrics = this;
    new Gauge({
      name: 'msg_breaker_state',
      help: 'Circuit breaker per provider: 0 closed, 1 half-open, 2 open.',
      labelNames: ['provider'],
      registers: [this.registry],
      collect() {
        for (const provider of metrics.router?.status().providers ?? []) {
          this.set({ provider: provider.id }, BREAKER_VALUE[provider.breaker]);
        }
      },
    });
    new Gauge({
      name: 'msg_provider_in_flight',
      help: 'Provider calls in flight.',
      labelNames: ['provider'],
      registers: [this.registry],
      collect() {
        for (const provider of metrics.router?.status().providers ?? []) {
          this.set({ provider: provider.id }, provider.inFlight);
        }
      },
    });
    new Gauge({
      name: 'msg_queue_depth',
      help: 'Messages waiting for dispatch (queued) and being dispatched (in_flight).',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const depth = metrics.depth?.();
        if (!depth) return;
        this.set({ state: 'queued' }, depth.queued);
        this.set({ state: 'in_flight' }, depth.inFlight);
      },
    });
    new Gauge({
      name: 'msg_store_writable',
      help: 'Whether the store takes writes: 1 yes, 0 no (a full disk, a read-only file).',
      registers: [this.registry],
      collect() {
        if (metrics.storeWritable) this.set(metrics.storeWritable() ? 1 : 0);
      },
    });
  }

  /** Reports the store's write health on `msg_store_writable`. */
  observeStore(writable: () => boolean): void {
    this.storeWritable = writable;
  }

  /** Subscribes to the router's events; returns the function that unsubscribes. */
  observe(router: Router, depth: () => QueueDepth): () => void {
    this.router = router;
    this.depth = depth;
    const off = [
      router.on('attempt-succeeded', (event) => {
        this.sends.inc({ provider: event.provider, outcome: 'succeeded' });
        this.latency.observe({ provider: event.provider }, event.attempt.latencyMs / 1000);
      }),
      router.on('attempt-failed', (event) => {
        this.sends.inc({ provider: event.provider, outcome: 'failed' });
        this.failures.inc({ provider: event.provider, kind: event.attempt.errorKind ?? 'unknown' });
        this.latency.observe({ provider: event.provider }, event.attempt.latencyMs / 1000);
      }),
      router.on('failover', (event) => this.failovers.inc({ from: event.from, trigger: event.trigger })),
    ];
    return () => {
      for (const stop of off) stop();
    };
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
