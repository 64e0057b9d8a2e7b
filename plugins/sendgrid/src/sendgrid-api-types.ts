/** Wire shapes of the SendGrid v3 API, as `POST /v3/mail/send` and the Event Webhook use them. */

export interface SendgridAddress {
  email: string;
  name?: string;
}

export interface SendgridPersonalization {
  to: SendgridAddress[];
  cc?: SendgridAddress[];
  bcc?: SendgridAddress[];
  subject?: string;
  custom_args?: Record<string, string>;
}

export interface SendgridAttachment {
  /** Base64 of the bytes. */
  content: string;
  filename: string;
  type?: string;
  disposition?: 'attachment' | 'inline';
  content_id?: string;
}

export interface SendgridMailBody {
  personalizations: SendgridPersonalization[];
  from: SendgridAddress;
  reply_to?: SendgridAddress;
  reply_to_list?: SendgridAddress[];
  subject?: string;
  content?: Array<{ type: string; value: string }>;
  template_id?: string;
  attachments?: SendgridAttachment[];
  headers?: Record<string, string>;
  categories?: string[];
  custom_args?: Record<string, string>;
  mail_settings?: { sandbox_mode?: { enable: boolean } };
  ip_pool_name?: string;
}

export interface SendgridErrorItem {
  message: string;
  field?: string | null;
  help?: string | null;
}

export interface SendgridErrorBody {
  errors: SendgridErrorItem[];
}

/** The event words SendGrid posts to the Event Webhook. */
export type SendgridEventName =
  | 'processed'
  | 'dropped'
  | 'delivered'
  | 'deferred'
  | 'bounce'
  | 'open'
  | 'click'
  | 'spamreport'
  | 'unsubscribe'
  | 'group_unsubscribe'
  | 'group_resubscribe';

/** One element of the Event Webhook's JSON array. Custom args appear as extra top-level keys. */
export interface SendgridEvent {
  email: string;
  /** Epoch seconds. */
  timestamp: number;
  event: SendgridEventName | (string & {});
  sg_event_id?: string;
  /** `<X-Message-Id>.<filter and worker suffix>`. */
  sg_message_id?: string;
  'smtp-id'?: string;
  /** `bounce` or `blocked` on bounce events. */
  type?: string;
  reason?: string;
  /** SMTP enhanced status on bounces (`5.1.1`). */
  status?: string;
  response?: string;
  attempt?: string;
  url?: string;
  bounce_classification?: string;
  category?: string | string[];
  asm_group_id?: number;
  [customArgument: string]: unknown;
}
