import { randomUUID } from 'node:crypto';
import { countSmsSegments } from '@msg/core';
import {
  jsonResponse,
  type SandboxFactory,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorServer,
  textResponse,
} from '@msg/testing';
import { SEND_PATH } from './zamtel-api-types.js';

export interface ZamtelSimulatorAccount {
  apiKey: string;
  /** Approved sender ids; any sender id is accepted when absent. */
  senderIds?: string[];
  /** SMS credits; each part to each contact costs one. Unlimited when absent. */
  balance?: number;
}

export interface ZamtelSimulatorOptions {
  /** Label -> account. The label, never the key, is what `request.credential` records. */
  accounts: Record<string, ZamtelSimulatorAccount>;
}

/** One accepted request as the simulator understood it (the key left out). */
export interface ZamtelSimulatedSend {
  account: string;
  method: string;
  contacts: string[];
  senderId: string;
  message: string;
  batchId: string;
}

export class ZamtelSimulator extends SimulatorServer {
  readonly sends: ZamtelSimulatedSend[] = [];
}

const QUEUED = 'SMS(es) have been queued for delivery';
const refusal = (responseText: string) => jsonResponse(200, { success: false, responseText });

/** Answers as integrations report Zamtel does: HTTP 200 with `success: false` and a text. */
export const ZAMTEL_SIMULATOR_ERRORS = {
  'invalid-api-key': () => refusal('Invalid API key'),
  'invalid-sender-id': () => refusal('Invalid sender ID'),
  'invalid-contact': () => refusal('Invalid contact(s)'),
  'insufficient-balance': () => refusal('Insufficient balance'),
  'rate-limited': () =>
    jsonResponse(429, { success: false, responseText: 'Too many requests' }, { 'retry-after': '2' }),
  'server-error': () => jsonResponse(500, { success: false, responseText: 'Internal server error' }),
  'bad-gateway': () => textResponse(502, '<html><body><h1>502 Bad Gateway</h1></body></html>', 'text/html'),
  unavailable: () => textResponse(503, '<html><body>Service Unavailable</body></html>', 'text/html'),
  unreadable: () => textResponse(200, '<html><body>OK</body></html>', 'text/html'),
} satisfies Record<string, () => SimulatorResponse>;

const ROUTE = `${SEND_PATH}/api_key/:key/contacts/:contacts/senderId/:senderId/message/:message`;

/** `260...` or `[260...,260...]` (quotes and spaces tolerated, as some integrations send them). */
function parseContacts(segment: string): string[] {
  const list = segment.startsWith('[') && segment.endsWith(']') ? segment.slice(1, -1) : segment;
  return list
    .split(',')
    .map((contact) => contact.trim().replace(/^['"]|['"]$/g, ''))
    .filter(Boolean);
}

/** Zamtel's bulk SMS HTTP API on loopback: several API keys, realistic refusals, fault injection. */
export function createZamtelSimulator(options: ZamtelSimulatorOptions): ZamtelSimulator {
  const simulator = new ZamtelSimulator({ name: 'zamtel', errors: ZAMTEL_SIMULATOR_ERRORS });
  const balances = new Map(
    Object.entries(options.accounts).map(([label, account]) => [label, account.balance]),
  );
  const handle = (request: SimulatorRequest): SimulatorResponse => {
    const { key = '', contacts: contactsSegment = '', senderId = '', message = '' } = request.params;
    const label = Object.keys(options.accounts).find((name) => options.accounts[name]?.apiKey === key);
    if (label === undefined) return refusal('Invalid API key');
    request.credential = label;
    const account = options.accounts[label] as ZamtelSimulatorAccount;
    if (account.senderIds && !account.senderIds.includes(senderId)) return refusal('Invalid sender ID');
    const contacts = parseContacts(contactsSegment);
    const invalid = contacts.filter((contact) => !/^260\d{9}$/.test(contact));
    if (contacts.length === 0 || invalid.length > 0)
      return refusal(`Invalid contact(s): ${invalid.join(',')}`);
    const cost = countSmsSegments(message).segments * contacts.length;
    const balance = balances.get(label);
    if (balance !== undefined) {
      if (balance < cost) return refusal('Insufficient balance');
      balances.set(label, balance - cost);
    }
    const batchId = randomUUID();
    simulator.sends.push({ account: label, method: request.method, contacts, senderId, message, batchId });
    return jsonResponse(200, {
      success: true,
      responseText: QUEUED,
      data: { batchId, contacts: contacts.length, segments: countSmsSegments(message).segments },
    });
  };
  simulator.route('POST', ROUTE, handle);
  simulator.route('GET', ROUTE, handle);
  return simulator;
}

/** Sandbox: a Zamtel simulator with one key. Zamtel sends no delivery callbacks: `webhookUrl` is unused. */
export const sandbox: SandboxFactory = async () => {
  const apiKey = 'sandbox-zamtel-key';
  const simulator = createZamtelSimulator({ accounts: { sandbox: { apiKey } } });
  const url = await simulator.start();
  return {
    options: { mode: 'http', apiKey, baseUrl: url, senderId: 'MSG' },
    url,
    stop: () => simulator.stop(),
  };
};
