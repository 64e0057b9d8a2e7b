export { rejectionOf, waitFor } from '@msg/testing';

import { afterEach } from 'vitest';
import { createSmppSession, type SmppSession, type SmppSessionOptions } from '../src/index.js';
import { createSmscSimulator, type SmscSimulator, type SmscSimulatorOptions } from '../src/simulator.js';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export async function startSimulator(options: SmscSimulatorOptions = {}): Promise<SmscSimulator> {
  const simulator = await createSmscSimulator({ credentials: { esme: 'secret' }, ...options });
  cleanups.push(() => simulator.stop());
  return simulator;
}

/** A session against the simulator with short timers, closed after the test. */
export function openSession(
  simulator: SmscSimulator,
  options: Partial<SmppSessionOptions> = {},
): SmppSession {
  const session = createSmppSession({
    host: simulator.host,
    port: options.port ?? simulator.port,
    systemId: 'esme',
    password: 'secret',
    providerId: 'smpp-test',
    responseTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    throttleRetry: { initialDelayMs: 20, maxDelayMs: 200, maxRetries: 8 },
    ...options,
  });
  cleanups.push(() => session.close({ timeoutMs: 500 }));
  return session;
}
