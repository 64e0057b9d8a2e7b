import type { HostedProvider } from '../plugins/plugin-host.js';
import { type IngestContext, ingestEvents } from './ingest-events.js';

/**
 * Subscribes to every provider that pushes delivery events itself (`onDeliveryEvent`, e.g. SMPP
 * receipts on the bind) and stores them exactly as webhook events are stored. Returns the
 * unsubscribe functions, for shutdown.
 */
export function subscribeDeliveryEvents(
  providers: readonly HostedProvider[],
  context: IngestContext,
): Array<() => void> {
  const unsubscribes: Array<() => void> = [];
  for (const { entry, provider } of providers) {
    if (typeof provider.onDeliveryEvent !== 'function') continue;
    unsubscribes.push(
      provider.onDeliveryEvent((event) => {
        ingestEvents(entry.id, [event], context).catch((error: unknown) => {
          context.logger.error(`could not store a delivery event from ${entry.id}`, {
            provider: entry.id,
            providerMessageId: event.providerMessageId,
            error: (error as Error).message,
          });
        });
      }),
    );
  }
  return unsubscribes;
}
