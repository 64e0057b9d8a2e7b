import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, query } from './api.js';
import type { MessagePage, MessageSummary } from './api-types.js';
import { StatusBadge } from './badges.js';
import { time } from './format.js';
import { href, navigate } from './router.js';
import { ScrollRegion } from './scroll-region.js';

/** Look a message up by its id, or list the recent ones to a number or an address. */
export function MessagesView({ params }: { params: URLSearchParams }) {
  const to = params.get('to') ?? '';
  const [input, setInput] = useState(to);
  const [messages, setMessages] = useState<MessageSummary[] | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  const load = async (before?: string) => {
    try {
      const page = await api<MessagePage>(`/v1/messages${query({ to, limit: 25, before })}`);
      setMessages((previous) => (before ? [...(previous ?? []), ...page.messages] : page.messages));
      setNext(page.next);
      setError(undefined);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : 'could not load');
    }
  };
  useEffect(() => {
    setInput(to);
    setMessages(undefined);
    setNext(undefined);
    setError(undefined);
    if (to) void load();
  }, [to]);

  return (
    <>
      <h1>Messages</h1>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          const value = input.trim();
          if (!value) return;
          if (/^msg_/.test(value)) navigate(`/messages/${encodeURIComponent(value)}`);
          else navigate('/messages', { to: value });
        }}
      >
        <div class="grow">
          <label for="message-search">Message id, phone number or email address</label>
          <input
            id="message-search"
            placeholder="msg_… or +260971234567 or ops@example.com"
            value={input}
            onInput={(event) => setInput((event.target as HTMLInputElement).value)}
          />
        </div>
        <div class="filter-buttons">
          <button type="submit" class="primary">
            Look up
          </button>
        </div>
      </form>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {messages && messages.length === 0 && <p class="muted">No message to {to}.</p>}
      {messages && messages.length > 0 && (
        <ScrollRegion label={`Messages to ${to}`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Accepted</th>
                <th scope="col">Message</th>
                <th scope="col">Status</th>
                <th scope="col">Provider</th>
                <th scope="col">Channel</th>
              </tr>
            </thead>
            <tbody>
              {messages.map((message) => (
                <tr key={message.id}>
                  <td class="nowrap">{time(message.createdAt)}</td>
                  <td>
                    <a href={href(`/messages/${encodeURIComponent(message.id)}`)}>
                      <code>{message.id}</code>
                    </a>
                  </td>
                  <td>
                    <StatusBadge status={message.status} />
                  </td>
                  <td>{message.provider ?? '–'}</td>
                  <td>{message.channel}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
      {next && (
        <button type="button" class="secondary" onClick={() => load(next)}>
          Older messages
        </button>
      )}
    </>
  );
}
