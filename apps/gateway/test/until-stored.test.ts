import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/store/store-error.js';
import { untilStored } from '../src/store/until-stored.js';
import { memoryLogger } from './helpers.js';

const full = () =>
  new StoreUnavailableError('cannot finish the dispatch: database or disk is full', { code: 'SQLITE_FULL' });

describe('untilStored', () => {
  it('writes again, backing off, while the disk is full, and logs the outage once', async () => {
    const logger = memoryLogger();
    let calls = 0;
    const value = await untilStored(
      async () => {
        if (++calls < 4) throw full();
        return 'stored';
      },
      { what: 'store the outcome', logger, initialDelayMs: 5 },
    );
    expect(value).toBe('stored');
    expect(calls).toBe(4);
    expect(logger.lines.filter((line) => line.level === 'error')).toHaveLength(1);
    expect(logger.lines.at(-1)?.message).toBe('store the outcome: stored after 4 tries');
  });

  it('gives up at once on what waiting does not mend (a constraint, a closed store)', async () => {
    let calls = 0;
    const constraint = new StoreUnavailableError('cannot store the event: FOREIGN KEY constraint failed', {
      code: 'SQLITE_CONSTRAINT_FOREIGNKEY',
    });
    const write = untilStored(
      async () => {
        calls++;
        throw constraint;
      },
      { what: 'store the event', logger: memoryLogger(), initialDelayMs: 5 },
    );
    await expect(write).rejects.toBe(constraint);
    expect(calls).toBe(1);
  });

  it('stops waiting when the signal aborts, with the last error', async () => {
    const controller = new AbortController();
    const error = full();
    const write = untilStored(
      async () => {
        throw error;
      },
      { what: 'store the outcome', logger: memoryLogger(), signal: controller.signal, initialDelayMs: 1000 },
    );
    setTimeout(() => controller.abort(), 20);
    await expect(write).rejects.toBe(error);
  });
});
