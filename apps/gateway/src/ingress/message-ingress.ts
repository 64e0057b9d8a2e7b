/**
 * The provider API a message came in through, when not `/v1`: what that API's answers and status
 * callbacks need to look as the provider's would.
 */
export type MessageIngress =
  | {
      api: 'twilio';
      accountSid: string;
      /** Given instead of (or with) `From`; Twilio's answers name it. */
      messagingServiceSid?: string | undefined;
    }
  | {
      api: 'sendgrid';
      /** The `X-Message-Id` of the request: one for all of its personalizations, as SendGrid's. */
      xMessageId: string;
    };

/**
 * How the callback worker writes a callback's headers: the gateway's own `Msg-Signature` unless
 * the callback is in a provider's format, signed by that provider's scheme (Twilio: the account's
 * auth token; SendGrid: the gateway's event key).
 */
export type CallbackFormat = { kind: 'twilio'; accountSid: string } | { kind: 'sendgrid' };
