import { formatMicros } from '../costs/money.js';
import type { AttemptRecord, EventRecord, StoredMessage } from '../store/message-store.js';

const iso = (time: number | undefined) => (time === undefined ? undefined : new Date(time).toISOString());

function recipient(message: StoredMessage): string | string[] {
  const payload = message.message;
  return payload.channel === 'email' ? payload.to.map((address) => address.email) : payload.to;
}

/** A message in a listing (`GET /v1/messages?to=`): where it stands, without its history. */
export function summaryView(message: StoredMessage) {
  return {
    id: message.id,
    channel: message.channel,
    to: recipient(message),
    status: message.status,
    dispatch: message.dispatchState,
    provider: message.providerId,
    routingReason: message.routingReason,
    createdAt: iso(message.createdAt),
    updatedAt: iso(message.updatedAt),
  };
}

/** What `POST /v1/messages` answers: enough to poll for the rest. */
export function acceptedView(message: StoredMessage) {
  return {
    id: message.id,
    channel: message.channel,
    status: message.status,
    createdAt: iso(message.createdAt),
  };
}

/**
 * A message with its history: attempts (provider, latency, error), events, cost and routing
 * reason. Error texts pass through `redact`: a provider may have echoed a credential.
 */
export function messageView(
  message: StoredMessage,
  attempts: readonly AttemptRecord[],
  events: readonly EventRecord[],
  redact: (text: string) => string,
) {
  return {
    ...summaryView(message),
    providerMessageId: message.providerMessageId,
    segments: message.segments,
    cost: message.cost,
    // What the credit account was debited (micro-units as a decimal), once the send settled.
    charged: message.chargedMicros === undefined ? undefined : formatMicros(message.chargedMicros),
    campaignId: message.campaignId,
    bulkId: message.bulkId,
    error: message.error && { ...message.error, message: redact(message.error.message) },
    possibleDuplicate: attempts.some((attempt) => attempt.possibleDuplicate),
    // Every provider failed for a reason that may pass: rounds so far, and when the next starts.
    retryRounds: message.retryRound || undefined,
    nextAttemptAt: message.dispatchState === 'waiting' ? iso(message.nextAttemptAt) : undefined,
    // With no final status by then, the message ends `unknown`.
    receiptDueAt: iso(message.receiptDueAt),
    tags: message.message.tags,
    metadata: message.message.metadata,
    callbackUrl: message.callbackUrl,
    // Came in through a provider's API (`twilio`, `sendgrid`): its callbacks take that API's format.
    ingress: message.ingress?.api,
    attempts: attempts.map((attempt) => ({
      number: attempt.sequence,
      provider: attempt.providerId,
      outcome: attempt.outcome,
      startedAt: iso(attempt.startedAt),
      finishedAt: iso(attempt.finishedAt),
      latencyMs: attempt.latencyMs,
      providerMessageId: attempt.providerMessageId,
      error: attempt.errorKind
        ? {
            kind: attempt.errorKind,
            code: attempt.errorCode,
            message: attempt.errorMessage === undefined ? undefined : redact(attempt.errorMessage),
          }
        : undefined,
      possibleDuplicate: attempt.possibleDuplicate,
      reason: attempt.reason,
    })),
    events: events.map((event) => ({
      status: event.status,
      providerStatus: event.providerStatus,
      provider: event.providerId,
      occurredAt: iso(event.occurredAt),
      receivedAt: iso(event.receivedAt),
      detail: event.detail,
    })),
  };
}
