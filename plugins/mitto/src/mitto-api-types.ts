/**
 * Wire shapes of Mitto's SMS API (`POST /sms`, `POST /smsbulk`), from the two public API
 * descriptions: `ballerina-platform/openapi-connectors` `openapi/mitto.sms/openapi.yml` and
 * `microsoft/PowerPlatformConnectors` `certified-connectors/Mitto/apiDefinition.swagger.json`.
 * The delivery report is not described there: see `mitto-receipt-contract.ts`.
 */

/** The geo-resolving host; Mitto also runs `rest-fra`, `rest-sgp`, `rest-hkg` and `rest-useast`. */
export const MITTO_BASE_URL = 'https://rest.mittoapi.net';

export const SMS_PATH = '/sms';
export const BULK_PATH = '/smsbulk';
export const API_KEY_HEADER = 'x-mitto-api-key';

/** `type`: GSM-7 by default; anything else must be sent as `Unicode`. */
export type MittoTextType = 'GSM' | 'Unicode';

export interface MittoSmsRequest {
  from: string;
  /** E.164 digits without `+`. */
  to: string;
  text: string;
  type: MittoTextType;
  /** Free text echoed in delivery reports: our message id. */
  reference?: string;
  /** Receipt URL for this message, overriding the account's (Mitto must whitelist it). */
  callback?: string;
  /** Minutes to keep trying; Mitto's default is 2880 (48 h). */
  validity?: number;
  /** Test mode: accepted and checked, never delivered, not billed, no `id`. */
  test?: boolean;
}

export interface MittoBulkRequest extends Omit<MittoSmsRequest, 'to'> {
  to: string[];
}

/** `POST /sms` answer. For a long text only the first part's id comes back. */
export interface MittoSmsResponse {
  id?: string;
  to?: string;
  /** ISO 8601 with seven fractional digits. */
  timestamp?: string;
  responseCode: number;
  responseText?: string;
  textLength?: number;
  test?: boolean;
}

export interface MittoBulkMessage {
  id: string;
  to: string;
  timestamp?: string;
  textLength?: number;
}

/** `POST /smsbulk` answer: one id per recipient, no bulk-level id. */
export interface MittoBulkResponse {
  responseCode: number;
  responseText?: string;
  test?: boolean;
  messages?: MittoBulkMessage[];
}
