import type { Logger, Router } from '@msg/core';
import type { GatewayConfig } from '../config/config-schema.js';
import type { PriceTable } from '../costs/price-table.js';
import { dispatchRound, failureOutcome, successOutcome } from '../dispatch/dispatch-outcome.js';
import { type Dispatcher, routingOverride, type SendCosts } from '../dispatch/dispatcher.js';
import type { CampaignRecord } from '../store/campaign-store.js';
import type { AttemptRecord, MessageStore, StoredMessage } from '../store/message-store.js';
import { untilStored } from '../store/until-stored.js';
import type { BulkRollout } from './bulk-rollout.js';
import { campaignMessage } from './campaign-messages.js';

export interface CampaignRunnerOptions {
  store: MessageStore;
  router: Router;
  dispatcher: Dispatcher;
  rollout: BulkRollout;
  prices: PriceTable;
  costs: SendCosts;
  config: GatewayConfig['campaigns'];
  /** Providers a campaign may use: its provider, its route's, else every provider of its channel. */
  providersFor: (campaign: CampaignRecord) => readonly string[];
  logger: Logger;
  now: () => number;
  tickMs?: number;
}

interface Pace {
  /** Messages the campaign may still create under its rate cap. */
  allowance: number;
  at: number;
}

/** Bulk requests of all campaigns at providers at once. */
const MAX_BATCHES_IN_FLIGHT = 8;
/** Recipients turned into messages per campaign per step. */
const STEP = 1000;

/**
 * Sends running campaigns: turns pending recipients into ordinary stored messages, never more of
 * a campaign unfinished at once than `campaigns.window` and never faster than its rate cap, and
 * completes a campaign when nothing is left. A campaign on the bulk path (see `BulkRollout`) has
 * its messages stored already claimed in flight under the dispatcher's lease and sent at once
 * through `Router.sendBatch`; the others are queued for the dispatcher, one by one. Either way a
 * crash leaves them where any message would be: queued, or in flight for recovery.
 */
export class CampaignRunner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private again = false;
  private batchesInFlight = 0;
  private readonly paces = new Map<string, Pace>();
  private readonly tickMs: number;

  constructor(private readonly options: CampaignRunnerOptions) {
    this.tickMs = options.tickMs ?? 100;
  }

  start(): void {
    this.schedule(0);
  }

  /** Something changed (a campaign started or resumed, a batch finished): look again now. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.tick()
        .catch((error: unknown) => this.options.logger.error('campaign runner step failed', { error }))
        .finally(() => {
          this.running = undefined;
          const again = this.again;
          this.again = false;
          this.schedule(again ? 0 : this.tickMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const { store, now } = this.options;
    // On a shared store one instance feeds the campaigns (the holder of the leader lock), so a
    // campaign's rate cap and window hold for the fleet; every instance dispatches what it queues.
    if (store.isLeader && !(await store.isLeader())) return;
    for (const campaign of await store.campaigns.active()) {
      if (this.stopped || this.options.dispatcher.isStopping) return;
      if (campaign.state === 'scheduled') {
        if ((campaign.definition.scheduledAt ?? 0) <= now()) {
          await store.campaigns.transition(campaign.id, ['scheduled'], 'running', now());
          this.again = true;
        }
        continue;
      }
      await this.feed(campaign);
    }
  }

  /** Moves one step of the campaign forward. */
  private async feed(campaign: CampaignRecord): Promise<void> {
    const { store, config, now } = this.options;
    const unfinished = await store.campaigns.unfinished(campaign.id);
    let room = Math.min(config.window - unfinished, STEP, this.allowance(campaign));
    const bulk = this.options.rollout.usesBulk(campaign.id);
    if (bulk) room = Math.min(room, (MAX_BATCHES_IN_FLIGHT - this.batchesInFlight) * config.batchSize);
    if (room <= 0) return;
    const recipients = await store.campaigns.pendingRecipients(campaign.id, room);
    if (recipients.length === 0) {
      if (unfinished === 0 && (await store.campaigns.completeIfDone(campaign.id, now()))) {
        this.paces.delete(campaign.id);
        this.options.logger.info('campaign completed', { campaign: campaign.id });
      }
      return;
    }
    const providers = this.options.providersFor(campaign);
    let left = campaign.reservedMicros - campaign.materializedMicros;
    const messages = recipients.map((recipient) => {
      const message = campaignMessage(campaign, recipient, {
        now: now(),
        prices: this.options.prices,
        providers,
        left,
      });
      left -= message.charge?.heldMicros ?? 0;
      return { sequence: recipient.sequence, message };
    });
    const claimedBy = bulk ? this.options.dispatcher.instanceId : undefined;
    const stored = await store.campaigns.materialize(campaign.id, messages, claimedBy);
    this.spend(campaign.id, stored.length);
    if (stored.length === recipients.length) this.again = true;
    if (!bulk) return;
    for (let start = 0; start < stored.length; start += config.batchSize) {
      const chunk = stored.slice(start, start + config.batchSize);
      this.batchesInFlight++;
      const sending = this.sendBatch(campaign, chunk).finally(() => {
        this.batchesInFlight--;
        this.wake();
      });
      this.options.dispatcher.hold(sending);
    }
  }

  /** How many messages the campaign's rate cap lets it create now (a second's worth at most). */
  private allowance(campaign: CampaignRecord): number {
    const rate = campaign.definition.ratePerSecond;
    if (rate === undefined) return Number.POSITIVE_INFINITY;
    const at = this.options.now();
    const pace = this.paces.get(campaign.id) ?? { allowance: rate, at };
    pace.allowance = Math.min(rate, pace.allowance + ((at - pace.at) * rate) / 1000);
    pace.at = at;
    this.paces.set(campaign.id, pace);
    return Math.floor(pace.allowance);
  }

  private spend(campaignId: string, count: number): void {
    const pace = this.paces.get(campaignId);
    if (pace) pace.allowance -= count;
  }

  /**
   * One bulk request's messages (claimed in flight by this instance): each outcome is stored as a
   * single send's would be. A message the request never carried (no batch API, throttled) goes
   * back to the queue; one that failed in it for a reason its route retries or fails over on is
   * sent on its own at once, its batch attempt first (`Dispatcher.sendAfter`).
   */
  private async sendBatch(campaign: CampaignRecord, chunk: readonly StoredMessage[]): Promise<void> {
    const { router, dispatcher, logger } = this.options;
    let outcomes: Awaited<ReturnType<Router['sendBatch']>>;
    try {
      outcomes = await router.sendBatch(
        chunk.map((stored) => stored.message),
        {
          override: routingOverride(campaign.definition),
          maxBatchSize: this.options.config.batchSize,
        },
      );
    } catch (error) {
      logger.error('campaign batch could not be sent; its messages go back to the queue', { error });
      for (const stored of chunk) await this.requeue(stored, []);
      return;
    }
    await Promise.all(
      chunk.map(async (stored, index) => {
        const outcome = outcomes[index];
        const round = dispatchRound(stored);
        if (outcome?.ok) {
          const result = successOutcome(stored.id, outcome.routed, round);
          result.bulkId = outcome.bulkId;
          result.costMicros = this.options.costs.costOf(stored, outcome.routed);
          await dispatcher.finishSent(stored, result, outcome.routed.provider);
          return;
        }
        if (!outcome) return this.requeue(stored, []);
        const prior = outcome.error.attempts[0];
        if (outcome.single) {
          // Never called (no batch API, throttled): the queue's dispatcher sends it like any message.
          if (!prior) return this.requeue(stored, []);
          // Called and failed for a reason its route goes on from: on its own, from that attempt.
          dispatcher.sendAfter(stored, prior);
          return;
        }
        const failed = failureOutcome(stored.id, outcome.error, round);
        failed.bulkId = outcome.bulkId;
        await dispatcher.finishSent(stored, failed, undefined);
      }),
    );
  }

  private async requeue(stored: StoredMessage, attempts: readonly AttemptRecord[]): Promise<void> {
    const { store, logger, now } = this.options;
    try {
      await untilStored(
        async () => {
          for (const attempt of attempts) await store.recordAttempt(attempt);
          await store.requeue(stored.id, now());
        },
        { what: `requeue campaign message ${stored.id}`, logger },
      );
    } catch (error) {
      logger.error('cannot requeue a campaign message; left in flight for recovery', { error });
    }
  }
}
