import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import type { AuditPage, MigrationDetail, MigrationView } from './api-types.js';
import { AuditTable } from './audit-table.js';
import { ModeBadge, ShareBar, toShare } from './badges.js';
import { ChecksTable } from './checks-table.js';
import { ConfirmDialog, type PendingAction } from './confirm-dialog.js';
import { time } from './format.js';
import { useLive } from './live.js';
import { MetricsTable } from './metrics-table.js';
import { MigrationCharts } from './migration-charts.js';
import { MigrationControls } from './migration-controls.js';
import { PlanPanel } from './plan-panel.js';
import { href } from './router.js';
import { useData } from './use-data.js';

/** What of a migration's view changes when something happened to it (not the clock). */
const signature = (view: MigrationView | undefined) =>
  view
    ? JSON.stringify([
        view.mode,
        view.percentage,
        view.updatedAt,
        view.plan?.phase,
        view.plan?.step,
        view.lastChecks?.id,
      ])
    : '';

/** One migration: where its traffic goes, its plan and checks, both sides charted, and the controls. */
export function MigrationPage({ id, canChange }: { id: string; canChange: boolean }) {
  const live = useLive();
  const path = `/v1/migrations/${encodeURIComponent(id)}`;
  const detail = useData(() => api<MigrationDetail>(path), id);
  const [auditRound, setAuditRound] = useState(0);
  const audit = useData(
    () => api<AuditPage>(`/v1/admin/audit?subject=${encodeURIComponent(`migration:${id}`)}&limit=10`),
    `${id}:${auditRound}`,
  );
  const [pending, setPending] = useState<PendingAction | undefined>();
  const [result, setResult] = useState('');

  const streamed = live.migrations?.find((migration) => migration.id === id);
  const known = signature(detail.value);
  const latest = signature(streamed);
  // Something happened (a plan step, a check, another operator): fetch the metrics and the audit again.
  useEffect(() => {
    if (detail.value && streamed && known !== latest) {
      detail.reload();
      setAuditRound((value) => value + 1);
    }
  }, [latest]);

  if (detail.error && !detail.value) {
    return (
      <>
        <h1>Migration {id}</h1>
        <p class="form-error">{detail.error}</p>
        <p>
          <a href={href('/migrations')}>All migrations</a>
        </p>
      </>
    );
  }
  if (!detail.value) return <p class="loading">Loading…</p>;
  // The stream's view is the newest; the metrics come with the detail.
  const view: MigrationDetail =
    streamed && known !== latest ? { ...detail.value, ...streamed } : detail.value;
  const share = toShare(view.mode, view.percentage);
  const from = view.from.join(', ');
  const to = view.to.join(', ');
  const changed = (next: MigrationView, summary: string) => {
    detail.set({ ...view, ...next });
    setAuditRound((value) => value + 1);
    setResult(summary);
  };

  return (
    <>
      <p class="breadcrumb">
        <a href={href('/migrations')}>Migrations</a> /
      </p>
      <h1>{view.id}</h1>
      <p class="muted">
        route {view.route}: {from} → {to}; failover across sides: {view.crossSideFailover}
      </p>
      <p class="sr-only" role="status" aria-live="polite">
        {result}
      </p>
      {result && (
        <p class="notice" data-result>
          {result}
        </p>
      )}
      <div class="grid">
        <section class="panel" aria-labelledby="state-title">
          <h2 id="state-title">Traffic</h2>
          <dl class="facts">
            <div>
              <dt>Mode</dt>
              <dd data-mode={view.mode}>
                <ModeBadge mode={view.mode} />
              </dd>
            </div>
            <div>
              <dt>Percentage</dt>
              <dd data-percentage={view.percentage}>
                {view.percentage} % <span class="muted">({view.source})</span>
              </dd>
            </div>
            <div>
              <dt>On {to} now</dt>
              <dd>{share} %</dd>
            </div>
            <div>
              <dt>Last change</dt>
              <dd>
                {view.updatedBy ? (
                  <>
                    {view.updatedBy}, {time(view.updatedAt)}
                    {view.reason && <span class="reason-quote">“{view.reason}”</span>}
                  </>
                ) : (
                  'as configured'
                )}
              </dd>
            </div>
          </dl>
          <ShareBar toShare={share} from={from} to={to} />
          <p class="legend">
            <span class="key key-from" aria-hidden="true" /> {from}{' '}
            <span class="key key-to" aria-hidden="true" /> {to}
          </p>
          {canChange ? (
            <MigrationControls migration={view} confirm={setPending} changed={changed} />
          ) : (
            <p class="muted">Signed in with a monitor key: you can look, not change.</p>
          )}
        </section>
        <section class="panel" aria-labelledby="plan-title">
          <h2 id="plan-title">Plan</h2>
          <PlanPanel plan={view.plan} now={live.at ? Date.parse(live.at) : undefined} />
        </section>
      </div>
      <section class="panel" aria-labelledby="checks-title">
        <h2 id="checks-title">Last analysis</h2>
        <ChecksTable checks={view.lastChecks} />
      </section>
      <section class="panel" aria-labelledby="charts-title">
        <h2 id="charts-title">Both sides over time</h2>
        <MigrationCharts migration={view} />
      </section>
      <section class="panel" aria-labelledby="metrics-title">
        <h2 id="metrics-title">Analysis window</h2>
        <MetricsTable detail={view} />
      </section>
      <section class="panel" aria-labelledby="changes-title">
        <h2 id="changes-title">Recent changes</h2>
        {audit.error && <p class="form-error">{audit.error}</p>}
        {audit.value && <AuditTable entries={audit.value.entries} caption={`Recent changes to ${view.id}`} />}
        <p>
          <a href={href('/audit', { subject: `migration:${view.id}` })}>Full audit log of {view.id}</a>
        </p>
      </section>
      <ConfirmDialog action={pending} onClose={() => setPending(undefined)} />
    </>
  );
}
