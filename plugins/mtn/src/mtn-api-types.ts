/** MTN developer API (MADAPI) production origin. */
export const MTN_BASE_URL = 'https://api.mtn.com';

export const TOKEN_PATH = '/v1/oauth/access_token';
export const OUTBOUND_PATH = '/v3/sms/messages/sms/outbound';
export const SUBSCRIPTION_PATH = '/v3/sms/messages/sms/subscription';

/** `statusCode` of every successful SMS v3 answer. */
export const SUCCESS_STATUS_CODE = '0000';

/** The OAuth token answer (an Apigee OAuthV2 body: `expires_in` is a string of seconds). */
export interface MtnTokenResponse {
  access_token: string;
  expires_in: string | number;
  token_type?: string;
  issued_at?: string;
  client_id?: string;
  status?: string;
}

/** Apigee's OAuthV2 error body (`{"ErrorCode":"invalid_client","Error":"ClientId is Invalid"}`). */
export interface MtnOAuthErrorBody {
  ErrorCode?: string;
  Error?: string;
}

/** An Apigee policy fault (expired token, spike arrest, gateway timeout). */
export interface MtnFaultBody {
  fault?: { faultstring?: string; detail?: { errorcode?: string } };
}

export interface MtnOutboundRequest {
  senderAddress: string;
  /** MSISDNs without `+`. */
  receiverAddress: string[];
  message: string;
  /** Our message id: MTN echoes it in delivery reports as `clientCorrelator`. */
  clientCorrelatorId: string;
  serviceCode: string;
  requestDeliveryReceipt: boolean;
}

/** Success and error answers of the SMS v3 API share this envelope. */
export interface MtnApiResponse<D = Record<string, unknown>> {
  statusCode?: string;
  statusMessage?: string;
  supportMessage?: string;
  transactionId?: string;
  data?: D;
}

export type MtnOutboundResponse = MtnApiResponse<{ status?: string }>;

/**
 * The subscription request. MTN's OpenAPI (as published in the generated `mtn_sms_v3` client)
 * names `callbackUrl`, `serviceCode` and `targetSystem` required and `deliveryReportUrl` the URL
 * that receives delivery receipts of outbound messages.
 */
export interface MtnSubscriptionRequest {
  callbackUrl: string;
  deliveryReportUrl: string;
  targetSystem: string;
  serviceCode: string;
}

export type MtnSubscriptionResponse = MtnApiResponse<{ subscriptionId?: string }>;

/** Delivery-report words (the GSMA OneAPI vocabulary MTN's SMS API reuses). */
export const DELIVERY_STATUSES = [
  'DeliveredToTerminal',
  'DeliveryImpossible',
  'DeliveredToNetwork',
  'MessageWaiting',
  'DeliveryUncertain',
  'Expired',
  'DeliveryNotificationNotSupported',
] as const;
export type MtnDeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * A delivery report as seen in integrations (MTN publishes no schema for it): JSON POSTed to the
 * subscribed `deliveryReportUrl`.
 */
export interface MtnDeliveryReport {
  transactionId: string;
  /** The `clientCorrelatorId` of the send: our message id. */
  clientCorrelator?: string;
  deliveryStatus: string;
  /** MSISDN without `+`. */
  receiverAddress?: string;
  /** ISO 8601. */
  timestamp?: string;
}

/** `+260961234567` -> `260961234567`: MTN addresses carry no `+`. */
export function msisdn(number: string): string {
  return number.startsWith('+') ? number.slice(1) : number;
}
