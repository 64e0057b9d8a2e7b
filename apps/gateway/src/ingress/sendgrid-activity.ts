import type { DeliveryStatus } from '@msg/core';
import type { EventRecord, StoredMessage } from '../store/message-store.js';

const SG_MESSAGE_ID = /^[\w-]+\.msg-([0-9a-f]{32})-(\d+)\.0$/;

/** The message and recipient an `sg_message_id` of this gateway's events names. */
export function parseSgMessageId(sgMessageId: string): { messageId: string; recipient: number } | undefined {
  const match = SG_MESSAGE_ID.exec(sgMessageId);
  return match ? { messageId: `msg_${match[1]}`, recipient: Number(match[2]) } : undefined;
}

/** The `sg_message_id` of a message's recipient, as its events carry it. */
export function sgMessageId(xMessageId: string, messageId: string, recipient: number): string {
  return `${xMessageId}.msg-${messageId.slice(4)}-${recipient}.0`;
}

/** Email Activity's words, which are not quite the Event Webhook's. */
const ACTIVITY_EVENT: Partial<Record<DeliveryStatus, string>> = {
  queued: 'processed',
  sent: 'processed',
  delivered: 'delivered',
  bounced: 'bounced',
  undelivered: 'bounced',
  expired: 'bounced',
  failed: 'dropped',
  complained: 'spam_report',
  opened: 'opened',
  clicked: 'clicked',
};

function activityStatus(status: DeliveryStatus): 'processed' | 'delivered' | 'not_delivered' {
  if (status === 'delivered' || status === 'opened' || status === 'clicked' || status === 'complained') {
    return 'delivered';
  }
  return status === 'bounced' || status === 'failed' || status === 'undelivered' || status === 'expired'
    ? 'not_delivered'
    : 'processed';
}

/**
 * One recipient's message as SendGrid's Email Activity API shows it (`GET /v3/messages/{msg_id}`):
 * its status and event timeline, from the gateway's own record of it.
 */
export function sendgridActivity(
  message: StoredMessage,
  recipient: number,
  events: readonly EventRecord[],
  id: string,
) {
  const email = message.message.channel === 'email' ? message.message : undefined;
  const recipients = email ? [...email.to, ...(email.cc ?? []), ...(email.bcc ?? [])] : [];
  const to = recipients[recipient]?.email ?? '';
  const timeline = events
    .filter((event) => {
      const named = (event.detail?.recipient as string | undefined)?.toLowerCase();
      return named === undefined || named === to.toLowerCase();
    })
    .flatMap((event) => {
      const name =
        event.status === 'sent' && event.providerStatus === 'deferred'
          ? 'deferred'
          : ACTIVITY_EVENT[event.status];
      const error = event.detail?.error as { message?: string } | undefined;
      return name
        ? [
            {
              event_name: name,
              processed: new Date(event.occurredAt).toISOString(),
              ...(error?.message ? { reason: error.message } : {}),
            },
          ]
        : [];
    });
  if (message.sentAt !== undefined && !timeline.some((event) => event.event_name === 'processed')) {
    timeline.unshift({ event_name: 'processed', processed: new Date(message.sentAt).toISOString() });
  }
  return {
    from_email: email?.from.email ?? '',
    msg_id: id,
    subject: email?.subject ?? '',
    to_email: to,
    status: activityStatus(message.status),
    template_id: '',
    asm_group_id: 0,
    teammate: '',
    api_key_id: message.apiKeyId,
    events: timeline,
    originating_ip: '',
    categories: [...(message.message.tags ?? [])],
    unique_args: JSON.stringify(message.message.metadata ?? {}),
    outbound_ip: '',
    outbound_ip_type: 'shared',
  };
}
