import { api } from './api.js';
import type { MessageDetail } from './api-types.js';
import { StatusBadge } from './badges.js';
import { duration, NONE, time } from './format.js';
import { href } from './router.js';
import { ScrollRegion } from './scroll-region.js';
import { timelineOf } from './timeline.js';
import { useData } from './use-data.js';

/** One message: where it went and why, every attempt, and its receipts on a timeline. */
export function MessageView({ id }: { id: string }) {
  const message = useData(() => api<MessageDetail>(`/v1/messages/${encodeURIComponent(id)}`), id);
  if (message.error) {
    return (
      <>
        <h1>Message</h1>
        <p class="form-error" role="alert">
          {message.error}
        </p>
        <a href={href('/messages')}>Look up another</a>
      </>
    );
  }
  if (!message.value) return <p class="loading">Loading…</p>;
  const detail = message.value;
  const items = timelineOf(detail);
  const start = items[0]?.at ?? 0;
  const span = Math.max(1, (items.at(-1)?.at ?? start) - start);
  const recipients = Array.isArray(detail.to) ? detail.to.join(', ') : detail.to;

  return (
    <>
      <p class="breadcrumb">
        <a href={href('/messages', { to: Array.isArray(detail.to) ? detail.to[0] : detail.to })}>
          Messages to {recipients}
        </a>{' '}
        /
      </p>
      <h1>
        Message <code>{detail.id}</code>
      </h1>
      <section class="panel" aria-labelledby="message-facts">
        <h2 id="message-facts">Where it went</h2>
        <dl class="facts">
          <div>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={detail.status} />
            </dd>
          </div>
          <div>
            <dt>To</dt>
            <dd>{recipients}</dd>
          </div>
          <div>
            <dt>Provider</dt>
            <dd>{detail.provider ?? NONE}</dd>
          </div>
          <div>
            <dt>Provider's id</dt>
            <dd>{detail.providerMessageId ? <code>{detail.providerMessageId}</code> : NONE}</dd>
          </div>
          <div>
            <dt>Segments</dt>
            <dd>{detail.segments ?? NONE}</dd>
          </div>
          <div>
            <dt>Cost</dt>
            <dd>{detail.cost ? `${detail.cost.amount} ${detail.cost.currency}` : NONE}</dd>
          </div>
        </dl>
        <p>
          <strong>Routing reason:</strong> {detail.routingReason ?? NONE}
        </p>
        {detail.error && (
          <p class="form-error">
            {detail.error.kind}
            {detail.error.code ? ` ${detail.error.code}` : ''}: {detail.error.message}
          </p>
        )}
        {detail.possibleDuplicate && <p class="notice">This message may have been delivered twice.</p>}
        {detail.nextAttemptAt && <p class="notice">Next try at {time(detail.nextAttemptAt)}.</p>}
      </section>
      <section class="panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <div class="track" aria-hidden="true">
          {items.map((item, index) => (
            <span
              key={index}
              class={`mark tone-${item.tone}`}
              style={{ left: `${((item.at - start) / span) * 100}%` }}
            />
          ))}
        </div>
        <ol class="timeline">
          {items.map((item, index) => (
            <li key={index} class={`event tone-${item.tone}`} data-kind={item.kind}>
              <span class="offset">+{duration(item.at - start)}</span>
              <span class="what">{item.text}</span>
              <span class="when muted">{time(new Date(item.at).toISOString())}</span>
            </li>
          ))}
        </ol>
      </section>
      <section class="panel" aria-labelledby="attempts-title">
        <h2 id="attempts-title">Attempts</h2>
        {detail.attempts.length === 0 ? (
          <p class="muted">No attempt yet.</p>
        ) : (
          <ScrollRegion label="Attempts">
            <table>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Outcome</th>
                  <th scope="col" class="number">
                    Latency
                  </th>
                  <th scope="col">Error</th>
                  <th scope="col">Why this provider</th>
                </tr>
              </thead>
              <tbody>
                {detail.attempts.map((attempt) => (
                  <tr key={attempt.number}>
                    <td>{attempt.number}</td>
                    <td>{attempt.provider}</td>
                    <td>{attempt.outcome}</td>
                    <td class="number">{duration(attempt.latencyMs)}</td>
                    <td>
                      {attempt.error
                        ? `${attempt.error.kind}${attempt.error.code ? ` ${attempt.error.code}` : ''}${
                            attempt.error.message ? `: ${attempt.error.message}` : ''
                          }`
                        : NONE}
                    </td>
                    <td class="reason">{attempt.reason ?? NONE}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        )}
      </section>
    </>
  );
}
