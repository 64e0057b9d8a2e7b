import { randomUUID } from 'node:crypto';
import { countSmsSegments } from '@msg/core';
import { jsonResponse, type SandboxFactory, SimulatorServer } from '@msg/testing';
import { signAcme } from './acme-webhook.js';

const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  jsonResponse(status, { error: { code, message } }, headers);

/** Acme SMS on loopback: `accounts` maps API keys to their webhook secrets. */
export function createAcmeSimulator(accounts: Record<string, string>): SimulatorServer {
  const simulator = new SimulatorServer({
    name: 'acme',
    errors: {
      invalid_number: () => error(400, 'invalid_number', 'to is not a valid number'),
      opted_out: () => error(400, 'opted_out', 'recipient opted out'),
      unauthorized: () => error(401, 'unauthorized', 'bad API key'),
      sender_not_allowed: () => error(403, 'sender_not_allowed', 'sender id not registered'),
      rate_limited: () => error(429, 'rate_limited', 'slow down', { 'retry-after': '3' }),
      unavailable: () => error(503, 'unavailable', 'try again'),
    },
  });
  simulator.route('POST', '/v1/sms', (request) => {
    const key = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!(key in accounts)) return error(401, 'unauthorized', 'bad API key');
    request.credential = key;
    const body = request.json<{ to: string; text: string; reference?: string; callback_url?: string }>();
    if (!/^\+\d{8,15}$/.test(body.to)) return error(400, 'invalid_number', 'to is not a valid number');
    const id = `acme_${randomUUID()}`;
    const target = body.callback_url ?? simulator.callbackUrl;
    if (target) {
      const payload = JSON.stringify({
        id,
        status: simulator.outcomeFor(body.to),
        reference: body.reference,
        timestamp: Math.floor(Date.now() / 1000),
      });
      const signature = signAcme(accounts[key] as string, Math.floor(Date.now() / 1000), payload);
      simulator.callbacks.schedule(
        {
          url: target,
          headers: { 'content-type': 'application/json', 'acme-signature': signature },
          body: payload,
        },
        simulator.callbackDelayMs,
      );
    }
    return jsonResponse(200, { id, status: 'accepted', parts: countSmsSegments(body.text).segments });
  });
  return simulator;
}

/** Sandbox: an Acme simulator with one account, sending its signed callbacks to the gateway. */
export const sandbox: SandboxFactory = async ({ webhookUrl }) => {
  const apiKey = 'sandbox-acme-key';
  const webhookSecret = 'sandbox-acme-webhook-secret';
  const simulator = createAcmeSimulator({ [apiKey]: webhookSecret });
  const url = await simulator.start();
  simulator.callbackUrl = webhookUrl;
  return { options: { apiKey, baseUrl: url, webhookSecret }, url, stop: () => simulator.stop() };
};
