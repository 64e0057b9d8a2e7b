import { randomBytes } from 'node:crypto';
import {
  type ErrorCatalogue,
  jsonResponse,
  type SandboxFactory,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorServer,
} from '@msg/testing';
import {
  DELIVERY_STATUSES,
  type MtnDeliveryReport,
  type MtnOutboundRequest,
  type MtnSubscriptionRequest,
  OUTBOUND_PATH,
  SUBSCRIPTION_PATH,
  SUCCESS_STATUS_CODE,
  TOKEN_PATH,
} from './mtn-api-types.js';
import { WEBHOOK_TOKEN_PARAMETER } from './mtn-webhook.js';

export interface MtnSimulatorOptions {
  /** client_id -> client_secret. Default `{ 'sandbox-client': 'sandbox-secret' }`. */
  accounts?: Record<string, string>;
  /** Lifetime of issued tokens (default 3599 s, as MTN's). */
  tokenLifetimeSeconds?: number;
  /** Answer `expires_in` as a number instead of MTN's string. */
  expiresInAsNumber?: boolean;
  /** When set, any other `senderAddress` is refused with 403. */
  allowedSenderIds?: readonly string[];
  callbackDelayMs?: number;
  seed?: number;
  now?: () => number;
}

export interface MtnSimulatorSubscription {
  subscriptionId: string;
  clientId: string;
  url: string;
  request: MtnSubscriptionRequest;
}

/** Outcome words a test may set per recipient (`outcomes.set('+260961000001', ...)`). */
const REPORT_FOR_OUTCOME: Record<string, string> = {
  delivered: 'DeliveredToTerminal',
  undelivered: 'DeliveryImpossible',
  failed: 'DeliveryImpossible',
  expired: 'Expired',
  sent: 'DeliveredToNetwork',
  queued: 'MessageWaiting',
  unknown: 'DeliveryUncertain',
};

const mtnError = (
  status: number,
  statusCode: string,
  statusMessage: string,
  headers: Record<string, string> = {},
) =>
  jsonResponse(
    status,
    {
      statusCode,
      statusMessage,
      supportMessage: 'Please contact MTN support',
      transactionId: transactionId(),
    },
    headers,
  );

/** Apigee's policy fault body, as MTN's gateway answers for tokens, quotas and timeouts. */
const fault = (
  status: number,
  errorcode: string,
  faultstring: string,
  headers: Record<string, string> = {},
) => jsonResponse(status, { fault: { faultstring, detail: { errorcode } } }, headers);

function transactionId(): string {
  return `${randomBytes(4).toString('hex')}-${randomBytes(2).toString('hex')}-${randomBytes(6).toString('hex')}`;
}

/**
 * MTN's SMS API v3 on loopback: the OAuth token endpoint (client credentials per account, tokens
 * that expire), `POST /v3/sms/messages/sms/outbound` with Bearer checks (401 on unknown or expired
 * tokens), the delivery-report subscription, and JSON delivery reports POSTed to the subscribed
 * URL. Token and subscription routes take no injected faults (`failNext` hits the send).
 */
export class MtnSimulator extends SimulatorServer {
  readonly accounts = new Map<string, string>();
  readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  readonly subscriptions: MtnSimulatorSubscription[] = [];
  tokenLifetimeSeconds: number;
  allowedSenderIds: readonly string[] | undefined;
  /** Token requests answered with an error before the next success. */
  readonly tokenFailures: Array<'unavailable' | 'invalid-client'> = [];
  /** HTTP statuses the next subscription requests are refused with (500, 503...). */
  readonly subscriptionFailures: number[] = [];
  private readonly clock: () => number;
  private readonly expiresInAsNumber: boolean;
  /** Sends still to refuse with 401 after a `no-api-product` failure (the retry after a refresh). */
  private unauthorizedSends = 0;

  constructor(options: MtnSimulatorOptions = {}) {
    const errors: ErrorCatalogue = {
      'invalid-request': () => mtnError(400, '4000', 'Invalid request'),
      'invalid-receiver': () => mtnError(400, '4000', 'Invalid receiverAddress'),
      'sender-not-whitelisted': () =>
        mtnError(403, '4030', 'senderAddress is not whitelisted for this account'),
      'token-expired': () => fault(401, 'keymanagement.service.access_token_expired', 'Access Token expired'),
      'no-api-product': () => {
        this.unauthorizedSends += 1;
        return this.noApiProduct();
      },
      'spike-arrest': () =>
        fault(429, 'policies.ratelimit.SpikeArrestViolation', 'Spike arrest violation', {
          'retry-after': '2',
        }),
      'quota-exceeded': () => fault(429, 'policies.ratelimit.QuotaViolation', 'Rate limit quota violation'),
      'internal-error': () => mtnError(500, '5000', 'Internal server error'),
      'service-unavailable': () =>
        fault(
          503,
          'messaging.adaptors.http.flow.ServiceUnavailable',
          'The Service is temporarily unavailable',
        ),
      'gateway-timeout': () => fault(504, 'messaging.adaptors.http.flow.GatewayTimeout', 'Gateway Timeout'),
    };
    super({ name: 'mtn', errors, seed: options.seed, now: options.now });
    this.clock = options.now ?? Date.now;
    for (const [clientId, secret] of Object.entries(
      options.accounts ?? { 'sandbox-client': 'sandbox-secret' },
    )) {
      this.accounts.set(clientId, secret);
    }
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3599;
    this.expiresInAsNumber = options.expiresInAsNumber ?? false;
    this.allowedSenderIds = options.allowedSenderIds;
    if (options.callbackDelayMs !== undefined) this.callbackDelayMs = options.callbackDelayMs;
    this.route('POST', TOKEN_PATH, (request) => this.token(request), { faults: false });
    this.route('POST', SUBSCRIPTION_PATH, (request) => this.subscribe(request), { faults: false });
    this.route('POST', OUTBOUND_PATH, (request) => this.outbound(request));
  }

  /** Also forgets pending token, subscription and 401 failures. */
  override reset(): void {
    super.reset();
    this.unauthorizedSends = 0;
    this.tokenFailures.length = 0;
    this.subscriptionFailures.length = 0;
  }

  /** Every issued token stops working now, as when MTN rotates keys. */
  expireTokens(): void {
    for (const token of this.tokens.values()) token.expiresAt = 0;
  }

  /** Requests recorded on one path (`TOKEN_PATH`, `OUTBOUND_PATH`, `SUBSCRIPTION_PATH`). */
  requestsTo(path: string) {
    return this.requests.filter((request) => request.path === path);
  }

  private noApiProduct(): SimulatorResponse {
    return fault(
      401,
      'keymanagement.service.InvalidAPICallAsNoApiProductMatchFound',
      'Invalid API call as no apiproduct match found',
    );
  }

  private token(request: SimulatorRequest): SimulatorResponse {
    if (request.query.get('grant_type') !== 'client_credentials') {
      return jsonResponse(400, { ErrorCode: 'invalid_request', Error: 'Unsupported grant type' });
    }
    const form = request.form();
    const clientId = form.get('client_id') ?? '';
    const failure = this.tokenFailures.shift();
    if (failure === 'unavailable') {
      return fault(
        503,
        'messaging.adaptors.http.flow.ServiceUnavailable',
        'The Service is temporarily unavailable',
      );
    }
    if (!this.accounts.has(clientId) || failure === 'invalid-client') {
      return jsonResponse(401, { ErrorCode: 'invalid_client', Error: 'ClientId is Invalid' });
    }
    if (this.accounts.get(clientId) !== form.get('client_secret')) {
      return jsonResponse(401, { ErrorCode: 'invalid_client', Error: 'Client credentials are invalid' });
    }
    request.credential = clientId;
    const accessToken = randomBytes(21).toString('base64url');
    const issuedAt = this.clock();
    this.tokens.set(accessToken, { clientId, expiresAt: issuedAt + this.tokenLifetimeSeconds * 1000 });
    return jsonResponse(200, {
      token_type: 'BearerToken',
      issued_at: String(issuedAt),
      client_id: clientId,
      access_token: accessToken,
      application_name: `app-${clientId}`,
      scope: '',
      expires_in: this.expiresInAsNumber ? this.tokenLifetimeSeconds : String(this.tokenLifetimeSeconds),
      refresh_count: '0',
      status: 'approved',
    });
  }

  /** The account behind a valid Bearer token, or the 401 Apigee would answer. */
  private authenticate(request: SimulatorRequest): string | SimulatorResponse {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? this.tokens.get(header.slice(7)) : undefined;
    if (!token) return fault(401, 'oauth.v2.InvalidAccessToken', 'Invalid access token');
    if (this.clock() >= token.expiresAt) {
      return fault(401, 'keymanagement.service.access_token_expired', 'Access Token expired');
    }
    request.credential = token.clientId;
    return token.clientId;
  }

  private subscribe(request: SimulatorRequest): SimulatorResponse {
    const clientId = this.authenticate(request);
    if (typeof clientId !== 'string') return clientId;
    const failure = this.subscriptionFailures.shift();
    if (failure !== undefined) return mtnError(failure, `${failure}0`, 'Subscription could not be created');
    let body: Partial<MtnSubscriptionRequest>;
    try {
      body = request.json<Partial<MtnSubscriptionRequest>>();
    } catch {
      return mtnError(400, '4000', 'Invalid request body');
    }
    const url = body.deliveryReportUrl ?? body.callbackUrl;
    if (!url || !body.serviceCode || !body.targetSystem) {
      return mtnError(400, '4000', 'callbackUrl, serviceCode and targetSystem are required');
    }
    const existing = this.subscriptions.find(
      (entry) =>
        entry.clientId === clientId && entry.request.serviceCode === body.serviceCode && entry.url === url,
    );
    if (existing) return mtnError(409, '4090', 'Subscription already exists');
    const subscriptionId = `sub-${randomBytes(6).toString('hex')}`;
    this.subscriptions.push({ subscriptionId, clientId, url, request: body as MtnSubscriptionRequest });
    return jsonResponse(201, {
      statusCode: SUCCESS_STATUS_CODE,
      statusMessage: 'Created',
      transactionId: transactionId(),
      data: { subscriptionId },
    });
  }

  private outbound(request: SimulatorRequest): SimulatorResponse {
    const clientId = this.authenticate(request);
    if (typeof clientId !== 'string') return clientId;
    if (this.unauthorizedSends > 0) {
      this.unauthorizedSends -= 1;
      return this.noApiProduct();
    }
    let body: Partial<MtnOutboundRequest>;
    try {
      body = request.json<Partial<MtnOutboundRequest>>();
    } catch {
      return mtnError(400, '4000', 'Invalid request body');
    }
    const receivers = body.receiverAddress;
    if (
      !body.senderAddress ||
      !body.message ||
      !body.serviceCode ||
      !Array.isArray(receivers) ||
      !receivers.length
    ) {
      return mtnError(400, '4000', 'senderAddress, receiverAddress, message and serviceCode are required');
    }
    if (receivers.some((receiver) => !/^\d{9,15}$/.test(String(receiver)))) {
      return mtnError(400, '4000', 'Invalid receiverAddress');
    }
    if (this.allowedSenderIds && !this.allowedSenderIds.includes(body.senderAddress)) {
      return mtnError(403, '4030', 'senderAddress is not whitelisted for this account');
    }
    const id = transactionId();
    if (body.requestDeliveryReceipt) {
      for (const receiver of receivers) this.scheduleReport(clientId, id, String(receiver), body);
    }
    return jsonResponse(201, {
      statusCode: SUCCESS_STATUS_CODE,
      statusMessage: 'Successful',
      transactionId: id,
      data: { status: 'PENDING' },
    });
  }

  private scheduleReport(
    clientId: string,
    id: string,
    receiver: string,
    body: Partial<MtnOutboundRequest>,
  ): void {
    const subscription = this.subscriptions.find(
      (entry) => entry.clientId === clientId && entry.request.serviceCode === body.serviceCode,
    );
    const url = subscription?.url ?? this.callbackUrl;
    const outcome = this.outcomeFor(`+${receiver}`);
    const deliveryStatus = REPORT_FOR_OUTCOME[outcome] ?? outcome;
    if (!url || !(DELIVERY_STATUSES as readonly string[]).includes(deliveryStatus)) return;
    const report: MtnDeliveryReport = {
      transactionId: id,
      clientCorrelator: body.clientCorrelatorId,
      deliveryStatus,
      receiverAddress: receiver,
      timestamp: new Date(this.clock()).toISOString(),
    };
    this.callbacks.schedule(
      { url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(report) },
      this.callbackDelayMs,
    );
  }
}

export function createMtnSimulator(options: MtnSimulatorOptions = {}): MtnSimulator {
  return new MtnSimulator(options);
}

/**
 * Sandbox (API mode): one account; the plugin registers `webhookUrl` (with the token) through the
 * simulator's subscription endpoint before its first send, and reports go there.
 */
export const sandbox: SandboxFactory = async ({ webhookUrl }) => {
  const clientId = 'sandbox-mtn-client';
  const clientSecret = 'sandbox-mtn-secret';
  const webhookToken = `sandbox-${randomBytes(16).toString('hex')}`;
  const simulator = createMtnSimulator({ accounts: { [clientId]: clientSecret } });
  const url = await simulator.start();
  // Reports of sends made before a subscription exists still reach the gateway.
  const fallback = new URL(webhookUrl);
  fallback.searchParams.set(WEBHOOK_TOKEN_PARAMETER, webhookToken);
  simulator.callbackUrl = fallback.toString();
  return {
    options: {
      mode: 'api',
      clientId,
      clientSecret,
      baseUrl: url,
      serviceCode: '131',
      from: 'MSG',
      webhookToken,
    },
    url,
    stop: () => simulator.stop(),
  };
};
