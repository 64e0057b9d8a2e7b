/**
 * Wire shapes of Vonage's SMS API (`POST /sms/json` on the REST host), its delivery receipts, the
 * account balance call and the Reports API records look-up (on the API host). Sources: the
 * `Nexmo/api-specification` files `sms.yml`, `account.yml` and `reports.yml`.
 */

export const VONAGE_REST_HOST = 'https://rest.nexmo.com';
export const VONAGE_API_HOST = 'https://api.nexmo.com';

export const SMS_PATH = '/sms/json';
export const BALANCE_PATH = '/account/get-balance';
export const REPORTS_RECORDS_PATH = '/v2/reports/records';

/** `client-ref` is at most 40 characters; a longer id is not sent (see the README). */
export const CLIENT_REF_MAX_LENGTH = 40;
/** The per-request `callback` URL is at most 100 characters. */
export const CALLBACK_URL_MAX_LENGTH = 100;

/** The JSON body the plugin posts (kebab-case keys, as the SDK sends them). */
export interface VonageSmsRequest {
  from: string;
  to: string;
  text: string;
  type: 'text' | 'unicode';
  'client-ref'?: string;
  'status-report-req'?: boolean;
  callback?: string;
  ttl?: number;
  'entity-id'?: string;
  'content-id'?: string;
}

/** One element per part of the message. An accepted part has `status: "0"` and a `message-id`. */
export interface VonageSmsMessage {
  status: string;
  to?: string;
  'message-id'?: string;
  'remaining-balance'?: string;
  'message-price'?: string;
  network?: string;
  'client-ref'?: string;
  'account-ref'?: string;
  'error-text'?: string;
}

/** HTTP 200 body, for successes and business errors alike. `message-count` is a string. */
export interface VonageSmsResponse {
  'message-count': string;
  messages: VonageSmsMessage[];
}

/** A delivery receipt's fields (GET query, form or JSON). `timestamp`, `nonce`, `sig` when signed. */
export interface VonageDeliveryReceipt {
  messageId: string;
  status: string;
  msisdn?: string;
  to?: string;
  'network-code'?: string;
  price?: string;
  scts?: string;
  'err-code'?: string;
  'api-key'?: string;
  'client-ref'?: string;
  'message-timestamp'?: string;
  timestamp?: string;
  nonce?: string;
  sig?: string;
}

/** The statuses a delivery receipt carries (`x-possible-values` in sms.yml, plus `deleted`). */
export const DELIVERY_RECEIPT_STATUSES = [
  'accepted',
  'buffered',
  'delivered',
  'expired',
  'failed',
  'rejected',
  'unknown',
  'deleted',
] as const;

/** `GET /account/get-balance`: the balance in the account's currency. */
export interface VonageBalanceResponse {
  value: number;
  autoReload: boolean;
}

/** One outbound SMS record of `GET /v2/reports/records?product=SMS&direction=outbound&id=...`. */
export interface VonageReportRecord {
  account_id?: string;
  message_id: string;
  client_ref?: string;
  to?: string;
  network?: string;
  status?: string;
  error_code?: string;
  error_code_description?: string;
  date_received?: string;
  date_finalized?: string;
  currency?: string;
  total_price?: number | string;
}

export interface VonageReportRecordsResponse {
  request_status?: string;
  items_count?: number;
  records?: VonageReportRecord[];
  ids_not_found?: string;
}
