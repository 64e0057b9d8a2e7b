import { useEffect, useState } from 'preact/hooks';
import { api, query } from './api.js';
import type { AuditEntry, AuditPage } from './api-types.js';
import { AuditTable } from './audit-table.js';
import { useLive } from './live.js';
import { navigate } from './router.js';
import { useData } from './use-data.js';

const PAGE = 50;

/** The audit log, newest first, filtered by subject and actor (kept in the address, so it can be shared). */
export function AuditView({ params }: { params: URLSearchParams }) {
  const subject = params.get('subject') ?? '';
  const actor = params.get('actor') ?? '';
  const [subjectInput, setSubjectInput] = useState(subject);
  const [actorInput, setActorInput] = useState(actor);
  const [more, setMore] = useState<AuditEntry[]>([]);
  const [next, setNext] = useState<number | undefined>();
  const live = useLive();
  const page = useData(
    () => api<AuditPage>(`/v1/admin/audit${query({ subject, actor, limit: PAGE })}`),
    `${subject}|${actor}`,
  );
  useEffect(() => {
    setSubjectInput(subject);
    setActorInput(actor);
    setMore([]);
  }, [subject, actor]);
  useEffect(() => setNext(page.value?.next), [page.value]);

  const subjects = [
    ...(live.migrations ?? []).map((migration) => `migration:${migration.id}`),
    ...(live.providers ?? []).map((provider) => `provider:${provider.id}`),
  ];
  const loadMore = async () => {
    if (next === undefined) return;
    const older = await api<AuditPage>(
      `/v1/admin/audit${query({ subject, actor, limit: PAGE, before: next })}`,
    );
    setMore((previous) => [...previous, ...older.entries]);
    setNext(older.next);
  };

  return (
    <>
      <h1>Audit log</h1>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          navigate('/audit', { subject: subjectInput.trim(), actor: actorInput.trim() });
        }}
      >
        <div>
          <label for="audit-subject">Subject</label>
          <input
            id="audit-subject"
            list="audit-subjects"
            placeholder="migration:… or provider:…"
            value={subjectInput}
            onInput={(event) => setSubjectInput((event.target as HTMLInputElement).value)}
          />
          <datalist id="audit-subjects">
            {subjects.map((item) => (
              <option key={item} value={item} />
            ))}
          </datalist>
        </div>
        <div>
          <label for="audit-actor">Actor</label>
          <input
            id="audit-actor"
            placeholder="key id, plan or safeguard"
            value={actorInput}
            onInput={(event) => setActorInput((event.target as HTMLInputElement).value)}
          />
        </div>
        <div class="filter-buttons">
          <button type="submit" class="primary">
            Filter
          </button>
          {(subject || actor) && (
            <button type="button" class="secondary" onClick={() => navigate('/audit')}>
              Clear
            </button>
          )}
        </div>
      </form>
      {page.error && <p class="form-error">{page.error}</p>}
      {page.loading && !page.value && <p class="loading">Loading…</p>}
      {page.value && (
        <AuditTable
          entries={[...page.value.entries, ...more]}
          caption={`Audit log${subject ? ` of ${subject}` : ''}${actor ? ` by ${actor}` : ''}`}
        />
      )}
      {next !== undefined && (
        <button type="button" class="secondary" onClick={loadMore}>
          Older entries
        </button>
      )}
    </>
  );
}
