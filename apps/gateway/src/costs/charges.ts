import type { Message, SendResult } from '@msg/core';
import type { GatewayConfig } from '../config/config-schema.js';
import { HttpError } from '../http/http-error.js';
import type { Shortfall } from '../store/campaign-store.js';
import { formatMicros, reportedMicros } from './money.js';
import { billableUnits, PriceTable } from './price-table.js';

/**
 * What messages cost and who pays: the credit account of an API key, the hold a message takes
 * when accepted (its units through the dearest provider it may go to), and the cost of a send
 * (what the provider reported in the credit currency, else the price table's).
 */
export class Charges {
  readonly prices: PriceTable;
  readonly currency: string;
  private readonly accounts = new Map<string, string>();
  private readonly enabled: boolean;

  constructor(config: GatewayConfig) {
    this.prices = new PriceTable(config.costs);
    this.currency = config.costs.currency;
    this.enabled = config.credits.enabled;
    for (const key of config.apiKeys) this.accounts.set(key.id, key.creditAccount ?? key.id);
  }

  /** The key's credit account, when credits are on. */
  accountOf(apiKeyId: string): string | undefined {
    return this.enabled ? (this.accounts.get(apiKeyId) ?? apiKeyId) : undefined;
  }

  /** What to hold for a message that may go to any of `providers`; undefined when credits are off. */
  hold(
    apiKeyId: string,
    message: Message,
    providers: readonly string[],
  ): { account: string; heldMicros: number } | undefined {
    const account = this.accountOf(apiKeyId);
    if (account === undefined) return undefined;
    return { account, heldMicros: this.prices.estimate(providers, message) };
  }

  /** The cost of an accepted send in micro-units of the credit currency; undefined when unknown. */
  costOf(message: Message, providerId: string, result: SendResult): number | undefined {
    const reported = result.cost;
    if (reported && reported.currency.toUpperCase() === this.currency) {
      const micros = reportedMicros(reported.amount);
      if (micros !== undefined) return micros;
    }
    const units = result.segments ?? billableUnits(message);
    return this.prices.cost(providerId, message, units);
  }

  /** The 402 of a reservation the balance cannot cover: nothing was queued. */
  refusal(shortfall: Shortfall): HttpError {
    const missing = shortfall.requiredMicros - shortfall.balanceMicros;
    return new HttpError(
      402,
      'insufficient_credit',
      `account ${shortfall.account} has ${formatMicros(shortfall.balanceMicros)} ${this.currency}; this needs ${formatMicros(shortfall.requiredMicros)} (short by ${formatMicros(missing)})`,
      undefined,
      {},
      {
        account: shortfall.account,
        currency: this.currency,
        balance: formatMicros(shortfall.balanceMicros),
        required: formatMicros(shortfall.requiredMicros),
        shortfall: formatMicros(missing),
      },
    );
  }
}
