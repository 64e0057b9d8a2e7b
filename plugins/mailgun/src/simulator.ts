import { randomBytes } from 'node:crypto';
import {
  type ErrorCatalogue,
  jsonResponse,
  type SandboxFactory,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorServer,
  textResponse,
} from '@msg/testing';
import { MailgunEventLog } from './mailgun-simulator-event-log.js';
import {
  MAILGUN_SIMULATOR_OUTCOMES,
  mailgunEventData,
  signMailgunWebhook,
} from './mailgun-simulator-events.js';
import { parseMultipart } from './mailgun-simulator-multipart.js';
import { bad, MESSAGE_LIMIT, parseAddressList, validate } from './mailgun-simulator-validation.js';

export {
  type EventInput,
  MAILGUN_SIMULATOR_OUTCOMES,
  mailgunEventData,
  mailgunEventId,
  type SignOptions,
  signMailgunWebhook,
} from './mailgun-simulator-events.js';
export { parseAddressList } from './mailgun-simulator-validation.js';

export interface MailgunSimulatorAccount {
  apiKey: string;
  /** HTTP webhook signing key: signs this account's webhooks. */
  signingKey: string;
  /** Sending domains of the account; `request.credential` is the domain a message was sent from. */
  domains: string[];
  /** Where this account's webhooks go; the simulator's `callbackUrl` when absent. */
  webhookUrl?: string;
  /**
   * Makes this a subaccount of the primary account with this HTTP webhook signing key: its
   * webhooks also carry `parent-signature`, signed with that key.
   */
  parentSigningKey?: string;
}

export interface MailgunSimulatorOptions {
  accounts: MailgunSimulatorAccount[];
  now?: () => number;
  seed?: number;
}

/** Errors as Mailgun answers them, for `failNext(name)`. */
export const MAILGUN_SIMULATOR_ERRORS: ErrorCatalogue = {
  'bad-request': () =>
    jsonResponse(400, { message: "'to' parameter is not a valid address. please check documentation" }),
  unauthorized: () => textResponse(401, 'Forbidden'),
  'payment-required': (request) =>
    jsonResponse(402, { message: `Domain ${request.params.domain} is disabled: payment required` }),
  forbidden: (request) =>
    jsonResponse(403, {
      message: `Domain ${request.params.domain} is not allowed to send: Free accounts are for test purposes only.`,
    }),
  'domain-not-found': (request) =>
    jsonResponse(404, { message: `Domain not found: ${request.params.domain}` }),
  'payload-too-large': () => jsonResponse(413, { message: 'Request entity too large' }),
  'rate-limited': () =>
    jsonResponse(429, { message: 'Too many requests' }, { 'retry-after': '7', 'x-ratelimit-remaining': '0' }),
  'server-error': () => jsonResponse(500, { message: 'Internal Server Error' }),
  'service-unavailable': () => textResponse(503, 'Service Unavailable'),
};

function authenticate(request: SimulatorRequest, accounts: MailgunSimulatorAccount[]) {
  const header = String(request.headers.authorization ?? '');
  if (!header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (decoded.slice(0, separator) !== 'api') return undefined;
  return accounts.find((account) => account.apiKey === decoded.slice(separator + 1));
}

function readForm(request: SimulatorRequest): FormData | undefined {
  const contentType = String(request.headers['content-type'] ?? '');
  if (/^multipart\/form-data/i.test(contentType)) return parseMultipart(request.rawBody, contentType);
  if (!/^application\/x-www-form-urlencoded/i.test(contentType)) return undefined;
  const form = new FormData();
  for (const [name, value] of request.form()) form.append(name, value);
  return form;
}

/** A simulated Mailgun, with the events of the messages it took. */
export interface MailgunSimulator extends SimulatorServer {
  readonly events: MailgunEventLog;
  /** Ids of the messages taken for delivery, oldest first; a test-mode message adds none. */
  readonly accepted: string[];
}

/** `o:testmode` as Mailgun reads it: `yes` or `true`. */
function isTestMode(form: FormData): boolean {
  return ['yes', 'true'].includes(String(form.get('o:testmode') ?? '').toLowerCase());
}

/**
 * A loopback Mailgun: `POST /v3/{domain}/messages` (multipart, Basic `api:KEY`),
 * `GET /v4/domains/{domain}`, `GET /v3/{domain}/events` (the Events API), signed webhooks.
 */
export function createMailgunSimulator(options: MailgunSimulatorOptions): MailgunSimulator {
  const now = options.now ?? Date.now;
  const server = Object.assign(
    new SimulatorServer({
      name: 'mailgun',
      errors: MAILGUN_SIMULATOR_ERRORS,
      seed: options.seed,
      now,
    }),
    { events: new MailgunEventLog(now), accepted: [] as string[] },
  );
  let sequence = 0;

  const accountFor = (request: SimulatorRequest): SimulatorResponse | MailgunSimulatorAccount => {
    const account = authenticate(request, options.accounts);
    if (!account) return textResponse(401, 'Forbidden');
    const domain = request.params.domain ?? '';
    if (!account.domains.includes(domain))
      return jsonResponse(404, { message: `Domain not found: ${domain}` });
    request.credential = domain;
    return account;
  };

  server.route('POST', '/v3/:domain/messages', async (request) => {
    const account = accountFor(request);
    if ('status' in account) return account;
    const form = readForm(request);
    if (!form)
      return bad('The request body must be multipart/form-data or application/x-www-form-urlencoded');
    const invalid = validate(form);
    if (invalid) return invalid;
    const recipients = ['to', 'cc', 'bcc'].flatMap((field) =>
      form.getAll(field).flatMap((item) => parseAddressList(String(item)) as string[]),
    );
    if (recipients.length > MESSAGE_LIMIT) return bad(`Too many recipients: the limit is ${MESSAGE_LIMIT}`);
    const stamp = new Date(now()).toISOString().replace(/\D/g, '').slice(0, 14);
    const messageId = `${stamp}.${++sequence}.${randomBytes(8).toString('hex').toUpperCase()}@${request.params.domain}`;
    // Test mode: checked and accepted like any message, then dropped: no delivery, no event, no webhook.
    if (isTestMode(form)) return jsonResponse(200, { id: `<${messageId}>`, message: 'Queued. Thank you.' });
    server.accepted.push(messageId);
    scheduleEvents(server, account, form, recipients, messageId, now);
    return jsonResponse(200, { id: `<${messageId}>`, message: 'Queued. Thank you.' });
  });

  for (const path of ['/v3/:domain/events', '/v3/:domain/events/:page']) {
    server.route('GET', path, (request) => {
      const account = accountFor(request);
      if ('status' in account) return account;
      return server.events.respond(request, server.url);
    });
  }

  server.route('GET', '/v4/domains/:domain', (request) => {
    const account = accountFor(request);
    if ('status' in account) return account;
    const domain = {
      name: request.params.domain,
      state: 'active',
      is_disabled: false,
      created_at: new Date(0).toUTCString(),
    };
    return jsonResponse(200, { domain, receiving_dns_records: [], sending_dns_records: [] });
  });

  return server;
}

function userVariables(form: FormData, recipient: string): Record<string, string> {
  let perRecipient: Record<string, Record<string, unknown>> = {};
  const raw = form.get('recipient-variables');
  if (typeof raw === 'string') perRecipient = JSON.parse(raw) as typeof perRecipient;
  const own = perRecipient[recipient] ?? {};
  const variables: Record<string, string> = {};
  for (const [name, value] of form) {
    if (!name.startsWith('v:') || typeof value !== 'string') continue;
    // `%recipient.x%` in a user variable becomes that recipient's value, as Mailgun does.
    variables[name.slice(2)] = value.replace(/%recipient\.([^%]+)%/g, (_, key: string) =>
      String(own[key] ?? ''),
    );
  }
  return variables;
}

/** Records what happens to each recipient in the event log and posts each event as a signed webhook. */
function scheduleEvents(
  server: MailgunSimulator,
  account: MailgunSimulatorAccount,
  form: FormData,
  recipients: string[],
  messageId: string,
  now: () => number,
): void {
  const url = account.webhookUrl ?? server.callbackUrl;
  const domain = messageId.slice(messageId.lastIndexOf('@') + 1);
  const tags = form.getAll('o:tag').map(String);
  let order = 0;
  for (const recipient of recipients) {
    const outcome = MAILGUN_SIMULATOR_OUTCOMES[server.outcomeFor(recipient)] ?? [];
    for (const spec of [{ event: 'accepted' }, ...outcome]) {
      const eventData = mailgunEventData({
        event: spec.event,
        messageId,
        recipient,
        timestampMs: now() + order,
        userVariables: userVariables(form, recipient),
        tags,
        severity: 'severity' in spec ? spec.severity : undefined,
        reason: 'reason' in spec ? spec.reason : undefined,
        deliveryStatus: 'delivery-status' in spec ? spec['delivery-status'] : undefined,
        from: String(form.get('from') ?? ''),
        subject: String(form.get('subject') ?? ''),
      });
      server.events.add(domain, eventData);
      const delayMs = server.callbackDelayMs + order++;
      if (!url) continue;
      const timestamp = String(Math.floor(now() / 1000));
      const body = JSON.stringify(
        signMailgunWebhook(eventData, account.signingKey, {
          timestamp,
          parentSigningKey: account.parentSigningKey,
        }),
      );
      server.callbacks.schedule({ url, headers: { 'content-type': 'application/json' }, body }, delayMs);
    }
  }
}

/**
 * Sandbox: a Mailgun simulator with one made-up account and sending domain whose webhooks go to
 * `webhookUrl`, signed with the account's HTTP webhook signing key, which the plugin is given.
 */
export const sandbox: SandboxFactory = async ({ webhookUrl }) => {
  const account: MailgunSimulatorAccount = {
    apiKey: 'key-sandbox-0123456789abcdef',
    signingKey: 'sandbox-mailgun-signing-key',
    domains: ['mg.sandbox.example'],
    webhookUrl,
  };
  const simulator = createMailgunSimulator({ accounts: [account] });
  const url = await simulator.start();
  return {
    options: {
      apiKey: account.apiKey,
      domain: 'mg.sandbox.example',
      baseUrl: url,
      webhookSigningKey: account.signingKey,
    },
    url,
    stop: () => simulator.stop(),
  };
};
