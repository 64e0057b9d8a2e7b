import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SOURCE = join(import.meta.dirname, '..', 'src');

describe('the Mailgun plugin costs the rest of the process nothing', () => {
  it('uses no AsyncLocalStorage or async hooks, which turn on promise hooks for the whole process', () => {
    for (const file of readdirSync(SOURCE).filter((name) => name.endsWith('.ts'))) {
      const text = readFileSync(join(SOURCE, file), 'utf8');
      expect(text, file).not.toMatch(/['"](node:)?async_hooks['"]|promiseHooks/);
    }
  });
});
