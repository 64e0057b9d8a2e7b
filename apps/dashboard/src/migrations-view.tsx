import { useLive } from './live.js';
import { MigrationList } from './migration-list.js';

export function MigrationsView() {
  const live = useLive();
  return (
    <>
      <h1>Migrations</h1>
      <MigrationList migrations={live.migrations} />
    </>
  );
}
