import { type Logger, type Provider, ProviderError, type RoutedSend, stableBucket } from '@msg/core';
import type { GatewayMetrics } from '../metrics.js';
import type { MessageStore, StoredMessage } from '../store/message-store.js';
import type { MigrationControl } from './migration-control.js';

export interface ShadowValidatorOptions {
  store: MessageStore;
  providers: ReadonlyMap<string, Provider>;
  migrations: MigrationControl;
  isHalted: (provider: string) => boolean;
  metrics: GatewayMetrics;
  logger: Logger;
  now: () => number;
  /** Validations in flight at once; beyond it a sampled message is skipped, never queued without bound. */
  concurrency?: number;
  timeoutMs?: number;
}

const SAMPLE_BUCKETS = 10_000;

/**
 * Shadow mode: for a sample of the messages a migration in `shadow` sent on its `from` side, asks
 * the `to` side whether it would have accepted them (`Provider.validate`: the provider's test mode,
 * or local checks) and stores the answer for the analysis. Nothing is ever delivered twice: a
 * provider without `validate` is not called at all. Runs after the send, never on its path.
 */
export class ShadowValidator {
  private inFlight = 0;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: ShadowValidatorOptions) {}

  consider(stored: StoredMessage, routed: RoutedSend): void {
    const migration = routed.decision.migration;
    if (migration?.mode !== 'shadow') return;
    const info = this.options.migrations.migrations.get(migration.id);
    if (!info) return;
    const sample = info.config.shadow?.sample ?? 0.1;
    // The same messages are sampled on every instance and after a restart.
    if (stableBucket(`${stored.id}:shadow`, SAMPLE_BUCKETS) >= sample * SAMPLE_BUCKETS) return;
    const provider = info.to
      .filter((id) => !this.options.isHalted(id))
      .map((id) => this.options.providers.get(id))
      .find((candidate) => candidate !== undefined);
    if (!provider?.validate) {
      this.options.metrics.shadowValidations.inc({
        provider: provider?.id ?? info.to[0] ?? '-',
        outcome: 'unsupported',
      });
      return;
    }
    if (this.inFlight >= (this.options.concurrency ?? 8)) {
      this.options.metrics.shadowValidations.inc({ provider: provider.id, outcome: 'skipped' });
      return;
    }
    const run = this.validate(stored, migration.id, provider).finally(() => {
      this.inFlight--;
      this.running.delete(run);
    });
    this.inFlight++;
    this.running.add(run);
  }

  private async validate(stored: StoredMessage, migrationId: string, provider: Provider): Promise<void> {
    const { store, metrics, logger, now } = this.options;
    const started = now();
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? 10_000);
    let accepted = false;
    let error: ProviderError | undefined;
    try {
      await (provider.validate as NonNullable<Provider['validate']>)(stored.message as never, { signal });
      accepted = true;
    } catch (caught) {
      error = ProviderError.isInstance(caught)
        ? caught
        : new ProviderError({ kind: 'transient', provider: provider.id, message: (caught as Error).message });
    }
    metrics.shadowValidations.inc({
      provider: provider.id,
      outcome: accepted
        ? 'accepted'
        : error?.kind === 'permanent' || error?.kind === 'configuration'
          ? 'refused'
          : 'failed',
    });
    await store
      .recordShadowValidation({
        messageId: stored.id,
        migrationId,
        providerId: provider.id,
        at: started,
        accepted,
        latencyMs: now() - started,
        errorKind: error?.kind,
        errorCode: error?.providerCode,
        reason: error?.message,
      })
      .catch((failure: unknown) =>
        logger.warn(`could not store the shadow validation of ${stored.id}`, { error: failure }),
      );
  }

  /** Waits for validations in flight (shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
