import { randomBytes, randomUUID } from 'node:crypto';
import { countSmsSegments } from '@msg/core';
import {
  type ErrorCatalogue,
  jsonResponse,
  type SandboxFactory,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorServer,
} from '@msg/testing';
import {
  BALANCE_PATH,
  CALLBACK_URL_MAX_LENGTH,
  CLIENT_REF_MAX_LENGTH,
  DELIVERY_RECEIPT_STATUSES,
  REPORTS_RECORDS_PATH,
  SMS_PATH,
  type VonageReportRecord,
  type VonageSmsMessage,
  type VonageSmsResponse,
} from './vonage-api-types.js';
import { VONAGE_SMS_STATUS_CODES } from './vonage-error.js';
import { type SignatureMethod, vonageSignature } from './vonage-signature.js';

/** How an account's receipts are sent, as chosen in Vonage's dashboard. */
export type ReceiptEncoding = 'json' | 'form' | 'get';

export interface VonageSimulatorAccount {
  apiSecret: string;
  /** Signs receipts with `timestamp`, `nonce` and `sig` when set. */
  signatureSecret?: string | undefined;
  signatureMethod?: SignatureMethod | undefined;
  /** The account's receipt URL (used when a message names no `callback`). */
  callbackUrl?: string | undefined;
  receiptEncoding?: ReceiptEncoding | undefined;
  /** What get-balance reports, in the account's currency. */
  balance?: number | undefined;
  /** Whether the Reports API answers for this account (403 otherwise). */
  reports?: boolean | undefined;
}

export interface VonageSimulatorOptions {
  /** API key -> secret or account settings. */
  accounts: Record<string, string | VonageSimulatorAccount>;
  callbackUrl?: string;
  callbackDelayMs?: number;
  /** Price of one part, as Vonage writes it. Default `0.03330000`. */
  pricePerPart?: string;
  /** The recipient network (MCCMNC) reported in answers and receipts. */
  networkCode?: string;
  seed?: number;
  now?: () => number;
}

interface SentPart {
  messageId: string;
  apiKey: string;
  to: string;
  clientRef: string | undefined;
  status: string;
  errorCode: string;
  /** When the final receipt goes out; before that the Reports API says `accepted`. */
  finalAt: number;
  price: string;
  receivedAt: number;
}

const PHONE = /^\d{7,15}$/;

/** A 200 answer with one element per part: how the SMS API answers successes and errors alike. */
export function smsAnswer(messages: VonageSmsMessage[]): SimulatorResponse {
  const body: VonageSmsResponse = { 'message-count': String(messages.length), messages };
  return jsonResponse(200, body);
}

function refusal(status: string, text?: string): SimulatorResponse {
  const name = VONAGE_SMS_STATUS_CODES[status]?.name ?? 'Error';
  return smsAnswer([{ status, 'error-text': text ?? name }]);
}

function errorCatalogue(): ErrorCatalogue {
  const errors: ErrorCatalogue = {
    'http:401': () => jsonResponse(401, { 'error-code': '401', 'error-code-label': 'authentication failed' }),
    'http:429': () => jsonResponse(429, { title: 'Too Many Requests' }, { 'retry-after': '2' }),
    'http:500': () => ({ status: 500, headers: { 'content-type': 'text/html' }, body: '<html>500</html>' }),
    'http:503': () => ({ status: 503, body: '' }),
    // Two parts, the first accepted and the second throttled.
    'partial:1': () =>
      smsAnswer([
        { status: '0', 'message-id': 'PARTIAL00000001A', 'message-price': '0.03330000' },
        { status: '1', 'error-text': 'Throughput Rate Exceeded - please wait [ 1 ] and retry' },
      ]),
  };
  for (const status of Object.keys(VONAGE_SMS_STATUS_CODES))
    errors[`status:${status}`] = () => refusal(status);
  return errors;
}

function credentialsOf(request: SimulatorRequest, fields: Record<string, unknown>) {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { apiKey: decoded.slice(0, colon), apiSecret: decoded.slice(colon + 1) };
  }
  const apiKey = fields.api_key ?? request.query.get('api_key');
  const apiSecret = fields.api_secret ?? request.query.get('api_secret');
  return typeof apiKey === 'string' && typeof apiSecret === 'string' ? { apiKey, apiSecret } : undefined;
}

/** The body's fields, JSON or form, as strings. */
function fieldsOf(request: SimulatorRequest): Record<string, unknown> {
  if (request.rawBody.length === 0) return {};
  if ((request.headers['content-type'] ?? '').includes('json')) {
    try {
      const parsed = request.json<unknown>();
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(request.form());
}

/**
 * Vonage's SMS API on loopback: `POST /sms/json` (JSON or form; Basic or `api_key`/`api_secret`)
 * answering HTTP 200 with one element per part (each with its own id and price) or a refused
 * element with the documented status, `GET /account/get-balance`, `GET /v2/reports/records`, and
 * per-part delivery receipts, signed with the account's method when it has a signature secret.
 *
 * Outcomes (`outcomes.set(to, outcome)`, `to` in digits): a status code (`7`, `29`) refuses the
 * message; `partial:<status>` accepts the first part and refuses the rest; a receipt status
 * (`delivered`, `failed`, `failed:<err-code>`, `rejected`, `expired`, `unknown`, `accepted`) is
 * every part's receipt; `parts:<outcome>,<outcome>,...` gives each part its own; `none` sends no
 * receipt.
 */
export class VonageSimulator extends SimulatorServer {
  readonly accounts = new Map<string, VonageSimulatorAccount>();
  readonly sent = new Map<string, SentPart>();
  private readonly pricePerPart: string;
  private readonly networkCode: string;
  private readonly clock: () => number;
  private readonly idPrefix = randomBytes(4).toString('hex').toUpperCase();
  private idCounter = 0;

  constructor(options: VonageSimulatorOptions) {
    super({ name: 'vonage', errors: errorCatalogue(), seed: options.seed, now: options.now });
    for (const [apiKey, account] of Object.entries(options.accounts)) this.addAccount(apiKey, account);
    this.callbackUrl = options.callbackUrl;
    if (options.callbackDelayMs !== undefined) this.callbackDelayMs = options.callbackDelayMs;
    this.pricePerPart = options.pricePerPart ?? '0.03330000';
    this.networkCode = options.networkCode ?? '23410';
    this.clock = options.now ?? Date.now;
    this.route('POST', SMS_PATH, (request) => this.sendSms(request));
    this.route('GET', BALANCE_PATH, (request) => this.balance(request), { faults: false });
    this.route('GET', REPORTS_RECORDS_PATH, (request) => this.records(request), { faults: false });
  }

  addAccount(apiKey: string, account: string | VonageSimulatorAccount): this {
    this.accounts.set(apiKey, typeof account === 'string' ? { apiSecret: account } : account);
    return this;
  }

  private authenticate(request: SimulatorRequest, fields: Record<string, unknown>) {
    const credentials = credentialsOf(request, fields);
    const account = credentials ? this.accounts.get(credentials.apiKey) : undefined;
    if (!credentials || !account || account.apiSecret !== credentials.apiSecret) return undefined;
    request.credential = credentials.apiKey;
    return { apiKey: credentials.apiKey, account };
  }

  private sendSms(request: SimulatorRequest): SimulatorResponse {
    const fields = fieldsOf(request);
    const auth = this.authenticate(request, fields);
    if (!auth) return refusal('4', 'Bad Credentials');
    for (const name of ['from', 'to', 'text']) {
      if (typeof fields[name] !== 'string' || fields[name] === '')
        return refusal('2', `Missing ${name} param`);
    }
    const to = fields.to as string;
    const text = fields.text as string;
    const type = fields.type ?? 'text';
    if (!PHONE.test(to)) return refusal('3', 'Invalid to param');
    if (type !== 'text' && type !== 'unicode') return refusal('3', 'Invalid type param');
    const clientRef = fields['client-ref'];
    if (typeof clientRef === 'string' && clientRef.length > CLIENT_REF_MAX_LENGTH) {
      return refusal('3', 'Invalid client-ref param');
    }
    const callback = typeof fields.callback === 'string' ? fields.callback : undefined;
    if (callback !== undefined && callback.length > CALLBACK_URL_MAX_LENGTH) return refusal('23');
    const outcome = this.outcomeFor(to);
    if (VONAGE_SMS_STATUS_CODES[outcome]) return refusal(outcome);

    const parts = countSmsSegments(text).segments;
    const receipts = this.receiptOutcomes(outcome, parts);
    const partial = outcome.startsWith('partial:') ? outcome.slice('partial:'.length) : undefined;
    const messages: VonageSmsMessage[] = [];
    let balance = auth.account.balance ?? 100;
    for (let index = 0; index < parts; index++) {
      if (partial && index > 0) {
        messages.push({ status: partial, 'error-text': VONAGE_SMS_STATUS_CODES[partial]?.name ?? 'Error' });
        continue;
      }
      balance = Math.round((balance - Number(this.pricePerPart)) * 1e8) / 1e8;
      const part = this.recordPart(
        auth.apiKey,
        to,
        clientRef as string | undefined,
        receipts[index] ?? 'none',
      );
      messages.push({
        to,
        'message-id': part.messageId,
        status: '0',
        'remaining-balance': balance.toFixed(8),
        'message-price': this.pricePerPart,
        network: this.networkCode,
        ...(typeof clientRef === 'string' ? { 'client-ref': clientRef } : {}),
      });
      if (fields['status-report-req'] !== false && fields['status-report-req'] !== 'false') {
        this.scheduleReceipt(auth.apiKey, auth.account, part, fields.from as string, callback);
      }
    }
    auth.account.balance = balance;
    return smsAnswer(messages);
  }

  /** Each part's receipt outcome: one for all, or `parts:a,b,...` one by one. */
  private receiptOutcomes(outcome: string, parts: number): string[] {
    if (outcome.startsWith('parts:')) return outcome.slice('parts:'.length).split(',');
    return Array.from({ length: parts }, () => (outcome.startsWith('partial:') ? 'delivered' : outcome));
  }

  private recordPart(apiKey: string, to: string, clientRef: string | undefined, outcome: string): SentPart {
    const [status = 'delivered', errorCode] = outcome.split(':');
    const now = this.clock();
    const part: SentPart = {
      messageId: `${this.idPrefix}${(++this.idCounter).toString(16).toUpperCase().padStart(8, '0')}`,
      apiKey,
      to,
      clientRef,
      status,
      errorCode: errorCode ?? (status === 'delivered' || status === 'accepted' ? '0' : '1'),
      finalAt: now + this.callbackDelayMs,
      price: this.pricePerPart,
      receivedAt: now,
    };
    this.sent.set(part.messageId, part);
    return part;
  }

  private scheduleReceipt(
    apiKey: string,
    account: VonageSimulatorAccount,
    part: SentPart,
    from: string,
    callback: string | undefined,
  ): void {
    const url = callback ?? account.callbackUrl ?? this.callbackUrl;
    if (!url || !(DELIVERY_RECEIPT_STATUSES as readonly string[]).includes(part.status)) return;
    const now = new Date(this.clock());
    const params: Record<string, string> = {
      msisdn: part.to,
      to: from,
      'network-code': this.networkCode,
      messageId: part.messageId,
      price: part.price,
      status: part.status,
      scts: now.toISOString().replace(/^\d{2}(\d{2})-(\d{2})-(\d{2})T(\d{2}):(\d{2}).*$/, '$1$2$3$4$5'),
      'err-code': part.errorCode,
      'api-key': apiKey,
      'message-timestamp': now.toISOString().replace('T', ' ').slice(0, 19),
    };
    if (part.clientRef) params['client-ref'] = part.clientRef;
    if (account.signatureSecret) {
      params.timestamp = String(Math.floor(now.getTime() / 1000));
      params.nonce = randomUUID();
      params.sig = vonageSignature(params, account.signatureSecret, account.signatureMethod ?? 'md5hash');
    }
    const encoding = account.receiptEncoding ?? 'json';
    if (encoding === 'get') {
      const target = new URL(url);
      for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
      // fetch refuses a GET with a body, even an empty one: the receipt has none.
      const bodiless = undefined as unknown as string;
      this.callbacks.schedule(
        { url: target.toString(), method: 'GET', headers: {}, body: bodiless },
        this.callbackDelayMs,
      );
      return;
    }
    this.callbacks.schedule(
      encoding === 'json'
        ? { url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) }
        : {
            url,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(params).toString(),
          },
      this.callbackDelayMs,
    );
  }

  private balance(request: SimulatorRequest): SimulatorResponse {
    const auth = this.authenticate(request, {});
    if (!auth) return jsonResponse(401, { 'error-code': '401', 'error-code-label': 'authentication failed' });
    return jsonResponse(200, { value: auth.account.balance ?? 100, autoReload: false });
  }

  private records(request: SimulatorRequest): SimulatorResponse {
    const auth = this.authenticate(request, {});
    if (!auth) return jsonResponse(401, { title: 'Unauthorized', detail: 'authentication failed' });
    if (auth.account.reports === false || request.query.get('account_id') !== auth.apiKey) {
      return jsonResponse(403, {
        title: 'Forbidden',
        detail: 'User not authorized to query the requested data',
      });
    }
    for (const name of ['product', 'direction']) {
      if (!request.query.get(name)) {
        return jsonResponse(422, {
          title: 'Unprocessable entity',
          invalid_parameters: [{ reason: 'Missing required parameter', name }],
        });
      }
    }
    const ids = (request.query.get('id') ?? '').split(',').filter(Boolean);
    const now = this.clock();
    const records: VonageReportRecord[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const part = this.sent.get(id);
      if (!part || part.apiKey !== auth.apiKey) {
        missing.push(id);
        continue;
      }
      const settled = now >= part.finalAt && part.status !== 'none';
      records.push({
        account_id: auth.apiKey,
        message_id: part.messageId,
        client_ref: part.clientRef,
        to: part.to,
        network: this.networkCode,
        status: settled ? part.status : 'accepted',
        error_code: settled ? part.errorCode : '0',
        date_received: new Date(part.receivedAt).toISOString(),
        date_finalized: settled ? new Date(part.finalAt).toISOString() : undefined,
        currency: 'EUR',
        total_price: Number(part.price),
      });
    }
    return jsonResponse(200, {
      request_status: 'SUCCESS',
      items_count: records.length,
      records,
      ...(missing.length > 0 ? { ids_not_found: missing.join(',') } : {}),
    });
  }
}

export function createVonageSimulator(options: VonageSimulatorOptions): VonageSimulator {
  return new VonageSimulator(options);
}

/**
 * Sandbox: a Vonage simulator with one made-up account that signs its receipts (SHA-256 HMAC) and
 * posts them as JSON to the gateway's webhook URL, as a receipt URL set in the dashboard would.
 */
export const sandbox: SandboxFactory = async ({ webhookUrl }) => {
  const apiKey = 'sandbox1';
  const apiSecret = 'sandbox-vonage-api-secret';
  const signatureSecret = 'sandbox-vonage-signature-secret';
  const simulator = createVonageSimulator({
    accounts: {
      [apiKey]: { apiSecret, signatureSecret, signatureMethod: 'sha256', callbackUrl: webhookUrl },
    },
  });
  const url = await simulator.start();
  return {
    options: {
      apiKey,
      apiSecret,
      from: 'MSGSANDBOX',
      restHost: url,
      apiHost: url,
      signatureSecret,
      signatureMethod: 'sha256',
      // The account's receipt URL above is the gateway's: no per-message callback needed.
      callbackUrl: false,
    },
    url,
    stop: () => simulator.stop(),
  };
};
