import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, api, rememberCsrfToken, whenSessionLost } from './api.js';
import type { SessionInfo } from './api-types.js';
import { AuditView } from './audit-view.js';
import { LiveContext, useLiveFeed } from './live.js';
import { MessageView } from './message-view.js';
import { MessagesView } from './messages-view.js';
import { MigrationPage } from './migration-page.js';
import { MigrationsView } from './migrations-view.js';
import { OverviewView } from './overview-view.js';
import { href, useRoute } from './router.js';
import { SignIn } from './sign-in.js';

const NAVIGATION = [
  { path: '/', label: 'Overview' },
  { path: '/migrations', label: 'Migrations' },
  { path: '/audit', label: 'Audit' },
  { path: '/messages', label: 'Messages' },
] as const;

type SessionState =
  | { status: 'checking' }
  | { status: 'signed-out'; notice?: string }
  | { status: 'signed-in'; session: SessionInfo };

export function App() {
  const [state, setState] = useState<SessionState>({ status: 'checking' });
  const route = useRoute();

  const signedIn = (session: SessionInfo) => {
    rememberCsrfToken(session.csrfHeader, session.csrfToken);
    setState({ status: 'signed-in', session });
  };
  const lost = useCallback(() => {
    rememberCsrfToken(undefined, undefined);
    setState({ status: 'signed-out', notice: 'Your session ended. Sign in again.' });
  }, []);

  useEffect(() => {
    whenSessionLost(lost);
    api<SessionInfo>('api/session')
      .then(signedIn)
      .catch(() => setState({ status: 'signed-out' }));
  }, [lost]);

  const streamClosed = useCallback(() => {
    // The stream was refused: find out whether the session is over.
    api<SessionInfo>('api/session').catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 401) lost();
    });
  }, [lost]);
  const live = useLiveFeed(state.status === 'signed-in', streamClosed);

  useEffect(() => {
    const section = NAVIGATION.find((item) => item.path !== '/' && route.path.startsWith(item.path));
    document.title = `${section?.label ?? 'Overview'} · @msg dashboard`;
  }, [route.path]);

  if (state.status === 'checking') return <p class="loading">Loading…</p>;
  if (state.status === 'signed-out') return <SignIn notice={state.notice} onSignedIn={signedIn} />;

  const { session } = state;
  const signOut = async () => {
    await api('api/session', { method: 'DELETE' }).catch(() => undefined);
    rememberCsrfToken(undefined, undefined);
    setState({ status: 'signed-out', notice: 'Signed out.' });
  };
  const canChange = session.role === 'admin';
  const [, section, id] = route.path.split('/');

  return (
    <LiveContext.Provider value={live}>
      <button type="button" class="skip-link" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <div class="brand-line">
          <span class="brand">@msg</span>
          <span class={`live-dot ${live.connected ? 'on' : 'off'}`} role="status">
            {live.connected ? 'Live' : 'Reconnecting…'}
          </span>
        </div>
        <nav aria-label="Sections">
          <ul>
            {NAVIGATION.map((item) => {
              const active = item.path === '/' ? route.path === '/' : route.path.startsWith(item.path);
              return (
                <li key={item.path}>
                  <a href={href(item.path)} aria-current={active ? 'page' : undefined}>
                    {item.label}
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
        <div class="who">
          <span>
            {session.keyId}{' '}
            <span class={`badge ${canChange ? 'badge-admin' : 'badge-monitor'}`}>
              {canChange ? 'admin' : 'read-only'}
            </span>
          </span>
          <button type="button" class="secondary small" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {section === 'migrations' && id ? (
          <MigrationPage id={decodeURIComponent(id)} canChange={canChange} />
        ) : section === 'migrations' ? (
          <MigrationsView />
        ) : section === 'audit' ? (
          <AuditView params={route.params} />
        ) : section === 'messages' && id ? (
          <MessageView id={decodeURIComponent(id)} />
        ) : section === 'messages' ? (
          <MessagesView params={route.params} />
        ) : (
          <OverviewView canChange={canChange} />
        )}
      </main>
    </LiveContext.Provider>
  );
}
