import type { DeliveryEvent, DeliveryStatus } from '@msg/core';
import type { SnsMessage } from './ses-sns.js';

/**
 * SES event types (event publishing's `eventType`, or `notificationType` of identity
 * notifications) and the status each means. `DeliveryDelay` stays `sent`: SES is still trying.
 * `Subscription` (list-management preference changes) says nothing about delivery and is ignored.
 */
export const SES_EVENT_STATUS = {
  Send: 'sent',
  Delivery: 'delivered',
  Bounce: 'bounced',
  Complaint: 'complained',
  Reject: 'failed',
  DeliveryDelay: 'sent',
  Open: 'opened',
  Click: 'clicked',
  'Rendering Failure': 'failed',
} as const satisfies Record<string, DeliveryStatus>;

export type SesEventType = keyof typeof SES_EVENT_STATUS;

/** The tag under which the plugin sends our message id. */
export const MESSAGE_ID_TAG = 'msg_id';

interface SesRecipient {
  emailAddress?: string;
  status?: string;
  action?: string;
  diagnosticCode?: string;
}

/** The parts of an SES event the plugin reads; see the SES "event publishing" examples. */
interface SesEvent {
  eventType?: string;
  notificationType?: string;
  mail?: { messageId?: string; timestamp?: string; destination?: string[]; tags?: Record<string, string[]> };
  bounce?: {
    bounceType?: string;
    bounceSubType?: string;
    bouncedRecipients?: SesRecipient[];
    timestamp?: string;
    feedbackId?: string;
  };
  complaint?: {
    complainedRecipients?: SesRecipient[];
    timestamp?: string;
    complaintFeedbackType?: string;
    feedbackId?: string;
  };
  delivery?: { recipients?: string[]; timestamp?: string; smtpResponse?: string };
  deliveryDelay?: { delayedRecipients?: SesRecipient[]; timestamp?: string; delayType?: string };
  reject?: { reason?: string };
  open?: { timestamp?: string; userAgent?: string; ipAddress?: string };
  click?: { timestamp?: string; link?: string; userAgent?: string; ipAddress?: string };
  failure?: { errorMessage?: string; templateName?: string };
}

/** One recipient's slice of an SES event. */
interface RecipientOutcome {
  recipient: string | undefined;
  bounceType?: DeliveryEvent['bounceType'];
  error?: DeliveryEvent['error'];
  details?: Record<string, string>;
}

function date(value: string | undefined, fallback: Date): Date {
  const parsed = value ? new Date(value) : fallback;
  return Number.isNaN(parsed.getTime()) ? fallback : parsed;
}

function clean(details: Record<string, string | undefined>): Record<string, string> | undefined {
  const entries = Object.entries(details).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function recipientError(recipient: SesRecipient, fallbackCode: string): DeliveryEvent['error'] {
  return { code: recipient.status ?? fallbackCode, message: recipient.diagnosticCode };
}

/** Who the event is about and what went wrong for each, by event type. */
function outcomes(type: SesEventType, event: SesEvent): { at: string | undefined; list: RecipientOutcome[] } {
  const destination = event.mail?.destination ?? [];
  const everyone = (extra: Omit<RecipientOutcome, 'recipient'> = {}) =>
    destination.length > 0
      ? destination.map((recipient) => ({ recipient, ...extra }))
      : [{ recipient: undefined, ...extra }];
  switch (type) {
    case 'Bounce': {
      const bounce = event.bounce ?? {};
      const bounceType = bounce.bounceType === 'Permanent' ? 'permanent' : 'transient';
      const list = (bounce.bouncedRecipients ?? []).map((recipient) => ({
        recipient: recipient.emailAddress,
        bounceType,
        error: recipientError(recipient, bounce.bounceSubType ?? 'Bounce'),
        details: clean({
          bounceType: bounce.bounceType,
          bounceSubType: bounce.bounceSubType,
          feedbackId: bounce.feedbackId,
        }),
      })) satisfies RecipientOutcome[];
      return { at: bounce.timestamp, list: list.length > 0 ? list : everyone({ bounceType }) };
    }
    case 'Complaint': {
      const complaint = event.complaint ?? {};
      const details = clean({
        complaintFeedbackType: complaint.complaintFeedbackType,
        feedbackId: complaint.feedbackId,
      });
      const list = (complaint.complainedRecipients ?? []).map((recipient) => ({
        recipient: recipient.emailAddress,
        details,
      }));
      return { at: complaint.timestamp, list: list.length > 0 ? list : everyone({ details }) };
    }
    case 'Delivery': {
      const delivery = event.delivery ?? {};
      const details = clean({ smtpResponse: delivery.smtpResponse });
      const list = (delivery.recipients ?? []).map((recipient) => ({ recipient, details }));
      return { at: delivery.timestamp, list: list.length > 0 ? list : everyone({ details }) };
    }
    case 'DeliveryDelay': {
      const delay = event.deliveryDelay ?? {};
      const list = (delay.delayedRecipients ?? []).map((recipient) => ({
        recipient: recipient.emailAddress,
        error: recipientError(recipient, delay.delayType ?? 'DeliveryDelay'),
        details: clean({ delayType: delay.delayType }),
      }));
      return { at: delay.timestamp, list: list.length > 0 ? list : everyone() };
    }
    case 'Reject':
      return {
        at: event.mail?.timestamp,
        list: everyone({ error: { code: 'Reject', message: event.reject?.reason } }),
      };
    case 'Rendering Failure':
      return {
        at: event.mail?.timestamp,
        list: everyone({ error: { code: 'RenderingFailure', message: event.failure?.errorMessage } }),
      };
    case 'Open':
    case 'Click': {
      // Engagement belongs to the message: SES cannot tell which of several recipients opened it.
      const engagement = type === 'Open' ? event.open : event.click;
      const details = clean({
        link: event.click?.link,
        userAgent: engagement?.userAgent,
        ipAddress: engagement?.ipAddress,
      });
      return {
        at: engagement?.timestamp,
        list: [{ recipient: destination.length === 1 ? destination[0] : undefined, details }],
      };
    }
    default:
      return { at: event.mail?.timestamp, list: everyone() };
  }
}

/**
 * The delivery events in one SNS notification: one per recipient, keyed for de-duplication by the
 * SNS MessageId (SNS redelivers with the same id) and the recipient. Anything that is not an SES
 * event (the "Successfully validated SNS topic" test message, unknown types) gives no events.
 */
export function sesDeliveryEvents(notification: SnsMessage): DeliveryEvent[] {
  let event: SesEvent;
  try {
    event = JSON.parse(notification.Message) as SesEvent;
  } catch {
    return [];
  }
  if (typeof event !== 'object' || event === null) return [];
  const type = event.eventType ?? event.notificationType;
  if (type === undefined || !Object.hasOwn(SES_EVENT_STATUS, type)) return [];
  const providerMessageId = event.mail?.messageId;
  if (typeof providerMessageId !== 'string' || providerMessageId === '') return [];
  const status = SES_EVENT_STATUS[type as SesEventType];
  const messageId = event.mail?.tags?.[MESSAGE_ID_TAG]?.[0];
  const { at, list } = outcomes(type as SesEventType, event);
  const occurredAt = date(at, date(notification.Timestamp, new Date()));
  return list.map((outcome) => ({
    providerMessageId,
    messageId,
    status,
    providerStatus: type,
    occurredAt,
    recipient: outcome.recipient,
    eventId: outcome.recipient ? `${notification.MessageId}:${outcome.recipient}` : notification.MessageId,
    bounceType: outcome.bounceType,
    error: outcome.error,
    details: outcome.details,
  }));
}
