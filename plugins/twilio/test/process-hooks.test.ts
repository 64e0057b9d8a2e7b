import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { urlCandidates } from '../src/twilio-signature.js';

const SOURCE = join(import.meta.dirname, '..', 'src');

describe('the Twilio plugin costs the rest of the process nothing', () => {
  it('uses no AsyncLocalStorage or async hooks, which turn on promise hooks for the whole process', () => {
    for (const file of readdirSync(SOURCE).filter((name) => name.endsWith('.ts'))) {
      const text = readFileSync(join(SOURCE, file), 'utf8');
      expect(text, file).not.toMatch(/['"](node:)?async_hooks['"]|promiseHooks/);
    }
  });

  it('checks a signature against the URL as received first: one HMAC on a non-default port', () => {
    const url = 'http://127.0.0.1:18080/webhooks/twilio?messageId=msg_1';
    const candidates = urlCandidates(url);
    expect(candidates.next().value).toBe(url);
    // The other forms are built only when the first one fails.
    expect([...candidates]).toEqual(['http://127.0.0.1/webhooks/twilio?messageId=msg_1']);
  });
});
