import type { StatusCallbacks } from '@msg/testing';
import type { WebhookError, WebhookPayload, WebhookStatus } from './whatsapp-api-types.js';
import { SIGNATURE_HEADER } from './whatsapp-api-types.js';
import { whatsAppErrorCode } from './whatsapp-error-codes.js';
import { escapeNonAscii, hubSignature } from './whatsapp-signature.js';

/** Where an account's statuses go, and how they are signed. */
export interface StatusTarget {
  url: string;
  appSecret: string;
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
}

/** One message as the emitter needs it. */
export interface SentMessage {
  wamid: string;
  recipient: string;
  recipientName?: string | undefined;
  callbackData?: string | undefined;
  /** Template messages are billed by category; text inside the window is free service. */
  category: 'utility' | 'service';
}

/** A status to post: its word, the error of a `failed`, and the step it goes out at (0, 1, 2…). */
export interface PlannedStatus {
  status: string;
  step: number;
  errorCode?: number | undefined;
}

/**
 * The statuses a recipient's outcome produces, in posting order. `read` (default): sent, delivered,
 * read; `delivered`; `sent`; `read-only`: sent then read (Meta skips `delivered` when the message
 * is read at once); `out-of-order`: read, delivered, sent, one post each; `batched`: read, sent and
 * delivered in one post; `duplicate`: each of sent, delivered, read posted twice;
 * `failed:<code>` (`unregistered` is `failed:131026`); `delivered-after-failed`: failed (131000)
 * then delivered, as Meta reports a multi-device user; `none`: nothing.
 */
export function plannedStatuses(outcome: string): PlannedStatus[] {
  const [word, code] = outcome.split(':');
  switch (word) {
    case 'none':
      return [];
    case 'sent':
      return [{ status: 'sent', step: 0 }];
    case 'delivered':
      return [
        { status: 'sent', step: 0 },
        { status: 'delivered', step: 1 },
      ];
    case 'read-only':
      return [
        { status: 'sent', step: 0 },
        { status: 'read', step: 1 },
      ];
    case 'out-of-order':
      return [
        { status: 'read', step: 0 },
        { status: 'delivered', step: 1 },
        { status: 'sent', step: 2 },
      ];
    case 'batched':
      return ['read', 'sent', 'delivered'].map((status) => ({ status, step: 0 }));
    case 'duplicate':
      return ['sent', 'sent', 'delivered', 'delivered', 'read', 'read'].map((status, index) => ({
        status,
        step: Math.floor(index / 2),
      }));
    case 'unregistered':
      return [{ status: 'failed', step: 0, errorCode: 131026 }];
    case 'failed':
      return [{ status: 'failed', step: 0, errorCode: Number(code) || 131000 }];
    case 'delivered-after-failed':
      return [
        { status: 'failed', step: 0, errorCode: 131000 },
        { status: 'delivered', step: 1 },
      ];
    default:
      return [
        { status: 'sent', step: 0 },
        { status: 'delivered', step: 1 },
        { status: 'read', step: 2 },
      ];
  }
}

function webhookError(code: number): WebhookError {
  const title = whatsAppErrorCode(code)?.name ?? 'Unknown error';
  return {
    code,
    title,
    message: title,
    error_data: { details: title },
    href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
  };
}

interface Pending {
  target: StatusTarget;
  dueAt: number;
  statuses: WebhookStatus[];
  contacts: Map<string, string | undefined>;
}

/**
 * Posts status webhooks the way Meta does: signed with the app secret over a body whose non-ASCII
 * is `\u`-escaped, several statuses (of one message or of several sent together) in one post when
 * they fall due at once. `unescapedBody` sends the same signature over raw UTF-8 instead, as a
 * proxy that decodes the escapes would pass it on.
 */
export class StatusEmitter {
  unescapedBody = false;
  private readonly pending = new Map<string, Pending[]>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly callbacks: StatusCallbacks,
    private readonly clock: () => number,
    private readonly stepMs: () => number,
  ) {}

  emit(target: StatusTarget, message: SentMessage, planned: readonly PlannedStatus[]): void {
    for (const item of planned) {
      const status: WebhookStatus = {
        id: message.wamid,
        status: item.status,
        timestamp: String(Math.floor(this.clock() / 1000) + item.step),
        recipient_id: message.recipient,
      };
      if (message.callbackData) status.biz_opaque_callback_data = message.callbackData;
      if (item.status === 'sent' || item.status === 'delivered') {
        const free = message.category === 'service';
        status.conversation = { id: `conv-${message.recipient}`, origin: { type: message.category } };
        status.pricing = {
          billable: !free,
          pricing_model: 'PMP',
          type: free ? 'free_customer_service' : 'regular',
          category: message.category,
        };
      }
      if (item.errorCode !== undefined) status.errors = [webhookError(item.errorCode)];
      this.add(target, status, message, (item.step + 1) * this.stepMs());
    }
  }

  /**
   * Statuses falling due within half a step of an open post for the same URL and number join it
   * (messages sent together get one post); a message's own steps stay a full step apart.
   */
  private add(target: StatusTarget, status: WebhookStatus, message: SentMessage, delayMs: number): void {
    const dueAt = this.clock() + delayMs;
    const key = `${target.url}|${target.phoneNumberId}`;
    const open = this.pending.get(key) ?? [];
    let batch = open.find((candidate) => Math.abs(candidate.dueAt - dueAt) <= this.stepMs() / 2);
    if (!batch) {
      const created: Pending = { target, dueAt, statuses: [], contacts: new Map() };
      batch = created;
      open.push(created);
      this.pending.set(key, open);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.flush(key, created);
      }, delayMs);
      timer.unref();
      this.timers.add(timer);
    }
    batch.statuses.push(status);
    batch.contacts.set(message.recipient, message.recipientName);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.pending.clear();
  }

  private flush(key: string, batch: Pending): void {
    const open = this.pending.get(key)?.filter((candidate) => candidate !== batch) ?? [];
    if (open.length > 0) this.pending.set(key, open);
    else this.pending.delete(key);
    const { target } = batch;
    const payload: WebhookPayload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: target.wabaId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: target.displayPhoneNumber,
                  phone_number_id: target.phoneNumberId,
                },
                contacts: [...batch.contacts].map(([waId, name]) => ({
                  wa_id: waId,
                  profile: { name: name ?? 'WhatsApp user' },
                })),
                statuses: batch.statuses,
              },
            },
          ],
        },
      ],
    };
    const escaped = escapeNonAscii(JSON.stringify(payload));
    const body = this.unescapedBody ? JSON.stringify(payload) : escaped;
    this.callbacks.schedule({
      url: target.url,
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: hubSignature(escaped, target.appSecret),
      },
      body,
    });
  }
}
