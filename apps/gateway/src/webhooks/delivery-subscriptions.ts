import type { DeliveryEvent } from '@msg/core';
import type { HostedProvider } from '../plugins/plugin-host.js';
import { untilStored } from '../store/until-stored.js';
import { type IngestContext, ingestEvents } from './ingest-events.js';

/**
 * Receipts waiting for a store that cannot be written (a full disk) at most, across providers:
 * the connection has already acknowledged them, so they live in memory until the store takes
 * them; past this many, a new one is dropped and logged rather than growing without bound.
 */
export const PENDING_PUSHED_RECEIPTS_LIMIT = 10_000;

/**
 * Subscribes to every provider that pushes delivery events itself (`onDeliveryEvent`, e.g. SMPP
 * receipts on the bind) and stores them exactly as webhook events are stored. Such a receipt is
 * acknowledged on its connection before it is stored (an SMSC re-sends a receipt whose answer is
 * late), so a store that cannot be written for now is waited out, as a send's outcome is, instead
 * of losing it. Returns the unsubscribe functions, for shutdown: unsubscribing ends the waiting.
 */
export function subscribeDeliveryEvents(
  providers: readonly HostedProvider[],
  context: IngestContext,
): Array<() => void> {
  const unsubscribes: Array<() => void> = [];
  const stopped = new AbortController();
  let pending = 0;
  const store = (providerId: string, event: DeliveryEvent) => {
    const failed = (error: unknown) =>
      context.logger.error(`could not store a delivery event from ${providerId}`, {
        provider: providerId,
        providerMessageId: event.providerMessageId,
        error: (error as Error).message,
      });
    if (pending >= PENDING_PUSHED_RECEIPTS_LIMIT) {
      failed(new Error(`${pending} receipts already wait for the store`));
      return;
    }
    pending += 1;
    untilStored(() => ingestEvents(providerId, [event], context), {
      what: `store a delivery event from ${providerId}`,
      logger: context.logger,
      signal: stopped.signal,
    })
      .catch(failed)
      .finally(() => {
        pending -= 1;
      });
  };
  for (const { entry, provider } of providers) {
    if (typeof provider.onDeliveryEvent !== 'function') continue;
    unsubscribes.push(provider.onDeliveryEvent((event) => store(entry.id, event)));
  }
  unsubscribes.push(() => stopped.abort());
  return unsubscribes;
}
