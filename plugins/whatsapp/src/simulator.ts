import { randomBytes } from 'node:crypto';
import {
  jsonResponse,
  type SandboxFactory,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorServer,
} from '@msg/testing';
import { errorCatalogue, graphError } from './simulator-errors.js';
import { PairLimit, ServiceWindows, ThroughputLimit } from './simulator-limits.js';
import { plannedStatuses, StatusEmitter, type StatusTarget } from './simulator-statuses.js';
import type { SendResponse } from './whatsapp-api-types.js';

export interface WhatsAppSimulatorAccount {
  /** Recorded as the request's credential. */
  name: string;
  /** Phone number ids this token may send from. */
  phoneNumberIds: readonly string[];
  /** The app's secret: status webhooks are signed with it. */
  appSecret: string;
  /** The app's webhook URL; the simulator's `callbackUrl` when absent. */
  callbackUrl?: string | undefined;
  wabaId?: string | undefined;
}

export interface WhatsAppSimulatorTemplate {
  name: string;
  language: string;
  /** Variables in the body (`{{1}}`, `{{2}}`…): a send must give exactly as many. */
  bodyParameters?: number;
  status?: 'APPROVED' | 'PAUSED' | 'DISABLED';
}

export interface WhatsAppSimulatorOptions {
  /** Access token -> account. */
  accounts: Record<string, WhatsAppSimulatorAccount>;
  /** Approved templates; `hello_world` (en_US) is always there, as in every new account. */
  templates?: readonly WhatsAppSimulatorTemplate[];
  /** Messages a second per phone number before 130429 (Meta's default: 80). */
  throughputPerSecond?: number;
  /** Minimum time between two messages to one recipient before 131056; 0 (default) checks none (Meta: about 6 s). */
  pairIntervalMs?: number;
  /** Free text only inside the 24-hour window opened by `receiveInbound` (else a failed 131047). */
  trackWindow?: boolean;
  /** Only recipients added with `addRecipient` are on WhatsApp (others: a failed 131026). */
  registeredOnly?: boolean;
  callbackUrl?: string;
  /** Time between a message's status steps (sent, delivered, read). */
  callbackDelayMs?: number;
  seed?: number;
  now?: () => number;
}

const GRAPH_VERSION = /^v\d+\.\d+$/;

function bodyParameterCount(components: unknown): number {
  if (!Array.isArray(components)) return 0;
  return components
    .filter((component) => (component as { type?: unknown })?.type === 'body')
    .reduce(
      (count, component) => count + ((component as { parameters?: unknown[] }).parameters?.length ?? 0),
      0,
    );
}

/**
 * The WhatsApp Cloud API on loopback: `POST /{version}/{phone-number-id}/messages` with the Bearer
 * check (190), the number the token may use (100/33), the documented 200 (`wamid.` ids, unique
 * across starts), the Graph error envelope (throttling as HTTP 400), an 80/s bucket per number
 * (130429), an optional pair limiter (131056), an optional 24-hour window (failed 131047 for free
 * text) and recipient registry (failed 131026), a template registry (132001, 132000, 132015,
 * 132016), and status webhooks signed with the app secret (see `simulator-statuses.ts`).
 *
 * Outcomes (`outcomes.set(waId, outcome)`, digits without `+`): the status words of
 * `plannedStatuses` (`read` by default), or `code:<n>` to refuse the send with that Graph error.
 */
export class WhatsAppSimulator extends SimulatorServer {
  readonly accounts = new Map<string, WhatsAppSimulatorAccount>();
  readonly templates = new Map<string, WhatsAppSimulatorTemplate>();
  readonly statuses: StatusEmitter;
  private readonly clock: () => number;
  private readonly throughput: ThroughputLimit;
  private readonly pairs: PairLimit;
  private readonly windows: ServiceWindows;
  private readonly recipients = new Map<string, string | undefined>();

  constructor(private readonly options: WhatsAppSimulatorOptions) {
    super({ name: 'whatsapp', errors: errorCatalogue(), seed: options.seed, now: options.now });
    this.clock = options.now ?? Date.now;
    for (const [token, account] of Object.entries(options.accounts)) this.accounts.set(token, account);
    for (const template of [{ name: 'hello_world', language: 'en_US' }, ...(options.templates ?? [])]) {
      this.addTemplate(template);
    }
    this.callbackUrl = options.callbackUrl;
    if (options.callbackDelayMs !== undefined) this.callbackDelayMs = options.callbackDelayMs;
    this.defaultOutcome = 'read';
    this.throughput = new ThroughputLimit(options.throughputPerSecond ?? 80, this.clock);
    this.pairs = new PairLimit(options.pairIntervalMs ?? 0, this.clock);
    this.windows = new ServiceWindows(this.clock);
    this.statuses = new StatusEmitter(this.callbacks, this.clock, () => this.callbackDelayMs);
    this.route('POST', '/:version/:phoneNumberId/messages', (request) => this.messages(request));
  }

  addTemplate(template: WhatsAppSimulatorTemplate): this {
    this.templates.set(`${template.name}:${template.language}`, template);
    return this;
  }

  /** A WhatsApp user (digits), with the profile name status webhooks show. */
  addRecipient(waId: string, name?: string): this {
    this.recipients.set(waId, name);
    return this;
  }

  /** The user wrote to the business number: free text may be sent for 24 h. */
  receiveInbound(phoneNumberId: string, waId: string): this {
    this.windows.open(phoneNumberId, waId);
    return this;
  }

  override async stop(): Promise<void> {
    this.statuses.stop();
    await super.stop();
  }

  private authenticate(request: SimulatorRequest): WhatsAppSimulatorAccount | SimulatorResponse {
    const header = request.headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
    const account = this.accounts.get(token);
    if (!account) return graphError(190, 'Invalid OAuth access token - Cannot parse access token');
    request.credential = account.name;
    return account;
  }

  private messages(request: SimulatorRequest): SimulatorResponse {
    const account = this.authenticate(request);
    if ('status' in account) return account;
    const { version, phoneNumberId } = request.params as { version: string; phoneNumberId: string };
    if (!GRAPH_VERSION.test(version)) return graphError(100, `Unknown Graph API version ${version}`);
    if (!account.phoneNumberIds.includes(phoneNumberId)) {
      return graphError(
        100,
        `Unsupported post request. Object with ID '${phoneNumberId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
        { subcode: 33 },
      );
    }
    let body: Record<string, unknown>;
    try {
      body = request.json<Record<string, unknown>>();
      if (typeof body !== 'object' || body === null) throw new Error('not an object');
    } catch {
      return graphError(100, 'The request body is not valid JSON');
    }
    const refusal = this.check(body);
    if (refusal) return refusal;
    const recipient = String(body.to).replace(/^\+/, '');
    const forced = /^code:(\d+)$/.exec(this.outcomeFor(recipient));
    if (forced) return graphError(Number(forced[1]));
    if (!this.pairs.take(phoneNumberId, recipient)) return graphError(131056);
    if (!this.throughput.take(phoneNumberId)) return graphError(130429);
    return this.accept(account, phoneNumberId, recipient, body);
  }

  /** The body's checks, in the order Meta reports them. */
  private check(body: Record<string, unknown>): SimulatorResponse | undefined {
    if (body.messaging_product !== 'whatsapp')
      return graphError(100, 'The parameter messaging_product is required');
    if (typeof body.to !== 'string' || !body.to) return graphError(131008, 'The parameter to is required');
    if (!/^\+?\d{5,15}$/.test(body.to)) return graphError(100, 'Invalid parameter to');
    if (body.type === 'text') {
      const text = (body.text as { body?: unknown } | undefined)?.body;
      if (typeof text !== 'string' || !text) return graphError(131008, "Param text['body'] is required");
      if (text.length > 4096)
        return graphError(100, "Param text['body'] must be at most 4096 characters long");
      return undefined;
    }
    if (body.type === 'template') {
      const template = body.template as {
        name?: unknown;
        language?: { code?: unknown };
        components?: unknown;
      };
      const known = this.templates.get(`${String(template?.name)}:${String(template?.language?.code)}`);
      if (!known)
        return graphError(
          132001,
          `template name (${String(template?.name)}) does not exist in ${String(template?.language?.code)}`,
        );
      if (known.status === 'PAUSED') return graphError(132015);
      if (known.status === 'DISABLED') return graphError(132016);
      const given = bodyParameterCount(template.components);
      if (given !== (known.bodyParameters ?? 0)) {
        return graphError(
          132000,
          `body: number of localizable_params (${given}) does not match the expected number of params (${known.bodyParameters ?? 0})`,
        );
      }
      return undefined;
    }
    return graphError(100, `Unsupported message type ${String(body.type)}`);
  }

  private accept(
    account: WhatsAppSimulatorAccount,
    phoneNumberId: string,
    recipient: string,
    body: Record<string, unknown>,
  ): SimulatorResponse {
    const wamid = `wamid.${randomBytes(24).toString('base64url')}`;
    const url = account.callbackUrl ?? this.callbackUrl;
    if (url) {
      let outcome = this.outcomeFor(recipient);
      if (this.options.registeredOnly && !this.recipients.has(recipient)) outcome = 'unregistered';
      else if (
        this.options.trackWindow &&
        body.type === 'text' &&
        !this.windows.isOpen(phoneNumberId, recipient)
      ) {
        outcome = 'failed:131047';
      }
      const target: StatusTarget = {
        url,
        appSecret: account.appSecret,
        wabaId: account.wabaId ?? '102290129340398',
        phoneNumberId,
        displayPhoneNumber: `1555${phoneNumberId.slice(-7).padStart(7, '0')}`,
      };
      this.statuses.emit(
        target,
        {
          wamid,
          recipient,
          recipientName: this.recipients.get(recipient),
          callbackData:
            typeof body.biz_opaque_callback_data === 'string' ? body.biz_opaque_callback_data : undefined,
          category: body.type === 'template' ? 'utility' : 'service',
        },
        plannedStatuses(outcome),
      );
    }
    const answer: SendResponse = {
      messaging_product: 'whatsapp',
      contacts: [{ input: String(body.to), wa_id: recipient }],
      messages: [{ id: wamid, message_status: 'accepted' }],
    };
    return jsonResponse(200, answer);
  }

  /**
   * Meta's subscription check: `GET url?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`;
   * true when the answer is 200 with exactly the challenge.
   */
  async verifySubscription(url: string, verifyToken: string): Promise<boolean> {
    const challenge = String(1_000_000_000 + Math.floor(Math.random() * 1_000_000_000));
    const target = new URL(url);
    target.searchParams.set('hub.mode', 'subscribe');
    target.searchParams.set('hub.verify_token', verifyToken);
    target.searchParams.set('hub.challenge', challenge);
    const response = await fetch(target, { signal: AbortSignal.timeout(5000) });
    return response.status === 200 && (await response.text()) === challenge;
  }
}

export { graphError } from './simulator-errors.js';

export function createWhatsAppSimulator(options: WhatsAppSimulatorOptions): WhatsAppSimulator {
  return new WhatsAppSimulator(options);
}

/**
 * Sandbox: a simulator with one made-up token and number whose app webhook is the gateway's
 * webhook URL, signed with a made-up app secret; a `verification_code` template besides
 * `hello_world`. Every recipient is on WhatsApp and free text is allowed (no window tracking).
 */
export const sandbox: SandboxFactory = async ({ webhookUrl }) => {
  const accessToken = 'sandbox-whatsapp-access-token';
  const appSecret = 'sandbox-whatsapp-app-secret';
  const phoneNumberId = '106540352242922';
  const simulator = createWhatsAppSimulator({
    accounts: {
      [accessToken]: {
        name: 'msg-sandbox',
        phoneNumberIds: [phoneNumberId],
        appSecret,
        callbackUrl: webhookUrl,
      },
    },
    templates: [{ name: 'verification_code', language: 'en_US', bodyParameters: 1 }],
  });
  const url = await simulator.start();
  return {
    options: {
      accessToken,
      phoneNumberId,
      baseUrl: url,
      appSecret,
      verifyToken: 'sandbox-whatsapp-verify-token',
    },
    url,
    stop: () => simulator.stop(),
  };
};
