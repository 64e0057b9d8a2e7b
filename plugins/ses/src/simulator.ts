import { randomBytes, randomUUID } from 'node:crypto';
import {
  jsonResponse,
  parseSigV4Authorization,
  type SandboxFactory,
  type SimulatorRequest,
  type SimulatorResponse,
  SimulatorServer,
  verifySigV4Signature,
} from '@msg/testing';
import { createSelfSignedCertificate } from './ses-simulator-certificate.js';
import { bareAddress, type ReceivedEmail, readEmail, type SendEmailBody } from './ses-simulator-email.js';
import { awsError, SES_SIMULATOR_ERRORS } from './ses-simulator-errors.js';
import { OUTCOME_EVENTS, type SimulatedMail, sesEventRecord } from './ses-simulator-events.js';
import { SesMessageInsights } from './ses-simulator-insights.js';
import {
  type SnsDelivery,
  type SnsSigner,
  signingCertificateUrl,
  signSnsMessage,
} from './ses-simulator-sns.js';
import { isSnsUrl } from './ses-sns.js';

export { bareAddress, type ReceivedAttachment, type ReceivedEmail } from './ses-simulator-email.js';
export { SES_SIMULATOR_ERRORS } from './ses-simulator-errors.js';
export { OUTCOME_EVENTS, sesEventRecord } from './ses-simulator-events.js';
export {
  decodeEncodedWords,
  leafParts,
  type MimePart,
  mimeProblems,
  parseMime,
} from './ses-simulator-mime.js';
export type { SnsDelivery } from './ses-simulator-sns.js';

export interface SesSimulatorOptions {
  region?: string;
  accountId?: string;
  /** Access key id to secret: when set, SigV4 signatures are checked and other keys refused. */
  accounts?: Record<string, string>;
  /** The SNS topic the configuration set publishes to. */
  topicArn?: string;
  /** SNS SignatureVersion of the notifications: '1' (SHA1withRSA, the default) or '2'. */
  signatureVersion?: '1' | '2';
  /** Senders (addresses or domains) SES has verified; when set, others get MessageRejected. */
  verifiedIdentities?: string[];
  /** Configuration sets that exist; when set, others get NotFoundException. */
  configurationSets?: string[];
  now?: () => number;
  seed?: number;
  /** How many requests and emails to keep (oldest dropped); small for benchmarks. */
  recordLimit?: number;
}

const TAG = /^[A-Za-z0-9_-]{1,256}$/;
const ASCII = /^[\x20-\x7e]*$/;

/**
 * SES v2 on loopback: `POST /v2/email/outbound-emails` and `GET /v2/email/account` with SigV4
 * checks and restJson1 errors, the accepted emails kept (Raw MIME read back), and event
 * publishing through a simulated SNS topic: signed notifications to `callbackUrl`.
 */
export class SesSimulator extends SimulatorServer {
  readonly region: string;
  readonly accountId: string;
  readonly topicArn: string;
  readonly emails: ReceivedEmail[] = [];
  /** Every message's events per recipient, for `GetMessageInsights`. */
  readonly insights = new SesMessageInsights();
  /** The PEM certificate SNS signs with, served (in tests) for `signingCertUrl`. */
  readonly certificatePem: string;
  readonly signingCertUrl: string;
  /** Tokens of subscriptions confirmed through `subscriptionConfirmer`. */
  readonly confirmedTokens: string[] = [];
  private readonly signer: SnsSigner;
  private readonly accounts: Record<string, string> | undefined;
  private readonly verifiedIdentities: Set<string> | undefined;
  private readonly configurationSets: Set<string> | undefined;
  private readonly clock: () => number;
  private readonly pendingTokens = new Set<string>();
  private readonly emailLimit: number;

  constructor(options: SesSimulatorOptions = {}) {
    super({
      name: 'ses',
      errors: SES_SIMULATOR_ERRORS,
      seed: options.seed,
      now: options.now,
      recordLimit: options.recordLimit,
    });
    this.emailLimit = options.recordLimit ?? 1000;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.topicArn = options.topicArn ?? `arn:aws:sns:${this.region}:${this.accountId}:ses-events`;
    this.accounts = options.accounts;
    this.verifiedIdentities =
      options.verifiedIdentities &&
      new Set(options.verifiedIdentities.map((identity) => identity.toLowerCase()));
    this.configurationSets = options.configurationSets && new Set(options.configurationSets);
    this.clock = options.now ?? Date.now;
    const { privateKey, certificatePem } = createSelfSignedCertificate(
      'sns.amazonaws.com',
      new Date(this.clock()),
    );
    this.certificatePem = certificatePem;
    this.signingCertUrl = signingCertificateUrl(this.region, certificatePem);
    this.signer = {
      privateKey,
      signingCertUrl: this.signingCertUrl,
      signatureVersion: options.signatureVersion ?? '1',
    };
    this.route(
      'POST',
      '/v2/email/outbound-emails',
      (request) => this.authenticate(request) ?? this.sendEmail(request),
    );
    this.route('GET', '/v2/email/account', (request) => this.authenticate(request) ?? this.account());
    this.route(
      'GET',
      '/v2/email/insights/:messageId',
      (request) => this.authenticate(request) ?? this.messageInsights(request),
    );
  }

  /** Serves the signing certificate, as `https://sns.<region>.amazonaws.com/...pem` would. */
  readonly certificateFetcher = async (url: string): Promise<string> => {
    if (url !== this.signingCertUrl) throw new Error(`HTTP 404 for ${url}`);
    return this.certificatePem;
  };

  /** Confirms a subscription from its SubscribeURL, as the SNS ConfirmSubscription action does. */
  readonly subscriptionConfirmer = async (url: string): Promise<void> => {
    if (!isSnsUrl(url)) throw new Error(`not an SNS URL: ${url}`);
    const parsed = new URL(url);
    const token = parsed.searchParams.get('Token') ?? '';
    if (parsed.searchParams.get('Action') !== 'ConfirmSubscription' || !this.pendingTokens.delete(token)) {
      throw new Error('HTTP 400 InvalidParameter: Token');
    }
    this.confirmedTokens.push(token);
  };

  /** A signed SNS notification carrying one SES event. */
  notification(input: {
    eventType: string;
    messageId: string;
    recipients?: string[];
    tags?: Record<string, string>;
    bounceType?: string;
    timestamp?: Date;
    topicArn?: string;
  }): SnsDelivery {
    const at = input.timestamp ?? new Date(this.clock());
    const mail: SimulatedMail = {
      messageId: input.messageId,
      from: 'sender@example.com',
      destination: input.recipients ?? ['recipient@example.com'],
      subject: 'Hello',
      sentAt: at,
      tags: input.tags ?? {},
      region: this.region,
      accountId: this.accountId,
    };
    const record = sesEventRecord(input.eventType, mail, { at, bounceType: input.bounceType });
    return this.signedNotification(JSON.stringify(record), { timestamp: at, topicArn: input.topicArn });
  }

  /** A signed SubscriptionConfirmation, whose token `subscriptionConfirmer` then accepts. */
  subscriptionConfirmation(input: { timestamp?: Date; topicArn?: string } = {}): SnsDelivery {
    const token = randomBytes(64).toString('hex');
    const topicArn = input.topicArn ?? this.topicArn;
    this.pendingTokens.add(token);
    const subscribeUrl = `https://sns.${this.region}.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`;
    return signSnsMessage(
      {
        Type: 'SubscriptionConfirmation',
        Token: token,
        TopicArn: topicArn,
        Message: `You have chosen to subscribe to the topic ${topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
        SubscribeURL: subscribeUrl,
        Timestamp: (input.timestamp ?? new Date(this.clock())).toISOString(),
      },
      this.signer,
    );
  }

  /** Posts a SubscriptionConfirmation to `url`, as SNS does when an HTTPS subscription is made. */
  subscribe(url: string): SnsDelivery {
    const delivery = this.subscriptionConfirmation();
    this.callbacks.schedule({ url, headers: delivery.headers, body: delivery.body }, 0);
    return delivery;
  }

  /** A signed SNS notification with any `Message` text (identity notifications, test messages). */
  signedNotification(message: string, options: { timestamp?: Date; topicArn?: string } = {}): SnsDelivery {
    const at = options.timestamp ?? new Date(this.clock());
    const topicArn = options.topicArn ?? this.topicArn;
    const id = randomUUID();
    return signSnsMessage(
      {
        Type: 'Notification',
        MessageId: id,
        TopicArn: topicArn,
        Message: message,
        Timestamp: at.toISOString(),
        UnsubscribeURL: `https://sns.${this.region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(`${topicArn}:${id}`)}`,
      },
      this.signer,
      `${topicArn}:simulated-subscription`,
    );
  }

  private authenticate(request: SimulatorRequest): SimulatorResponse | undefined {
    const header = request.headers.authorization;
    if (!header) return awsError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
    const credential = parseSigV4Authorization(header);
    if (!credential) {
      return awsError(
        'IncompleteSignatureException',
        400,
        `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters`,
      );
    }
    if (credential.service !== 'ses') {
      return awsError(
        'InvalidSignatureException',
        403,
        `Credential should be scoped to correct service: 'ses'.`,
      );
    }
    if (credential.region !== this.region) {
      return awsError('InvalidSignatureException', 403, `Credential should be scoped to a valid region.`);
    }
    if (!String(request.headers['x-amz-date'] ?? '').startsWith(credential.date)) {
      return awsError(
        'InvalidSignatureException',
        403,
        'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.',
      );
    }
    if (this.accounts) {
      const secret = this.accounts[credential.accessKeyId];
      if (secret === undefined) return SES_SIMULATOR_ERRORS.UnrecognizedClientException?.(request);
      if (!verifySigV4Signature({ ...request, body: request.rawBody }, credential, secret))
        return SES_SIMULATOR_ERRORS.InvalidSignatureException?.(request);
    }
    request.credential = credential.accessKeyId;
    return undefined;
  }

  private messageInsights(request: SimulatorRequest): SimulatorResponse {
    const messageId = request.params.messageId ?? '';
    const answer = this.insights.answer(messageId, request.credential);
    if (!answer) return awsError('NotFoundException', 404, `Message ${messageId} does not exist.`);
    return jsonResponse(200, answer, { 'x-amzn-requestid': randomUUID() });
  }

  private account(): SimulatorResponse {
    return jsonResponse(200, {
      DedicatedIpAutoWarmupEnabled: false,
      EnforcementStatus: 'HEALTHY',
      ProductionAccessEnabled: true,
      SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: this.emails.length },
      SendingEnabled: true,
    });
  }

  private sendEmail(request: SimulatorRequest): SimulatorResponse {
    let body: SendEmailBody;
    try {
      body = request.json<SendEmailBody>();
    } catch {
      return awsError('BadRequestException', 400, 'Request body is not valid JSON.');
    }
    const content = body.Content ?? {};
    const kinds = (['Simple', 'Raw', 'Template'] as const).filter((kind) => content[kind] !== undefined);
    if (kinds.length !== 1)
      return awsError(
        'BadRequestException',
        400,
        'Exactly one of Simple, Raw or Template content is required.',
      );
    const email = readEmail(kinds[0] as ReceivedEmail['contentKind'], body, request.credential);
    if ('status' in email) return email;
    const recipients = [...email.to, ...email.cc, ...email.bcc];
    if (recipients.length === 0)
      return awsError('BadRequestException', 400, 'Missing required field Destination.');
    if (recipients.length > 50) return awsError('BadRequestException', 400, 'Recipient count exceeds 50.');
    const from = email.fromEmailAddress;
    if (!from) return awsError('BadRequestException', 400, 'Missing required field FromEmailAddress.');
    if (!ASCII.test(from) || [...recipients, ...email.replyTo].some((address) => !ASCII.test(address))) {
      return awsError(
        'BadRequestException',
        400,
        'Addresses must be 7-bit ASCII; encode display names (RFC 2047).',
      );
    }
    for (const tag of body.EmailTags ?? []) {
      if (!TAG.test(tag.Name ?? '') || !TAG.test(tag.Value ?? '')) {
        return awsError(
          'BadRequestException',
          400,
          `Invalid tag ${JSON.stringify(tag)}: names and values allow only A-Z a-z 0-9 _ -.`,
        );
      }
    }
    if (
      email.configurationSetName &&
      this.configurationSets &&
      !this.configurationSets.has(email.configurationSetName)
    ) {
      return awsError(
        'NotFoundException',
        404,
        `Configuration set <${email.configurationSetName}> does not exist.`,
      );
    }
    const sender = bareAddress(from).toLowerCase();
    const domain = sender.split('@')[1] ?? '';
    if (
      this.verifiedIdentities &&
      !this.verifiedIdentities.has(sender) &&
      !this.verifiedIdentities.has(domain)
    ) {
      return awsError(
        'MessageRejected',
        400,
        `Email address is not verified. The following identities failed the check in region ${this.region.toUpperCase()}: ${bareAddress(from)}`,
      );
    }
    const now = this.clock();
    const messageId = `0100${now.toString(16).padStart(12, '0')}-${randomUUID()}-000000`;
    this.emails.push({ ...email, messageId });
    if (this.emails.length > this.emailLimit) this.emails.splice(0, this.emails.length - this.emailLimit);
    this.scheduleEvents({
      messageId,
      from: bareAddress(from),
      destination: recipients.map(bareAddress),
      subject: email.subject,
      sentAt: new Date(now),
      tags: email.tags,
      configurationSetName: email.configurationSetName,
      credential: request.credential,
      region: this.region,
      accountId: this.accountId,
    });
    return jsonResponse(200, { MessageId: messageId }, { 'x-amzn-requestid': randomUUID() });
  }

  /**
   * Event publishing: Send for the message, then each recipient's outcome, through SNS; each is
   * also kept for `GetMessageInsights`, whether or not a callback URL is set.
   */
  private scheduleEvents(mail: SimulatedMail): void {
    const url = this.callbackUrl;
    const outcomes = mail.destination.map((recipient) => ({
      recipient,
      outcome: this.outcomeFor(recipient),
    }));
    const rejected = outcomes.some(({ outcome }) => outcome === 'rejected');
    const events: Array<{ eventType: string; recipients?: string[]; bounceType?: string }> = rejected
      ? [{ eventType: 'Reject' }]
      : [{ eventType: 'Send' }];
    if (!rejected) {
      for (const { recipient, outcome } of outcomes) {
        for (const event of OUTCOME_EVENTS[outcome] ?? OUTCOME_EVENTS.delivered ?? []) {
          events.push({ ...event, recipients: [recipient] });
        }
      }
    }
    events.forEach((event, index) => {
      const at = new Date(this.clock());
      this.insights.record(mail, event, at);
      if (!url) return;
      const record = sesEventRecord(event.eventType, mail, {
        recipients: event.recipients,
        at,
        bounceType: event.bounceType,
      });
      const delivery = this.signedNotification(JSON.stringify(record), { timestamp: at });
      // Spaced out so receivers see them in order, as SES usually sends them.
      this.callbacks.schedule(
        { url, headers: delivery.headers, body: delivery.body },
        this.callbackDelayMs + index * 5,
      );
    });
  }
}

/** A SES simulator, not yet started: `await simulator.start()`. */
export function createSesSimulator(options: SesSimulatorOptions = {}): SesSimulator {
  return new SesSimulator(options);
}

/**
 * Sandbox: a SES simulator with one made-up account, its event notifications posted to
 * `webhookUrl` through the simulated SNS topic. The plugin accepts that topic and is given the
 * simulator's signing certificate inline (`trustedCertificates`), as it cannot download it from AWS.
 */
export const sandbox: SandboxFactory = async ({ webhookUrl }) => {
  const region = 'us-east-1';
  const accessKeyId = 'AKIASANDBOXSES000001';
  const secretAccessKey = 'sandbox-ses-secret';
  const simulator = createSesSimulator({ region, accounts: { [accessKeyId]: secretAccessKey } });
  const url = await simulator.start();
  simulator.callbackUrl = webhookUrl;
  return {
    options: {
      region,
      accessKeyId,
      secretAccessKey,
      baseUrl: url,
      allowedTopicArns: [simulator.topicArn],
      trustedCertificates: { [simulator.signingCertUrl]: simulator.certificatePem },
    },
    url,
    stop: () => simulator.stop(),
  };
};
