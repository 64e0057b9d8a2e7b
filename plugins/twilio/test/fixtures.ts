import { createTwilioSimulator, type TwilioSimulator } from '../src/simulator.js';

/** Two simulated accounts, so two provider instances can be told apart. */
export const FIRST_ACCOUNT = { sid: `AC${'1a'.repeat(16)}`, token: 'first-auth-token-0123456789abcdef' };
export const SECOND_ACCOUNT = { sid: `AC${'2b'.repeat(16)}`, token: 'second-auth-token-0123456789abcde' };
export const SERVICE_SID = `MG${'3c'.repeat(16)}`;
export const SENDER = '+15005550006';

export async function startSimulator(callbackDelayMs = 5): Promise<TwilioSimulator> {
  const simulator = createTwilioSimulator({
    accounts: { [FIRST_ACCOUNT.sid]: FIRST_ACCOUNT.token, [SECOND_ACCOUNT.sid]: SECOND_ACCOUNT.token },
    callbackDelayMs,
  });
  await simulator.start();
  return simulator;
}

export function optionsFor(simulator: TwilioSimulator, account = FIRST_ACCOUNT) {
  return { accountSid: account.sid, authToken: account.token, from: SENDER, baseUrl: simulator.url };
}

export const signal = (): AbortSignal => new AbortController().signal;
