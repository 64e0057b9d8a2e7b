import { useState } from 'preact/hooks';
import { api } from './api.js';
import type { ProviderView } from './api-types.js';
import { BreakerBadge } from './badges.js';
import { ConfirmDialog, type PendingAction } from './confirm-dialog.js';
import { count, duration, NONE, percent } from './format.js';
import { useLive } from './live.js';
import { MigrationList } from './migration-list.js';
import { ScrollRegion } from './scroll-region.js';

/** Providers and migrations, live: the page an operator keeps open. */
export function OverviewView({ canChange }: { canChange: boolean }) {
  const live = useLive();
  const [pending, setPending] = useState<PendingAction | undefined>();
  const [result, setResult] = useState('');

  const providerAction = (provider: ProviderView, action: 'halt' | 'resume' | 'reset-breaker') => {
    const words = {
      halt: {
        title: `Halt ${provider.id}`,
        consequence: `No message goes to ${provider.id} until it is resumed; its routes fail over to their next provider.`,
        label: 'Halt',
        done: 'halted',
      },
      resume: {
        title: `Resume ${provider.id}`,
        consequence: `${provider.id} takes traffic again on every route that lists it.`,
        label: 'Resume',
        done: 'resumed',
      },
      'reset-breaker': {
        title: `Reset the breaker of ${provider.id}`,
        consequence: `The circuit breaker closes: ${provider.id} is tried again on the next message.`,
        label: 'Reset breaker',
        done: 'breaker reset',
      },
    }[action];
    setPending({
      title: words.title,
      consequence: <p>{words.consequence}</p>,
      confirmLabel: words.label,
      danger: action === 'halt',
      run: async (reason) => {
        await api(`/v1/admin/providers/${encodeURIComponent(provider.id)}/${action}`, {
          method: 'POST',
          body: { reason },
        });
        setResult(`${provider.id}: ${words.done}.`);
      },
    });
  };

  return (
    <>
      <h1>Overview</h1>
      <p class="sr-only" role="status" aria-live="polite">
        {result}
      </p>
      {result && <p class="notice">{result}</p>}
      <section aria-labelledby="providers-title">
        <h2 id="providers-title">Providers</h2>
        {!live.providers ? (
          <p class="muted">Waiting for the live feed…</p>
        ) : (
          <ScrollRegion label="Providers table">
            <table class="providers">
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Breaker</th>
                  <th scope="col">Halted</th>
                  <th scope="col" class="number">
                    Health score
                  </th>
                  <th scope="col" class="number">
                    In flight
                  </th>
                  <th scope="col" class="number">
                    Sends / min
                  </th>
                  <th scope="col" class="number">
                    Errors / min
                  </th>
                  <th scope="col" class="number">
                    Latency (1 min)
                  </th>
                  <th scope="col" class="number">
                    Success (window)
                  </th>
                  {canChange && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {live.providers.map((provider) => (
                  <tr key={provider.id} data-provider={provider.id}>
                    <th scope="row">{provider.id}</th>
                    <td>{provider.channel}</td>
                    <td>
                      <BreakerBadge state={provider.breaker} />
                    </td>
                    <td>{provider.halted ? <span class="badge tone-bad">halted</span> : 'no'}</td>
                    <td class="number">{provider.score === undefined ? NONE : provider.score}</td>
                    <td class="number">{count(provider.inFlight)}</td>
                    <td class="number">{count(provider.activity.sendsPerMinute)}</td>
                    <td class={`number ${provider.activity.errorsPerMinute > 0 ? 'text-bad' : ''}`}>
                      {count(provider.activity.errorsPerMinute)}
                    </td>
                    <td class="number">{duration(provider.activity.meanLatencyMs)}</td>
                    <td class="number">{percent(provider.health.successRate)}</td>
                    {canChange && (
                      <td class="actions">
                        {provider.halted ? (
                          <button
                            type="button"
                            class="secondary small"
                            onClick={() => providerAction(provider, 'resume')}
                          >
                            Resume<span class="sr-only"> {provider.id}</span>
                          </button>
                        ) : (
                          <button
                            type="button"
                            class="secondary small"
                            onClick={() => providerAction(provider, 'halt')}
                          >
                            Halt<span class="sr-only"> {provider.id}</span>
                          </button>
                        )}
                        {provider.breaker !== 'closed' && (
                          <button
                            type="button"
                            class="secondary small"
                            onClick={() => providerAction(provider, 'reset-breaker')}
                          >
                            Reset breaker<span class="sr-only"> of {provider.id}</span>
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        )}
      </section>
      <section aria-labelledby="migrations-title">
        <h2 id="migrations-title">Migrations</h2>
        <MigrationList migrations={live.migrations} />
      </section>
      <ConfirmDialog action={pending} onClose={() => setPending(undefined)} />
    </>
  );
}
