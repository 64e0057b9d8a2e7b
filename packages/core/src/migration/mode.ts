/**
 * A migration's mode decides where its traffic goes; the percentage matters only in `gradual`.
 * - `off`: everything to `from`.
 * - `shadow`: everything to `from`; a sample is also validated on `to` without being delivered.
 * - `gradual`: a sticky percentage of recipients on `to`.
 * - `complete`: everything to `to`.
 * - `rolled-back`: the emergency stop: everything to `from` on the next message, above every
 *   override; only an explicit resume (with a reason) leaves it.
 */
export type MigrationMode = 'off' | 'shadow' | 'gradual' | 'complete' | 'rolled-back';

export const MIGRATION_MODES: readonly MigrationMode[] = [
  'off',
  'shadow',
  'gradual',
  'complete',
  'rolled-back',
];

/**
 * Whether failover may leave the side a message was put on: `never`; `gradual` (the default: only
 * while both sides carry traffic); `always` (in every mode but `rolled-back`, which never sends to
 * `to`).
 */
export type CrossSideFailover = 'never' | 'gradual' | 'always';

export const CROSS_SIDE_FAILOVER: readonly CrossSideFailover[] = ['never', 'gradual', 'always'];

// Planned moves between modes. `rolled-back` is entered from anywhere (an emergency) and left only
// by resume; `off` <-> `complete` and `shadow` <-> `complete` skip the step where both sides are
// measured on live traffic, so they go through `gradual`.
const TRANSITIONS: Readonly<Record<MigrationMode, readonly MigrationMode[]>> = {
  off: ['shadow', 'gradual'],
  shadow: ['off', 'gradual'],
  gradual: ['off', 'shadow', 'complete'],
  complete: ['gradual', 'off'],
  'rolled-back': [],
};

/**
 * Why the move from `current` to `next` is refused, or undefined when it is allowed. Staying in
 * the same mode is allowed (a no-op).
 */
export function modeTransitionError(current: MigrationMode, next: MigrationMode): string | undefined {
  if (current === next || next === 'rolled-back') return undefined;
  if (current === 'rolled-back') {
    return 'the migration is rolled back (emergency stop): resume it, with a reason, before changing its mode';
  }
  if (TRANSITIONS[current].includes(next)) return undefined;
  return `cannot go from ${current} to ${next} (from ${current}: ${[...TRANSITIONS[current], 'rolled-back'].join(', ')})`;
}

/** Whether a message put on one side may fail over to the other side's providers in this mode. */
export function crossesSides(mode: MigrationMode, setting: CrossSideFailover): boolean {
  if (mode === 'rolled-back' || setting === 'never') return false;
  return setting === 'always' || mode === 'gradual';
}
