import { createAcmeSimulator } from '@msg/example-plugin-acme/simulator';
import type { SimulatorServer } from '@msg/testing';
import { afterAll, afterEach, beforeAll } from 'vitest';

const KEY_A = 'acme-key-a';
const KEY_B = 'acme-key-b';
const SECRET = 'acme-webhook-secret-0123';

export interface AcmePair {
  first: SimulatorServer;
  second: SimulatorServer;
  /** Instances `acme-a` (on `first`) and `acme-b` (on `second`), in that order. */
  plugins(): Array<Record<string, unknown>>;
}

/**
 * Two Acme accounts on two simulators, for failover: started before the suite, reset (faults,
 * requests) after each test, stopped after the suite. Call it inside a `describe`.
 */
export function useAcmePair(): AcmePair {
  const pair = {
    first: createAcmeSimulator({ [KEY_A]: SECRET }),
    second: createAcmeSimulator({ [KEY_B]: SECRET }),
    plugins: () => [
      {
        resolve: '@msg/example-plugin-acme',
        id: 'acme-a',
        options: { apiKey: KEY_A, baseUrl: pair.first.url, webhookSecret: SECRET },
      },
      {
        resolve: '@msg/example-plugin-acme',
        id: 'acme-b',
        options: { apiKey: KEY_B, baseUrl: pair.second.url, webhookSecret: SECRET },
      },
    ],
  };
  beforeAll(async () => {
    await Promise.all([pair.first.start(), pair.second.start()]);
  });
  afterEach(() => {
    pair.first.reset();
    pair.second.reset();
  });
  afterAll(() => Promise.all([pair.first.stop(), pair.second.stop()]));
  return pair;
}
