import { countSmsSegments, type Message, phoneNumberCountry } from '@msg/core';
import type { GatewayConfig } from '../config/config-schema.js';
import { parseMicros } from './money.js';

interface ProviderPrices {
  /** E.164 prefixes, longest first. */
  prefixes: Array<{ prefix: string; micros: number }>;
  countries: Map<string, number>;
  domains: Map<string, number>;
  fallback: number | undefined;
}

/** Where a message goes, as prices name it: its number (SMS, WhatsApp) or its first recipient's domain. */
export function destinationKey(message: Message): string {
  if (message.channel === 'email') return `@${message.to[0]?.email.split('@')[1]?.toLowerCase() ?? ''}`;
  return message.to;
}

/** Billable units of a message: SMS segments; one per email recipient; one per WhatsApp message. */
export function billableUnits(message: Message): number {
  if (message.channel === 'sms') return countSmsSegments(message.text).segments;
  if (message.channel === 'email') {
    return message.to.length + (message.cc?.length ?? 0) + (message.bcc?.length ?? 0);
  }
  return 1;
}

/**
 * The configured price of a unit by provider instance and destination (`costs.prices`): the
 * longest E.164 prefix, then the country, then the email domain, then `*`.
 */
export class PriceTable {
  private readonly providers = new Map<string, ProviderPrices>();
  private readonly countries = new Map<string, string | undefined>();
  readonly currency: string;

  constructor(config: GatewayConfig['costs']) {
    this.currency = config.currency;
    for (const price of config.prices) {
      let entry = this.providers.get(price.provider);
      if (!entry) {
        entry = { prefixes: [], countries: new Map(), domains: new Map(), fallback: undefined };
        this.providers.set(price.provider, entry);
      }
      const micros = parseMicros(price.amount) as number;
      const destination = price.destination;
      if (destination === '*') entry.fallback = micros;
      else if (destination.startsWith('+')) entry.prefixes.push({ prefix: destination, micros });
      else if (destination.startsWith('@')) entry.domains.set(destination.toLowerCase(), micros);
      else entry.countries.set(destination.toUpperCase(), micros);
    }
    for (const entry of this.providers.values()) {
      entry.prefixes.sort((left, right) => right.prefix.length - left.prefix.length);
    }
  }

  /** Whether any price is configured for the provider. */
  has(providerId: string): boolean {
    return this.providers.has(providerId);
  }

  /** Micro-units per billable unit, or undefined when the provider has no price for the destination. */
  unitPrice(providerId: string, destination: string): number | undefined {
    const entry = this.providers.get(providerId);
    if (!entry) return undefined;
    if (destination.startsWith('@')) return entry.domains.get(destination) ?? entry.fallback;
    for (const { prefix, micros } of entry.prefixes) if (destination.startsWith(prefix)) return micros;
    if (entry.countries.size > 0) {
      const country = this.countryOf(destination);
      const price = country === undefined ? undefined : entry.countries.get(country);
      if (price !== undefined) return price;
    }
    return entry.fallback;
  }

  /** What the message costs through the provider, in micro-units; undefined without a price. */
  cost(providerId: string, message: Message, units = billableUnits(message)): number | undefined {
    const price = this.unitPrice(providerId, destinationKey(message));
    return price === undefined ? undefined : price * units;
  }

  /** The dearest of `providers` for the message: what to reserve before knowing which one sends it. */
  estimate(providers: readonly string[], message: Message, units = billableUnits(message)): number {
    let most = 0;
    for (const provider of providers) most = Math.max(most, this.cost(provider, message, units) ?? 0);
    return most;
  }

  private countryOf(number: string): string | undefined {
    if (this.countries.has(number)) return this.countries.get(number);
    const country = phoneNumberCountry(number);
    // Bounded: a campaign of millions of numbers must not grow it without limit.
    if (this.countries.size > 100_000) this.countries.clear();
    this.countries.set(number, country);
    return country;
  }
}

/**
 * What a campaign recipient's message may cost: its units through the dearest of `providers`
 * for its destination. Validation and the runner share it, so a campaign's messages hold exactly
 * what its report estimated.
 */
export function recipientEstimate(
  prices: PriceTable,
  providers: readonly string[],
  recipient: string,
  units: number,
): number {
  const destination = recipient.includes('@')
    ? `@${recipient.split('@')[1]?.toLowerCase() ?? ''}`
    : recipient;
  let most = 0;
  for (const provider of providers) most = Math.max(most, prices.unitPrice(provider, destination) ?? 0);
  return most * units;
}
