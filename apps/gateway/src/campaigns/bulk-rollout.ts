import { stableBucket } from '@msg/core';
import type { GatewayConfig } from '../config/config-schema.js';
import type { MessageStore } from '../store/message-store.js';

export const BULK_ROLLOUT_SUBJECT = 'campaigns:bulk';

export interface BulkRolloutState {
  enabled: boolean;
  /** Share of campaigns (0-100) on the bulk path, by a stable hash of the campaign id. */
  percentage: number;
}

/** The bucket (0-99) of a campaign: below the percentage, it uses the bulk path. */
export function campaignBucket(campaignId: string): number {
  return stableBucket(`campaign-bulk:${campaignId}`);
}

/**
 * Which campaigns go through the providers' bulk APIs: on or off, and a sticky percentage of
 * campaigns. Read at every batch a campaign sends, so a rollback applies at once to running
 * campaigns; raising the percentage only adds campaigns. Kept durable and audited in the store's
 * control state; the config gives the value until an operator changes it.
 */
export class BulkRollout {
  private state: BulkRolloutState;

  constructor(
    private readonly store: MessageStore,
    config: GatewayConfig['campaigns']['bulk'],
  ) {
    this.state = { enabled: config.enabled, percentage: config.percentage };
  }

  async load(): Promise<void> {
    const control = (await this.store.controls()).find((record) => record.subject === BULK_ROLLOUT_SUBJECT);
    if (control) this.state = control.state as unknown as BulkRolloutState;
  }

  get current(): BulkRolloutState {
    return { ...this.state };
  }

  usesBulk(campaignId: string): boolean {
    return this.state.enabled && campaignBucket(campaignId) < this.state.percentage;
  }

  async set(next: BulkRolloutState, actor: string, reason: string | undefined, now: number): Promise<void> {
    const before = this.current;
    await this.store.writeOperation(
      {
        controls: [{ subject: BULK_ROLLOUT_SUBJECT, state: { ...next }, updatedBy: actor, reason }],
        audit: [
          {
            at: now,
            actor,
            action: next.enabled ? 'campaigns.bulk-rollout' : 'campaigns.bulk-rollback',
            subject: BULK_ROLLOUT_SUBJECT,
            reason,
            before,
            after: next,
          },
        ],
      },
      now,
    );
    this.state = { ...next };
  }
}
