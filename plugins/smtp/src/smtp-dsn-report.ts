import { randomBytes } from 'node:crypto';
import type { DsnAction } from './smtp-api-types.js';

export interface DsnReportRecipient {
  recipient: string;
  action: DsnAction;
  /** Enhanced status code (`5.1.1`). */
  status: string;
  /** The remote server's reply, for `Diagnostic-Code`. */
  diagnostic?: string | undefined;
  /** The ORCPT the sender gave, when it gave one. */
  originalRecipient?: string | undefined;
}

export interface DsnReportInput {
  /** The envelope sender the report goes to. */
  to: string;
  reportingMta: string;
  /** ENVID from MAIL FROM (already decoded). */
  envelopeId?: string | undefined;
  recipients: DsnReportRecipient[];
  /** The original message's header block (RET=HDRS) or whole message (RET=FULL). */
  original: string;
  returnFull?: boolean | undefined;
  date?: Date | undefined;
  from?: string | undefined;
}

const SUBJECT: Record<DsnAction, string> = {
  failed: 'Delivery Status Notification (Failure)',
  delayed: 'Delivery Status Notification (Delay)',
  delivered: 'Delivery Status Notification (Success)',
  relayed: 'Delivery Status Notification (Relay)',
  expanded: 'Delivery Status Notification (Expanded)',
};

/** xtext (RFC 3461): `+`, `=` and anything outside printable ASCII become `+HH`. */
export function encodeXtext(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) =>
      byte < 0x21 || byte > 0x7e || byte === 0x2b || byte === 0x3d
        ? `+${byte.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(byte),
    )
    .join('');
}

/**
 * An RFC 3464 delivery status notification, as an MTA mails it back to the envelope sender:
 * `multipart/report; report-type=delivery-status` with a human part, the `message/delivery-status`
 * part and the returned headers (or message).
 */
export function buildDsnReport(input: DsnReportInput): string {
  const boundary = `dsn-${randomBytes(8).toString('hex')}`;
  const date = (input.date ?? new Date()).toUTCString().replace('GMT', '+0000');
  const first = input.recipients[0]?.action ?? 'failed';
  const human = input.recipients
    .map(
      (entry) =>
        `${entry.recipient}: ${entry.action} (${entry.status})${entry.diagnostic ? `\r\n  ${entry.diagnostic}` : ''}`,
    )
    .join('\r\n');
  const perMessage = [
    `Reporting-MTA: dns; ${input.reportingMta}`,
    ...(input.envelopeId ? [`Original-Envelope-Id: ${encodeXtext(input.envelopeId)}`] : []),
    `Arrival-Date: ${date}`,
  ];
  const perRecipient = input.recipients.map((entry) =>
    [
      `Final-Recipient: rfc822; ${entry.recipient}`,
      ...(entry.originalRecipient ? [`Original-Recipient: rfc822; ${entry.originalRecipient}`] : []),
      `Action: ${entry.action}`,
      `Status: ${entry.status}`,
      ...(entry.diagnostic ? [`Diagnostic-Code: smtp; ${entry.diagnostic}`] : []),
      `Last-Attempt-Date: ${date}`,
    ].join('\r\n'),
  );
  return [
    `From: Mail Delivery Subsystem <${input.from ?? `mailer-daemon@${input.reportingMta}`}>`,
    `To: <${input.to}>`,
    `Subject: ${SUBJECT[first]}`,
    `Date: ${date}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${input.reportingMta}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=UTF-8',
    '',
    human,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    [perMessage.join('\r\n'), ...perRecipient].join('\r\n\r\n'),
    '',
    `--${boundary}`,
    `Content-Type: ${input.returnFull ? 'message/rfc822' : 'text/rfc822-headers'}`,
    '',
    input.original.replace(/\r?\n/g, '\r\n').replace(/(\r\n)+$/, ''),
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
