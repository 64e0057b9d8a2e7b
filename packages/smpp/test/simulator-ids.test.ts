import { describe, expect, it } from 'vitest';
import { openSession, startSimulator } from './helpers.js';

const message = { to: '+260971234567', from: 'ZEDBANK', text: 'hello' };

describe('SMSC simulator message ids', () => {
  it('are not handed out again by a simulator started afresh (a second sandbox run)', async () => {
    const ids: string[] = [];
    for (let run = 0; run < 3; run++) {
      const smsc = await startSimulator();
      const { messageIds } = await openSession(smsc).submit(message);
      ids.push(...messageIds);
      await smsc.stop();
    }
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
  });

  it('stay numbers that read the same in hex and in decimal receipts', async () => {
    const smsc = await startSimulator({ messageIdFormat: 'hex', receiptIdFormat: 'decimal' });
    const { messageIds } = await openSession(smsc).submit(message);
    const [id] = messageIds;
    expect(id).toMatch(/^[0-9a-f]+$/);
    expect(Number.isSafeInteger(Number.parseInt(id as string, 16))).toBe(true);
  });
});
