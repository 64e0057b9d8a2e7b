import { useState } from 'preact/hooks';
import { ApiError, api } from './api.js';
import type { SessionInfo } from './api-types.js';

const MESSAGES: Record<string, string> = {
  invalid_key: 'That key was not accepted. Check it and try again.',
  not_an_operator_key: 'That key cannot open the dashboard: it needs the admin or monitor scope.',
};

/**
 * Sign-in with an admin or monitor API key. The key goes to the gateway once, in a POST body, and
 * is exchanged for a session cookie; the field is cleared at once and the key is kept nowhere.
 */
export function SignIn({
  notice,
  onSignedIn,
}: {
  notice?: string;
  onSignedIn: (session: SessionInfo) => void;
}) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!key || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const session = await api<SessionInfo>('api/session', { method: 'POST', body: { key } });
      setKey('');
      onSignedIn(session);
    } catch (failure) {
      setKey('');
      if (failure instanceof ApiError && failure.status === 429) {
        setError(`Too many failed attempts. Try again in ${failure.retryAfterSeconds ?? 60} seconds.`);
      } else if (failure instanceof ApiError) {
        setError(MESSAGES[failure.code] ?? failure.message);
      } else {
        setError('The gateway cannot be reached.');
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" id="main">
      <form onSubmit={submit} class="panel" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">
          <span class="brand">@msg</span> dashboard
        </h1>
        <p class="muted">Sign in with an admin key, or a monitor key to look without changing anything.</p>
        {notice && !error && <p class="notice">{notice}</p>}
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={key}
          aria-describedby={error ? 'sign-in-error' : undefined}
          aria-invalid={error ? true : undefined}
          onInput={(event) => setKey((event.target as HTMLInputElement).value)}
        />
        {error && (
          <p id="sign-in-error" class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || key.length === 0}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
