import type { AddressInfo } from 'node:net';
import type { StatusCallbacks } from '@msg/testing';
import { SMTPServer } from 'smtp-server';

export interface BouncedMail {
  /** The envelope recipient: the original message's envelope sender. */
  to: string[];
  raw: Buffer;
  receivedAt: number;
}

export interface BounceMailboxOptions {
  callbacks: StatusCallbacks;
  /** Where each received report is posted (`message/rfc822`), like an MTA's pipe to an HTTP hook. */
  webhookUrl(): string | undefined;
  now(): number;
}

/**
 * The envelope sender's mailbox: a second SMTP server that takes the reports the simulator's
 * relay mails back, keeps them, and posts each one raw to the webhook URL.
 */
export class BounceMailbox {
  readonly received: BouncedMail[] = [];
  private server: SMTPServer | undefined;
  private listening: { host: string; port: number } | undefined;

  constructor(private readonly options: BounceMailboxOptions) {}

  get port(): number {
    if (!this.listening) throw new Error('[msg] [simulator smtp] bounce mailbox not started');
    return this.listening.port;
  }

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          this.received.push({
            to: session.envelope.rcptTo.map((entry) => entry.address),
            raw,
            receivedAt: this.options.now(),
          });
          const url = this.options.webhookUrl();
          if (url) {
            this.options.callbacks.schedule({
              url,
              headers: { 'content-type': 'message/rfc822' },
              body: raw,
            });
          }
          callback(null, 'OK: report received');
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.listening = { host: '127.0.0.1', port: (server.server.address() as AddressInfo).port };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
