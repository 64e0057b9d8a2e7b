import { describe, expect, it } from 'vitest';
import { describeChange } from '../src/audit-table.js';

describe('an audit entry in a line', () => {
  it('names only the fields that changed', () => {
    expect(
      describeChange(
        { mode: 'gradual', percentage: 70, source: 'runtime' },
        { mode: 'rolled-back', percentage: 70, source: 'runtime' },
      ),
    ).toBe('mode: gradual → rolled-back');
    expect(describeChange({ halted: false }, { halted: true })).toBe('halted: false → true');
    expect(describeChange({ mode: 'off' }, { mode: 'off' })).toBe('no change');
  });

  it('shows a value that had nothing before, cut short when long', () => {
    expect(describeChange(undefined, { phase: 'progressing' })).toBe('– → {"phase":"progressing"}');
    const long = describeChange(undefined, { plan: 'x'.repeat(300) });
    expect(long).toHaveLength(120);
    expect(long.endsWith('…')).toBe(true);
  });
});
