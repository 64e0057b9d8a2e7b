import type { Logger } from '@msg/core';
import type { GatewayConfig } from '../config/config-schema.js';
import type { Alerts } from '../migrations/alerts.js';
import { monthOf } from '../store/campaign-rows.js';
import type { MessageStore } from '../store/message-store.js';
import { formatMicros, parseMicros } from './money.js';

/**
 * Monthly spend limits per provider instance (`costs.spendLimits`): the spend of the month is
 * read from the store at start and followed as sends settle; a provider at its limit is left out
 * by the router (reason `spend-limit`) until the month turns, and the crossing is audited and
 * alerted (`spend-limit-reached`) once.
 */
export class SpendLimits {
  private readonly limits = new Map<string, number>();
  private readonly spent = new Map<string, number>();
  private readonly reached = new Set<string>();
  private month = '';

  constructor(
    config: GatewayConfig['costs'],
    private readonly store: MessageStore,
    private readonly alerts: Alerts,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {
    for (const [provider, amount] of Object.entries(config.spendLimits)) {
      this.limits.set(provider, parseMicros(amount) as number);
    }
  }

  /** Reads the month's spend of every limited provider. */
  async load(): Promise<void> {
    this.month = monthOf(this.now());
    for (const provider of this.limits.keys()) {
      this.spent.set(provider, await this.store.ledger.monthSpend(provider, this.now()));
      if (this.isOver(provider)) this.reached.add(provider);
    }
  }

  /**
   * Reads the month's spend again: on a store shared by several instances, what the others
   * settled counts too (each instance follows only its own sends between reads). A limit another
   * instance reached is not announced again here.
   */
  async refresh(): Promise<void> {
    this.turnMonth();
    for (const provider of this.limits.keys()) {
      const stored = await this.store.ledger.monthSpend(provider, this.now());
      this.spent.set(provider, Math.max(this.spent.get(provider) ?? 0, stored));
      if (this.isOver(provider)) this.reached.add(provider);
    }
  }

  /** For the router: whether the provider is at its limit this month. */
  readonly over = (providerId: string): boolean => {
    if (!this.limits.has(providerId)) return false;
    this.turnMonth();
    return this.isOver(providerId);
  };

  /** A settled send's cost. */
  record(providerId: string, micros: number): void {
    const limit = this.limits.get(providerId);
    if (limit === undefined || micros <= 0) return;
    this.turnMonth();
    this.spent.set(providerId, (this.spent.get(providerId) ?? 0) + micros);
    if (this.isOver(providerId) && !this.reached.has(providerId)) {
      this.reached.add(providerId);
      this.announce(providerId, limit);
    }
  }

  private isOver(providerId: string): boolean {
    return (this.spent.get(providerId) ?? 0) >= (this.limits.get(providerId) ?? Number.POSITIVE_INFINITY);
  }

  private turnMonth(): void {
    const month = monthOf(this.now());
    if (month === this.month) return;
    this.month = month;
    this.spent.clear();
    this.reached.clear();
  }

  private announce(providerId: string, limit: number): void {
    const spent = this.spent.get(providerId) ?? 0;
    const message = `provider ${providerId} reached its monthly spend limit (${formatMicros(spent)} of ${formatMicros(limit)}); the router skips it until ${this.month} ends`;
    const detail = {
      provider: providerId,
      month: this.month,
      spent: formatMicros(spent),
      limit: formatMicros(limit),
    };
    this.logger.warn(message, detail);
    this.store
      .writeOperation(
        {
          audit: [
            {
              at: this.now(),
              actor: 'safeguard',
              action: 'provider.spend-limit',
              subject: `provider:${providerId}`,
              reason: message,
              detail,
            },
          ],
          alerts: this.alerts.build('spend-limit-reached', `provider:${providerId}`, message, detail),
        },
        this.now(),
      )
      .catch((error: unknown) => this.logger.error('cannot store the spend-limit alert', { error }));
  }
}
