import { randomUUID } from 'node:crypto';

/** What the simulator knows about a sent message, for the `mail` object of its events. */
export interface SimulatedMail {
  messageId: string;
  from: string;
  destination: string[];
  subject: string | undefined;
  sentAt: Date;
  tags: Record<string, string>;
  configurationSetName?: string | undefined;
  credential?: string | undefined;
  region: string;
  accountId: string;
}

/** The key under which each SES event type carries its detail object. */
const DETAIL_KEY: Readonly<Record<string, string>> = {
  Send: 'send',
  Delivery: 'delivery',
  Bounce: 'bounce',
  Complaint: 'complaint',
  Reject: 'reject',
  DeliveryDelay: 'deliveryDelay',
  Open: 'open',
  Click: 'click',
  'Rendering Failure': 'failure',
  Subscription: 'subscription',
};

/** Per-recipient outcomes (`simulator.outcomes`) and the events each produces after Send. */
export const OUTCOME_EVENTS: Readonly<Record<string, Array<{ eventType: string; bounceType?: string }>>> = {
  delivered: [{ eventType: 'Delivery' }],
  bounced: [{ eventType: 'Bounce', bounceType: 'Permanent' }],
  'soft-bounced': [{ eventType: 'Bounce', bounceType: 'Transient' }],
  complained: [{ eventType: 'Delivery' }, { eventType: 'Complaint' }],
  delayed: [{ eventType: 'DeliveryDelay' }],
  opened: [{ eventType: 'Delivery' }, { eventType: 'Open' }],
  clicked: [{ eventType: 'Delivery' }, { eventType: 'Open' }, { eventType: 'Click' }],
  rejected: [{ eventType: 'Reject' }],
  'rendering-failure': [{ eventType: 'Rendering Failure' }],
};

function mailObject(mail: SimulatedMail): Record<string, unknown> {
  const domain = mail.from.split('@')[1] ?? '';
  const tags: Record<string, string[]> = {
    'ses:operation': ['SendEmail'],
    'ses:source-ip': ['127.0.0.1'],
    'ses:from-domain': [domain],
    'ses:caller-identity': [mail.credential ?? 'simulator'],
  };
  if (mail.configurationSetName) tags['ses:configuration-set'] = [mail.configurationSetName];
  for (const [name, value] of Object.entries(mail.tags)) tags[name] = [value];
  return {
    timestamp: mail.sentAt.toISOString(),
    source: mail.from,
    sourceArn: `arn:aws:ses:${mail.region}:${mail.accountId}:identity/${domain}`,
    sendingAccountId: mail.accountId,
    messageId: mail.messageId,
    destination: mail.destination,
    headersTruncated: false,
    headers: [
      { name: 'From', value: mail.from },
      { name: 'To', value: mail.destination.join(', ') },
      { name: 'Subject', value: mail.subject ?? '' },
      { name: 'MIME-Version', value: '1.0' },
    ],
    commonHeaders: {
      from: [mail.from],
      to: mail.destination,
      messageId: mail.messageId,
      subject: mail.subject,
    },
    tags,
  };
}

function detail(
  eventType: string,
  recipients: string[],
  at: Date,
  bounceType: string,
): Record<string, unknown> {
  const timestamp = at.toISOString();
  const permanent = bounceType === 'Permanent';
  switch (eventType) {
    case 'Delivery':
      return {
        timestamp,
        processingTimeMillis: 546,
        recipients,
        smtpResponse: '250 2.6.0 Message received',
        reportingMTA: 'a8-70.smtp-out.amazonses.com',
      };
    case 'Bounce':
      return {
        feedbackId: `${randomUUID()}-000000`,
        bounceType,
        bounceSubType: permanent ? 'General' : 'MailboxFull',
        bouncedRecipients: recipients.map((emailAddress) => ({
          emailAddress,
          action: 'failed',
          status: permanent ? '5.1.1' : '4.2.2',
          diagnosticCode: permanent ? 'smtp; 550 5.1.1 user unknown' : 'smtp; 452 4.2.2 mailbox full',
        })),
        timestamp,
        reportingMTA: 'dsn; e240-8.smtp-out.amazonses.com',
      };
    case 'Complaint':
      return {
        feedbackId: `${randomUUID()}-000000`,
        complainedRecipients: recipients.map((emailAddress) => ({ emailAddress })),
        timestamp,
        complaintFeedbackType: 'abuse',
        arrivalDate: timestamp,
      };
    case 'DeliveryDelay':
      return {
        timestamp,
        delayType: 'TransientCommunicationFailure',
        expirationTime: new Date(at.getTime() + 86_400_000).toISOString(),
        delayedRecipients: recipients.map((emailAddress) => ({
          emailAddress,
          status: '4.4.1',
          diagnosticCode: 'smtp; 421 4.4.1 Unable to connect to remote host',
        })),
      };
    case 'Open':
      return { timestamp, ipAddress: '192.0.2.1', userAgent: 'Mozilla/5.0' };
    case 'Click':
      return {
        timestamp,
        ipAddress: '192.0.2.1',
        userAgent: 'Mozilla/5.0',
        link: 'https://example.com/',
        linkTags: {},
      };
    case 'Reject':
      return { reason: 'Bad content' };
    case 'Rendering Failure':
      return { errorMessage: 'Attribute name is missing', templateName: 'Welcome' };
    default:
      return {};
  }
}

/** An SES event-publishing record, as SES puts it in the `Message` of an SNS notification. */
export function sesEventRecord(
  eventType: string,
  mail: SimulatedMail,
  options: { recipients?: string[]; at?: Date; bounceType?: string } = {},
): Record<string, unknown> {
  const recipients = options.recipients ?? mail.destination;
  return {
    eventType,
    mail: mailObject(mail),
    [DETAIL_KEY[eventType] ?? 'detail']: detail(
      eventType,
      recipients,
      options.at ?? mail.sentAt,
      options.bounceType ?? 'Permanent',
    ),
  };
}
