import {
  createProvider,
  type Logger,
  type PluginContext,
  silentLogger,
  type WebhookRequest,
} from '@msg/core';
import mtnPlugin, { type MtnPluginOptions, type MtnProvider } from '../src/index.js';
import { createMtnSimulator, type MtnSimulator, type MtnSimulatorOptions } from '../src/simulator.js';

export const ACME = {
  clientId: 'acme-client-id',
  clientSecret: 'acme-client-secret-0123',
  webhookToken: 'acme-webhook-token-0123456789',
};
export const GLOBEX = {
  clientId: 'globex-client-id',
  clientSecret: 'globex-client-secret-9876',
  webhookToken: 'globex-webhook-token-9876543210',
};
export const SERVICE_CODE = '131';
export const WEBHOOK_URL = 'https://gateway.example.com/webhooks/mtn-main';

/** A simulator with the two accounts above, started on loopback. */
export async function startSimulator(options: MtnSimulatorOptions = {}): Promise<MtnSimulator> {
  const simulator = createMtnSimulator({
    accounts: { [ACME.clientId]: ACME.clientSecret, [GLOBEX.clientId]: GLOBEX.clientSecret },
    ...options,
  });
  await simulator.start();
  return simulator;
}

export function optionsFor(
  account: typeof ACME,
  simulator: MtnSimulator,
  extra: Partial<MtnPluginOptions> = {},
): MtnPluginOptions {
  return { ...account, baseUrl: simulator.url, serviceCode: SERVICE_CODE, from: 'ACME', ...extra };
}

export interface Harness {
  make(options: MtnPluginOptions, context?: Partial<PluginContext>): Promise<MtnProvider>;
  closeAll(): Promise<void>;
}

/** Creates providers through the host's path (schema, checks) and closes them all at the end. */
export function providers(): Harness {
  const made: MtnProvider[] = [];
  let counter = 0;
  return {
    async make(options, context = {}) {
      const provider = (await createProvider(mtnPlugin, options, {
        instanceId: `mtn-test-${++counter}`,
        logger: silentLogger,
        now: Date.now,
        ...context,
      })) as MtnProvider;
      made.push(provider);
      return provider;
    },
    closeAll: () => Promise.all(made.map((provider) => provider.close())).then(() => undefined),
  };
}

/** A delivery report as MTN POSTs it to `<webhook url>?token=...`. */
export function deliveryReport(
  body: unknown,
  token: string | undefined,
  remoteAddress = '127.0.0.1',
): WebhookRequest {
  const url = token === undefined ? WEBHOOK_URL : `${WEBHOOK_URL}?token=${encodeURIComponent(token)}`;
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    rawBody: new TextEncoder().encode(JSON.stringify(body)),
    remoteAddress,
  };
}

export function sms(id: string, to = '+260961000001', text = 'Your code is 123456') {
  return { id, channel: 'sms' as const, to, text };
}

export const signal = (): AbortSignal => new AbortController().signal;

/** A logger that keeps what it was told, for assertions. */
export function recordingLogger(): Logger & { entries: Array<{ level: string; message: string }> } {
  const entries: Array<{ level: string; message: string }> = [];
  const log = (level: string) => (message: string) => entries.push({ level, message });
  return { entries, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
