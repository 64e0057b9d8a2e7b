import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { countSmsSegments } from '@msg/core';
import {
  type ErrorCatalogue,
  jsonResponse,
  type SandboxFactory,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorServer,
} from '@msg/testing';
import type { TwilioErrorBody, TwilioMessageResource, TwilioMessageStatus } from './twilio-api-types.js';
import {
  DELIVERY_ERROR_MESSAGES,
  rfc2822,
  type StatusStep,
  TwilioMessageLog,
} from './twilio-simulator-messages.js';
import { TWILIO_E164, TWILIO_MAX_BODY_LENGTH } from './twilio-validate.js';

export { rfc2822 } from './twilio-simulator-messages.js';

const API_VERSION = '2010-04-01';

export interface TwilioSimulatorOptions {
  /** Accounts the simulator knows: AccountSid -> AuthToken. Several, so two instances can coexist. */
  accounts: Readonly<Record<string, string>>;
  /** Seed for `setFaults({ errorRate })`. */
  seed?: number;
  now?: () => number;
  /** Delay before the first status callback; the final one follows after as long again. */
  callbackDelayMs?: number;
}

/** Twilio's error JSON, as its API answers it. */
export function twilioErrorResponse(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): SimulatorResponse {
  const body: TwilioErrorBody = {
    code,
    message,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  };
  return jsonResponse(status, body, headers);
}

/**
 * Every error the plugin maps, by Twilio code, answered with Twilio's HTTP status and message.
 * The 30xxx codes normally arrive in status callbacks; answering them at send time lets a test
 * check their mapping too.
 */
export const TWILIO_SIMULATOR_ERRORS: ErrorCatalogue = {
  '20003': () =>
    twilioErrorResponse(401, 20003, 'Authenticate', { 'www-authenticate': 'Basic realm="Twilio API"' }),
  '20404': (request) =>
    twilioErrorResponse(404, 20404, `The requested resource ${request.path} was not found`),
  '20429': () => twilioErrorResponse(429, 20429, 'Too Many Requests', { 'retry-after': '2' }),
  '20500': () => twilioErrorResponse(500, 20500, 'An internal server error has occurred'),
  '20503': () => twilioErrorResponse(503, 20503, 'Service is unavailable. Please try again'),
  '21211': (request) =>
    twilioErrorResponse(
      400,
      21211,
      `The 'To' number ${request.form().get('To') ?? ''} is not a valid phone number.`,
    ),
  '21408': (request) =>
    twilioErrorResponse(
      400,
      21408,
      `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${request.form().get('To') ?? ''}.`,
    ),
  '21602': () => twilioErrorResponse(400, 21602, 'Message body is required.'),
  '21603': () => twilioErrorResponse(400, 21603, "A 'From' phone number is required."),
  '21604': () => twilioErrorResponse(400, 21604, "A 'To' phone number is required."),
  '21606': (request) =>
    twilioErrorResponse(
      400,
      21606,
      `The From phone number ${request.form().get('From') ?? ''} is not a valid, SMS-capable inbound phone number or short code for your account.`,
    ),
  '21610': () => twilioErrorResponse(400, 21610, 'Attempt to send to unsubscribed recipient'),
  '21612': () =>
    twilioErrorResponse(
      400,
      21612,
      "The 'To' phone number is not currently reachable using the 'From' phone number via SMS.",
    ),
  '21614': (request) =>
    twilioErrorResponse(
      400,
      21614,
      `'To' number ${request.form().get('To') ?? ''} is not a valid mobile number`,
    ),
  '21617': () =>
    twilioErrorResponse(400, 21617, 'The concatenated message body exceeds the 1600 character limit.'),
  ...Object.fromEntries(
    ['30001', '30002', '30003', '30004', '30005', '30006', '30007'].map((code) => [
      code,
      () => twilioErrorResponse(400, Number(code), DELIVERY_ERROR_MESSAGES[code] as string),
    ]),
  ),
};

/** Callback error codes for failed outcomes that do not name one (`undelivered:30005` does). */
const DEFAULT_OUTCOME_CODES: Readonly<Record<string, string>> = { undelivered: '30003', failed: '30008' };

/** `RawDlrDoneDate`: YYMMDDhhmm in UTC. */
function rawDlrDoneDate(date: Date): string {
  return date.toISOString().replace(/^\d{2}(\d{2})-(\d{2})-(\d{2})T(\d{2}):(\d{2}).*$/, '$1$2$3$4$5');
}

/** `X-Twilio-Signature` as Twilio computes it: base64(HMAC-SHA1(token, url + sorted name+value)). */
export function signTwilioCallback(authToken: string, url: string, params: URLSearchParams): string {
  const entries = [...params].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
  const data = entries.reduce((text, [name, value]) => text + name + value, url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

function basicCredentials(request: SimulatorRequest): { username: string; password: string } | undefined {
  const value = request.headers.authorization;
  if (!value?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(value.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A loopback Twilio: the Messages API with Basic auth, real errors, and signed status callbacks. */
export class TwilioSimulator extends SimulatorServer {
  readonly accounts: Map<string, string>;
  /** Every message accepted, readable by its SID as its status moves on. */
  readonly messages: TwilioMessageLog;
  private readonly clock: () => number;

  constructor(options: TwilioSimulatorOptions) {
    super({ name: 'twilio', errors: TWILIO_SIMULATOR_ERRORS, seed: options.seed, now: options.now });
    this.accounts = new Map(Object.entries(options.accounts));
    this.clock = options.now ?? Date.now;
    this.messages = new TwilioMessageLog(this.clock);
    if (options.callbackDelayMs !== undefined) this.callbackDelayMs = options.callbackDelayMs;
    this.route('POST', `/${API_VERSION}/Accounts/:accountSid/Messages.json`, (request) =>
      this.createMessage(request),
    );
    this.route('GET', `/${API_VERSION}/Accounts/:accountSid/Messages/:messageFile`, (request) =>
      this.fetchMessage(request),
    );
    this.route('GET', `/${API_VERSION}/Accounts/:accountFile`, (request) => this.fetchAccount(request), {
      faults: false,
    });
  }

  /** The account whose credentials the request carries, if they are right for the path's account. */
  private authenticate(request: SimulatorRequest, accountSid: string): string | undefined {
    const credentials = basicCredentials(request);
    if (!credentials || credentials.username !== accountSid) return undefined;
    const token = this.accounts.get(credentials.username);
    if (token === undefined || token !== credentials.password) return undefined;
    request.credential = accountSid;
    return token;
  }

  private fetchAccount(request: SimulatorRequest): SimulatorResponse {
    const accountSid = (request.params.accountFile ?? '').replace(/\.json$/, '');
    if (!this.authenticate(request, accountSid)) return this.errorResponse('20003', request);
    const created = rfc2822(new Date(this.clock()));
    return jsonResponse(200, {
      sid: accountSid,
      friendly_name: 'Simulated account',
      status: 'active',
      type: 'Full',
      date_created: created,
      date_updated: created,
      uri: `/${API_VERSION}/Accounts/${accountSid}.json`,
    });
  }

  private fetchMessage(request: SimulatorRequest): SimulatorResponse {
    const accountSid = request.params.accountSid ?? '';
    if (this.authenticate(request, accountSid) === undefined) return this.errorResponse('20003', request);
    const sid = (request.params.messageFile ?? '').replace(/\.json$/, '');
    const message = this.messages.get(accountSid, sid);
    return message ? jsonResponse(200, message) : this.errorResponse('20404', request);
  }

  private createMessage(request: SimulatorRequest): SimulatorResponse {
    const accountSid = request.params.accountSid ?? '';
    const authToken = this.authenticate(request, accountSid);
    if (authToken === undefined) return this.errorResponse('20003', request);
    const form = request.form();
    const to = form.get('To');
    const from = form.get('From');
    const serviceSid = form.get('MessagingServiceSid');
    const body = form.get('Body') ?? '';
    if (!to) return this.errorResponse('21604', request);
    if (!TWILIO_E164.test(to)) return this.errorResponse('21211', request);
    if (!from && !serviceSid) return this.errorResponse('21603', request);
    if (body.length === 0) return this.errorResponse('21602', request);
    if (body.length > TWILIO_MAX_BODY_LENGTH) return this.errorResponse('21617', request);

    const sid = `SM${randomBytes(16).toString('hex')}`;
    const created = rfc2822(new Date(this.clock()));
    const uri = `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}.json`;
    const message: TwilioMessageResource = {
      account_sid: accountSid,
      api_version: API_VERSION,
      body,
      date_created: created,
      date_sent: null,
      date_updated: created,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: from ?? null,
      messaging_service_sid: serviceSid ?? null,
      num_media: '0',
      num_segments: String(countSmsSegments(body).segments),
      price: null,
      price_unit: 'USD',
      sid,
      // A Messaging Service accepts first and picks the sender later.
      status: serviceSid && !from ? 'accepted' : 'queued',
      subresource_uris: { media: `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}/Media.json` },
      to,
      uri,
    };
    const steps = this.statusSteps(message);
    this.messages.add(message, steps);
    this.scheduleCallbacks(
      authToken,
      message,
      steps.slice(1),
      form.get('StatusCallback') ?? this.callbackUrl,
    );
    return jsonResponse(201, message);
  }

  /**
   * The message's life from now: its first status, then `sent` and the recipient's outcome
   * (`outcomeFor`), each when its status callback is due; a `failed` message never left, so only that.
   */
  private statusSteps(message: TwilioMessageResource): StatusStep[] {
    const [outcome = 'delivered', code] = this.outcomeFor(message.to).split(':');
    const statuses = outcome === 'failed' ? ['failed'] : outcome === 'sent' ? ['sent'] : ['sent', outcome];
    const start = this.clock();
    return [
      { status: message.status, at: start },
      ...statuses.map((status, index) => ({
        status: status as TwilioMessageStatus,
        at: start + this.callbackDelayMs * (index + 1),
        errorCode:
          status === 'undelivered' || status === 'failed'
            ? (code ?? DEFAULT_OUTCOME_CODES[status] ?? '30008')
            : undefined,
      })),
    ];
  }

  private scheduleCallbacks(
    authToken: string,
    message: TwilioMessageResource,
    steps: readonly StatusStep[],
    url: string | undefined,
  ): void {
    if (!url) return;
    steps.forEach(({ status, errorCode, at }, index) => {
      const params = new URLSearchParams({
        ApiVersion: API_VERSION,
        AccountSid: message.account_sid,
        SmsSid: message.sid,
        SmsStatus: status,
        MessageSid: message.sid,
        MessageStatus: status,
        To: message.to,
      });
      if (message.from) params.set('From', message.from);
      if (message.messaging_service_sid) params.set('MessagingServiceSid', message.messaging_service_sid);
      if (errorCode) params.set('ErrorCode', errorCode);
      if (status === 'delivered' || status === 'undelivered') {
        params.set('RawDlrDoneDate', rawDlrDoneDate(new Date(at)));
      }
      this.callbacks.schedule(
        {
          url,
          headers: {
            'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
            'user-agent': 'TwilioProxy/1.1',
            'i-twilio-idempotency-token': randomUUID(),
            'x-twilio-signature': signTwilioCallback(authToken, url, params),
          },
          body: params.toString(),
        },
        this.callbackDelayMs * (index + 1),
      );
    });
  }
}

/** A Twilio simulator, not yet started: `await simulator.start()` and point `baseUrl` at `simulator.url`. */
export function createTwilioSimulator(options: TwilioSimulatorOptions): TwilioSimulator {
  return new TwilioSimulator(options);
}

/**
 * Sandbox: a Twilio simulator with one made-up account. Each message's `StatusCallback` is
 * `webhookUrl` (named here too, so a configured `statusCallbackUrl` cannot send the simulator's
 * callbacks elsewhere), and the simulator posts its signed callbacks there.
 */
export const sandbox: SandboxFactory = async ({ webhookUrl }) => {
  const accountSid = `AC${'5a'.repeat(16)}`;
  const authToken = 'sandbox-twilio-auth-token';
  const simulator = createTwilioSimulator({ accounts: { [accountSid]: authToken } });
  const url = await simulator.start();
  // Twilio's magic test number: the sender every sandbox message goes out from unless it names one.
  return {
    options: { accountSid, authToken, from: '+15005550006', baseUrl: url, statusCallbackUrl: webhookUrl },
    url,
    stop: () => simulator.stop(),
  };
};
