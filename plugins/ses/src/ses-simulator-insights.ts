import type { SimulatedMail } from './ses-simulator-events.js';

/** Event-publishing event types -> the `Type` of a message insights event. */
const INSIGHTS_TYPE: Readonly<Record<string, string>> = {
  Send: 'SEND',
  Delivery: 'DELIVERY',
  Bounce: 'BOUNCE',
  Complaint: 'COMPLAINT',
  Reject: 'REJECT',
  DeliveryDelay: 'DELIVERY_DELAY',
  Open: 'OPEN',
  Click: 'CLICK',
  'Rendering Failure': 'RENDERING_FAILURE',
  Subscription: 'SUBSCRIPTION',
};

interface InsightsEvent {
  /** Epoch seconds, as restJson1 sends a timestamp. */
  Timestamp: number;
  Type: string;
  Details?: Record<string, unknown>;
}

interface StoredInsights {
  mail: SimulatedMail;
  /** Recipient -> its events, oldest first. */
  events: Map<string, InsightsEvent[]>;
}

function details(eventType: string, bounceType: string | undefined): Record<string, unknown> | undefined {
  if (eventType === 'Bounce') {
    const permanent = (bounceType ?? 'Permanent') === 'Permanent';
    return {
      Bounce: {
        BounceType: permanent ? 'PERMANENT' : 'TRANSIENT',
        BounceSubType: permanent ? 'General' : 'MailboxFull',
        DiagnosticCode: permanent ? 'smtp; 550 5.1.1 user unknown' : 'smtp; 452 4.2.2 mailbox full',
      },
    };
  }
  if (eventType === 'Complaint') {
    return { Complaint: { ComplaintSubType: null, ComplaintFeedbackType: 'abuse' } };
  }
  return undefined;
}

/**
 * What SES's `GetMessageInsights` (`GET /v2/email/insights/{MessageId}`) answers: per recipient,
 * the events the simulator published for the message, recorded whether or not they were posted
 * anywhere. Bounded: the oldest messages are forgotten first.
 */
export class SesMessageInsights {
  private readonly messages = new Map<string, StoredInsights>();

  constructor(private readonly capacity = 10_000) {}

  /** Records one event for `recipients` (every destination when absent). */
  record(
    mail: SimulatedMail,
    event: { eventType: string; recipients?: string[]; bounceType?: string },
    at: Date,
  ) {
    let stored = this.messages.get(mail.messageId);
    if (!stored) {
      stored = { mail, events: new Map() };
      this.messages.set(mail.messageId, stored);
      if (this.messages.size > this.capacity)
        this.messages.delete(this.messages.keys().next().value as string);
    }
    const type = INSIGHTS_TYPE[event.eventType];
    if (!type) return;
    const item: InsightsEvent = { Timestamp: at.getTime() / 1000, Type: type };
    const extra = details(event.eventType, event.bounceType);
    if (extra) item.Details = extra;
    for (const recipient of event.recipients ?? mail.destination) {
      stored.events.set(recipient, [...(stored.events.get(recipient) ?? []), item]);
    }
  }

  /** The `GetMessageInsights` answer body, or undefined for a message the account never sent. */
  answer(messageId: string, credential: string | undefined): Record<string, unknown> | undefined {
    const stored = this.messages.get(messageId);
    if (!stored || stored.mail.credential !== credential) return undefined;
    const { mail } = stored;
    return {
      MessageId: mail.messageId,
      FromEmailAddress: mail.from,
      Subject: mail.subject,
      EmailTags: Object.entries(mail.tags).map(([Name, Value]) => ({ Name, Value })),
      Insights: mail.destination.map((Destination) => ({
        Destination,
        Isp: 'Other',
        Events: stored.events.get(Destination) ?? [],
      })),
    };
  }
}
