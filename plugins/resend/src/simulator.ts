import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  jsonResponse,
  type SandboxFactory,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorServer,
} from '@msg/testing';
import type { ResendEmailBody, ResendWebhookEvent } from './resend-api-types.js';
import { signWebhook } from './resend-signature.js';
import { resendError, resendErrorCatalogue } from './resend-simulator-errors.js';
import { OUTCOME_EVENTS } from './resend-simulator-events.js';
import { addresses, bareAddress, problemOf } from './resend-simulator-validation.js';

export interface ResendSimulatorAccountOptions {
  apiKey: string;
  /** What `request.credential` records (default: the key's first characters, never the whole key). */
  label?: string;
  /** Accounts of one team share its rate limit (default: each account is its own team). */
  team?: string;
  /** When set, a `from` outside these domains answers 403 `validation_error` (domain not verified). */
  verifiedDomains?: string[];
  /** A sending-access key: anything but sending answers 401 `restricted_api_key`. */
  sendingOnly?: boolean;
  dailyQuota?: number;
  monthlyQuota?: number;
  /** Where this account's webhook posts; the simulator's `callbackUrl` when absent. */
  webhookUrl?: string;
  /** Sign with a second secret too, as Svix does while a secret is being rotated. */
  rotating?: boolean;
}

export interface ResendSimulatorAccount
  extends Required<
    Omit<ResendSimulatorAccountOptions, 'verifiedDomains' | 'dailyQuota' | 'monthlyQuota' | 'webhookUrl'>
  > {
  verifiedDomains: string[] | undefined;
  dailyQuota: number | undefined;
  monthlyQuota: number | undefined;
  webhookUrl: string | undefined;
  /** The webhook's signing secret (`whsec_...`): the plugin's `webhookSecret`. */
  webhookSecret: string;
  /** The second secret while rotating. */
  nextWebhookSecret: string;
  sentToday: number;
  sentThisMonth: number;
}

export interface ResendSimulatorOptions {
  accounts?: ResendSimulatorAccountOptions[];
  /** Requests per second per team (Resend's default is 2; the simulator's 50 keeps tests quick). */
  rateLimit?: number;
  seed?: number;
  now?: () => number;
  recordLimit?: number;
}

interface StoredIdempotency {
  fingerprint: string;
  response: SimulatorResponse;
  expiresAt: number;
}

const DAY_MS = 86_400_000;

/** A key shaped like Resend's: `re_` and 32 base62-ish characters. */
export function generateResendApiKey(): string {
  return `re_${randomBytes(24).toString('base64url')}`;
}

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * Resend on loopback: `POST /emails` and `/emails/batch` (strict and permissive) with Bearer keys,
 * Resend's checks and error bodies, an idempotency store (24 h, both 409s), a token bucket per
 * team (`ratelimit-*` on every answer, 429 with `retry-after`), domain verification, daily and
 * monthly quotas, `GET /domains`, and Svix-signed webhooks to `callbackUrl`.
 */
export class ResendSimulator extends SimulatorServer {
  readonly accounts: ResendSimulatorAccount[];
  /** Emails accepted, newest last. */
  readonly emails: Array<{
    id: string;
    account: string;
    body: ResendEmailBody;
    idempotencyKey?: string | undefined;
  }> = [];
  private readonly clock: () => number;
  private readonly rateLimit: number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly idempotency = new Map<string, StoredIdempotency>();

  constructor(options: ResendSimulatorOptions = {}) {
    const clock = options.now ?? Date.now;
    super({
      name: 'resend',
      seed: options.seed,
      now: clock,
      recordLimit: options.recordLimit,
      errors: resendErrorCatalogue(clock),
    });
    this.clock = clock;
    this.rateLimit = options.rateLimit ?? 50;
    this.accounts = (options.accounts ?? [{ apiKey: generateResendApiKey() }]).map((account) => ({
      apiKey: account.apiKey,
      label: account.label ?? account.apiKey.slice(0, 10),
      team: account.team ?? account.label ?? account.apiKey.slice(0, 10),
      verifiedDomains: account.verifiedDomains,
      sendingOnly: account.sendingOnly ?? false,
      dailyQuota: account.dailyQuota,
      monthlyQuota: account.monthlyQuota,
      webhookUrl: account.webhookUrl,
      rotating: account.rotating ?? false,
      webhookSecret: generateWebhookSecret(),
      nextWebhookSecret: generateWebhookSecret(),
      sentToday: 0,
      sentThisMonth: 0,
    }));
    this.route('POST', '/emails', (request) =>
      this.withLimits(request, (account) => this.sendOne(request, account)),
    );
    this.route('POST', '/emails/batch', (request) =>
      this.withLimits(request, (account) => this.sendBatch(request, account)),
    );
    this.route(
      'GET',
      '/domains',
      (request) =>
        this.withLimits(request, (account) =>
          account.sendingOnly
            ? resendError(401, 'restricted_api_key', 'This API key is restricted to only send emails.')
            : jsonResponse(200, {
                object: 'list',
                data: (account.verifiedDomains ?? []).map((name) => ({ name, status: 'verified' })),
              }),
        ),
      { faults: false },
    );
  }

  account(labelOrKey?: string): ResendSimulatorAccount {
    const found = labelOrKey
      ? this.accounts.find((account) => account.label === labelOrKey || account.apiKey === labelOrKey)
      : this.accounts[0];
    if (!found) throw new Error(`[msg] [simulator resend] no account "${labelOrKey}"`);
    return found;
  }

  /** Headers and body of a webhook post for `event`, signed as Svix signs (two signatures while rotating). */
  signEvent(
    account: ResendSimulatorAccount,
    event: ResendWebhookEvent,
    timestamp = String(Math.floor(this.clock() / 1000)),
    id = `msg_${randomBytes(12).toString('hex')}`,
  ): { headers: Record<string, string>; body: string } {
    const body = JSON.stringify(event);
    const signatures = [signWebhook(account.webhookSecret, id, timestamp, body)];
    if (account.rotating) signatures.unshift(signWebhook(account.nextWebhookSecret, id, timestamp, body));
    return {
      headers: {
        'content-type': 'application/json',
        'svix-id': id,
        'svix-timestamp': timestamp,
        'svix-signature': signatures.join(' '),
      },
      body,
    };
  }

  override reset(): void {
    super.reset();
    this.emails.length = 0;
    this.buckets.clear();
    this.idempotency.clear();
    for (const account of this.accounts) {
      account.sentToday = 0;
      account.sentThisMonth = 0;
    }
  }

  /** Authentication and the team's token bucket, then the handler; `ratelimit-*` on every answer. */
  private withLimits(
    request: SimulatorRequest,
    handle: (account: ResendSimulatorAccount) => SimulatorResponse,
  ): SimulatorResponse {
    const key = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!key) return resendError(401, 'missing_api_key', 'Missing API key in the authorization header.');
    const account = this.accounts.find((candidate) => candidate.apiKey === key);
    if (!account) return resendError(403, 'invalid_api_key', 'API key is invalid.');
    request.credential = account.label;
    const now = this.clock();
    const bucket = this.buckets.get(account.team) ?? { tokens: this.rateLimit, at: now };
    bucket.tokens = Math.min(this.rateLimit, bucket.tokens + ((now - bucket.at) / 1000) * this.rateLimit);
    bucket.at = now;
    this.buckets.set(account.team, bucket);
    const limitHeaders = (remaining: number) => ({
      'ratelimit-limit': String(this.rateLimit),
      'ratelimit-remaining': String(Math.max(0, Math.floor(remaining))),
      'ratelimit-reset': '1',
    });
    if (bucket.tokens < 1) {
      return resendError(
        429,
        'rate_limit_exceeded',
        `Too many requests. You can only make ${this.rateLimit} requests per second.`,
        {
          ...limitHeaders(0),
          'retry-after': '1',
        },
      );
    }
    bucket.tokens -= 1;
    const answer = handle(account);
    return { ...answer, headers: { ...limitHeaders(bucket.tokens), ...answer.headers } };
  }

  /** Replays the first answer for a key (same body), refuses it with another body. */
  private idempotent(
    request: SimulatorRequest,
    account: ResendSimulatorAccount,
    produce: () => SimulatorResponse,
  ): SimulatorResponse {
    const key = request.headers['idempotency-key'];
    if (key === undefined) return produce();
    if (typeof key !== 'string' || key.length < 1 || key.length > 256) {
      return resendError(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.');
    }
    const now = this.clock();
    const scoped = `${account.team}:${request.path}:${key}`;
    const fingerprint = createHash('sha256').update(request.rawBody).digest('hex');
    const stored = this.idempotency.get(scoped);
    if (stored && stored.expiresAt > now) {
      if (stored.fingerprint !== fingerprint) {
        return resendError(
          409,
          'invalid_idempotent_request',
          'Same idempotency key used with a different request payload. Change your idempotency key or payload.',
        );
      }
      return stored.response;
    }
    const response = produce();
    if (response.status < 500)
      this.idempotency.set(scoped, { fingerprint, response, expiresAt: now + DAY_MS });
    return response;
  }

  private quotaProblem(account: ResendSimulatorAccount, count: number): SimulatorResponse | undefined {
    if (account.dailyQuota !== undefined && account.sentToday + count > account.dailyQuota) {
      return resendError(429, 'daily_quota_exceeded', 'You have reached your daily email sending quota.');
    }
    if (account.monthlyQuota !== undefined && account.sentThisMonth + count > account.monthlyQuota) {
      return resendError(429, 'monthly_quota_exceeded', 'You have reached your monthly email sending quota.');
    }
    return undefined;
  }

  private domainProblem(
    account: ResendSimulatorAccount,
    body: ResendEmailBody,
  ): SimulatorResponse | undefined {
    if (!account.verifiedDomains || typeof body.from !== 'string') return undefined;
    const domain = bareAddress(body.from)?.split('@')[1]?.toLowerCase() ?? '';
    if (account.verifiedDomains.includes(domain)) return undefined;
    return resendError(
      403,
      'validation_error',
      `The ${domain} domain is not verified. Please, add and verify your domain on https://resend.com/domains`,
    );
  }

  private parse(request: SimulatorRequest): unknown {
    try {
      return request.json();
    } catch {
      return undefined;
    }
  }

  private sendOne(request: SimulatorRequest, account: ResendSimulatorAccount): SimulatorResponse {
    const body = this.parse(request) as ResendEmailBody | undefined;
    if (body === undefined) return resendError(422, 'validation_error', 'Invalid JSON body.');
    return this.idempotent(request, account, () => {
      const problem = problemOf(body, false);
      if (problem) return resendError(422, problem.name, problem.message);
      const refused = this.domainProblem(account, body) ?? this.quotaProblem(account, 1);
      if (refused) return refused;
      return jsonResponse(200, { id: this.accept(account, body, request) });
    });
  }

  private sendBatch(request: SimulatorRequest, account: ResendSimulatorAccount): SimulatorResponse {
    const bodies = this.parse(request);
    if (!Array.isArray(bodies) || bodies.length === 0 || bodies.length > 100) {
      return resendError(422, 'validation_error', 'The batch must be an array of 1 to 100 emails.');
    }
    const permissive = request.headers['x-batch-validation'] === 'permissive';
    return this.idempotent(request, account, () => {
      const problems = (bodies as ResendEmailBody[]).map(
        (body) => problemOf(body, true) ?? this.domainProblem(account, body),
      );
      const errors = problems.flatMap((problem, index) =>
        problem === undefined
          ? []
          : [{ index, message: 'message' in problem ? problem.message : 'The domain is not verified.' }],
      );
      if (!permissive && errors.length > 0)
        return resendError(422, 'validation_error', `emails[${errors[0]?.index}]: ${errors[0]?.message}`);
      const valid = (bodies as ResendEmailBody[]).filter((_, index) => problems[index] === undefined);
      const quota = this.quotaProblem(account, valid.length);
      if (quota) return quota;
      const data = valid.map((body) => ({ id: this.accept(account, body, request) }));
      return jsonResponse(200, permissive ? { data, errors } : { data });
    });
  }

  private accept(account: ResendSimulatorAccount, body: ResendEmailBody, request: SimulatorRequest): string {
    const id = randomUUID();
    account.sentToday++;
    account.sentThisMonth++;
    const key = request.headers['idempotency-key'];
    this.emails.push({
      id,
      account: account.label,
      body,
      idempotencyKey: typeof key === 'string' ? key : undefined,
    });
    this.scheduleEvents(account, id, body);
    return id;
  }

  private scheduleEvents(account: ResendSimulatorAccount, id: string, body: ResendEmailBody): void {
    const url = account.webhookUrl ?? this.callbackUrl;
    if (!url) return;
    const to = addresses(body.to) ?? [];
    const outcome =
      OUTCOME_EVENTS[this.outcomeFor(bareAddress(to[0] ?? '') ?? '')] ?? OUTCOME_EVENTS.delivered ?? [];
    const tags = Array.isArray(body.tags)
      ? Object.fromEntries(
          (body.tags as Array<{ name: string; value?: string }>).map((tag) => [
            tag.name,
            String(tag.value ?? ''),
          ]),
        )
      : undefined;
    outcome.forEach((step, index) => {
      const createdAt = new Date(this.clock()).toISOString();
      const event: ResendWebhookEvent = {
        type: step.type,
        created_at: createdAt,
        data: {
          email_id: id,
          message_id: `<${id}@resend.dev>`,
          created_at: createdAt,
          from: String(body.from),
          to: to.map((entry) => bareAddress(entry) ?? entry),
          subject: String(body.subject),
          ...(tags && { tags }),
          ...step.extra,
        },
      };
      const signed = this.signEvent(account, event);
      // Svix delivers events one by one; a later step goes out a little later.
      this.callbacks.schedule(
        { url, headers: signed.headers, body: signed.body },
        this.callbackDelayMs * (index + 1),
      );
    });
  }
}

/** A Resend simulator, not started: `await simulator.start()`. */
export function createResendSimulator(options: ResendSimulatorOptions = {}): ResendSimulator {
  return new ResendSimulator(options);
}

/** Sandbox: a Resend simulator with one made-up account whose signed webhooks go to `webhookUrl`. */
export const sandbox: SandboxFactory = async ({ webhookUrl }) => {
  const simulator = createResendSimulator({
    accounts: [{ apiKey: generateResendApiKey(), label: 'sandbox', webhookUrl }],
  });
  const url = await simulator.start();
  const account = simulator.account();
  return {
    options: { apiKey: account.apiKey, baseUrl: url, webhookSecret: account.webhookSecret },
    url,
    stop: () => simulator.stop(),
  };
};

export { OUTCOME_EVENTS as RESEND_OUTCOMES } from './resend-simulator-events.js';
