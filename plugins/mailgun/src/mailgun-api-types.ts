/** Mailgun's webhook body (JSON): the signature travels in the body, not in a header. */
export interface MailgunWebhookBody {
  signature: MailgunSignature;
  'event-data': MailgunEventData;
}

export interface MailgunSignature {
  /** Unix seconds, as a string. */
  timestamp: string;
  /** 50 random characters, unique per webhook. */
  token: string;
  /** hex(HMAC-SHA256(signing key, timestamp + token)). */
  signature: string;
  /**
   * Events of a subaccount's domain only: the same HMAC under the primary account's signing key,
   * so one key verifies the events of every subaccount.
   */
  'parent-signature'?: string;
}

export type MailgunEventName =
  | 'accepted'
  | 'delivered'
  | 'failed'
  | 'opened'
  | 'clicked'
  | 'unsubscribed'
  | 'complained';

export interface MailgunDeliveryStatus {
  /** SMTP code (250, 550) or Mailgun's own (605: previously bounced address). */
  code?: number;
  message?: string;
  description?: string;
  'attempt-no'?: number;
  'retry-seconds'?: number;
}

export interface MailgunEventData {
  /** Unique per event: the de-duplication key. */
  id: string;
  event: MailgunEventName | (string & {});
  /** Unix seconds with a fraction. */
  timestamp: number;
  recipient?: string;
  'log-level'?: string;
  /** `failed` only. */
  severity?: 'permanent' | 'temporary';
  /** `failed` only: bounce, suppress-bounce, suppress-unsubscribe, suppress-complaint, old, generic, espblock. */
  reason?: string;
  message?: { headers?: { 'message-id'?: string; to?: string; from?: string; subject?: string } };
  'user-variables'?: Record<string, unknown>;
  'delivery-status'?: MailgunDeliveryStatus;
  tags?: string[];
  url?: string;
  /** `is-test-mode`: the message was sent with `o:testmode` and never delivered. */
  flags?: { 'is-test-mode'?: boolean; 'is-authenticated'?: boolean; 'is-routed'?: boolean };
}

/** Answer to `POST /v3/{domain}/messages`. */
export interface MailgunSendResponse {
  /** `<20240101120000.1.ABCDEF@domain>`: the Message-Id header, in angle brackets. */
  id: string;
  message: string;
}
