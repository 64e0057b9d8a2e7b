import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import {
  jsonResponse,
  type SandboxFactory,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorServer,
} from '@msg/testing';
import type { SendgridErrorItem, SendgridEvent, SendgridMailBody } from './sendgrid-api-types.js';
import { validateMailBody } from './sendgrid-simulator-validation.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from './sendgrid-webhook.js';

export interface SendgridSimulatorAccountOptions {
  apiKey: string;
  /** What `request.credential` records for this account (default: the key's id, never the secret). */
  label?: string;
  /** Default `['mail.send']`; without it a send answers 403 "access forbidden". */
  scopes?: string[];
  /** When set, a `from` outside this list answers 403 (unverified Sender Identity). */
  verifiedSenders?: string[];
  /** Where this account's Event Webhook posts; the simulator's `callbackUrl` when absent. */
  eventWebhookUrl?: string;
}

export interface SendgridSimulatorAccount
  extends Required<Omit<SendgridSimulatorAccountOptions, 'verifiedSenders' | 'eventWebhookUrl'>> {
  verifiedSenders: string[] | undefined;
  eventWebhookUrl: string | undefined;
  /** The Signed Event Webhook key pair SendGrid holds for this account. */
  privateKey: KeyObject;
  /** As SendGrid shows it: base64 SPKI DER; give it to the plugin's `webhookVerificationKey`. */
  webhookVerificationKey: string;
}

export interface SendgridSimulatorOptions {
  /** Default: one account with a generated key. */
  accounts?: SendgridSimulatorAccountOptions[];
  seed?: number;
  now?: () => number;
  /** How many requests `requests` keeps (default 1000). */
  recordLimit?: number;
}

/** A key shaped like SendGrid's: `SG.<22-char id>.<43-char secret>`. */
export function generateSendgridApiKey(): string {
  return `SG.${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
}

/** Base64 DER ECDSA P-256 / SHA-256 signature over `timestamp + body`, as SendGrid signs events. */
export function signEventWebhook(
  privateKey: KeyObject,
  timestamp: string,
  body: string | Uint8Array,
): string {
  const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), Buffer.from(body)]);
  return sign('sha256', signed, privateKey).toString('base64');
}

const errorBody = (errors: SendgridErrorItem[]) => ({ errors });
const single = (message: string, field: string | null = null) => errorBody([{ message, field, help: null }]);

/** Outcome words for `outcomes`/`outcomeFor`, and the events each produces after `processed`. */
const OUTCOME_EVENTS: Record<string, Array<Partial<SendgridEvent>>> = {
  delivered: [{ event: 'delivered', response: '250 OK' }],
  bounce: [
    {
      event: 'bounce',
      type: 'bounce',
      status: '5.1.1',
      reason: '550 5.1.1 The email account that you tried to reach does not exist.',
      bounce_classification: 'Invalid Address',
    },
  ],
  blocked: [
    {
      event: 'bounce',
      type: 'blocked',
      status: '4.0.0',
      reason: '421 4.7.0 Try again later, closing connection.',
      bounce_classification: 'Reputation',
    },
  ],
  dropped: [{ event: 'dropped', reason: 'Bounced Address' }],
  deferred: [{ event: 'deferred', response: '451 4.3.0 Mailbox temporarily unavailable', attempt: '1' }],
  open: [{ event: 'delivered' }, { event: 'open' }],
  click: [{ event: 'delivered' }, { event: 'open' }, { event: 'click', url: 'https://example.com/' }],
  spamreport: [{ event: 'delivered' }, { event: 'spamreport' }],
  unsubscribe: [{ event: 'delivered' }, { event: 'unsubscribe' }],
};

/**
 * SendGrid v3 on loopback: `POST /v3/mail/send` with Bearer keys for several accounts, the body
 * checked as SendGrid checks it, 202 with `X-Message-Id`, real JSON errors; `GET /v3/scopes`;
 * and signed Event Webhook posts (processed, then the recipient's outcome) to `callbackUrl`.
 */
export class SendgridSimulator extends SimulatorServer {
  readonly accounts: SendgridSimulatorAccount[];
  /** X-Message-Ids of the requests taken for delivery, oldest first; sandbox mode adds none. */
  readonly accepted: string[] = [];
  private readonly clock: () => number;

  constructor(options: SendgridSimulatorOptions = {}) {
    const clock = options.now ?? Date.now;
    super({
      name: 'sendgrid',
      seed: options.seed,
      now: clock,
      recordLimit: options.recordLimit,
      errors: {
        'bad-request': () =>
          jsonResponse(400, single('The from email does not contain a valid address.', 'from.email')),
        unauthorized: () =>
          jsonResponse(401, single('The provided authorization grant is invalid, expired, or revoked')),
        'unverified-sender': () =>
          jsonResponse(
            403,
            single(
              'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.',
              'from',
            ),
          ),
        'payload-too-large': () =>
          jsonResponse(413, single('The JSON payload you have included in your request is too large.')),
        'rate-limited': () =>
          jsonResponse(429, single('too many requests'), {
            'x-ratelimit-limit': '600',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(Math.floor(clock() / 1000) + 30),
          }),
        'server-error': () => jsonResponse(500, single('internal error')),
        'service-unavailable': () => jsonResponse(503, single('service unavailable')),
      },
    });
    this.clock = clock;
    this.accounts = (options.accounts ?? [{ apiKey: generateSendgridApiKey() }]).map((account) => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return {
        apiKey: account.apiKey,
        label: account.label ?? account.apiKey.split('.')[1] ?? 'account',
        scopes: account.scopes ?? ['mail.send'],
        verifiedSenders: account.verifiedSenders,
        eventWebhookUrl: account.eventWebhookUrl,
        privateKey,
        webhookVerificationKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      };
    });
    this.route('POST', '/v3/mail/send', (request) => this.mailSend(request));
    this.route('GET', '/v3/scopes', (request) => this.scopes(request), { faults: false });
  }

  /** The account by label or API key. */
  account(labelOrKey?: string): SendgridSimulatorAccount {
    const found = labelOrKey
      ? this.accounts.find((account) => account.label === labelOrKey || account.apiKey === labelOrKey)
      : this.accounts[0];
    if (!found) throw new Error(`[msg] [simulator sendgrid] no account "${labelOrKey}"`);
    return found;
  }

  /** Headers and body of an Event Webhook post signed with the account's key. */
  signEvents(
    account: SendgridSimulatorAccount,
    events: Array<Partial<SendgridEvent>>,
    timestamp = String(Math.floor(this.clock() / 1000)),
  ): { headers: Record<string, string>; body: string } {
    const body = JSON.stringify(events);
    return {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'SendGrid Event API (https://sendgrid.com)',
        [SIGNATURE_HEADER]: signEventWebhook(account.privateKey, timestamp, body),
        [TIMESTAMP_HEADER]: timestamp,
      },
      body,
    };
  }

  private authenticate(request: SimulatorRequest): SendgridSimulatorAccount | SimulatorResponse {
    const authorization = request.headers.authorization;
    if (!authorization) return jsonResponse(401, single('authorization required'));
    const key = /^Bearer (.+)$/.exec(authorization)?.[1];
    const account = this.accounts.find((candidate) => candidate.apiKey === key);
    if (!account) {
      return jsonResponse(401, single('The provided authorization grant is invalid, expired, or revoked'));
    }
    request.credential = account.label;
    return account;
  }

  private scopes(request: SimulatorRequest): SimulatorResponse {
    const account = this.authenticate(request);
    return 'status' in account ? account : jsonResponse(200, { scopes: account.scopes });
  }

  private mailSend(request: SimulatorRequest): SimulatorResponse {
    const account = this.authenticate(request);
    if ('status' in account) return account;
    if (!account.scopes.includes('mail.send')) return jsonResponse(403, single('access forbidden'));
    if (request.rawBody.length > 30 * 1024 * 1024) {
      return jsonResponse(413, single('The JSON payload you have included in your request is too large.'));
    }
    let body: SendgridMailBody;
    try {
      body = request.json<SendgridMailBody>();
    } catch {
      return jsonResponse(400, single('Bad Request'));
    }
    const errors = validateMailBody(body);
    if (errors.length > 0) return jsonResponse(400, errorBody(errors));
    if (account.verifiedSenders && !account.verifiedSenders.includes(body.from.email)) {
      return jsonResponse(
        403,
        single(
          'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender Identity requirements',
          'from',
        ),
      );
    }
    // Sandbox mode: validated, not sent, no events; SendGrid answers 200 with an empty body.
    if (body.mail_settings?.sandbox_mode?.enable) return { status: 200, body: '' };
    const xMessageId = randomBytes(16).toString('base64url');
    this.accepted.push(xMessageId);
    this.scheduleEvents(account, body, xMessageId);
    return { status: 202, headers: { 'x-message-id': xMessageId }, body: '' };
  }

  private scheduleEvents(
    account: SendgridSimulatorAccount,
    body: SendgridMailBody,
    xMessageId: string,
  ): void {
    const url = account.eventWebhookUrl ?? this.callbackUrl;
    if (!url) return;
    const timestamp = Math.floor(this.clock() / 1000);
    const events: Array<Partial<SendgridEvent>> = [];
    let sequence = 0;
    for (const personalization of body.personalizations) {
      const customArgs = { ...body.custom_args, ...personalization.custom_args };
      for (const { email } of [
        ...personalization.to,
        ...(personalization.cc ?? []),
        ...(personalization.bcc ?? []),
      ]) {
        const common = {
          email,
          timestamp,
          'smtp-id': `<${xMessageId}@ismtpd0001p1lon1.sendgrid.net>`,
          sg_message_id: `${xMessageId}.filterdrecv-5bd6c5b8c4-abcde-1-${(sequence++).toString(16).toUpperCase()}-0`,
          ...(body.categories && { category: body.categories }),
          ...customArgs,
        };
        const outcome = OUTCOME_EVENTS[this.outcomeFor(email)] ?? OUTCOME_EVENTS.delivered ?? [];
        for (const event of [{ event: 'processed' }, ...outcome]) {
          events.push({ ...common, ...event, sg_event_id: randomBytes(16).toString('base64url') });
        }
      }
    }
    const signed = this.signEvents(account, events);
    this.callbacks.schedule({ url, headers: signed.headers, body: signed.body }, this.callbackDelayMs);
  }
}

/** A SendGrid simulator, not started: `await simulator.start()`. */
export function createSendgridSimulator(options: SendgridSimulatorOptions = {}): SendgridSimulator {
  return new SendgridSimulator(options);
}

/**
 * Sandbox: a SendGrid simulator with one made-up account whose Event Webhook posts to
 * `webhookUrl`, signed with the account's key; the plugin gets the matching verification key.
 */
export const sandbox: SandboxFactory = async ({ webhookUrl }) => {
  const simulator = createSendgridSimulator({
    accounts: [{ apiKey: generateSendgridApiKey(), label: 'sandbox', eventWebhookUrl: webhookUrl }],
  });
  const url = await simulator.start();
  const account = simulator.account();
  return {
    options: { apiKey: account.apiKey, baseUrl: url, webhookVerificationKey: account.webhookVerificationKey },
    url,
    stop: () => simulator.stop(),
  };
};
