import { useId, useState } from 'preact/hooks';
import { api } from './api.js';
import type { MigrationMode, MigrationView } from './api-types.js';
import type { PendingAction } from './confirm-dialog.js';
import { migrationActions } from './migration-actions.js';

interface ControlsProps {
  migration: MigrationView;
  /** Opens the confirmation for an action. */
  confirm: (action: PendingAction) => void;
  /** The gateway's answer to an action: the migration as it is now. */
  changed: (view: MigrationView, summary: string) => void;
}

const MODES: readonly MigrationMode[] = ['off', 'shadow', 'gradual', 'complete'];

/**
 * What an admin can do to a migration. Each button opens a confirmation that asks for a reason;
 * only the actions the current state allows are offered (the gateway refuses the others anyway).
 */
export function MigrationControls({ migration, confirm, changed }: ControlsProps) {
  const [percentage, setPercentage] = useState(String(migration.percentage));
  const [mode, setMode] = useState<MigrationMode>(
    migration.mode === 'rolled-back' ? 'gradual' : migration.mode,
  );
  const percentageId = useId();
  const modeId = useId();
  const base = `/v1/admin/migrations/${encodeURIComponent(migration.id)}`;
  const from = migration.from.join(', ');
  const to = migration.to.join(', ');
  const rolledBack = migration.mode === 'rolled-back';
  const plan = migration.plan;
  const planRunning = plan !== null && !['promoted', 'aborted'].includes(plan.phase);

  const act = (
    title: string,
    consequence: string,
    confirmLabel: string,
    path: string,
    body: Record<string, unknown>,
    summary: string,
    danger = false,
  ) =>
    confirm({
      title,
      consequence: <p>{consequence}</p>,
      confirmLabel,
      danger,
      run: async (reason) => {
        const view = await api<MigrationView>(`${base}/${path}`, {
          method: 'POST',
          body: { ...body, reason },
        });
        changed(view, summary);
      },
    });

  const wanted = Number(percentage);
  const validPercentage =
    percentage.trim() !== '' && Number.isInteger(wanted) && wanted >= 0 && wanted <= 100;

  return (
    <div class="controls">
      <form
        class="control-row"
        onSubmit={(event) => {
          event.preventDefault();
          if (!validPercentage) return;
          act(
            `Set ${migration.id} to ${wanted} %`,
            `${wanted} % of recipients go to ${to}, the rest to ${from} (sticky per recipient).${
              plan && planRunning ? ' The running plan pauses until it is resumed.' : ''
            }`,
            'Set percentage',
            'percentage',
            { percentage: wanted },
            `Percentage set to ${wanted} %.`,
          );
        }}
      >
        <label for={percentageId}>Percentage on {to}</label>
        <input
          id={percentageId}
          type="number"
          inputMode="numeric"
          min={0}
          max={100}
          step={1}
          value={percentage}
          aria-invalid={validPercentage ? undefined : true}
          onInput={(event) => setPercentage((event.target as HTMLInputElement).value)}
        />
        <button type="submit" class="primary" disabled={!validPercentage || rolledBack}>
          Set percentage…
        </button>
      </form>
      <form
        class="control-row"
        onSubmit={(event) => {
          event.preventDefault();
          act(
            `Switch ${migration.id} to ${mode}`,
            mode === 'off'
              ? `Everything goes to ${from}.`
              : mode === 'complete'
                ? `Everything goes to ${to}.`
                : mode === 'shadow'
                  ? `Everything stays on ${from}; a sample is validated on ${to} without delivering.`
                  : `The percentage decides again (${migration.percentage} %).`,
            'Switch mode',
            'mode',
            { mode },
            `Mode switched to ${mode}.`,
          );
        }}
      >
        <label for={modeId}>Mode</label>
        <select
          id={modeId}
          value={mode}
          onChange={(event) => setMode((event.target as HTMLSelectElement).value as MigrationMode)}
        >
          {MODES.map((item) => (
            <option key={item} value={item}>
              {item}
            </option>
          ))}
        </select>
        <button type="submit" class="secondary" disabled={rolledBack || mode === migration.mode}>
          Switch mode…
        </button>
      </form>
      <div class="control-row buttons">
        {migrationActions(migration).map((action) => (
          <button
            key={action.path}
            type="button"
            class={action.tone}
            onClick={() =>
              act(
                action.title,
                action.consequence,
                action.label,
                action.path,
                action.body,
                action.done,
                action.tone === 'danger',
              )
            }
          >
            {action.label}…
          </button>
        ))}
      </div>
    </div>
  );
}
