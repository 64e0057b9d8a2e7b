import { timingSafeEqual } from 'node:crypto';
import {
  type DeliveryEvent,
  type Logger,
  ValidationError,
  type WebhookRequest,
  type WebhookResult,
  WebhookVerificationError,
} from '@msg/core';
import { SIGNATURE_HEADER, type WebhookPayload, type WebhookStatus } from './whatsapp-api-types.js';
import { whatsAppErrorCode } from './whatsapp-error-codes.js';
import { verifyHubSignature } from './whatsapp-signature.js';
import { whatsAppStatus } from './whatsapp-status.js';

export interface WhatsAppWebhookSettings {
  provider: string;
  /** The app's secret: every status POST must carry its `X-Hub-Signature-256`. */
  appSecret?: string | undefined;
  /** The token typed into the app's webhook settings, for the `GET` handshake. */
  verifyToken?: string | undefined;
  /** Statuses of other numbers of the same app are not this instance's. */
  phoneNumberId: string;
  logger: Logger;
  now(): number;
}

const SUBJECT = 'WhatsApp webhook';
/** Meta sends a number; anything else is refused rather than reflected. */
const CHALLENGE = /^[A-Za-z0-9._-]{1,128}$/;

function sameText(left: string, right: string): boolean {
  const a = Buffer.from(left);
  const b = Buffer.from(right);
  return a.length === b.length && timingSafeEqual(a, b);
}

function invalid(path: string, message: string): ValidationError {
  return new ValidationError([{ path, message }], { subject: SUBJECT });
}

/**
 * Verifies WhatsApp webhooks and turns status updates into events. A `GET` is the subscription
 * handshake: answered with `hub.challenge` when `hub.verify_token` matches. A `POST` must be signed
 * with the app secret over its exact bytes; it carries no timestamp, so a replay yields the same
 * events (`wamid` and status), which the host stores once and which never move a message back.
 */
export function createWebhookParser(settings: WhatsAppWebhookSettings) {
  const refuse = (reason: string) => new WebhookVerificationError(settings.provider, reason);

  const handshake = (request: WebhookRequest): WebhookResult => {
    if (!settings.verifyToken) throw refuse('no verifyToken is configured, so the handshake is refused');
    const query = new URL(request.url, 'http://placeholder').searchParams;
    const token = query.get('hub.verify_token');
    const challenge = query.get('hub.challenge') ?? '';
    if (query.get('hub.mode') !== 'subscribe') throw refuse('handshake without hub.mode=subscribe');
    if (token === null || !sameText(token, settings.verifyToken))
      throw refuse('hub.verify_token does not match');
    if (!CHALLENGE.test(challenge)) throw refuse('hub.challenge is missing or not a plain token');
    return { events: [], response: { status: 200, body: challenge, contentType: 'text/plain' } };
  };

  const event = (status: WebhookStatus): DeliveryEvent | undefined => {
    const normalised = whatsAppStatus(status.status, status.errors);
    if (!normalised || typeof status.id !== 'string' || !status.id) return undefined;
    const seconds = Number(status.timestamp);
    const error = status.errors?.[0];
    const details: Record<string, string> = {};
    if (status.pricing?.category) details.pricingCategory = status.pricing.category;
    if (status.pricing?.pricing_model) details.pricingModel = status.pricing.pricing_model;
    if (status.pricing?.type) details.pricingType = status.pricing.type;
    if (status.conversation?.id) details.conversationId = status.conversation.id;
    if (status.conversation?.origin?.type) details.conversationOrigin = status.conversation.origin.type;
    return {
      providerMessageId: status.id,
      messageId: status.biz_opaque_callback_data || undefined,
      status: normalised,
      providerStatus: status.status,
      occurredAt: new Date(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : settings.now()),
      recipient: status.recipient_id,
      eventId: `${status.id}:${status.status}:${error?.code ?? ''}`,
      error: error
        ? {
            code: String(error.code),
            message: [error.title ?? whatsAppErrorCode(error.code)?.name, error.error_data?.details]
              .filter(Boolean)
              .join(': '),
          }
        : undefined,
      details,
    };
  };

  const statuses = (request: WebhookRequest): WebhookResult => {
    if (!settings.appSecret)
      throw refuse('no appSecret is configured, so status webhooks cannot be verified');
    if (!verifyHubSignature(request.headers[SIGNATURE_HEADER], request.rawBody, settings.appSecret)) {
      throw refuse(`${SIGNATURE_HEADER} is missing or does not match the body`);
    }
    let payload: Partial<WebhookPayload>;
    try {
      payload = JSON.parse(Buffer.from(request.rawBody).toString('utf8')) as Partial<WebhookPayload>;
    } catch {
      throw invalid('', 'body is not valid JSON');
    }
    if (payload?.object !== 'whatsapp_business_account' || !Array.isArray(payload.entry)) {
      throw invalid('object', 'must be "whatsapp_business_account" with an entry list');
    }
    const events: DeliveryEvent[] = [];
    for (const entry of payload.entry) {
      for (const change of entry?.changes ?? []) {
        const value = change?.value;
        if (change?.field !== 'messages' || !value) continue;
        if (value.metadata?.phone_number_id !== settings.phoneNumberId) {
          settings.logger.debug(`${settings.provider}: statuses for another phone number id ignored`, {
            phoneNumberId: value.metadata?.phone_number_id,
          });
          continue;
        }
        for (const status of value.statuses ?? []) {
          const found = event(status);
          if (found) events.push(found);
          else
            settings.logger.warn(`${settings.provider}: unknown WhatsApp status "${status?.status}" ignored`);
        }
      }
    }
    return { events };
  };

  return function parseWebhook(request: WebhookRequest): WebhookResult {
    return request.method.toUpperCase() === 'GET' ? handshake(request) : statuses(request);
  };
}
