import type { EmailMessage, Message, SmsMessage } from '@msg/core';
import { billableUnits, type PriceTable, recipientEstimate } from '../costs/price-table.js';
import { newMessageId } from '../message-id.js';
import type { CampaignRecipient, CampaignRecord } from '../store/campaign-store.js';
import type { StoredMessage } from '../store/message-store.js';
import { renderTemplate } from './template.js';

/** A campaign recipient's message, as a single message would be stored (validated at upload). */
export function campaignMessage(
  campaign: CampaignRecord,
  recipient: CampaignRecipient,
  context: {
    now: number;
    prices: PriceTable;
    /** Providers the campaign may use (its override, else every provider of its channel). */
    providers: readonly string[];
    /** What is left of the campaign's reservation for its messages to hold. */
    left: number;
  },
): StoredMessage {
  const { definition } = campaign;
  const { template } = definition;
  const id = newMessageId(context.now);
  const variables = recipient.variables;
  const common = {
    id,
    ...(definition.tags ? { tags: definition.tags } : {}),
    metadata: { campaignId: campaign.id },
  };
  let message: Message;
  if (template.channel === 'sms') {
    message = {
      ...common,
      channel: 'sms',
      to: recipient.recipient,
      ...(typeof definition.from === 'string' ? { from: definition.from } : {}),
      text: renderTemplate(template.text ?? '', variables),
    } satisfies SmsMessage;
  } else {
    const from = definition.from as { email: string; name?: string | undefined };
    message = {
      ...common,
      channel: 'email',
      from,
      to: [{ email: recipient.recipient }],
      subject: renderTemplate(template.subject ?? '', variables),
      ...(template.text !== undefined ? { text: renderTemplate(template.text, variables) } : {}),
      ...(template.html !== undefined ? { html: renderTemplate(template.html, variables) } : {}),
    } satisfies EmailMessage;
  }
  const held =
    campaign.account === undefined
      ? undefined
      : {
          account: campaign.account,
          heldMicros: Math.min(
            context.left,
            recipientEstimate(context.prices, context.providers, recipient.recipient, billableUnits(message)),
          ),
        };
  return {
    id,
    channel: template.channel,
    message,
    status: 'queued',
    dispatchState: 'queued',
    apiKeyId: campaign.apiKeyId,
    callbackUrl: definition.callbackUrl,
    overrideProvider: definition.provider,
    overrideRoute: definition.route,
    campaignId: campaign.id,
    charge: held,
    createdAt: context.now,
    updatedAt: context.now,
  };
}
