import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { gatewayUrl } from './api.js';
import type { MigrationView, ProviderView } from './api-types.js';

export interface LiveState {
  connected: boolean;
  /** The gateway's time of the last snapshot. */
  at: string | undefined;
  providers: ProviderView[] | undefined;
  migrations: MigrationView[] | undefined;
}

const EMPTY: LiveState = { connected: false, at: undefined, providers: undefined, migrations: undefined };

export const LiveContext = createContext<LiveState>(EMPTY);

export const useLive = () => useContext(LiveContext);

/**
 * The one live connection of the whole page (server-sent events on `/v1/stream`): every view
 * reads it, none polls. The browser reconnects by itself; `onClosed` hears of a stream the gateway
 * refused (the session ended).
 */
export function useLiveFeed(enabled: boolean, onClosed: () => void): LiveState {
  const [state, setState] = useState<LiveState>(EMPTY);
  useEffect(() => {
    if (!enabled) return;
    const source = new EventSource(gatewayUrl('/v1/stream'), { withCredentials: true });
    source.addEventListener('open', () => setState((previous) => ({ ...previous, connected: true })));
    source.addEventListener('error', () => {
      setState((previous) => ({ ...previous, connected: false }));
      if (source.readyState === EventSource.CLOSED) onClosed();
    });
    source.addEventListener('providers', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as {
        at: string;
        providers: ProviderView[];
      };
      setState((previous) => ({ ...previous, connected: true, at: data.at, providers: data.providers }));
    });
    source.addEventListener('migrations', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as {
        at: string;
        migrations: MigrationView[];
      };
      setState((previous) => ({ ...previous, at: data.at, migrations: data.migrations }));
    });
    return () => source.close();
  }, [enabled, onClosed]);
  return state;
}
