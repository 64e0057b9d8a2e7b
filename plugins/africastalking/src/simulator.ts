import { randomBytes } from 'node:crypto';
import { countSmsSegments } from '@msg/core';
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
  type AfricasTalkingRecipient,
  type AfricasTalkingSendResponse,
  DELIVERY_REPORT_STATUSES,
  MESSAGING_PATH,
  USER_PATH,
} from './africastalking-api-types.js';
import { RECIPIENT_STATUS_CODES } from './africastalking-error.js';
import { WEBHOOK_TOKEN_PARAMETER } from './africastalking-webhook.js';

export interface AfricasTalkingSimulatorAccount {
  apiKey: string;
  /** This account's delivery-report URL (with its token); the simulator's `callbackUrl` otherwise. */
  callbackUrl?: string | undefined;
  /** What `GET /version1/user` reports. */
  balance?: string | undefined;
}

export interface AfricasTalkingSimulatorOptions {
  /** username -> API key (or account settings). Default: `{ sandbox: 'sandbox-api-key' }`. */
  accounts?: Record<string, string | AfricasTalkingSimulatorAccount>;
  /** Delivery-report URL for accounts that set none; include the token: `https://host/hook?token=...`. */
  callbackUrl?: string;
  callbackDelayMs?: number;
  /** When set, any other `from` is refused as a whole request with `InvalidSenderId`. */
  allowedSenderIds?: readonly string[];
  /** Price of one SMS part. Default `KES 0.8000`. */
  currency?: string;
  pricePerPart?: number;
  seed?: number;
  now?: () => number;
}

const UNAUTHORIZED = 'The supplied authentication is invalid';
const NETWORK_CODE = '63902';
const CODE_BY_NAME = new Map(
  Object.entries(RECIPIENT_STATUS_CODES).map(([code, entry]) => [entry.name.toLowerCase(), Number(code)]),
);
/** Normalised outcome words -> the delivery report Africa's Talking would send. */
const REPORT_FOR_OUTCOME: Record<string, string> = {
  delivered: 'Success',
  undelivered: 'Failed:DeliveryFailure',
  failed: 'Rejected',
  expired: 'Expired',
  sent: 'Sent',
};

function recipientsOf(request: SimulatorRequest): string[] {
  return (request.form().get('to') ?? '')
    .split(',')
    .map((number) => number.trim())
    .filter(Boolean);
}

function rejected(number: string, statusCode: number): AfricasTalkingRecipient {
  const name = RECIPIENT_STATUS_CODES[statusCode]?.name ?? 'Failed';
  return { statusCode, number, status: name, cost: '0', messageId: 'None' };
}

function answer(message: string, recipients: AfricasTalkingRecipient[]): SimulatorResponse {
  const body: AfricasTalkingSendResponse = { SMSMessageData: { Message: message, Recipients: recipients } };
  return jsonResponse(201, body);
}

function errorCatalogue(): ErrorCatalogue {
  const errors: ErrorCatalogue = {
    'http:401': () => textResponse(401, UNAUTHORIZED),
    'http:429': () => ({
      ...textResponse(429, 'Too Many Requests'),
      headers: { 'content-type': 'text/plain', 'retry-after': '3' },
    }),
    'http:500': () => textResponse(500, 'Internal Server Error'),
    'http:503': () => textResponse(503, 'Service Unavailable'),
    'request:InvalidSenderId': () => answer('InvalidSenderId', []),
  };
  for (const [code, entry] of Object.entries(RECIPIENT_STATUS_CODES)) {
    if ('kind' in entry) {
      errors[`recipient:${entry.name}`] = (request) =>
        answer(
          `Sent to 0/${recipientsOf(request).length} Total Cost: 0`,
          recipientsOf(request).map((number) => rejected(number, Number(code))),
        );
    }
  }
  return errors;
}

/**
 * Africa's Talking's SMS API on loopback: `POST /version1/messaging` (form in, `SMSMessageData`
 * out with HTTP 201), the per-username `apiKey` check (401 text/plain), per-recipient outcomes,
 * whole-request rejections, `GET /version1/user`, and delivery reports POSTed as forms.
 *
 * Outcomes (`outcomes.set(number, outcome)`): a recipient status code or name (`403`,
 * `InvalidPhoneNumber`) rejects the number at send time; a report status (`Success`, `Failed`,
 * `Failed:UserInBlackList`, `AbsentSubscriber`, ...) or a normalised word (`delivered`,
 * `undelivered`, `failed`, `expired`) chooses the delivery report; `none` sends no report.
 */
export class AfricasTalkingSimulator extends SimulatorServer {
  readonly accounts = new Map<string, AfricasTalkingSimulatorAccount>();
  allowedSenderIds: readonly string[] | undefined;
  private readonly currency: string;
  private readonly pricePerPart: number;
  // A random prefix and a counter: ids look like Africa's Talking's and cost no syscall each.
  private readonly idPrefix = randomBytes(8).toString('hex');
  private idCounter = 0;

  constructor(options: AfricasTalkingSimulatorOptions = {}) {
    super({ name: 'africastalking', errors: errorCatalogue(), seed: options.seed, now: options.now });
    for (const [username, account] of Object.entries(options.accounts ?? { sandbox: 'sandbox-api-key' })) {
      this.addAccount(username, account);
    }
    this.callbackUrl = options.callbackUrl;
    if (options.callbackDelayMs !== undefined) this.callbackDelayMs = options.callbackDelayMs;
    this.allowedSenderIds = options.allowedSenderIds;
    this.currency = options.currency ?? 'KES';
    this.pricePerPart = options.pricePerPart ?? 0.8;
    this.route('POST', MESSAGING_PATH, (request) => this.messaging(request));
    this.route('GET', USER_PATH, (request) => this.user(request));
  }

  addAccount(username: string, account: string | AfricasTalkingSimulatorAccount): this {
    this.accounts.set(username, typeof account === 'string' ? { apiKey: account } : account);
    return this;
  }

  private authenticate(
    request: SimulatorRequest,
    username: string | null,
  ): AfricasTalkingSimulatorAccount | undefined {
    const account = username === null ? undefined : this.accounts.get(username);
    if (!account || request.headers.apikey !== account.apiKey) return undefined;
    request.credential = username as string;
    return account;
  }

  private user(request: SimulatorRequest): SimulatorResponse {
    const account = this.authenticate(request, request.query.get('username'));
    if (!account) return textResponse(401, UNAUTHORIZED);
    return jsonResponse(200, { UserData: { balance: account.balance ?? `${this.currency} 1000.0000` } });
  }

  private messaging(request: SimulatorRequest): SimulatorResponse {
    const form = request.form();
    const account = this.authenticate(request, form.get('username'));
    if (!account) return textResponse(401, UNAUTHORIZED);
    for (const field of ['to', 'message']) {
      if (!form.get(field)) return textResponse(400, `Request is missing required form field '${field}'`);
    }
    const from = form.get('from');
    if (from && this.allowedSenderIds && !this.allowedSenderIds.includes(from))
      return answer('InvalidSenderId', []);
    const parts = countSmsSegments(form.get('message') as string).segments;
    const recipients = recipientsOf(request).map((number) => this.recipient(number, parts, account));
    const sent = recipients.filter((recipient) => recipient.messageId !== 'None');
    const total = (sent.length * parts * this.pricePerPart).toFixed(4);
    return answer(
      `Sent to ${sent.length}/${recipients.length} Total Cost: ${this.currency} ${total}`,
      recipients,
    );
  }

  private recipient(
    number: string,
    parts: number,
    account: AfricasTalkingSimulatorAccount,
  ): AfricasTalkingRecipient {
    if (!/^\+?\d{7,15}$/.test(number)) return rejected(number, 403);
    const outcome = this.outcomeFor(number);
    const code = /^\d{3}$/.test(outcome) ? Number(outcome) : CODE_BY_NAME.get(outcome.toLowerCase());
    const entry = code === undefined ? undefined : RECIPIENT_STATUS_CODES[code];
    if (code !== undefined && entry && 'kind' in entry) return rejected(number, code);
    const messageId = `ATXid_${this.idPrefix}${(++this.idCounter).toString(16).padStart(16, '0')}`;
    const report = code === undefined ? (REPORT_FOR_OUTCOME[outcome] ?? outcome) : 'Success';
    this.scheduleReport(account, messageId, number, report);
    const statusCode = code ?? 101;
    return {
      statusCode,
      number,
      status: statusCode === 101 ? 'Success' : (entry?.name ?? 'Success'),
      cost: `${this.currency} ${(parts * this.pricePerPart).toFixed(4)}`,
      messageId,
    };
  }

  private scheduleReport(
    account: AfricasTalkingSimulatorAccount,
    id: string,
    phoneNumber: string,
    report: string,
  ): void {
    const url = account.callbackUrl ?? this.callbackUrl;
    const [status, failureReason] = report.split(':') as [string, string | undefined];
    if (!url || !(DELIVERY_REPORT_STATUSES as readonly string[]).includes(status)) return;
    const body = new URLSearchParams({ id, status, phoneNumber, networkCode: NETWORK_CODE, retryCount: '0' });
    if (failureReason) body.set('failureReason', failureReason);
    this.callbacks.schedule(
      { url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() },
      this.callbackDelayMs,
    );
  }
}

export function createAfricasTalkingSimulator(
  options: AfricasTalkingSimulatorOptions = {},
): AfricasTalkingSimulator {
  return new AfricasTalkingSimulator(options);
}

/**
 * Sandbox: an Africa's Talking simulator with one made-up account whose delivery-report URL is
 * `webhookUrl` with the instance's secret token, as an account's callback URL is registered.
 */
export const sandbox: SandboxFactory = async ({ webhookUrl }) => {
  const username = 'msg-sandbox';
  const apiKey = 'atsk_sandbox_0123456789';
  const webhookToken = 'sandbox-africastalking-webhook-token';
  const callbackUrl = new URL(webhookUrl);
  callbackUrl.searchParams.set(WEBHOOK_TOKEN_PARAMETER, webhookToken);
  const simulator = createAfricasTalkingSimulator({
    accounts: { [username]: { apiKey, callbackUrl: callbackUrl.toString() } },
  });
  const url = await simulator.start();
  // `allowedIps: []`: the reports come from the simulator, not from Africa's Talking's addresses a
  // config may list; the token still guards them.
  return {
    options: { username, apiKey, baseUrl: url, webhookToken, allowedIps: [] },
    url,
    stop: () => simulator.stop(),
  };
};
