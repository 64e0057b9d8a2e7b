import type { GetMessageInsightsCommandOutput } from '@aws-sdk/client-sesv2';
import type { DeliveryEvent } from '@msg/core';
import { MESSAGE_ID_TAG, SES_EVENT_STATUS, type SesEventType } from './ses-webhook.js';

/** `GetMessageInsights` event types -> the event-publishing names the webhook reports. */
const EVENT_TYPE: Readonly<Record<string, SesEventType>> = {
  SEND: 'Send',
  DELIVERY: 'Delivery',
  BOUNCE: 'Bounce',
  COMPLAINT: 'Complaint',
  REJECT: 'Reject',
  DELIVERY_DELAY: 'DeliveryDelay',
  OPEN: 'Open',
  CLICK: 'Click',
  RENDERING_FAILURE: 'Rendering Failure',
};

/** The enhanced status code (`5.1.1`) a bounce's event carries per recipient, from its diagnostic. */
const ENHANCED_STATUS = /\b([245]\.\d{1,3}\.\d{1,3})\b/;

type InsightsEvent = NonNullable<
  NonNullable<NonNullable<GetMessageInsightsCommandOutput['Insights']>[number]['Events']>[number]
>;

function failure(type: SesEventType, event: InsightsEvent): Pick<DeliveryEvent, 'bounceType' | 'error'> {
  switch (type) {
    case 'Bounce': {
      const bounce = event.Details?.Bounce;
      const diagnostic = bounce?.DiagnosticCode;
      return {
        bounceType: bounce?.BounceType === 'PERMANENT' ? 'permanent' : 'transient',
        error: {
          code: ENHANCED_STATUS.exec(diagnostic ?? '')?.[1] ?? bounce?.BounceSubType ?? 'Bounce',
          message: diagnostic,
        },
      };
    }
    case 'Reject':
      return { error: { code: 'Reject' } };
    case 'Rendering Failure':
      return { error: { code: 'RenderingFailure' } };
    case 'DeliveryDelay':
      return { error: { code: 'DeliveryDelay' } };
    default:
      return {};
  }
}

/**
 * A `GetMessageInsights` answer as delivery events, one per recipient and event, with the status
 * and provider status the same event has when it arrives by webhook. Subscription events say
 * nothing about delivery and are left out.
 */
export function sesInsightsEvents(
  output: GetMessageInsightsCommandOutput,
  query: { providerMessageId: string; messageId: string },
): DeliveryEvent[] {
  const providerMessageId = output.MessageId ?? query.providerMessageId;
  const messageId = output.EmailTags?.find((tag) => tag.Name === MESSAGE_ID_TAG)?.Value ?? query.messageId;
  const events: DeliveryEvent[] = [];
  for (const insight of output.Insights ?? []) {
    for (const event of insight.Events ?? []) {
      const type = event.Type ? EVENT_TYPE[event.Type] : undefined;
      if (!type) continue;
      const occurredAt = event.Timestamp instanceof Date ? event.Timestamp : new Date(0);
      events.push({
        providerMessageId,
        messageId,
        status: SES_EVENT_STATUS[type],
        providerStatus: type,
        occurredAt,
        recipient: insight.Destination,
        eventId: `insights:${providerMessageId}:${insight.Destination ?? ''}:${event.Type}:${occurredAt.getTime()}`,
        ...failure(type, event),
      });
    }
  }
  return events.sort((left, right) => left.occurredAt.getTime() - right.occurredAt.getTime());
}
