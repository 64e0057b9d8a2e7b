import { createHmac, randomBytes } from 'node:crypto';
import type { MailgunEventData, MailgunWebhookBody } from './mailgun-api-types.js';

/** What Mailgun reports after `accepted` for a recipient, by simulator outcome (`outcomeFor`). */
type EventSpec = Pick<MailgunEventData, 'event' | 'severity' | 'reason' | 'delivery-status'>;

const DELIVERED: EventSpec = {
  event: 'delivered',
  'delivery-status': { code: 250, message: 'OK', description: '' },
};

export const MAILGUN_SIMULATOR_OUTCOMES: Readonly<Record<string, readonly EventSpec[]>> = {
  accepted: [],
  delivered: [DELIVERED],
  bounced: [
    {
      event: 'failed',
      severity: 'permanent',
      reason: 'bounce',
      'delivery-status': {
        code: 550,
        message: '5.1.1 The email account that you tried to reach does not exist.',
        description: '',
      },
    },
  ],
  'failed-temporary': [
    {
      event: 'failed',
      severity: 'temporary',
      reason: 'generic',
      'delivery-status': {
        code: 452,
        message: '4.2.2 The email account that you tried to reach is over quota.',
        description: '',
        'retry-seconds': 600,
      },
    },
  ],
  suppressed: [
    {
      event: 'failed',
      severity: 'permanent',
      reason: 'suppress-bounce',
      'delivery-status': {
        code: 605,
        message: '',
        description: 'Not delivering to previously bounced address',
      },
    },
  ],
  expired: [
    {
      event: 'failed',
      severity: 'permanent',
      reason: 'old',
      'delivery-status': { code: 0, message: '', description: 'Too old' },
    },
  ],
  opened: [DELIVERED, { event: 'opened' }],
  clicked: [DELIVERED, { event: 'opened' }, { event: 'clicked' }],
  complained: [DELIVERED, { event: 'complained' }],
  unsubscribed: [DELIVERED, { event: 'unsubscribed' }],
};

/** Mailgun event ids are 22 URL-safe base64 characters. */
export function mailgunEventId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

export interface EventInput {
  event: string;
  /** Without angle brackets, as events carry it. */
  messageId: string;
  recipient: string;
  timestampMs: number;
  userVariables?: Record<string, string> | undefined;
  tags?: string[] | undefined;
  severity?: 'permanent' | 'temporary' | undefined;
  reason?: string | undefined;
  deliveryStatus?: MailgunEventData['delivery-status'];
  from?: string | undefined;
  subject?: string | undefined;
}

/** An `event-data` object shaped like Mailgun's. */
export function mailgunEventData(input: EventInput): MailgunEventData {
  const failed = input.event === 'failed';
  const data: MailgunEventData = {
    id: mailgunEventId(),
    event: input.event,
    timestamp: input.timestampMs / 1000,
    'log-level': failed ? (input.severity === 'temporary' ? 'warn' : 'error') : 'info',
    recipient: input.recipient,
    message: {
      headers: {
        'message-id': input.messageId,
        to: input.recipient,
        from: input.from,
        subject: input.subject,
      },
    },
    'user-variables': input.userVariables ?? {},
    tags: input.tags ?? [],
  };
  if (failed) {
    data.severity = input.severity ?? 'permanent';
    data.reason = input.reason ?? 'generic';
  }
  if (input.deliveryStatus) data['delivery-status'] = { 'attempt-no': 1, ...input.deliveryStatus };
  if (input.event === 'clicked') data.url = 'https://example.com/';
  return data;
}

export interface SignOptions {
  /** Unix seconds; now when absent. */
  timestamp?: string;
  /** 50 random characters when absent. */
  token?: string;
  /** The primary account's signing key, for a subaccount's events: adds `parent-signature`. */
  parentSigningKey?: string | undefined;
}

function hmac(key: string, timestamp: string, token: string): string {
  return createHmac('sha256', key)
    .update(timestamp + token)
    .digest('hex');
}

/**
 * The webhook body Mailgun posts: `signature` = hex(HMAC-SHA256(signingKey, timestamp + token)),
 * and for a subaccount's domain `parent-signature`, the same under the primary account's key.
 */
export function signMailgunWebhook(
  eventData: MailgunEventData,
  signingKey: string,
  options: SignOptions = {},
): MailgunWebhookBody {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const token = options.token ?? randomBytes(25).toString('hex');
  const signature: MailgunWebhookBody['signature'] = {
    timestamp,
    token,
    signature: hmac(signingKey, timestamp, token),
  };
  if (options.parentSigningKey)
    signature['parent-signature'] = hmac(options.parentSigningKey, timestamp, token);
  return { signature, 'event-data': eventData };
}
