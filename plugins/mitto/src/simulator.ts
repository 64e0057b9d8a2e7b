import { randomUUID } from 'node:crypto';
import { IpAllowList, isGsm7 } from '@msg/core';
import {
  type ErrorCatalogue,
  jsonResponse,
  type SandboxFactory,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorServer,
  textResponse,
} from '@msg/testing';
import {
  API_KEY_HEADER,
  BULK_PATH,
  type MittoBulkMessage,
  type MittoBulkResponse,
  type MittoSmsResponse,
  SMS_PATH,
} from './mitto-api-types.js';
import { MITTO_RESPONSE_CODES } from './mitto-error.js';
import { RECEIPT_CONTENT_TYPE, SIMULATOR_STATUS_WORDS } from './mitto-receipt-contract.js';
import { WEBHOOK_TOKEN_PARAMETER } from './mitto-webhook.js';

export interface MittoSimulatorAccount {
  /** Recorded as the request's credential. */
  name: string;
  /** Client addresses or CIDR blocks Mitto has whitelisted for this key; any when absent. */
  allowedClientIps?: readonly string[] | undefined;
  /** The account's receipt URL (used when a message names no `callback`). */
  callbackUrl?: string | undefined;
}

export interface MittoSimulatorOptions {
  /** API key -> account name or settings. */
  accounts: Record<string, string | MittoSimulatorAccount>;
  callbackUrl?: string;
  callbackDelayMs?: number;
  seed?: number;
  now?: () => number;
}

const UNAUTHORIZED = 'Invalid or no API Key specified';
const TYPES = new Set(['gsm', 'unicode', 'binary', 'auto']);
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{3,11}$/;
const NUMERIC_SENDER = /^\+?\d{3,14}$/;
const RECEIVER = /^\+?\d{7,15}$/;

/** A refusal as assumed: HTTP 400 (500 for an internal error) with the code in the body. */
export function refusal(responseCode: number): SimulatorResponse {
  const body: MittoSmsResponse = {
    responseCode,
    responseText: MITTO_RESPONSE_CODES[responseCode]?.name ?? 'Error',
    textLength: 0,
  };
  return jsonResponse(responseCode === 1 ? 500 : 400, body);
}

function errorCatalogue(): ErrorCatalogue {
  const errors: ErrorCatalogue = {
    'http:401': () => textResponse(401, UNAUTHORIZED),
    'http:403': () => textResponse(403, 'Client IP address is not whitelisted'),
    'http:429': () => ({ ...textResponse(429, 'Too Many Requests'), headers: { 'retry-after': '3' } }),
    'http:500': () => textResponse(500, 'Internal Server Error', 'text/html'),
    'http:503': () => ({ status: 503, body: '' }),
  };
  for (const code of Object.keys(MITTO_RESPONSE_CODES)) errors[`code:${code}`] = () => refusal(Number(code));
  return errors;
}

/** Mitto's timestamps carry seven fractional digits: `2019-04-13T17:51:06.3091182Z`. */
function mittoTimestamp(time: number): string {
  return new Date(time).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

/**
 * Mitto's SMS API on loopback: `POST /sms` and `POST /smsbulk` with the `X-Mitto-API-Key` check
 * (401) and a per-key client-IP allow-list (403), the documented answers and `responseCode`s 1-8,
 * test mode (no id, no report), the first part's id only for a long text, one id per bulk
 * recipient, and delivery reports on the assumed contract (`mitto-receipt-contract.ts`): one JSON
 * POST per message to the message's `callback` or the account's URL.
 *
 * Outcomes (`outcomes.set(to, outcome)`, `to` in digits): a `responseCode` (`8`) refuses the
 * request (a whole bulk, as assumed); a report word (`delivered`, `undelivered`,
 * `undelivered:<errorcode>`, `expired`, `rejected`, `deleted`, `unknown`, `sent`) picks the report;
 * `none` sends no report.
 */
export class MittoSimulator extends SimulatorServer {
  readonly accounts = new Map<string, MittoSimulatorAccount>();
  /** Ids of the messages taken for delivery, oldest first; a test-mode request adds none. */
  readonly sent: string[] = [];
  private readonly clock: () => number;

  constructor(options: MittoSimulatorOptions) {
    super({ name: 'mitto', errors: errorCatalogue(), seed: options.seed, now: options.now });
    for (const [apiKey, account] of Object.entries(options.accounts)) this.addAccount(apiKey, account);
    this.callbackUrl = options.callbackUrl;
    if (options.callbackDelayMs !== undefined) this.callbackDelayMs = options.callbackDelayMs;
    this.clock = options.now ?? Date.now;
    this.route('POST', SMS_PATH, (request) => this.sms(request));
    this.route('POST', BULK_PATH, (request) => this.bulk(request));
  }

  addAccount(apiKey: string, account: string | MittoSimulatorAccount): this {
    this.accounts.set(apiKey, typeof account === 'string' ? { name: account } : account);
    return this;
  }

  private authenticate(request: SimulatorRequest): MittoSimulatorAccount | SimulatorResponse {
    const key = request.headers[API_KEY_HEADER];
    const account = typeof key === 'string' ? this.accounts.get(key) : undefined;
    if (!account) return textResponse(401, UNAUTHORIZED);
    // SimulatorRequest has no peer address; every client is loopback unless a test says otherwise.
    const remote = request.headers['x-forwarded-for'] ?? '127.0.0.1';
    if (account.allowedClientIps && !new IpAllowList(account.allowedClientIps).allows(String(remote))) {
      return textResponse(403, 'Client IP address is not whitelisted');
    }
    request.credential = account.name;
    return account;
  }

  /** The body's checks in Mitto's order of codes; the receivers are checked by the caller. */
  private check(body: Record<string, unknown>): number | undefined {
    const type = String(body.type ?? 'GSM');
    const text = body.text;
    if (!TYPES.has(type.toLowerCase())) return 2;
    if (typeof text !== 'string' || text.length === 0) return 3;
    if (type.toLowerCase() === 'gsm' && !isGsm7(text)) return 4;
    const from = body.from;
    if (typeof from !== 'string' || from.length === 0) return 5;
    if (!ALPHANUMERIC_SENDER.test(from) && !NUMERIC_SENDER.test(from)) return 6;
    return undefined;
  }

  private receiverCode(to: unknown): number | undefined {
    if (typeof to !== 'string' || to.length === 0) return 7;
    if (!RECEIVER.test(to)) return 8;
    const outcome = this.outcomeFor(to.replace(/^\+/, ''));
    return /^\d$/.test(outcome) && MITTO_RESPONSE_CODES[Number(outcome)] ? Number(outcome) : undefined;
  }

  private readBody(request: SimulatorRequest): Record<string, unknown> | undefined {
    try {
      const parsed = request.json<unknown>();
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  private sms(request: SimulatorRequest): SimulatorResponse {
    const account = this.authenticate(request);
    if ('status' in account) return account;
    const body = this.readBody(request);
    if (!body) return textResponse(400, 'The request body is not valid JSON');
    const code = this.check(body) ?? this.receiverCode(body.to);
    if (code !== undefined) return refusal(code);
    const to = (body.to as string).replace(/^\+/, '');
    const now = this.clock();
    const textLength = (body.text as string).length;
    if (body.test === true) {
      return jsonResponse(200, {
        timestamp: mittoTimestamp(now),
        responseCode: 0,
        responseText: 'SMS sent',
        textLength,
        test: true,
      });
    }
    const id = this.deliver(account, to, body);
    const answer: MittoSmsResponse = {
      id,
      to,
      timestamp: mittoTimestamp(now),
      responseCode: 0,
      responseText: 'SMS sent',
      textLength,
    };
    return jsonResponse(200, answer);
  }

  private bulk(request: SimulatorRequest): SimulatorResponse {
    const account = this.authenticate(request);
    if ('status' in account) return account;
    const body = this.readBody(request);
    if (!body) return textResponse(400, 'The request body is not valid JSON');
    // The Ballerina description types `to` as a comma-separated string, the Microsoft one as a list.
    const receivers = Array.isArray(body.to)
      ? body.to
      : typeof body.to === 'string' && body.to
        ? body.to.split(',')
        : [];
    const code =
      this.check(body) ??
      (receivers.length === 0
        ? 7
        : receivers.map((to) => this.receiverCode(to)).find((found) => found !== undefined));
    if (code !== undefined) return refusal(code);
    const now = this.clock();
    const textLength = (body.text as string).length;
    if (body.test === true)
      return jsonResponse(200, { responseCode: 0, responseText: 'SMS sent', test: true });
    const messages: MittoBulkMessage[] = receivers.map((receiver) => {
      const to = String(receiver).replace(/^\+/, '');
      return { id: this.deliver(account, to, body), to, timestamp: mittoTimestamp(now), textLength };
    });
    const answer: MittoBulkResponse = { responseCode: 0, responseText: 'SMS sent', messages };
    return jsonResponse(200, answer);
  }

  /** A new message id, with its report scheduled on the assumed contract. */
  private deliver(account: MittoSimulatorAccount, to: string, body: Record<string, unknown>): string {
    const id = randomUUID().replaceAll('-', '');
    this.sent.push(id);
    const url = typeof body.callback === 'string' ? body.callback : (account.callbackUrl ?? this.callbackUrl);
    const [outcome = 'delivered', errorCode] = this.outcomeFor(to).split(':');
    const word = SIMULATOR_STATUS_WORDS[outcome];
    if (!url || !word) return id;
    const report: Record<string, string> = {
      messageId: id,
      status: word,
      errorcode: errorCode ?? (outcome === 'delivered' || outcome === 'sent' ? '0' : '1'),
      to,
      timestamp: mittoTimestamp(this.clock()),
    };
    if (typeof body.reference === 'string') report.reference = body.reference;
    this.callbacks.schedule(
      { url, headers: { 'content-type': RECEIPT_CONTENT_TYPE }, body: JSON.stringify(report) },
      this.callbackDelayMs,
    );
    return id;
  }
}

export function createMittoSimulator(options: MittoSimulatorOptions): MittoSimulator {
  return new MittoSimulator(options);
}

/**
 * Sandbox: a Mitto simulator with one made-up key whose account receipt URL is the gateway's
 * webhook URL with the instance's secret token, as Mitto would whitelist it.
 */
export const sandbox: SandboxFactory = async ({ webhookUrl }) => {
  const apiKey = 'mitto-sandbox-api-key';
  const webhookToken = 'sandbox-mitto-webhook-token';
  const callbackUrl = new URL(webhookUrl);
  callbackUrl.searchParams.set(WEBHOOK_TOKEN_PARAMETER, webhookToken);
  const simulator = createMittoSimulator({
    accounts: { [apiKey]: { name: 'msg-sandbox', callbackUrl: callbackUrl.toString() } },
  });
  const url = await simulator.start();
  return {
    options: { apiKey, baseUrl: url, from: 'MSGSANDBOX', webhookToken, callbackUrl: false },
    url,
    stop: () => simulator.stop(),
  };
};
