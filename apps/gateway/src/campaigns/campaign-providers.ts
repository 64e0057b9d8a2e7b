import type { Channel, Router } from '@msg/core';
import type { CampaignDefinition } from '../store/campaign-store.js';

/** Each route's providers, with the channel each serves. */
export type RouteProviders = ReadonlyMap<string, ReadonlyArray<{ id: string; channel: Channel }>>;

export function routeProviders(router: Router): RouteProviders {
  return new Map(
    router
      .status()
      .routes.map((route) => [
        route.id,
        route.providers.map((provider) => ({ id: provider.id, channel: provider.channel })),
      ]),
  );
}

/**
 * The providers a campaign's messages may go to, for its estimate and holds: the one it names,
 * else its route's providers of its channel, else every provider of its channel.
 */
export function campaignProviders(
  definition: CampaignDefinition,
  channels: ReadonlyMap<string, Channel>,
  routes: RouteProviders,
): string[] {
  const channel = definition.template.channel;
  if (definition.provider) return [definition.provider];
  if (definition.route) {
    return (routes.get(definition.route) ?? []).flatMap((provider) =>
      provider.channel === channel ? [provider.id] : [],
    );
  }
  return [...channels].flatMap(([id, served]) => (served === channel ? [id] : []));
}
