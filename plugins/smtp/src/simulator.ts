import { randomBytes } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import {
  jsonResponse,
  type SandboxFactory,
  type SimulatorResponse,
  SimulatorServer,
  textResponse,
} from '@msg/testing';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { BounceMailbox } from './smtp-bounce-mailbox.js';
import { generateCertificate, type SimulatorCertificate } from './smtp-certificate.js';
import { parseHeaderBlock } from './smtp-mime.js';
import { DsnMailer } from './smtp-simulator-dsn.js';
import {
  SmtpFaultQueue,
  type SmtpFaultSettings,
  type SmtpTransactionFaults,
} from './smtp-simulator-faults.js';
import {
  isReplyName,
  replyError,
  SMTP_SIMULATOR_REPLIES,
  type SmtpReplyName,
} from './smtp-simulator-replies.js';

export interface SmtpSimulatorAccountOptions {
  username: string;
  password: string;
  /** What `requests[].credential` records for this account (default: the username). */
  label?: string;
  /** Messages a day before `550 5.4.5` (default: the simulator's `dailyLimit`). */
  dailyLimit?: number;
}

export interface SmtpSimulatorAccount extends Required<SmtpSimulatorAccountOptions> {
  /** Messages accepted in the current day. */
  sentToday: number;
}

export interface SmtpSimulatorOptions {
  /** Default: one account with a generated user name and password. */
  accounts?: SmtpSimulatorAccountOptions[];
  /** `starttls` (587-style, default), `implicit` (465-style) or `none` (plain text, AUTH allowed). */
  tls?: 'starttls' | 'implicit' | 'none';
  /** Hide the DSN extension from EHLO (default false: DSN offered, as `hideDSN: false`). */
  hideDSN?: boolean;
  /** SIZE limit in bytes; a larger message gets `552 5.3.4` (default Gmail's 35882577). */
  size?: number;
  /** RCPTs per transaction before `452 4.5.3` (default 100, Gmail's). */
  maxRecipients?: number;
  /** Messages per account per day before `550 5.4.5` (default 2000, Google Workspace's). */
  dailyLimit?: number;
  /** Start the bounce mailbox that receives the reports and posts them to `callbackUrl`. */
  bounceMailbox?: boolean;
  seed?: number;
  now?: () => number;
  recordLimit?: number;
}

/** A message the simulator accepted. */
export interface ReceivedMail {
  account: string;
  from: string;
  to: string[];
  messageId: string | undefined;
  subject: string | undefined;
  envelopeId: string | undefined;
  /** NOTIFY per recipient, as the client gave it. */
  notify: Record<string, string[]>;
  returnFull: boolean;
  raw: Buffer;
  receivedAt: number;
}

const GMAIL_SIZE = 35_882_577;

/**
 * An SMTP relay on loopback (smtp-server), worded like Gmail's submission server: STARTTLS or
 * implicit TLS with a certificate made at start, AUTH PLAIN/LOGIN for several accounts, SIZE,
 * 100 RCPTs per transaction, a daily quota, DSN (RFC 3461) and scripted replies; delivery status
 * notifications mailed to a bounce mailbox that posts them to `callbackUrl`. Its HTTP side serves
 * the received mail (`GET /messages`) and the usual `/__simulator/*` fault controls.
 */
export class SmtpSimulator extends SimulatorServer {
  readonly accounts: SmtpSimulatorAccount[];
  readonly mailbox: ReceivedMail[] = [];
  /** Recipient address -> scripted reply given to its RCPT TO. */
  readonly recipientReplies = new Map<string, SmtpReplyName>();
  readonly bounces: BounceMailbox | undefined;
  certificate: SimulatorCertificate | undefined;
  /** Called for every new SMTP connection (tests count them). */
  onConnection: (() => void) | undefined;

  private readonly settings: Required<
    Omit<SmtpSimulatorOptions, 'accounts' | 'seed' | 'now' | 'recordLimit'>
  >;
  private readonly clock: () => number;
  private readonly keep: number;
  private readonly smtpSockets = new Map<number, Socket>();
  private readonly greetingFaults = new Map<number, SmtpFaultSettings>();
  private readonly dsn: DsnMailer;
  private smtp: SMTPServer | undefined;
  private smtpPort: number | undefined;
  private readonly faults: SmtpFaultQueue;
  private day = '';

  constructor(options: SmtpSimulatorOptions = {}) {
    const clock = options.now ?? Date.now;
    super({ name: 'smtp', seed: options.seed, now: clock, recordLimit: options.recordLimit });
    this.clock = clock;
    this.keep = options.recordLimit ?? 1000;
    this.settings = {
      tls: options.tls ?? 'starttls',
      hideDSN: options.hideDSN ?? false,
      size: options.size ?? GMAIL_SIZE,
      maxRecipients: options.maxRecipients ?? 100,
      dailyLimit: options.dailyLimit ?? 2000,
      bounceMailbox: options.bounceMailbox ?? true,
    };
    const accounts = options.accounts ?? [
      {
        username: `user-${randomBytes(4).toString('hex')}@example.com`,
        password: randomBytes(12).toString('base64url'),
      },
    ];
    this.accounts = accounts.map((account) => ({
      username: account.username,
      password: account.password,
      label: account.label ?? account.username,
      dailyLimit: account.dailyLimit ?? this.settings.dailyLimit,
      sentToday: 0,
    }));
    this.faults = new SmtpFaultQueue(options.seed);
    this.bounces = this.settings.bounceMailbox
      ? new BounceMailbox({ callbacks: this.callbacks, webhookUrl: () => this.callbackUrl, now: clock })
      : undefined;
    this.dsn = new DsnMailer({
      reportingMta: 'mx.simulator.test',
      now: clock,
      outcomeFor: (r) => this.outcomeFor(r),
    });
    this.route('GET', '/messages', () => this.listMessages(), { faults: false });
    this.route('GET', '/messages/:index/raw', (request) => this.rawMessage(Number(request.params.index)), {
      faults: false,
    });
  }

  get host(): string {
    return '127.0.0.1';
  }

  /** The SMTP port (the HTTP side is `url`). */
  get port(): number {
    if (this.smtpPort === undefined) throw new Error('[msg] [simulator smtp] not started');
    return this.smtpPort;
  }

  /** The PEM certificate clients must trust (`tlsCa`), when TLS is on. */
  get ca(): string | undefined {
    return this.certificate?.cert;
  }

  /** SMTP connections open right now (the HTTP side's are not counted: clients never use it). */
  override get openConnections(): number {
    this.pruneSockets();
    return this.smtpSockets.size;
  }

  /** smtp-server takes the listeners off a socket it upgrades to TLS, so `close` may never reach us. */
  private pruneSockets(): void {
    for (const [port, socket] of this.smtpSockets) if (socket.destroyed) this.smtpSockets.delete(port);
  }

  account(labelOrUsername?: string): SmtpSimulatorAccount {
    const found = labelOrUsername
      ? this.accounts.find((entry) => entry.label === labelOrUsername || entry.username === labelOrUsername)
      : this.accounts[0];
    if (!found) throw new Error(`[msg] [simulator smtp] no account "${labelOrUsername}"`);
    return found;
  }

  override async start(options: { port?: number; host?: string } = {}): Promise<string> {
    if (this.settings.tls !== 'none') this.certificate = await generateCertificate();
    const url = await super.start({ host: options.host });
    await this.bounces?.start();
    if (this.bounces) this.dsn.bounceMailboxPort = this.bounces.port;
    const smtp = this.createSmtpServer();
    smtp.server.on('connection', (socket: Socket) => {
      this.pruneSockets();
      const port = socket.remotePort ?? 0;
      this.smtpSockets.set(port, socket);
      this.takeGreetingFault(port);
      this.onConnection?.();
      socket.once('close', () => this.smtpSockets.delete(port));
    });
    await new Promise<void>((resolve, reject) => {
      smtp.server.once('error', reject);
      smtp.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.smtp = smtp;
    this.smtpPort = (smtp.server.address() as AddressInfo).port;
    return url;
  }

  override async stop(): Promise<void> {
    const smtp = this.smtp;
    this.smtp = undefined;
    for (const socket of this.smtpSockets.values()) socket.destroy();
    if (smtp) await new Promise<void>((resolve) => smtp.close(() => resolve()));
    this.dsn.close();
    await this.bounces?.stop();
    await super.stop();
  }

  /** The next transaction gets the named scripted reply at its phase (see SMTP_SIMULATOR_REPLIES). */
  override failNext(error: string, times = 1): void {
    if (!isReplyName(error)) throw new Error(`[msg] [simulator smtp] unknown error "${error}"`);
    this.faults.push({ reply: error }, times);
  }

  override faultNext(settings: SmtpFaultSettings, times = 1): void {
    this.faults.push({ fault: settings }, times);
  }

  override setFaults(settings: SmtpFaultSettings): void {
    this.faults.setStanding(settings);
  }

  override clearFaults(): void {
    this.faults.clear();
  }

  override reset(): void {
    super.reset();
    this.clearFaults();
    this.mailbox.length = 0;
    this.recipientReplies.clear();
    for (const account of this.accounts) account.sentToday = 0;
  }

  override errorNames(): string[] {
    return Object.keys(SMTP_SIMULATOR_REPLIES);
  }

  private createSmtpServer(): SMTPServer {
    const tls = this.settings.tls;
    return new SMTPServer({
      secure: tls === 'implicit',
      ...(this.certificate && { key: this.certificate.key, cert: this.certificate.cert }),
      hideSTARTTLS: tls !== 'starttls',
      // Without this smtp-server still takes a STARTTLS it does not offer, with a built-in certificate.
      ...(tls === 'none' && { disabledCommands: ['STARTTLS'] }),
      allowInsecureAuth: tls === 'none',
      authMethods: ['PLAIN', 'LOGIN'],
      hideDSN: this.settings.hideDSN,
      // Scripted replies carry their own enhanced codes (Gmail's); smtp-server would add a second.
      hideENHANCEDSTATUSCODES: true,
      size: this.settings.size,
      name: 'smtp.simulator.test',
      banner: 'smtp.simulator.test ESMTP ready - gsmtp',
      closeTimeout: 200,
      logger: false,
      disableReverseLookup: true,
      onConnect: (session, callback) => this.onConnect(session, callback),
      onAuth: (auth, _session, callback) => {
        const scripted = this.faults.takeAuth();
        if (scripted) return callback(replyError(scripted));
        const account = this.accounts.find((entry) => entry.username === auth.username);
        if (!account || auth.password !== account.password) return callback(replyError('bad-credentials'));
        callback(null, { user: account.label });
      },
      onMailFrom: (_address, session, callback) => callback(this.onMailFrom(session)),
      onRcptTo: (address, session, callback) => {
        const transaction = this.transaction(session);
        if (session.envelope.rcptTo.length >= this.settings.maxRecipients) {
          return callback(replyError('too-many-recipients'));
        }
        const scripted = this.recipientReplies.get(address.address.toLowerCase());
        if (scripted) return callback(replyError(scripted));
        if (transaction.reply && SMTP_SIMULATOR_REPLIES[transaction.reply].phase === 'rcpt') {
          return callback(replyError(transaction.reply));
        }
        callback();
      },
      onData: (stream, session, callback) => this.onData(stream, session, callback),
    });
  }

  /**
   * Faults for new connections, taken when the connection is accepted (smtp-server greets 100 ms
   * later, and a client may give up before that): a silent server (greeting timeout) or a drop
   * after the greeting. A `hang` without `at` silences whichever comes first, a greeting or a
   * message's final reply.
   */
  private takeGreetingFault(port: number): void {
    const fault = this.faults.takeGreeting();
    if (fault) this.greetingFaults.set(port, fault);
  }

  private onConnect(session: SMTPServerSession, callback: (error?: Error | null) => void): void {
    const fault = this.greetingFaults.get(session.remotePort);
    this.greetingFaults.delete(session.remotePort);
    if (fault?.hang) return;
    callback();
    // Right after the greeting went out, before the client can get further.
    if (fault?.reset) setImmediate(() => this.smtpSockets.get(session.remotePort)?.destroy());
  }

  /** The faults of the transaction a session is in, chosen at MAIL FROM. */
  private readonly transactions = new WeakMap<SMTPServerSession, SmtpTransactionFaults>();

  private transaction(session: SMTPServerSession): SmtpTransactionFaults {
    return this.transactions.get(session) ?? {};
  }

  private onMailFrom(session: SMTPServerSession): Error | null {
    const now = this.clock();
    const transaction = this.faults.takeTransaction(now);
    this.transactions.set(session, transaction);
    if (transaction.reply && SMTP_SIMULATOR_REPLIES[transaction.reply].phase === 'mail') {
      return replyError(transaction.reply);
    }
    const account = this.accounts.find((entry) => entry.label === session.user);
    const day = new Date(now).toISOString().slice(0, 10);
    if (day !== this.day) {
      this.day = day;
      for (const entry of this.accounts) entry.sentToday = 0;
    }
    if (account && account.sentToday >= account.dailyLimit) return replyError('daily-quota');
    return null;
  }

  private onData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (error?: Error | null, message?: string) => void,
  ): void {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks);
      const { reply, fault } = this.transaction(session);
      this.recordTransaction(session, raw);
      if (fault?.hang) return;
      if (fault?.reset) {
        this.smtpSockets.get(session.remotePort)?.destroy();
        return;
      }
      if (fault?.status !== undefined && this.answerWithoutReply(fault.status, session, callback)) return;
      const answer = () => {
        if (stream.sizeExceeded) return callback(replyError('message-too-big'));
        if (reply && SMTP_SIMULATOR_REPLIES[reply].phase === 'data') return callback(replyError(reply));
        const account = this.accounts.find((entry) => entry.label === session.user);
        if (account) account.sentToday++;
        const mail = this.accept(session, raw);
        this.dsn.report(mail);
        callback(
          null,
          `2.0.0 OK  ${Math.floor(this.clock() / 1000)} ${randomBytes(6).toString('hex')} - gsmtp`,
        );
      };
      if (fault?.latencyMs) setTimeout(answer, fault.latencyMs);
      else answer();
    });
  }

  /**
   * `status`, SMTP's nearest to an HTTP answer without the provider's body: a 5xx is a bare
   * `451` with no enhanced code (a relay that failed locally); a 2xx is a final reply no client
   * can read (a line without a reply code, then the connection drops): the message may be taken.
   */
  private answerWithoutReply(
    status: number,
    session: SMTPServerSession,
    callback: (error?: Error | null, message?: string) => void,
  ): boolean {
    if (status >= 500) {
      callback(
        Object.assign(new Error('Requested action aborted: local error in processing'), {
          responseCode: 451,
        }),
      );
      return true;
    }
    if (status >= 200 && status < 300) {
      const connection = [...(this.smtp?.connections ?? [])].find((entry) => entry.session === session);
      // send() joins its parts with spaces: a "code" that is no number makes a line without one.
      connection?.send('queued' as unknown as number, 'as 12345', false);
      setImmediate(() => this.smtpSockets.get(session.remotePort)?.destroy());
      return true;
    }
    return false;
  }

  private recordTransaction(session: SMTPServerSession, raw: Buffer): void {
    const headers: Record<string, string> = {};
    for (const [name, values] of parseHeaderBlock(raw.toString('latin1').split(/\r?\n\r?\n/)[0] ?? '')) {
      headers[name] = values[0] ?? '';
    }
    this.requests.push({
      method: 'DATA',
      path: '/smtp',
      url: `smtp://${this.host}:${this.port}`,
      headers,
      body: raw,
      credential: typeof session.user === 'string' ? session.user : undefined,
      at: this.clock(),
    });
    if (this.requests.length > this.keep) this.requests.splice(0, this.requests.length - this.keep);
  }

  private accept(session: SMTPServerSession, raw: Buffer): ReceivedMail {
    const head = parseHeaderBlock(raw.toString('latin1').split(/\r?\n\r?\n/)[0] ?? '');
    const envelope = session.envelope;
    const mail: ReceivedMail = {
      account: String(session.user ?? ''),
      from: envelope.mailFrom ? envelope.mailFrom.address : '',
      to: envelope.rcptTo.map((entry) => entry.address),
      messageId: head.get('message-id')?.[0],
      subject: head.get('subject')?.[0],
      envelopeId: envelope.dsn?.envid ?? undefined,
      notify: Object.fromEntries(envelope.rcptTo.map((entry) => [entry.address, entry.dsn?.notify ?? []])),
      returnFull: envelope.dsn?.ret === 'FULL',
      raw,
      receivedAt: this.clock(),
    };
    this.mailbox.push(mail);
    return mail;
  }

  private listMessages(): SimulatorResponse {
    return jsonResponse(200, {
      count: this.mailbox.length,
      messages: this.mailbox.map((mail, index) => ({
        index,
        account: mail.account,
        from: mail.from,
        to: mail.to,
        messageId: mail.messageId,
        subject: mail.subject,
        envelopeId: mail.envelopeId,
        size: mail.raw.length,
        receivedAt: mail.receivedAt,
      })),
    });
  }

  private rawMessage(index: number): SimulatorResponse {
    const mail = this.mailbox[index];
    if (!mail) return textResponse(404, `no message ${index}`);
    return { status: 200, headers: { 'content-type': 'message/rfc822' }, body: mail.raw };
  }
}

/** An SMTP simulator, not started: `await simulator.start()`. */
export function createSmtpSimulator(options: SmtpSimulatorOptions = {}): SmtpSimulator {
  return new SmtpSimulator(options);
}

/**
 * Sandbox: an SMTP relay with STARTTLS (its generated certificate trusted through `tlsCa`) and
 * one made-up account; its delivery reports reach `webhookUrl` with a generated `?token=`.
 */
export const sandbox: SandboxFactory = async ({ webhookUrl }) => {
  const simulator = createSmtpSimulator();
  const url = await simulator.start();
  const token = randomBytes(18).toString('base64url');
  const hook = new URL(webhookUrl);
  hook.searchParams.set('token', token);
  simulator.callbackUrl = hook.toString();
  const account = simulator.account();
  return {
    options: {
      host: simulator.host,
      port: simulator.port,
      tls: 'starttls',
      tlsCa: simulator.ca,
      username: account.username,
      password: account.password,
      webhookToken: token,
    },
    url,
    stop: () => simulator.stop(),
  };
};

export { buildDsnReport, type DsnReportInput, encodeXtext } from './smtp-dsn-report.js';
export { SMTP_OUTCOMES } from './smtp-simulator-dsn.js';
export type { SmtpFaultSettings } from './smtp-simulator-faults.js';
export { SMTP_SIMULATOR_REPLIES, type SmtpReplyName } from './smtp-simulator-replies.js';
