import { randomBytes } from 'node:crypto';
import { type ErrorCatalogue, jsonResponse, type SimulatorResponse } from '@msg/testing';
import type { GraphErrorBody } from './whatsapp-api-types.js';
import { WHATSAPP_ERROR_CODES, whatsAppErrorCode } from './whatsapp-error-codes.js';

/** Meta's Graph error envelope, with the HTTP status of the code. */
export function graphError(
  code: number,
  details?: string,
  options: { status?: number; subcode?: number } = {},
): SimulatorResponse {
  const entry = whatsAppErrorCode(code);
  const body: GraphErrorBody = {
    error: {
      message: `(#${code}) ${entry?.name ?? 'Error'}`,
      type: 'OAuthException',
      code,
      ...(options.subcode === undefined ? {} : { error_subcode: options.subcode }),
      error_data: { messaging_product: 'whatsapp', details: details ?? entry?.name ?? 'Error' },
      fbtrace_id: randomBytes(9).toString('base64url'),
    },
  };
  const headers: Record<string, string> = {};
  // Graph's usage header: when the app or account may call again, in minutes.
  if (code === 4 || code === 80007) {
    headers['x-business-use-case-usage'] = JSON.stringify({
      '102290129340398': [
        { type: 'whatsapp_business_management', call_count: 100, estimated_time_to_regain_access: 2 },
      ],
    });
  }
  return jsonResponse(options.status ?? entry?.httpStatus ?? 400, body, headers);
}

/** Every documented code as a named simulator error: `failNext('code:131056')`. */
export function errorCatalogue(): ErrorCatalogue {
  const errors: ErrorCatalogue = {};
  for (const code of Object.keys(WHATSAPP_ERROR_CODES))
    errors[`code:${code}`] = () => graphError(Number(code));
  return errors;
}
