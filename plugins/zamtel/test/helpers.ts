export { rejectionOf, waitFor } from '@msg/testing';

import type { Logger, SmsMessage } from '@msg/core';
import type { ZamtelPluginOptions } from '../src/index.js';
import { createZamtelSimulator, type ZamtelSimulator } from '../src/simulator.js';

export const ZED_BANK = {
  label: 'zedbank',
  apiKey: 'zk_live_ZEDBANK_5f8a1c2e9d',
  senderIds: ['ZEDBANK', 'ZB ALERTS'],
};
export const COPPER = { label: 'copperbelt', apiKey: 'zk_live_COPPER_7b3e0a4f1c', senderIds: ['COPPER'] };

export async function startSimulator(balances: { zedbank?: number } = {}): Promise<ZamtelSimulator> {
  const simulator = createZamtelSimulator({
    accounts: {
      [ZED_BANK.label]: { apiKey: ZED_BANK.apiKey, senderIds: ZED_BANK.senderIds, balance: balances.zedbank },
      [COPPER.label]: { apiKey: COPPER.apiKey, senderIds: COPPER.senderIds },
    },
  });
  await simulator.start();
  return simulator;
}

export function httpOptions(
  simulator: ZamtelSimulator,
  account: typeof ZED_BANK = ZED_BANK,
  extra: Partial<Extract<ZamtelPluginOptions, { mode?: 'http' }>> = {},
): ZamtelPluginOptions {
  return {
    mode: 'http',
    apiKey: account.apiKey,
    senderId: account.senderIds[0] as string,
    baseUrl: simulator.url,
    ...extra,
  };
}

let counter = 0;
export function sms(text = 'Your code is 123456', to = '+260955123456', from?: string): SmsMessage {
  return { id: `msg-${++counter}`, channel: 'sms', to, text, ...(from ? { from } : {}) };
}

export const signal = (): AbortSignal => new AbortController().signal;

export function recordingLogger(lines: string[]): Logger {
  const record = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}
