import { describe, expect, it } from 'vitest';
import { crossesSides, formatDuration, modeTransitionError, parseDuration } from '../../src/index.js';

describe('migration modes', () => {
  it('allows the planned moves and any emergency stop', () => {
    expect(modeTransitionError('off', 'gradual')).toBeUndefined();
    expect(modeTransitionError('gradual', 'complete')).toBeUndefined();
    expect(modeTransitionError('complete', 'rolled-back')).toBeUndefined();
    expect(modeTransitionError('shadow', 'shadow')).toBeUndefined();
  });

  it('refuses skipping gradual, and leaving a rollback without resume', () => {
    expect(modeTransitionError('off', 'complete')).toBe(
      'cannot go from off to complete (from off: shadow, gradual, rolled-back)',
    );
    expect(modeTransitionError('rolled-back', 'gradual')).toContain('resume it, with a reason');
  });

  it('lets failover cross sides only where the setting allows', () => {
    expect(crossesSides('gradual', 'gradual')).toBe(true);
    expect(crossesSides('off', 'gradual')).toBe(false);
    expect(crossesSides('complete', 'always')).toBe(true);
    expect(crossesSides('rolled-back', 'always')).toBe(false);
    expect(crossesSides('gradual', 'never')).toBe(false);
  });
});

describe('durations', () => {
  it('reads config durations and prints them back', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(42)).toBe('42ms');
  });
});
