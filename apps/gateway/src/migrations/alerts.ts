import { randomUUID } from 'node:crypto';
import type { AlertInput } from '../store/operations-store.js';

export const ALERT_EVENTS = [
  'breaker-opened',
  'breaker-closed',
  'migration-rolled-back',
  'plan-step',
  'plan-awaiting-approval',
  'plan-inconclusive',
  'plan-paused',
  'plan-promoted',
  'plan-aborted',
  'spend-limit-reached',
] as const;

export type AlertEvent = (typeof ALERT_EVENTS)[number];

export interface AlertEndpoint {
  url: string;
  /** The events this endpoint receives; all when absent. */
  events?: readonly AlertEvent[] | undefined;
}

/**
 * Alerts to the operators' endpoints: a JSON body per endpoint that wants the event, queued in
 * the store's alert outbox in the same transaction as what they report (so none is lost in a
 * crash), then signed and delivered like status callbacks.
 */
export class Alerts {
  constructor(
    private readonly endpoints: readonly AlertEndpoint[],
    private readonly now: () => number,
  ) {}

  build(
    event: AlertEvent,
    subject: string,
    message: string,
    detail: Record<string, unknown> = {},
  ): AlertInput[] {
    const targets = this.endpoints.filter((endpoint) => !endpoint.events || endpoint.events.includes(event));
    if (targets.length === 0) return [];
    const body = JSON.stringify({
      type: 'msg.alert',
      id: `alert_${randomUUID().replaceAll('-', '')}`,
      event,
      at: new Date(this.now()).toISOString(),
      subject,
      message,
      detail,
    });
    return targets.map((endpoint) => ({ url: endpoint.url, body }));
  }
}
