import type { ErrorKind } from '@msg/core';

export interface WhatsAppErrorCode {
  name: string;
  kind: ErrorKind;
  /** The HTTP status Meta answers the send with (from copies of Meta's error-code table). */
  httpStatus: number;
  /**
   * For a `failed` status webhook carrying this code: `undelivered` when the platform took the
   * message and could not get it to this recipient, `failed` (the default) when it refused it.
   */
  webhookStatus?: 'undelivered';
}

/**
 * Every Graph and Cloud API error code Meta documents for sending, with what it means for the
 * router. Keyed on `error.code`, never on titles (Meta rewords them). Throttling arrives as HTTP
 * 400 with a code, not as 429. Template problems are the message's (`permanent`) except a template
 * the account lacks or cannot use (missing, paused, disabled): that is the instance's
 * `configuration`, since another account may hold it. Permission errors 200-299 are a range:
 * `whatsAppErrorCode` finds them.
 */
export const WHATSAPP_ERROR_CODES: Readonly<Record<number, WhatsAppErrorCode>> = {
  // configuration: the token, the app's permissions, the account or the phone number
  0: { name: 'AuthException: could not authenticate the app user', kind: 'configuration', httpStatus: 401 },
  3: { name: 'API method: capability or permission missing', kind: 'configuration', httpStatus: 500 },
  10: { name: 'Permission denied, or removed', kind: 'configuration', httpStatus: 403 },
  190: { name: 'Access token expired or invalid', kind: 'configuration', httpStatus: 401 },
  200: { name: 'API permission missing (200-299)', kind: 'configuration', httpStatus: 403 },
  368: { name: 'Temporarily blocked for policy violations', kind: 'configuration', httpStatus: 403 },
  130497: {
    name: 'Business account restricted from messaging users in this country',
    kind: 'configuration',
    httpStatus: 403,
  },
  131005: { name: 'Access denied', kind: 'configuration', httpStatus: 403 },
  131031: { name: 'Business account locked', kind: 'configuration', httpStatus: 403 },
  131042: { name: 'Business eligibility payment issue', kind: 'configuration', httpStatus: 400 },
  131045: {
    name: 'Incorrect certificate (phone number not registered)',
    kind: 'configuration',
    httpStatus: 400,
  },
  132068: { name: 'Flow is in blocked state', kind: 'configuration', httpStatus: 400 },
  133000: { name: 'Incomplete deregistration', kind: 'configuration', httpStatus: 400 },
  133006: { name: 'Phone number needs verification', kind: 'configuration', httpStatus: 400 },
  133010: { name: 'Phone number not registered', kind: 'configuration', httpStatus: 400 },
  133015: { name: 'Wait before registering this phone number again', kind: 'configuration', httpStatus: 400 },
  // rate-limited: every one arrives as HTTP 400
  4: { name: 'Application request limit reached', kind: 'rate-limited', httpStatus: 400 },
  80007: { name: 'WhatsApp Business Account rate limit hit', kind: 'rate-limited', httpStatus: 400 },
  130429: { name: 'Cloud API throughput rate limit hit', kind: 'rate-limited', httpStatus: 400 },
  131048: { name: 'Spam rate limit hit (quality-based)', kind: 'rate-limited', httpStatus: 400 },
  131056: {
    name: 'Pair rate limit: too many messages to this recipient',
    kind: 'rate-limited',
    httpStatus: 400,
  },
  132069: { name: 'Flow throughput limit reached', kind: 'rate-limited', httpStatus: 400 },
  // transient: Meta's side
  1: { name: 'API unknown (try again; permanent if it persists)', kind: 'transient', httpStatus: 400 },
  2: { name: 'API service temporarily unavailable', kind: 'transient', httpStatus: 503 },
  131000: { name: 'Something went wrong', kind: 'transient', httpStatus: 500 },
  131016: { name: 'Service unavailable', kind: 'transient', httpStatus: 500 },
  131057: { name: 'Business account in maintenance mode', kind: 'transient', httpStatus: 500 },
  133004: { name: 'Server temporarily unavailable', kind: 'transient', httpStatus: 503 },
  // permanent: the message or its recipient
  33: { name: 'Parameter value is not valid', kind: 'permanent', httpStatus: 400 },
  100: { name: 'Invalid parameter', kind: 'permanent', httpStatus: 400 },
  130472: {
    name: "User's number is part of an experiment",
    kind: 'permanent',
    httpStatus: 400,
    webhookStatus: 'undelivered',
  },
  131008: { name: 'Required parameter is missing', kind: 'permanent', httpStatus: 400 },
  131009: { name: 'Parameter value is not valid', kind: 'permanent', httpStatus: 400 },
  131021: { name: 'Recipient cannot be the sender', kind: 'permanent', httpStatus: 400 },
  131026: {
    name: 'Message undeliverable (not on WhatsApp, old app, or terms not accepted)',
    kind: 'permanent',
    httpStatus: 400,
    webhookStatus: 'undelivered',
  },
  131047: {
    name: 'Re-engagement message: more than 24 hours since the user last wrote; send a template',
    kind: 'permanent',
    httpStatus: 400,
  },
  131049: {
    name: 'Not delivered to keep engagement healthy (per-user marketing limit)',
    kind: 'permanent',
    httpStatus: 400,
    webhookStatus: 'undelivered',
  },
  131050: {
    name: 'User stopped marketing messages',
    kind: 'permanent',
    httpStatus: 400,
    webhookStatus: 'undelivered',
  },
  131051: { name: 'Unsupported message type', kind: 'permanent', httpStatus: 400 },
  131052: { name: 'Media download error', kind: 'permanent', httpStatus: 400 },
  131053: { name: 'Media upload error', kind: 'permanent', httpStatus: 400 },
  132000: { name: 'Template parameter count mismatch', kind: 'permanent', httpStatus: 400 },
  132001: { name: 'Template does not exist (name or language)', kind: 'configuration', httpStatus: 404 },
  132005: { name: 'Template hydrated text too long', kind: 'permanent', httpStatus: 400 },
  132007: { name: 'Template format character policy violated', kind: 'permanent', httpStatus: 400 },
  132012: { name: 'Template parameter format mismatch', kind: 'permanent', httpStatus: 400 },
  132015: { name: 'Template is paused', kind: 'configuration', httpStatus: 400 },
  132016: { name: 'Template is disabled', kind: 'configuration', httpStatus: 400 },
  135000: { name: 'Generic user error', kind: 'permanent', httpStatus: 400 },
};

/** The entry for a code, the 200-299 permission range included. */
export function whatsAppErrorCode(code: number): WhatsAppErrorCode | undefined {
  if (code > 200 && code <= 299) return WHATSAPP_ERROR_CODES[200];
  return WHATSAPP_ERROR_CODES[code];
}
