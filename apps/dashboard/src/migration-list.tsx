import type { MigrationView } from './api-types.js';
import { ModeBadge, PhaseBadge, ShareBar, toShare } from './badges.js';
import { href } from './router.js';

/** Every migration at a glance: where its traffic goes and how its plan stands. */
export function MigrationList({ migrations }: { migrations: MigrationView[] | undefined }) {
  if (!migrations) return <p class="muted">Waiting for the live feed…</p>;
  if (migrations.length === 0) return <p class="muted">No migration is configured.</p>;
  return (
    <ul class="cards">
      {migrations.map((migration) => {
        const share = toShare(migration.mode, migration.percentage);
        const from = migration.from.join(', ');
        const to = migration.to.join(', ');
        return (
          <li key={migration.id} class="card">
            <h3>
              <a href={href(`/migrations/${encodeURIComponent(migration.id)}`)}>{migration.id}</a>
            </h3>
            <p class="muted">
              route {migration.route}: {from} → {to}
            </p>
            <p class="row">
              <ModeBadge mode={migration.mode} />
              <span>
                <strong>{share} %</strong> on {to}
              </span>
              {migration.source === 'runtime' && <span class="muted">set at runtime</span>}
            </p>
            <ShareBar toShare={share} from={from} to={to} />
            {migration.plan && (
              <p class="row">
                <span>Plan</span>
                <PhaseBadge phase={migration.plan.phase} />
                <span class="muted">
                  step {migration.plan.step} of {migration.plan.steps.length}
                </span>
              </p>
            )}
          </li>
        );
      })}
    </ul>
  );
}
