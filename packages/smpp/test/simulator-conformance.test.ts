import { describe, expect, it } from 'vitest';
import { SmscConformanceAdapter } from '../src/simulator.js';
import { openSession, rejectionOf, startSimulator } from './helpers.js';

const message = { to: '+260971234567', from: 'ZEDBANK', text: 'hello' };

describe('SmscConformanceAdapter', () => {
  it('records each submit_sm as a request with the bound system_id as its credential', async () => {
    const smsc = await startSimulator();
    const adapter = new SmscConformanceAdapter(smsc);
    await openSession(smsc).submit(message);
    expect(adapter.requests).toEqual([
      expect.objectContaining({ method: 'SUBMIT_SM', path: '/260971234567', credential: 'esme' }),
    ]);
  });

  it('answers the next submit with a named refusal, by catalogue or SMPP name', async () => {
    const smsc = await startSimulator();
    const adapter = new SmscConformanceAdapter(smsc);
    const session = openSession(smsc);
    adapter.failNext('invalid-destination');
    expect(await rejectionOf(session.submit(message))).toMatchObject({ providerCode: '0x0000000B' });
    adapter.failNext('ESME_RX_P_APPN');
    expect(await rejectionOf(session.submit(message))).toMatchObject({ providerCode: '0x00000065' });
    await expect(session.submit(message)).resolves.toMatchObject({ segments: 1 });
    expect(() => adapter.failNext('no-such-error')).toThrow('unknown error "no-such-error"');
  });

  it('repeats a throttle so the session re-submits run out, then clears', async () => {
    const smsc = await startSimulator();
    const adapter = new SmscConformanceAdapter(smsc, { throttleRepeats: 3 });
    adapter.failNext('throttled');
    expect(smsc.faults.nextSubmitStatuses).toEqual([0x58, 0x58, 0x58]);
    adapter.clearFaults();
    expect(smsc.faults).toEqual({});
  });

  it('swallows the next submit on hang and drops the connection on reset', async () => {
    const smsc = await startSimulator();
    const adapter = new SmscConformanceAdapter(smsc);
    const session = openSession(smsc, { responseTimeoutMs: 150 });
    adapter.faultNext({ hang: true });
    expect(await rejectionOf(session.submit(message))).toMatchObject({ providerCode: 'RESPONSE_TIMEOUT' });
    adapter.faultNext({ reset: true });
    expect(await rejectionOf(session.submit(message))).toMatchObject({
      kind: 'ambiguous',
      providerCode: 'CONNECTION_LOST',
    });
  });
});
