import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CampaignRecord, InsufficientCreditError } from '../src/store/campaign-store.js';
import type { MessageStore, StoredMessage } from '../src/store/message-store.js';
import { queuedSms } from './store-contract.js';

/** The sum of an account's ledger, read entry by entry (never the store's own cached balance). */
export async function ledgerSum(store: MessageStore, account: string): Promise<number> {
  let sum = 0;
  let before: number | undefined;
  for (;;) {
    const page = await store.ledger.entries(account, { limit: 1000, before });
    if (page.length === 0) return sum;
    for (const entry of page) sum += entry.amountMicros;
    before = page.at(-1)?.id;
  }
}

const draft = (id: string, overrides: Partial<CampaignRecord> = {}): CampaignRecord => ({
  id,
  apiKeyId: 'client',
  account: 'acme',
  state: 'uploading',
  definition: { template: { channel: 'sms', text: 'Hi {{name}}' } },
  reservedMicros: 0,
  materializedMicros: 0,
  createdAt: 1000,
  updatedAt: 1000,
  ...overrides,
});

const report = (recipients: number, estimatedMicros: number) => ({
  lines: recipients,
  recipients,
  invalid: 0,
  duplicates: 0,
  segments: recipients,
  estimatedMicros,
  currency: 'USD',
  invalidLines: [],
});

/** The behaviour every campaign and ledger store must show; the SQLite and PostgreSQL adapters run it. */
export function describeCampaignStore(name: string, open: () => Promise<MessageStore>): void {
  describe(`campaign and ledger store: ${name}`, () => {
    let store: MessageStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(() => store.close());

    /** A draft campaign with `count` recipients, each estimated at `each` micro-units. */
    async function campaignWith(id: string, count: number, each: number): Promise<void> {
      await store.campaigns.createCampaign(draft(id));
      const recipients = Array.from({ length: count }, (_, index) => ({
        sequence: index + 1,
        recipient: `+26097100${String(index).padStart(4, '0')}`,
        variables: { name: `R${index}` },
      }));
      expect(await store.campaigns.addRecipients(id, recipients)).toEqual([]);
      await store.campaigns.completeUpload(id, report(count, count * each), 1001);
    }

    const messageFor = (
      campaignId: string,
      sequence: number,
      held: number,
    ): { sequence: number; message: StoredMessage } => ({
      sequence,
      message: queuedSms(`${campaignId}-m${sequence}`, {
        campaignId,
        charge: { account: 'acme', heldMicros: held },
        createdAt: 2000,
        updatedAt: 2000,
      }),
    });

    it('keeps an upload invisible until complete, finds duplicates, and discards a failed one whole', async () => {
      await store.campaigns.createCampaign(draft('c1'));
      expect(await store.campaigns.list('client', 10)).toEqual([]);
      const duplicates = await store.campaigns.addRecipients('c1', [
        { sequence: 2, recipient: '+260971234567', variables: {} },
        { sequence: 3, recipient: '+260971234567', variables: {} },
        { sequence: 4, recipient: '+260971234568', variables: { name: 'B' } },
      ]);
      expect(duplicates).toEqual([3]);
      await store.campaigns.completeUpload('c1', report(2, 0), 1001);
      expect((await store.campaigns.list('client', 10)).map((campaign) => campaign.state)).toEqual(['draft']);
      expect(
        (await store.campaigns.pendingRecipients('c1', 10)).map((recipient) => recipient.sequence),
      ).toEqual([2, 4]);

      await store.campaigns.createCampaign(draft('c2'));
      await store.campaigns.addRecipients('c2', [{ sequence: 2, recipient: '+260971234567', variables: {} }]);
      await store.campaigns.discardUpload('c2');
      expect(await store.campaigns.get('c2')).toBeUndefined();
      expect(await store.campaigns.pendingRecipients('c2', 10)).toEqual([]);
      await store.campaigns.createCampaign(draft('c3'));
      expect(await store.campaigns.discardUnfinishedUploads()).toBe(1);
      expect(await store.campaigns.get('c1')).toBeDefined();
    });

    it('starts a campaign only with the credit to cover it, reserving it in the ledger', async () => {
      await campaignWith('c1', 4, 25_000);
      await store.ledger.topUp('acme', 90_000, 'test', 1500);
      const refused = await store.campaigns.start(
        'c1',
        { state: 'running', bulk: true, reserveMicros: 100_000 },
        1600,
      );
      expect(refused).toEqual({
        started: false,
        state: 'draft',
        shortfall: { account: 'acme', balanceMicros: 90_000, requiredMicros: 100_000 },
      });
      expect((await store.ledger.balance('acme')).balanceMicros).toBe(90_000);
      await store.ledger.topUp('acme', 10_000, 'test', 1700);
      expect(
        await store.campaigns.start('c1', { state: 'running', bulk: true, reserveMicros: 100_000 }, 1800),
      ).toEqual({
        started: true,
      });
      expect(await store.ledger.balance('acme')).toEqual({
        account: 'acme',
        balanceMicros: 0,
        heldMicros: 100_000,
        debitedMicros: 0,
      });
      expect(await ledgerSum(store, 'acme')).toBe(0);
      expect((await store.campaigns.active()).map((campaign) => campaign.id)).toEqual(['c1']);
    });

    it('turns each recipient into one message, settles it with its outcome and releases the rest at the end', async () => {
      await campaignWith('c1', 3, 25_000);
      await store.ledger.topUp('acme', 1_000_000, 'test', 1500);
      await store.campaigns.start('c1', { state: 'running', bulk: false, reserveMicros: 75_000 }, 1600);
      const first = await store.campaigns.materialize(
        'c1',
        [messageFor('c1', 1, 25_000), messageFor('c1', 2, 25_000)],
        'instance-a',
      );
      expect(first.map((message) => message.dispatchState)).toEqual(['in-flight', 'in-flight']);
      // The same recipients again: already taken, nothing stored twice.
      expect(await store.campaigns.materialize('c1', [messageFor('c1', 1, 25_000)], undefined)).toEqual([]);
      expect(await store.campaigns.unfinished('c1')).toBe(2);
      // In flight under the instance's lease, like any claimed message: recovery takes them over.
      expect(
        (await store.takeOverInFlight('instance-b', 5000, 10)).map((message) => message.id).sort(),
      ).toEqual(['c1-m1', 'c1-m2']);
      await store.finishDispatch(
        'c1-m1',
        { status: 'sent', providerId: 'p', providerMessageId: 'x1', costMicros: 12_500, bulkId: 'B1' },
        6000,
      );
      await store.finishDispatch(
        'c1-m2',
        { status: 'failed', providerId: 'p', error: { kind: 'permanent', message: 'bad' } },
        6000,
      );
      expect(await store.ledger.balance('acme')).toEqual({
        account: 'acme',
        balanceMicros: 1_000_000 - 25_000 - 12_500,
        heldMicros: 25_000,
        debitedMicros: 12_500,
      });
      expect(await store.campaigns.completeIfDone('c1', 7000)).toBe(false);
      // Progress follows the messages without reading them: an outcome, then a receipt.
      expect(await store.campaigns.progress('c1')).toEqual({
        pending: 1,
        cancelled: 0,
        messages: 2,
        byStatus: { sent: 1, failed: 1 },
        costMicros: 12_500,
      });
      await store.recordReceipts({
        providerId: 'p',
        receipts: [
          {
            messageId: 'c1-m1',
            event: {
              providerId: 'p',
              providerMessageId: 'x1',
              status: 'delivered',
              providerStatus: 'DELIVRD',
              occurredAt: 6500,
              receivedAt: 6500,
              eventKey: 'c1-m1-delivered',
            },
          },
        ],
        sentSince: 0,
        replay: undefined,
        callback: () => undefined,
      });
      // The receipt moved the message on: what it cost stays counted.
      expect(await store.campaigns.progress('c1')).toMatchObject({
        byStatus: { delivered: 1, failed: 1 },
        costMicros: 12_500,
      });
      const cancelled = await store.campaigns.cancel('c1', 7000);
      expect(cancelled).toBe(true);
      expect(await store.ledger.balance('acme')).toEqual({
        account: 'acme',
        balanceMicros: 1_000_000 - 12_500,
        heldMicros: 0,
        debitedMicros: 12_500,
      });
      expect(await ledgerSum(store, 'acme')).toBe(1_000_000 - 12_500);
      const results = await store.campaigns.results('c1', 0, 10);
      expect(
        results.map((result) => [
          result.sequence,
          result.state,
          result.status,
          result.bulkId,
          result.costMicros,
        ]),
      ).toEqual([
        [1, 'queued', 'delivered', 'B1', 12_500],
        [2, 'queued', 'failed', undefined, 0],
        [3, 'cancelled', undefined, undefined, undefined],
      ]);
      expect(await store.campaigns.aggregates('c1')).toEqual({
        byStatus: { failed: 1, delivered: 1 },
        byProvider: { p: 2 },
        byErrorKind: { permanent: 1 },
      });
      const costs = await store.ledger.costs({ since: 0, until: 10_000, groupBy: ['provider', 'campaign'] });
      expect(costs).toEqual([
        { provider: 'p', side: null, campaign: 'c1', day: null, messages: 1, costMicros: 12_500 },
      ]);
      expect(await store.ledger.monthSpend('p', 6000)).toBe(12_500);
    });

    it('cancels queued messages with their holds and completes a campaign with nothing left', async () => {
      await campaignWith('c1', 2, 10_000);
      await store.ledger.topUp('acme', 100_000, 'test', 1500);
      await store.campaigns.start('c1', { state: 'running', bulk: false, reserveMicros: 20_000 }, 1600);
      const withCallback = messageFor('c1', 1, 10_000);
      withCallback.message.callbackUrl = 'https://client.example/status';
      await store.campaigns.materialize('c1', [withCallback], undefined);
      await store.campaigns.cancel('c1', 3000);
      const message = await store.get('c1-m1');
      expect(message).toMatchObject({
        status: 'failed',
        dispatchState: 'done',
        error: { code: 'MSG_CAMPAIGN_CANCELLED' },
      });
      // Its final status goes to the client, as any message's would.
      const callbacks = await store.dueCallbacks(3000, 10);
      expect(callbacks.map((callback) => [callback.messageId, callback.url])).toEqual([
        ['c1-m1', 'https://client.example/status'],
      ]);
      expect(JSON.parse(callbacks[0]?.body as string)).toEqual({
        type: 'message.status',
        id: 'c1-m1',
        sequence: 1,
        status: 'failed',
        error: {
          kind: 'routing',
          code: 'MSG_CAMPAIGN_CANCELLED',
          message: 'the campaign was cancelled before this message was sent',
        },
        occurredAt: new Date(3000).toISOString(),
      });
      expect(await store.ledger.balance('acme')).toMatchObject({ balanceMicros: 100_000, heldMicros: 0 });
      expect(await store.claimNext('a', 10, 4000)).toEqual([]);

      await campaignWith('c2', 1, 10_000);
      await store.campaigns.start('c2', { state: 'running', bulk: false, reserveMicros: 10_000 }, 5000);
      await store.campaigns.materialize('c2', [messageFor('c2', 1, 10_000)], undefined);
      await store.renewLease('a', 100_000, 5000);
      const [claimed] = await store.claimNext('a', 10, 5000);
      await store.finishDispatch(
        claimed?.id as string,
        { status: 'delivered', providerId: 'p', providerMessageId: 'y', costMicros: 8000 },
        6000,
      );
      expect(await store.campaigns.completeIfDone('c2', 7000)).toBe(true);
      expect((await store.campaigns.get('c2'))?.state).toBe('completed');
      expect(await store.ledger.balance('acme')).toMatchObject({
        balanceMicros: 92_000,
        heldMicros: 0,
        debitedMicros: 8000,
      });
    });

    it('never lets concurrent accepts hold more than the balance, and the balance stays the ledger sum', async () => {
      await store.ledger.topUp('acme', 1_000_000, 'test', 1000);
      const attempts = Array.from({ length: 120 }, (_, index) =>
        store.accept(
          queuedSms(`m${index}`, {
            charge: { account: 'acme', heldMicros: 12_500 },
            createdAt: 2000,
            updatedAt: 2000,
          }),
        ),
      );
      const settled = await Promise.allSettled(attempts);
      const accepted = settled.filter((outcome) => outcome.status === 'fulfilled').length;
      const refused = settled.filter(
        (outcome) => outcome.status === 'rejected' && outcome.reason instanceof InsufficientCreditError,
      ).length;
      expect(accepted).toBe(80);
      expect(refused).toBe(40);
      expect(await store.get('m119')).toBeUndefined();
      await store.renewLease('a', 100_000, 2000);
      const claimed = await store.claimNext('a', 200, 3000);
      await Promise.all(
        claimed.map((message, index) =>
          store.finishDispatch(
            message.id,
            index % 4 === 0
              ? { status: 'failed', providerId: 'p', error: { kind: 'permanent', message: 'bad number' } }
              : { status: 'sent', providerId: 'p', providerMessageId: `p${index}`, costMicros: 10_000 },
            4000,
          ),
        ),
      );
      expect(await store.ledger.balance('acme')).toEqual({
        account: 'acme',
        balanceMicros: 1_000_000 - 60 * 10_000,
        heldMicros: 0,
        debitedMicros: 60 * 10_000,
      });
      expect(await ledgerSum(store, 'acme')).toBe(1_000_000 - 60 * 10_000);
    });
  });
}
