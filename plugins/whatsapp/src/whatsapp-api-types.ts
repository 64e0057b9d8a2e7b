/**
 * Wire shapes of the WhatsApp Cloud API's one send call and its status webhooks, as Meta documents
 * them and as the community SDKs type them (`whatsapp-api-js` `ServerMessageResponse`,
 * `ServerStatusPayload`; fixtures in `Secreto31126/whatsapp-api-js` `test/payloads/v25/`).
 */

/** The Graph API origin; `POST {base}/{version}/{phone-number-id}/messages`. */
export const GRAPH_BASE_URL = 'https://graph.facebook.com';
/**
 * The Graph version this plugin was built against. Meta retires each version about two years after
 * its release: pin the one your app was tested with.
 */
export const DEFAULT_GRAPH_VERSION = 'v24.0';

export interface TextRequest {
  type: 'text';
  text: { body: string; preview_url: boolean };
}

export interface TemplateRequest {
  type: 'template';
  template: {
    name: string;
    language: { code: string };
    components?: readonly Record<string, unknown>[];
  };
}

export type SendRequest = {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  /** E.164 digits, no `+`. */
  to: string;
  /** Echoed in every status webhook of the message: our message id. */
  biz_opaque_callback_data?: string;
} & (TextRequest | TemplateRequest);

/** 200: `message_status` is `accepted`, or `held_for_quality_assessment` for a paced template. */
export interface SendResponse {
  messaging_product: 'whatsapp';
  contacts: Array<{ input: string; wa_id: string }>;
  messages: Array<{ id: string; message_status?: string }>;
}

/** The Graph error envelope, for every refusal (throttling included, as HTTP 400). */
export interface GraphErrorBody {
  error: {
    message: string;
    type?: string;
    code: number;
    error_subcode?: number;
    error_user_title?: string;
    error_user_msg?: string;
    error_data?: { messaging_product?: string; details?: string };
    fbtrace_id?: string;
  };
}

/** One error in a status webhook (`statuses[].errors[]`, `value.errors[]`). */
export interface WebhookError {
  code: number;
  title?: string;
  message?: string;
  error_data?: { details?: string };
  href?: string;
}

export interface WebhookStatus {
  /** The `wamid.` the send answered. */
  id: string;
  status: string;
  /** Unix seconds, as a string. */
  timestamp: string;
  recipient_id?: string;
  recipient_type?: string;
  biz_opaque_callback_data?: string;
  conversation?: { id: string; expiration_timestamp?: string; origin?: { type?: string } };
  pricing?: { billable?: boolean; pricing_model?: string; type?: string; category?: string };
  errors?: WebhookError[];
}

export interface WebhookValue {
  messaging_product: 'whatsapp';
  metadata: { display_phone_number: string; phone_number_id: string };
  statuses?: WebhookStatus[];
  /** Inbound messages: not delivery events; they open the 24-hour window. */
  messages?: unknown[];
  contacts?: Array<{ wa_id: string; profile?: { name?: string } }>;
  errors?: WebhookError[];
}

/** `POST` to the app's webhook: one or more entries (one per WhatsApp Business Account). */
export interface WebhookPayload {
  object: 'whatsapp_business_account';
  entry: Array<{ id: string; changes: Array<{ field: string; value: WebhookValue }> }>;
}

export const SIGNATURE_HEADER = 'x-hub-signature-256';
