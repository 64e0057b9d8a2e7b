import nodemailer, { type Transporter } from 'nodemailer';
import type { DsnAction } from './smtp-api-types.js';
import { buildDsnReport, type DsnReportRecipient } from './smtp-dsn-report.js';

/** A received message, as far as the reports need it. */
export interface ReportedMail {
  from: string;
  to: string[];
  envelopeId: string | undefined;
  /** NOTIFY per recipient, upper case, as the client sent it (empty: not asked). */
  notify: Record<string, string[]>;
  returnFull: boolean;
  raw: Buffer;
}

interface Outcome {
  action: DsnAction;
  status: string;
  diagnostic?: string;
  /** The NOTIFY keyword that asks for this report. */
  notify: 'SUCCESS' | 'FAILURE' | 'DELAY';
}

/** Outcome words for `simulator.outcomes` (per recipient) and the report each one mails back. */
export const SMTP_OUTCOMES: Readonly<Record<string, Outcome | undefined>> = {
  delivered: { action: 'delivered', status: '2.0.0', notify: 'SUCCESS', diagnostic: '250 2.0.0 OK' },
  relayed: { action: 'relayed', status: '2.0.0', notify: 'SUCCESS' },
  bounce: {
    action: 'failed',
    status: '5.1.1',
    notify: 'FAILURE',
    diagnostic: '550 5.1.1 The email account that you tried to reach does not exist.',
  },
  'soft-bounce': {
    action: 'failed',
    status: '4.2.2',
    notify: 'FAILURE',
    diagnostic: '452 4.2.2 The email account that you tried to reach is over quota.',
  },
  deferred: {
    action: 'delayed',
    status: '4.4.7',
    notify: 'DELAY',
    diagnostic: '421 4.4.7 Delivery delayed; will keep trying.',
  },
  // Accepted, and nothing is ever reported.
  silent: undefined,
};

export interface DsnMailerOptions {
  reportingMta: string;
  now(): number;
  outcomeFor(recipient: string): string;
}

/**
 * The relay's far side: after it accepts a message, it mails each recipient's report (RFC 3464)
 * to the envelope sender's bounce mailbox, as far as the sender's NOTIFY asks for it (failures
 * and delays are reported when the sender did not say).
 */
export class DsnMailer {
  bounceMailboxPort: number | undefined;
  private transport: Transporter | undefined;

  constructor(private readonly options: DsnMailerOptions) {}

  report(mail: ReportedMail): void {
    const port = this.bounceMailboxPort;
    if (port === undefined || !mail.from) return;
    this.transport ??= nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
      logger: false,
    });
    for (const recipient of mail.to) {
      const outcome = SMTP_OUTCOMES[this.options.outcomeFor(recipient)];
      if (!outcome) continue;
      const notify = mail.notify[recipient] ?? [];
      const asked = notify.length === 0 ? outcome.notify !== 'SUCCESS' : notify.includes(outcome.notify);
      if (!asked) continue;
      const entry: DsnReportRecipient = {
        recipient,
        action: outcome.action,
        status: outcome.status,
        diagnostic: outcome.diagnostic,
      };
      const text = mail.raw.toString('latin1');
      const report = buildDsnReport({
        to: mail.from,
        reportingMta: this.options.reportingMta,
        envelopeId: mail.envelopeId,
        recipients: [entry],
        original: mail.returnFull ? text : (text.split(/\r?\n\r?\n/)[0] ?? ''),
        returnFull: mail.returnFull,
        date: new Date(this.options.now()),
      });
      // The null sender: a report is never answered with another report.
      this.transport
        .sendMail({ envelope: { from: '', to: [mail.from] }, raw: report })
        .catch(() => undefined);
    }
  }

  close(): void {
    this.transport?.close();
    this.transport = undefined;
  }
}
