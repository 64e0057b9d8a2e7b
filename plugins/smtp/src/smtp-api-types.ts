/** What RFC 3464 calls the per-recipient `Action` of a delivery status notification. */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export const DSN_ACTIONS: readonly DsnAction[] = ['failed', 'delayed', 'delivered', 'relayed', 'expanded'];

/** One recipient's block of a `message/delivery-status` part. */
export interface DsnRecipient {
  /** `Final-Recipient`, without its address type (`rfc822;`). */
  finalRecipient: string;
  /** `Original-Recipient` (the ORCPT we sent), without its address type. */
  originalRecipient?: string | undefined;
  action: DsnAction;
  /** `Status`: the enhanced status code (`5.1.1`). */
  status: string;
  /** `Diagnostic-Code` without its type (`smtp; 550 5.1.1 ...`). */
  diagnosticCode?: string | undefined;
  remoteMta?: string | undefined;
  lastAttemptDate?: Date | undefined;
}

/** A parsed `message/delivery-status` part. */
export interface DeliveryStatusReport {
  reportingMta?: string | undefined;
  /** `Original-Envelope-Id`: the ENVID we gave on MAIL FROM, xtext-decoded. */
  originalEnvelopeId?: string | undefined;
  arrivalDate?: Date | undefined;
  recipients: DsnRecipient[];
}

/** A bounce or DSN mail as the plugin reads it. */
export interface BounceReport {
  /** The Message-ID of the mail the report is about, from its returned headers or message. */
  originalMessageId?: string | undefined;
  /** The DSN part, when the mail is an RFC 3464 report. */
  deliveryStatus?: DeliveryStatusReport | undefined;
  /** `Date` of the report itself. */
  date?: Date | undefined;
  /** First line of the human-readable part, for bounces without DSN framing. */
  text?: string | undefined;
}
