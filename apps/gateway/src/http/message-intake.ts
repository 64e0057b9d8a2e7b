import { randomUUID } from 'node:crypto';
import { ValidationError } from '@msg/core';
import { Ajv, type ErrorObject } from 'ajv';
import type { CallbackTargetPolicy } from '../callbacks/callback-target.js';
import type { GatewayConfig } from '../config/config-schema.js';
import type { MessageIngress } from '../ingress/message-ingress.js';
import type { GatewayMetrics } from '../metrics.js';
import type { AcceptResult, MessageStore, StoredMessage } from '../store/message-store.js';
import { schemaIssues } from './error-handler.js';
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
}

export interface IntakeOptions {
  store: MessageStore;
  metrics: GatewayMetrics;
  config: GatewayConfig;
  callbackTargets: CallbackTargetPolicy;
  now: () => number;
}

/**
 * The one way a message enters the gateway, whichever API it came through (`/v1`, Twilio's,
 * SendGrid's): the same validation, idempotency, durability (committed before it is answered)
 * and dispatch. The HTTP adapters only translate shapes and answers.
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
    const id = `msg_${randomUUID().replaceAll('-', '')}`;
    const idempotencyKey = request.idempotency?.key;
    const parsed = parseMessageRequest(request.body, id, {
      providers: runtime.channels,
      idempotencyKey,
      callbackTargets: this.options.callbackTargets,
    });
    const time = this.options.now();
    return {
      id,
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
   * Validates and persists one message; nothing is queued until the store has it. The caller took
   * `runtime` before: readiness is checked before anything is stored, never after.
   */
  async accept(runtime: GatewayRuntime, request: IntakeRequest): Promise<AcceptResult> {
    const stored = this.prepare(runtime, request);
    const { idempotency } = request;
    const result = await this.options.store.accept(
      stored,
      idempotency && { ...idempotency, expiresAt: stored.createdAt + this.windowMs },
    );
    if (result.outcome === 'created') this.count(stored);
    return result;
  }

  /** Persists prepared messages all together or none (one request that carries several). */
  async acceptAll(messages: readonly StoredMessage[]): Promise<void> {
    await this.options.store.acceptAll(messages);
    for (const message of messages) this.count(message);
  }

  /** Hands stored messages to the dispatcher. */
  dispatch(runtime: GatewayRuntime, messages: readonly StoredMessage[]): void {
    for (const message of messages) runtime.dispatcher.enqueue(message.id);
  }

  private count(message: StoredMessage): void {
    this.options.metrics.accepted.inc({ channel: message.channel });
    if (message.ingress) this.options.metrics.ingressMessages.inc({ api: message.ingress.api });
  }
}
