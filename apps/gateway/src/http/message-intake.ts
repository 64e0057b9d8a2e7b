import { ValidationError } from '@msg/core';
import { Ajv, type ErrorObject } from 'ajv';
import type { CallbackTargetPolicy } from '../callbacks/callback-target.js';
import type { GatewayConfig } from '../config/config-schema.js';
import type { Charges } from '../costs/charges.js';
import type { MessageIngress } from '../ingress/message-ingress.js';
import { newMessageId } from '../message-id.js';
import type { GatewayMetrics } from '../metrics.js';
import { InsufficientCreditError } from '../store/campaign-store.js';
import type { AcceptResult, MessageStore, StoredMessage } from '../store/message-store.js';
import { schemaIssues } from './error-handler.js';
import { HttpError } from './http-error.js';
import { type MessageRequestBody, parseMessageRequest } from './message-request.js';
import { messageSchema } from './schemas.js';
import type { GatewayRuntime } from './server-context.js';

export interface IntakeRequest {
  body: MessageRequestBody;
  apiKeyId: string;
  /** The key as stored (an ingress namespaces its own) and the fingerprint of what it covers. */
  idempotency?: { key: string; requestHash: string } | undefined;
  /** Through a provider's API: its answers and callbacks take that API's format. */
  ingress?: MessageIngress | undefined;
  /** The HTTP route already checked `body` against `messageSchema` (`/v1` does, ingresses do not). */
  schemaChecked?: boolean;
  /** Backpressure was already checked for the request this message is part of (a batch). */
  admitted?: boolean;
}

/** What `accept` did; with `wait`, `finished` tells when a new message's dispatch is over. */
export type Accepted = AcceptResult & { finished?: Promise<boolean> | undefined };

export interface IntakeOptions {
  charges: Charges;
  store: MessageStore;
  metrics: GatewayMetrics;
  config: GatewayConfig;
  callbackTargets: CallbackTargetPolicy;
  now: () => number;
}

/**
 * The one way a message enters the gateway, whichever API it came through (`/v1`, Twilio's,
 * SendGrid's): the same validation, backpressure, idempotency, durability (committed before it is
 * answered) and dispatch. The HTTP adapters only translate shapes and answers.
 */
export class MessageIntake {
  private readonly checkSchema;
  private readonly windowMs: number;

  constructor(private readonly options: IntakeOptions) {
    // The same schema and strictness as the routes' (see buildServer), for bodies no route checked.
    this.checkSchema = new Ajv({ allErrors: true, strict: false, coerceTypes: false }).compile(messageSchema);
    this.windowMs = options.config.idempotency.windowSeconds * 1000;
  }

  /** The message as it would be stored: validated, with its id; nothing is written. Throws `ValidationError`. */
  prepare(runtime: GatewayRuntime, request: IntakeRequest): StoredMessage {
    if (!request.schemaChecked && !this.checkSchema(request.body)) {
      const errors = (this.checkSchema.errors ?? []) as ErrorObject[];
      throw new ValidationError(schemaIssues(errors, undefined), { subject: 'invalid message' });
    }
    const time = this.options.now();
    const id = newMessageId(time);
    const idempotencyKey = request.idempotency?.key;
    const parsed = parseMessageRequest(request.body, id, {
      providers: runtime.channels,
      idempotencyKey,
      callbackTargets: this.options.callbackTargets,
    });
    const override = parsed.override?.provider;
    const providers = override
      ? [override]
      : [...runtime.channels].flatMap(([provider, channel]) =>
          channel === parsed.message.channel ? [provider] : [],
        );
    return {
      id,
      charge: this.options.charges.hold(request.apiKeyId, parsed.message, providers),
      channel: parsed.message.channel,
      message: parsed.message,
      status: 'queued',
      dispatchState: 'queued',
      apiKeyId: request.apiKeyId,
      idempotencyKey,
      callbackUrl: parsed.callbackUrl,
      ingress: request.ingress,
      overrideProvider: parsed.override?.provider,
      createdAt: time,
      updatedAt: time,
    };
  }

  /**
   * Refuses `count` more messages of the key while the backlog is past its bound (503) or the key
   * past its share of it (429), with Retry-After: the gateway never queues without limit. Nothing
   * is stored; an ingress answers in its provider's error format.
   */
  admit(runtime: GatewayRuntime, apiKeyId: string, count: number): void {
    const admission = runtime.backlog.admit(apiKeyId, count);
    if (admission.admitted) return;
    this.options.metrics.refused.inc({ reason: admission.code }, count);
    throw new HttpError(admission.status, admission.code, admission.message, undefined, {
      'retry-after': String(admission.retryAfterSeconds),
    });
  }

  /**
   * Validates and persists one message; nothing is sent until the store has it. The caller took
   * `runtime` before: readiness is checked before anything is stored, never after. When the
   * dispatcher has a free slot (and nothing older waits) the message is stored already claimed
   * and sent at once, one commit before its send; otherwise it waits in the store's queue, where
   * the dispatcher claims it.
   */
  async accept(
    runtime: GatewayRuntime,
    request: IntakeRequest,
    wait?: { timeoutMs: number },
  ): Promise<Accepted> {
    if (!request.admitted) this.admit(runtime, request.apiKeyId, 1);
    const stored = this.prepare(runtime, request);
    const { idempotency } = request;
    const { dispatcher } = runtime;
    const claimed = dispatcher.reserve();
    let result: AcceptResult;
    try {
      result = await this.options.store.accept(
        stored,
        idempotency && { ...idempotency, expiresAt: stored.createdAt + this.windowMs },
        claimed ? { instanceId: dispatcher.instanceId } : undefined,
      );
    } catch (error) {
      if (claimed) dispatcher.release();
      if (error instanceof InsufficientCreditError) throw this.options.charges.refusal(error.shortfall);
      throw error;
    }
    // Waited for before its dispatch can end.
    const finished =
      wait && result.outcome === 'created' ? dispatcher.waitFor(stored.id, wait.timeoutMs) : undefined;
    if (claimed) dispatcher.handOver(result);
    if (result.outcome === 'created') {
      this.count(stored);
      if (!claimed) runtime.backlog.queued(request.apiKeyId);
    }
    return Object.assign(result, { finished });
  }

  /**
   * Persists prepared messages all together or none (one request that carries several), queued:
   * the store wakes the dispatcher, which claims them.
   */
  async acceptAll(runtime: GatewayRuntime, messages: readonly StoredMessage[]): Promise<void> {
    const apiKeyId = messages[0]?.apiKeyId;
    if (apiKeyId === undefined) return;
    this.admit(runtime, apiKeyId, messages.length);
    try {
      await this.options.store.acceptAll(messages);
    } catch (error) {
      if (error instanceof InsufficientCreditError) throw this.options.charges.refusal(error.shortfall);
      throw error;
    }
    for (const message of messages) this.count(message);
    runtime.backlog.queued(apiKeyId, messages.length);
  }

  private count(message: StoredMessage): void {
    this.options.metrics.accepted.inc({ channel: message.channel });
    if (message.ingress) this.options.metrics.ingressMessages.inc({ api: message.ingress.api });
  }
}
