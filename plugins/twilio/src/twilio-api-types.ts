/** The wire shapes of Twilio's Messages API (2010-04-01) that this plugin and its simulator use. */

export const TWILIO_API_BASE_URL = 'https://api.twilio.com';

/** Every `status` a Twilio message can have, outbound and in status callbacks. */
export type TwilioMessageStatus =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'failed'
  | 'delivered'
  | 'undelivered'
  | 'receiving'
  | 'received'
  | 'accepted'
  | 'scheduled'
  | 'read'
  | 'partially_delivered'
  | 'canceled';

/** The JSON Twilio answers a successful `POST .../Messages.json` with (HTTP 201). */
export interface TwilioMessageResource {
  account_sid: string;
  api_version: string;
  body: string;
  date_created: string;
  date_sent: string | null;
  date_updated: string;
  direction: 'outbound-api' | 'inbound' | 'outbound-call' | 'outbound-reply';
  error_code: number | null;
  error_message: string | null;
  from: string | null;
  messaging_service_sid: string | null;
  num_media: string;
  num_segments: string;
  price: string | null;
  price_unit: string | null;
  sid: string;
  status: TwilioMessageStatus;
  subresource_uris: Record<string, string>;
  to: string;
  uri: string;
}

/** Twilio's error body: `{"code":21211,"message":"...","more_info":"...","status":400}`. */
export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

/** Form fields of a message status callback (`StatusCallback`). */
export interface TwilioStatusCallbackFields {
  MessageSid: string;
  MessageStatus: string;
  AccountSid: string;
  From?: string;
  To?: string;
  ErrorCode?: string;
  RawDlrDoneDate?: string;
  [field: string]: string | undefined;
}
