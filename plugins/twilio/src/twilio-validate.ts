import { ProviderError, type SmsMessage } from '@msg/core';
import { TWILIO_ERROR_KINDS } from './twilio-error.js';

/** Twilio refuses a longer body (21617), counting UTF-16 units as its API does. */
export const TWILIO_MAX_BODY_LENGTH = 1600;
/** What Twilio takes as a `To` number; anything else is 21211. */
export const TWILIO_E164 = /^\+[1-9]\d{6,14}$/;

function refusal(provider: string, code: string, reason: string): ProviderError {
  return new ProviderError({
    kind: TWILIO_ERROR_KINDS[code] ?? 'permanent',
    provider,
    providerCode: code,
    message: `[msg] [plugin-twilio] Twilio would answer ${code}: ${reason} (checked locally; nothing was sent)`,
  });
}

/**
 * The refusals of Twilio's Messages API that need no request, with the code and kind Twilio's
 * answer would carry, so that a validation fails as the send would. (A sender is always there:
 * the options require `from` or `messagingServiceSid`.)
 */
export function assertTwilioWouldAccept(message: SmsMessage, provider: string): void {
  if (!TWILIO_E164.test(message.to)) {
    throw refusal(provider, '21211', `to: ${JSON.stringify(message.to)} is not a valid phone number`);
  }
  if (message.text.length === 0) throw refusal(provider, '21602', 'text: the message body is empty');
  if (message.text.length > TWILIO_MAX_BODY_LENGTH) {
    throw refusal(
      provider,
      '21617',
      `text: ${message.text.length} characters exceed the ${TWILIO_MAX_BODY_LENGTH} character limit`,
    );
  }
}
