import type { TwilioMessageResource, TwilioMessageStatus } from './twilio-api-types.js';

/** Twilio's descriptions of the delivery error codes the simulator reports. */
export const DELIVERY_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  '30001': 'Queue overflow',
  '30002': 'Account suspended',
  '30003': 'Unreachable destination handset',
  '30004': 'Message blocked',
  '30005': 'Unknown destination handset',
  '30006': 'Landline or unreachable carrier',
  '30007': 'Message filtered',
  '30008': 'Unknown error',
};

/** One step of a message's life: from `at` (epoch ms) on, its status is `status`. */
export interface StatusStep {
  status: TwilioMessageStatus;
  at: number;
  errorCode?: string | undefined;
}

/** Twilio's dates: RFC 2822 with a numeric zone (`Thu, 24 Aug 2023 05:01:45 +0000`). */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/**
 * The messages a simulator accepted, so `GET .../Messages/{Sid}.json` reads them as Twilio does:
 * the resource's status, error and dates move on along the same timeline as its status callbacks,
 * whether or not any callback is sent. Bounded: the oldest messages are forgotten first.
 */
export class TwilioMessageLog {
  private readonly messages = new Map<string, { resource: TwilioMessageResource; steps: StatusStep[] }>();

  constructor(
    private readonly clock: () => number,
    private readonly capacity = 100_000,
  ) {}

  add(resource: TwilioMessageResource, steps: readonly StatusStep[]): void {
    this.messages.set(resource.sid, {
      resource,
      steps: [...steps].sort((left, right) => left.at - right.at),
    });
    if (this.messages.size > this.capacity) this.messages.delete(this.messages.keys().next().value as string);
  }

  /** The message as Twilio would answer for it now, or undefined for a message of another account. */
  get(accountSid: string, sid: string): TwilioMessageResource | undefined {
    const entry = this.messages.get(sid);
    if (!entry || entry.resource.account_sid !== accountSid) return undefined;
    const now = this.clock();
    const reached = entry.steps.filter((step) => step.at <= now);
    const current = reached.at(-1);
    if (!current) return entry.resource;
    const sent = reached.find((step) => step.status === 'sent');
    return {
      ...entry.resource,
      status: current.status,
      date_updated: rfc2822(new Date(current.at)),
      date_sent: sent ? rfc2822(new Date(sent.at)) : entry.resource.date_sent,
      error_code: current.errorCode ? Number(current.errorCode) : null,
      error_message: current.errorCode ? (DELIVERY_ERROR_MESSAGES[current.errorCode] ?? null) : null,
    };
  }
}
