import { isIpAddressOrBlock } from '@msg/core';
import { z } from 'zod';
import { CallbackTargetPolicy } from '../callbacks/callback-target.js';
import { isEventSigningKey } from '../ingress/sendgrid-event-key.js';
import { ALERT_EVENTS } from '../migrations/alerts.js';

const addressOrBlock = z.string().refine(isIpAddressOrBlock, 'must be an IP address or a CIDR block');

/**
 * `send` and `read` (its own messages) for applications; `monitor` reads everything operators see
 * (every message, migrations, the audit log) and changes nothing; `admin` implies all of them.
 */
const scope = z.enum(['send', 'read', 'monitor', 'admin']);

export const apiKeySchema = z
  .object({
    id: z.string().min(1),
    /** Compared in constant time; give it as `${MSG_API_KEY}`. */
    key: z.string().min(16, 'must be at least 16 characters'),
    scopes: z.array(scope).min(1).default(['send', 'read']),
    /** Requests per minute for this key. */
    rateLimitPerMinute: z.number().int().positive().default(6000),
    /**
     * The credit account this key's messages and campaigns are charged to, when `credits.enabled`
     * (keys of one tenant share one); the key's own id when absent.
     */
    creditAccount: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'letters, digits, ., - and _ only')
      .optional(),
    /** Provider APIs this key may also be used through (see the README's drop-in ingress). */
    ingress: z
      .object({
        /** Twilio's Messages API: Basic `accountSid:authToken` stands for this key. */
        twilio: z
          .object({
            accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits'),
            /** Also signs the Twilio-format status callbacks; give it as `${VAR}`. */
            authToken: z.string().min(16, 'must be at least 16 characters'),
          })
          .strict()
          .optional(),
        /**
         * SendGrid's Mail Send API with this key as the Bearer key; `eventWebhookUrl` receives
         * SendGrid-format events, signed with the gateway's event key.
         */
        sendgrid: z
          .union([z.literal(true), z.object({ eventWebhookUrl: z.url().optional() }).strict()])
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const pluginEntrySchema = z
  .object({
    /** Package name (`@msg/plugin-twilio`) or a path relative to the config file. */
    resolve: z.string().min(1),
    /** Instance id: routes, overrides and webhooks name it. */
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, - and _ only'),
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const duration = () => z.number().int().positive();
/** `server.heapGrowthPercent`. */
const HEAP_GROWTH_DEFAULT = 60;
/** The SQLite writer's page cache, MiB (`store.cacheMb`). */
const CACHE_MB_DEFAULT = 16;

/** A message whose every provider failed for a reason that may pass waits and is sent again. */
const retryRoundsSchema = z
  .object({
    /** Rounds after the first dispatch; 0 fails such a message at once. */
    maxRounds: z.number().int().min(0).max(1000).default(10),
    /** No round starts later than this after the message was accepted; then it fails. */
    maxAgeMs: duration().default(3_600_000),
    /** Wait before the second round; each next wait doubles, up to `maxBackoffMs`. */
    initialBackoffMs: duration().default(30_000),
    maxBackoffMs: duration().default(600_000),
  })
  .strict();
const RETRY_ROUNDS_DEFAULTS = {
  maxRounds: 10,
  maxAgeMs: 3_600_000,
  initialBackoffMs: 30_000,
  maxBackoffMs: 600_000,
};

/** Messages at providers at once: a number fixes it; `{ min, max }` adapts to provider latency. */
const concurrencySchema = z.union([
  z.number().int().positive().max(4096),
  z
    .object({
      min: z.number().int().positive().max(4096),
      max: z.number().int().positive().max(4096),
    })
    .strict()
    .refine((bounds) => bounds.max >= bounds.min, { message: 'max must be at least min', path: ['max'] }),
]);
const CONCURRENCY_DEFAULT = { min: 32, max: 1024 };

/**
 * Backpressure: past either bound the API refuses new messages (503 with Retry-After) and
 * `/readyz` says `backlogged`; past half of `maxMessages`, a key holding more than its fair share
 * of the backlog is refused first (429 with Retry-After).
 */
const backlogSchema = z
  .object({
    /** Messages waiting in the queue (accepted, not yet claimed by a dispatcher). */
    maxMessages: z.number().int().positive().default(100_000),
    /** Age of the oldest queued message. */
    maxAgeMs: duration().default(600_000),
  })
  .strict();
const BACKLOG_DEFAULTS = { maxMessages: 100_000, maxAgeMs: 600_000 };

const reconcileSchema = z
  .object({
    /** First status look-up this long after the send, for providers with `getStatus`. */
    afterMs: duration().default(900_000),
    /** Later look-ups back off, doubling, up to this. */
    maxBackoffMs: duration().default(21_600_000),
    /** Look-ups in flight at once. */
    concurrency: z.number().int().positive().max(64).default(4),
    timeoutMs: duration().default(10_000),
  })
  .strict();
const RECONCILE_DEFAULTS = { afterMs: 900_000, maxBackoffMs: 21_600_000, concurrency: 4, timeoutMs: 10_000 };

const receiptsSchema = z
  .object({
    /** With no final status this long after the send, a message ends `unknown` (AWS uses 72 h). */
    deadlineMs: duration().default(259_200_000),
    /** A receipt is matched to the latest send of its provider message id within this window. */
    windowMs: duration().default(604_800_000),
    /**
     * A receipt that matches no stored send is held this long, not dropped: a provider may post it
     * before the gateway has stored the answer to the send. 0 drops it at once.
     */
    holdUnmatchedMs: z.number().int().nonnegative().default(600_000),
    reconcile: reconcileSchema.default(RECONCILE_DEFAULTS),
  })
  .strict();
/** Address names Fastify's `trustProxy` (proxy-addr) understands besides addresses and blocks. */
const PROXY_ADDRESS_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

const proxyAddress = z
  .string()
  .refine((value) => PROXY_ADDRESS_NAMES.includes(value) || isIpAddressOrBlock(value), {
    message: `must be an IP address, a CIDR block, or one of ${PROXY_ADDRESS_NAMES.join(', ')}`,
  });

export const gatewayConfigSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** The URL providers reach this gateway at; webhook URLs are built from it. */
        publicUrl: z.url().optional(),
        bodyLimitBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        /**
         * Which reverse proxies may name the client in `X-Forwarded-For` (Fastify's `trustProxy`):
         * `false` trusts none, so the client is the connection's peer; `true` every hop; a number
         * that many hops; a list those addresses, CIDR blocks or address names. Webhook IP
         * allow-lists (`allowedIps`) check the client address this yields.
         */
        trustProxy: z
          .union([z.boolean(), z.number().int().min(1), z.array(proxyAddress).min(1)])
          .default(false),
        /**
         * How far the heap may grow past what V8's last full collection kept, in percent, before
         * the next (V8's `--heap-growing-percent`, which the `msg` command sets). With Node's own
         * choice a busy gateway's heap reaches 4 times its live size between collections; 60
         * holds it near 1.6 times for a little more collection work. 0 leaves it to V8.
         */
        heapGrowthPercent: z.number().int().min(0).max(400).default(HEAP_GROWTH_DEFAULT),
      })
      .strict()
      .default({
        host: '127.0.0.1',
        port: 8080,
        bodyLimitBytes: 1024 * 1024,
        trustProxy: false,
        heapGrowthPercent: HEAP_GROWTH_DEFAULT,
      }),
    apiKeys: z.array(apiKeySchema).min(1, 'at least one API key is needed'),
    store: z
      .discriminatedUnion('driver', [
        z
          .object({
            driver: z.literal('sqlite'),
            /** Relative to the config file's folder. */
            path: z.string().min(1),
            /** `normal` survives kill -9 (WAL); `full` also survives a power loss, at a cost per commit. */
            synchronous: z.enum(['normal', 'full']).default('normal'),
            /**
             * The writer's page cache, in MiB: larger keeps writes to a store of millions of
             * messages from reading index pages back from the file; every MiB is resident memory.
             */
            cacheMb: z.number().int().min(1).max(4096).default(CACHE_MB_DEFAULT),
          })
          .strict(),
        z.object({ driver: z.literal('memory') }).strict(),
        /** Scale-out: many gateway instances share one PostgreSQL database (needs the `pg` package). */
        z
          .object({
            driver: z.literal('postgres'),
            /** `postgres://user:password@host:5432/database`; give it as `${MSG_POSTGRES_URL}`. */
            url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
            /** Connections this instance opens at most. */
            poolSize: z.number().int().positive().max(1000).default(10),
            /** The schema the gateway's tables live in (created at first start). */
            schema: z
              .string()
              .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case name (letters, digits, underscores)')
              .default('public'),
            /**
             * `on`: a commit returns once PostgreSQL flushed it to disk. `off`: once it is in the
             * server's memory (flushed within a few hundred ms): survives the gateway's crash, not the
             * database server's, like the embedded store's `synchronous: normal`; several times the
             * throughput on a disk with slow flushes.
             */
            synchronousCommit: z.enum(['on', 'off']).default('on'),
          })
          .strict(),
      ])
      .default({
        driver: 'sqlite',
        path: './.msg-data/gateway.sqlite',
        synchronous: 'normal',
        cacheMb: CACHE_MB_DEFAULT,
      }),
    /**
     * The router's runtime state (breakers, token buckets, the copy of migration control state) and
     * the API keys' rate limits: `memory` in this process, or `redis` shared by every instance
     * (needs the `@msg/state-redis` package).
     */
    state: z
      .discriminatedUnion('driver', [
        z.object({ driver: z.literal('memory') }).strict(),
        z
          .object({
            driver: z.literal('redis'),
            /** `redis://[:password@]host:6379[/db]`; give it as `${MSG_REDIS_URL}`. */
            url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
            /** Prefix of every key and channel: several fleets can share one Redis. */
            keyPrefix: z.string().min(1).default('msg:'),
          })
          .strict(),
      ])
      .default({ driver: 'memory' }),
    dispatch: z
      .object({
        concurrency: concurrencySchema.default(CONCURRENCY_DEFAULT),
        backlog: backlogSchema.default(BACKLOG_DEFAULTS),
        /**
         * A dispatcher's claim on its in-flight messages, renewed every third of it: the messages
         * of an instance that stopped renewing are recovered by the others (or its next start).
         */
        leaseMs: duration().default(30_000),
        /** How long SIGTERM waits for in-flight sends before exiting. */
        shutdownTimeoutMs: z.number().int().positive().default(10_000),
        /**
         * What happens to a message that was in flight when the gateway died (its outcome is
         * ambiguous): `route` follows the route's rule (re-dispatched, flagged as a possible
         * duplicate, when the route fails over on `ambiguous`; failed otherwise).
         */
        onRestartInFlight: z.enum(['route', 'fail', 'retry']).default('route'),
        /** Longest wait of a synchronous send (`?wait=true`) before it answers 202. */
        syncTimeoutMs: z.number().int().positive().default(10_000),
        retryRounds: retryRoundsSchema.default(RETRY_ROUNDS_DEFAULTS),
      })
      .strict()
      .default({
        concurrency: CONCURRENCY_DEFAULT,
        backlog: BACKLOG_DEFAULTS,
        leaseMs: 30_000,
        shutdownTimeoutMs: 10_000,
        onRestartInFlight: 'route',
        syncTimeoutMs: 10_000,
        retryRounds: RETRY_ROUNDS_DEFAULTS,
      }),
    receipts: receiptsSchema.default({
      deadlineMs: 259_200_000,
      windowMs: 604_800_000,
      holdUnmatchedMs: 600_000,
      reconcile: RECONCILE_DEFAULTS,
    }),
    /**
     * Old data: finished messages accepted longer ago than `finishedAfterMs` are deleted in the
     * background, in bounded batches, with their attempts, events and callbacks; `null` keeps them.
     */
    retention: z
      .object({ finishedAfterMs: duration().nullable().default(2_592_000_000) })
      .strict()
      .default({ finishedAfterMs: 2_592_000_000 }),
    /** The background sweeps over the store: retry rounds, receipt deadlines, status look-ups. */
    sweeper: z
      .object({
        intervalMs: duration().default(1000),
        /** Messages one sweep takes at most (it runs again at once when it took that many). */
        batchSize: z.number().int().positive().max(10_000).default(100),
      })
      .strict()
      .default({ intervalMs: 1000, batchSize: 100 }),
    idempotency: z
      .object({ windowSeconds: z.number().int().positive().default(86_400) })
      .strict()
      .default({ windowSeconds: 86_400 }),
    callbacks: z
      .object({
        /** Signs status callbacks to the client (HMAC-SHA256). */
        signingSecret: z.string().min(16).optional(),
        attempts: z.number().int().positive().max(20).default(8),
        timeoutMs: z.number().int().positive().default(5000),
        /** First retry delay; each next one doubles, up to `maxBackoffMs`. */
        initialBackoffMs: z.number().int().positive().default(1000),
        maxBackoffMs: z.number().int().positive().default(300_000),
        /**
         * Addresses or CIDR blocks a callback may reach although they are loopback, private,
         * link-local, unique-local, multicast, unspecified or reserved (refused by default).
         */
        allow: z.array(addressOrBlock).default([]),
        /** Addresses or CIDR blocks refused on top of those; deny wins over allow. */
        deny: z.array(addressOrBlock).default([]),
      })
      .strict()
      .default({
        attempts: 8,
        timeoutMs: 5000,
        initialBackoffMs: 1000,
        maxBackoffMs: 300_000,
        allow: [],
        deny: [],
      }),
    /**
     * Operators' alert endpoints: signed JSON (the status callbacks' scheme, signed with
     * `callbacks.signingSecret`) on breaker open and close, rollbacks and plan events, sent from the
     * store's outbox so that none is lost in a crash.
     */
    alerts: z
      .object({
        endpoints: z
          .array(
            z
              .object({
                url: z.url(),
                /** The events this endpoint receives; all when absent. */
                events: z.array(z.enum(ALERT_EVENTS)).min(1).optional(),
              })
              .strict(),
          )
          .default([]),
        attempts: z.number().int().positive().max(50).default(12),
        timeoutMs: duration().default(5000),
        initialBackoffMs: duration().default(1000),
        maxBackoffMs: duration().default(300_000),
      })
      .strict()
      .default({
        endpoints: [],
        attempts: 12,
        timeoutMs: 5000,
        initialBackoffMs: 1000,
        maxBackoffMs: 300_000,
      }),
    /** Gateway-wide settings of the drop-in provider APIs (each API key enables its own). */
    ingress: z
      .object({
        sendgrid: z
          .object({
            /**
             * PEM private key (ECDSA P-256) that signs SendGrid-format events; give it as `${VAR}`.
             * When absent the gateway generates one and keeps it in the store.
             */
            eventSigningKey: z
              .string()
              .refine(isEventSigningKey, 'must be a PEM ECDSA P-256 private key')
              .optional(),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({ sendgrid: {} }),
    /** Bulk campaigns (`/v1/campaigns`): upload bounds, batching and the bulk path's rollout. */
    campaigns: z
      .object({
        /** Recipients a JSON body may carry inline; more go through a CSV or NDJSON upload. */
        maxInlineRecipients: z.number().int().positive().max(10_000).default(10_000),
        /** Recipients one upload may carry (lines past it are refused with their line number). */
        maxRecipients: z.number().int().positive().default(5_000_000),
        /** Messages one `sendBatch` call carries at most (also bounded by the plugin's own maximum). */
        batchSize: z.number().int().positive().max(10_000).default(200),
        /** Messages of one campaign stored and not yet finished at once: how far ahead of the sends it runs. */
        window: z.number().int().positive().max(100_000).default(2000),
        /** Invalid lines kept for the validation report (all are counted). */
        maxReportedInvalid: z.number().int().min(0).max(100_000).default(1000),
        /**
         * The providers' bulk APIs: `enabled` and a sticky share of campaigns (by a hash of the
         * campaign id) that use them; the others send one by one. Changed at run time by
         * `PUT /v1/campaigns/bulk-rollout` (audited); this is the start-up value.
         */
        bulk: z
          .object({
            enabled: z.boolean().default(true),
            percentage: z.number().int().min(0).max(100).default(100),
          })
          .strict()
          .default({ enabled: true, percentage: 100 }),
      })
      .strict()
      .default({
        maxInlineRecipients: 10_000,
        maxRecipients: 5_000_000,
        batchSize: 200,
        window: 2000,
        maxReportedInvalid: 1000,
        bulk: { enabled: true, percentage: 100 },
      }),
    /**
     * Prices (per SMS segment, or per email) by provider instance and destination: `destination`
     * is an E.164 prefix (`+26097`), an ISO country (`ZM`), an email domain (`@example.com`) or
     * `*`; the longest prefix wins, then the country, then `*`. What a provider reports for a send
     * overrides it. `spendLimits` caps a provider instance's spend per calendar month (UTC).
     */
    costs: z
      .object({
        currency: z
          .string()
          .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code (USD)')
          .default('USD'),
        prices: z
          .array(
            z
              .object({
                provider: z.string().min(1),
                destination: z.string().min(1).default('*'),
                amount: z
                  .string()
                  .regex(
                    /^\d{1,12}(\.\d{1,6})?$/,
                    'must be a non-negative decimal with up to 6 places (0.0125)',
                  ),
              })
              .strict(),
          )
          .default([]),
        spendLimits: z
          .record(z.string(), z.string().regex(/^\d{1,12}(\.\d{1,6})?$/, 'must be a non-negative decimal'))
          .default({}),
      })
      .strict()
      .default({ currency: 'USD', prices: [], spendLimits: {} }),
    /**
     * Prepaid credits: each API key's account (`apiKeys[].creditAccount`, else its id) is charged
     * for what providers accept. A message or campaign reserves its estimated cost when accepted
     * (402 with the shortfall when the balance cannot cover it), the send settles the actual cost.
     */
    credits: z
      .object({ enabled: z.boolean().default(false) })
      .strict()
      .default({ enabled: false }),
    /** How often running migration plans are looked at (their own intervals say when they act). */
    migrations: z
      .object({ tickMs: duration().default(1000) })
      .strict()
      .default({ tickMs: 1000 }),
    /**
     * The operator console at `/dashboard`: admin and monitor keys sign in there for a session
     * (an httpOnly, SameSite=Strict cookie) held in this process's memory.
     */
    dashboard: z
      .object({
        enabled: z.boolean().default(true),
        /** A session ends this long after sign-in, however active. */
        sessionTtlMs: duration().default(28_800_000),
        /** A session unused this long ends. */
        idleTimeoutMs: duration().default(1_800_000),
      })
      .strict()
      .default({ enabled: true, sessionTtlMs: 28_800_000, idleTimeoutMs: 1_800_000 }),
    plugins: z.array(pluginEntrySchema).min(1, 'configure at least one provider plugin'),
    /** Router configuration; validated by @msg/core's router. */
    routing: z.record(z.string(), z.unknown()).default({}),
    /**
     * Start every plugin's simulator and point the instances at them. A plugin without a simulator
     * refuses to start, and no connection may leave the loopback interface.
     */
    sandbox: z.boolean().default(false),
    log: z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
        format: z.enum(['json', 'pretty']).default('json'),
      })
      .strict()
      .default({ level: 'info', format: 'json' }),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.receipts.windowMs < config.receipts.deadlineMs) {
      context.addIssue({
        code: 'custom',
        path: ['receipts', 'windowMs'],
        message: `must be at least receipts.deadlineMs (${config.receipts.deadlineMs}): a late receipt must still find its message`,
      });
    }
    const retention = config.retention.finishedAfterMs;
    if (retention !== null && retention < config.receipts.windowMs) {
      context.addIssue({
        code: 'custom',
        path: ['retention', 'finishedAfterMs'],
        message: `must be at least receipts.windowMs (${config.receipts.windowMs}): a late receipt must still find its message`,
      });
    }
    if (retention !== null && retention < config.idempotency.windowSeconds * 1000) {
      context.addIssue({
        code: 'custom',
        path: ['retention', 'finishedAfterMs'],
        message: `must be at least idempotency.windowSeconds (${config.idempotency.windowSeconds} s): a retried request must still find its message`,
      });
    }
    const seen = new Set<string>();
    config.plugins.forEach((plugin, index) => {
      if (seen.has(plugin.id)) {
        context.addIssue({
          code: 'custom',
          path: ['plugins', index, 'id'],
          message: `duplicate instance id "${plugin.id}"`,
        });
      }
      seen.add(plugin.id);
    });
    config.costs.prices.forEach((price, index) => {
      if (!seen.has(price.provider)) {
        context.addIssue({
          code: 'custom',
          path: ['costs', 'prices', index, 'provider'],
          message: `unknown provider instance "${price.provider}"`,
        });
      }
    });
    for (const provider of Object.keys(config.costs.spendLimits)) {
      if (!seen.has(provider)) {
        context.addIssue({
          code: 'custom',
          path: ['costs', 'spendLimits', provider],
          message: `unknown provider instance "${provider}"`,
        });
      }
    }
    const targets = new CallbackTargetPolicy(config.callbacks);
    const keys = new Set<string>();
    const accounts = new Set<string>();
    config.apiKeys.forEach((key, index) => {
      if (keys.has(key.id)) {
        context.addIssue({
          code: 'custom',
          path: ['apiKeys', index, 'id'],
          message: `duplicate API key id "${key.id}"`,
        });
      }
      keys.add(key.id);
      const events = key.ingress?.sendgrid;
      // Events go out like status callbacks: the target policy would refuse every message's.
      const refusal =
        typeof events === 'object' && events.eventWebhookUrl && targets.checkUrl(events.eventWebhookUrl);
      if (refusal) {
        context.addIssue({
          code: 'custom',
          path: ['apiKeys', index, 'ingress', 'sendgrid', 'eventWebhookUrl'],
          message: refusal,
        });
      }
      // Basic auth names the account: one account, one key.
      const accountSid = key.ingress?.twilio?.accountSid.toUpperCase();
      if (accountSid === undefined) return;
      if (accounts.has(accountSid)) {
        context.addIssue({
          code: 'custom',
          path: ['apiKeys', index, 'ingress', 'twilio', 'accountSid'],
          message: `account ${key.ingress?.twilio?.accountSid} is already given to another API key`,
        });
      }
      accounts.add(accountSid);
    });
  });

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type ApiKeyConfig = z.output<typeof apiKeySchema>;
export type PluginEntry = z.output<typeof pluginEntrySchema>;
