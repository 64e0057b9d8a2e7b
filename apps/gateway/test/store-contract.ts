import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  CallbackRequest,
  EventRecord,
  MessageStore,
  ReceiptsResult,
  ReplayToken,
  StoredMessage,
} from '../src/store/message-store.js';

/** A queued SMS as the API stores it, for tests that fill a store directly. */
export function queuedSms(id: string, overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id,
    channel: 'sms',
    message: { id, channel: 'sms', to: '+260971234567', text: 'hello' },
    status: 'queued',
    dispatchState: 'queued',
    apiKeyId: 'client',
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  };
}

/**
 * Stores one receipt for a known message (by its id), as a webhook would: whether it was stored,
 * the message's status after it, whether it moved the message.
 */
export async function addEvent(
  store: MessageStore,
  record: EventRecord,
  callback?: CallbackRequest,
): Promise<{ stored: boolean; status: string; advanced: boolean } | undefined> {
  const { messageId, ...event } = record;
  const written = await store.recordReceipts({
    providerId: record.providerId,
    receipts: [{ messageId, event }],
    sentSince: 0,
    replay: undefined,
    callback: () => callback,
  });
  const [result] = written.outcome === 'accepted' ? written.results : [];
  if (!result || result.outcome === 'unknown-message' || result.outcome === 'held') return undefined;
  return { stored: result.outcome === 'stored', status: result.status, advanced: result.advanced };
}

/** The behaviour every store adapter must show; the SQLite and PostgreSQL adapters both run it. */
export function describeMessageStore(name: string, open: () => Promise<MessageStore>): void {
  describe(`message store: ${name}`, () => {
    let store: MessageStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(() => store.close());

    const message = (overrides: Partial<StoredMessage> = {}): StoredMessage =>
      queuedSms(overrides.id ?? `msg_${randomUUID()}`, { createdAt: 1000, updatedAt: 1000, ...overrides });
    const event = (messageId: string, overrides: Partial<EventRecord> = {}): EventRecord => ({
      messageId,
      providerId: 'twilio',
      providerMessageId: 'SM1',
      status: 'delivered',
      providerStatus: 'delivered',
      occurredAt: 2000,
      receivedAt: 2000,
      eventKey: randomUUID(),
      ...overrides,
    });
    /** Receipts for known messages (matched by our id) or by provider message id (`messageId: ''`). */
    const receipts = (
      events: readonly EventRecord[],
      options: {
        replay?: ReplayToken;
        sentSince?: number;
        callback?: (messageId: string) => CallbackRequest | undefined;
      } = {},
    ): Promise<ReceiptsResult> =>
      store.recordReceipts({
        providerId: events[0]?.providerId ?? options.replay?.providerId ?? 'twilio',
        receipts: events.map(({ messageId, ...rest }) => ({
          messageId: messageId || undefined,
          event: rest,
        })),
        sentSince: options.sentSince ?? 0,
        replay: options.replay,
        callback: (target) => options.callback?.(target.id),
      });
    /** One receipt: whether it was stored, the status after it, whether it moved the message. */
    const addEventTo = (record: EventRecord, callback?: CallbackRequest) => addEvent(store, record, callback);

    it('stores a message and reads it back with its payload bytes intact', async () => {
      const email = message({ channel: 'email' });
      email.message = {
        id: email.id,
        channel: 'email',
        from: { email: 'a@example.com' },
        to: [{ email: 'b@example.com' }],
        subject: 's',
        text: 't',
        attachments: [
          {
            filename: 'a.bin',
            contentType: 'application/octet-stream',
            content: new Uint8Array([0, 255, 7]),
          },
        ],
      };
      await store.accept(email);
      const read = await store.get(email.id);
      expect(read?.status).toBe('queued');
      const attachment = read?.message.channel === 'email' ? read.message.attachments?.[0] : undefined;
      expect([...(attachment?.content ?? [])]).toEqual([0, 255, 7]);
    });

    it('finds the messages to a recipient, newest first, a page at a time', async () => {
      const sms = (id: string, to: string, createdAt: number) =>
        message({ id, createdAt, updatedAt: createdAt, message: { id, channel: 'sms', to, text: 'hi' } });
      await store.accept(sms('older', '+260971234567', 1000));
      await store.accept(sms('newer', '+260971234567', 3000));
      await store.accept(sms('other', '+260961234567', 2000));
      const email = message({ id: 'mail', channel: 'email', createdAt: 2500, updatedAt: 2500 });
      email.message = {
        id: 'mail',
        channel: 'email',
        from: { email: 'a@example.com' },
        to: [{ email: 'Ops@Example.com' }, { email: 'second@example.com' }],
        cc: [{ email: 'copy@example.com' }],
        subject: 's',
        text: 't',
      };
      await store.accept(email);
      await store.accept(sms('same-time', '+260971234567', 3000));
      const ids = async (
        recipient: string,
        options = { limit: 10 } as Parameters<MessageStore['recentByRecipient']>[1],
      ) => (await store.recentByRecipient(recipient, options)).map((item) => item.id);
      expect(await ids('+260971234567')).toEqual(['same-time', 'newer', 'older']);
      expect(await ids('+260971234567', { limit: 1 })).toEqual(['same-time']);
      // A page ending inside a millisecond goes on with the rest of that millisecond.
      expect(await ids('+260971234567', { limit: 10, before: { createdAt: 3000, id: 'same-time' } })).toEqual(
        ['newer', 'older'],
      );
      expect(await ids('ops@example.com')).toEqual(['mail']);
      expect(await ids('second@example.com')).toEqual(['mail']);
      expect(await ids('copy@example.com')).toEqual([]);
      expect(await ids('+260950000000')).toEqual([]);
    });

    it('returns the first message for a repeated idempotency key and refuses another body', async () => {
      const first = message();
      const idempotency = { key: 'k1', requestHash: 'h1', expiresAt: 5000 };
      expect((await store.accept(first, idempotency)).outcome).toBe('created');
      const replay = await store.accept(message(), idempotency);
      expect(replay).toMatchObject({ outcome: 'replayed', message: { id: first.id } });
      const conflict = await store.accept(message(), { ...idempotency, requestHash: 'h2' });
      expect(conflict).toEqual({ outcome: 'conflict', messageId: first.id });
      expect(await store.countByDispatchState()).toMatchObject({ queued: 1 });
    });

    it('forgets an idempotency key after its window', async () => {
      await store.accept(message(), { key: 'k2', requestHash: 'h', expiresAt: 1500 });
      const later = message({ createdAt: 1600, updatedAt: 1600 });
      expect((await store.accept(later, { key: 'k2', requestHash: 'h', expiresAt: 9000 })).outcome).toBe(
        'created',
      );
    });

    it('claims the oldest queued messages first, each once, and takes a requeued one again', async () => {
      const newer = message({ createdAt: 1200 });
      const older = message({ createdAt: 1100 });
      const third = message({ createdAt: 1300 });
      for (const stored of [newer, older, third]) await store.accept(stored);
      await store.renewLease('a', 10_000, 1000);
      const first = await store.claimNext('a', 2, 1400);
      expect(first.map((item) => [item.id, item.dispatchState, item.attemptCount])).toEqual([
        [older.id, 'in-flight', 0],
        [newer.id, 'in-flight', 0],
      ]);
      expect((await store.claimNext('a', 10, 1400)).map((item) => item.id)).toEqual([third.id]);
      expect(await store.claimNext('a', 10, 1400)).toEqual([]);
      expect(await store.countByDispatchState()).toMatchObject({ queued: 0, 'in-flight': 3 });
      await store.requeue(older.id, 1500);
      expect((await store.claimNext('a', 10, 1500)).map((item) => item.id)).toEqual([older.id]);
    });

    it('stores a message already claimed when the dispatcher has room for it', async () => {
      const stored = message();
      const result = await store.accept(stored, undefined, { instanceId: 'a' });
      expect(result).toMatchObject({
        outcome: 'created',
        message: { id: stored.id, dispatchState: 'in-flight', attemptCount: 0 },
      });
      expect(await store.claimNext('a', 10, 1100)).toEqual([]);
      expect((await store.get(stored.id))?.dispatchState).toBe('in-flight');
      expect((await store.backlog(1100)).queued).toBe(0);
    });

    it('hands the in-flight messages of an instance whose lease ended to another, once', async () => {
      await store.renewLease('dead', 2000, 1000);
      const left = message();
      await store.accept(left, undefined, { instanceId: 'dead' });
      const queued = message();
      await store.accept(queued);
      // While the lease holds, its messages are its own.
      expect(await store.takeOverInFlight('dead', 1500, 10)).toEqual([]);
      await store.renewLease('heir', 20_000, 3000);
      const taken = await store.takeOverInFlight('heir', 3000, 10);
      expect(taken.map((item) => [item.id, item.attemptCount])).toEqual([[left.id, 0]]);
      // Now the heir's own: not taken again, by it or by anyone while its lease holds.
      expect(await store.takeOverInFlight('heir', 3000, 10)).toEqual([]);
      await store.renewLease('heir', 30_000, 4000);
      expect(await store.takeOverInFlight('third', 4000, 10)).toEqual([]);
      expect((await store.get(queued.id))?.dispatchState).toBe('queued');
    });

    it('wakes its listeners when messages are queued, not when one is accepted claimed', async () => {
      let wakes = 0;
      const stop = store.onQueued(() => wakes++);
      await store.accept(message(), undefined, { instanceId: 'a' });
      expect(wakes).toBe(0);
      const queued = message();
      await store.accept(queued);
      expect(wakes).toBe(1);
      await store.renewLease('a', 10_000, 1000);
      await store.claimNext('a', 10, 1100);
      await store.requeue(queued.id, 1200);
      expect(wakes).toBe(2);
      stop();
      await store.accept(message());
      expect(wakes).toBe(2);
    });

    it("measures the backlog: queued messages, the oldest, and each key's share", async () => {
      expect(await store.backlog(1000)).toEqual({ queued: 0, oldestQueuedAt: undefined, byApiKey: {} });
      await store.accept(message({ apiKeyId: 'flood', createdAt: 1100 }));
      await store.accept(message({ apiKeyId: 'flood', createdAt: 1200 }));
      await store.accept(message({ apiKeyId: 'quiet', createdAt: 1300 }));
      await store.accept(message({ apiKeyId: 'quiet', createdAt: 1050 }), undefined, { instanceId: 'a' });
      expect(await store.backlog(2000)).toEqual({
        queued: 3,
        oldestQueuedAt: 1100,
        byApiKey: { flood: 2, quiet: 1 },
      });
    });

    it('prunes finished messages older than the cutoff with everything that hangs on them', async () => {
      const old = message({ createdAt: 1000, callbackUrl: 'http://client/cb' });
      const recent = message({ createdAt: 9000 });
      const unfinished = message({ createdAt: 1000 });
      for (const stored of [old, recent, unfinished]) await store.accept(stored);
      await store.renewLease('a', 100_000, 1000);
      await store.claimNext('a', 2, 1000);
      for (const stored of [old, recent]) {
        await store.finishDispatch(
          stored.id,
          {
            status: 'sent',
            providerId: 'twilio',
            providerMessageId: `SM-${stored.id}`,
            attempts: [
              {
                messageId: stored.id,
                sequence: 1,
                providerId: 'twilio',
                startedAt: 1000,
                finishedAt: 1001,
                outcome: 'succeeded',
                possibleDuplicate: false,
              },
            ],
            callback: { url: 'http://client/cb', body: '{"type":"message.status","id":"x"}' },
          },
          1001,
        );
        await addEventTo(event(stored.id, { eventKey: `delivered-${stored.id}` }));
      }
      await store.recordShadowValidation({
        messageId: old.id,
        migrationId: 'm',
        providerId: 'new',
        at: 1000,
        accepted: true,
        latencyMs: 1,
      });
      await store.recordReceipts({
        providerId: 'mailgun',
        receipts: [],
        sentSince: 0,
        replay: { providerId: 'mailgun', token: 'old-token', contentHash: 'h', receivedAt: 1000 },
        callback: () => undefined,
      });
      expect(await store.pruneFinished(5000, 10)).toBe(1);
      expect(await store.get(old.id)).toBeUndefined();
      // Gone from the recipient index too.
      expect(
        (await store.recentByRecipient('+260971234567', { limit: 10 })).map((item) => item.id).sort(),
      ).toEqual([recent.id, unfinished.id].sort());
      expect(await store.attempts(old.id)).toEqual([]);
      expect(await store.events(old.id)).toEqual([]);
      expect((await store.dueCallbacks(Number.MAX_SAFE_INTEGER, 10)).map((item) => item.messageId)).toEqual([
        recent.id,
      ]);
      expect(await store.get(recent.id)).toBeDefined();
      expect((await store.events(recent.id)).length).toBe(1);
      expect((await store.get(unfinished.id))?.dispatchState).toBe('in-flight');
      // The old token went with the rest: the same token is new again.
      const again = await store.recordReceipts({
        providerId: 'mailgun',
        receipts: [],
        sentSince: 0,
        replay: { providerId: 'mailgun', token: 'old-token', contentHash: 'other', receivedAt: 6000 },
        callback: () => undefined,
      });
      expect(again).toEqual({ outcome: 'accepted', results: [] });
      expect(await store.pruneFinished(5000, 10)).toBe(0);
    });

    it('records attempts and finishes the dispatch', async () => {
      const stored = message();
      await store.accept(stored, undefined, { instanceId: 'a' });
      const started = {
        messageId: stored.id,
        sequence: 1,
        providerId: 'twilio',
        startedAt: 1100,
        outcome: 'in-flight' as const,
        possibleDuplicate: false,
      };
      await store.recordAttempt(started);
      await store.recordAttempt({
        messageId: stored.id,
        sequence: 1,
        providerId: 'twilio',
        startedAt: 1100,
        finishedAt: 1150,
        latencyMs: 50,
        outcome: 'succeeded',
        providerMessageId: 'SM1',
        possibleDuplicate: false,
        reason: 'failover chain -> twilio',
      });
      await store.finishDispatch(
        stored.id,
        {
          status: 'queued',
          providerId: 'twilio',
          providerMessageId: 'SM1',
          cost: { amount: '0.0075', currency: 'USD' },
        },
        1150,
      );
      expect(await store.attempts(stored.id)).toEqual([
        expect.objectContaining({ outcome: 'succeeded', latencyMs: 50 }),
      ]);
      expect(await store.get(stored.id)).toMatchObject({ dispatchState: 'done', cost: { amount: '0.0075' } });
      // A start written late (a slow attempt) never puts a finished attempt back in flight.
      await store.recordAttempt(started);
      expect((await store.attempts(stored.id))[0]?.outcome).toBe('succeeded');
      const matched = await receipts([event('', { providerMessageId: 'SM1' })]);
      expect(matched).toMatchObject({ outcome: 'accepted', results: [{ message: { id: stored.id } }] });
    });

    it('stores an event once and never moves a message backwards', async () => {
      const stored = message();
      await store.accept(stored);
      const delivered = event(stored.id, { eventKey: 'e1' });
      expect(await addEventTo(delivered)).toEqual({ stored: true, status: 'delivered', advanced: true });
      expect(await addEventTo(delivered)).toEqual({
        stored: false,
        status: 'delivered',
        advanced: false,
      });
      const late = event(stored.id, { status: 'sent', providerStatus: 'sent', eventKey: 'e2' });
      expect(await addEventTo(late)).toEqual({ stored: true, status: 'delivered', advanced: false });
      expect((await store.events(stored.id)).map((item) => item.providerStatus)).toEqual([
        'delivered',
        'sent',
      ]);
      expect((await store.get(stored.id))?.status).toBe('delivered');
    });

    describe('webhook replay tokens', () => {
      const token = (overrides: Partial<ReplayToken> = {}): ReplayToken => ({
        providerId: 'mailgun',
        token: 'token-1',
        contentHash: 'hash-1',
        receivedAt: 2000,
        ...overrides,
      });

      it('stores the events with their token, and takes the same token and content again as a retry', async () => {
        const stored = message();
        await store.accept(stored);
        const delivered = event(stored.id, { providerId: 'mailgun', eventKey: 'mg-e1' });
        expect(await receipts([delivered], { replay: token() })).toMatchObject({
          outcome: 'accepted',
          results: [{ outcome: 'stored', status: 'delivered', advanced: true }],
        });
        expect(await receipts([delivered], { replay: token() })).toMatchObject({
          outcome: 'accepted',
          results: [{ outcome: 'duplicate', status: 'delivered', advanced: false }],
        });
        expect(await store.events(stored.id)).toHaveLength(1);
      });

      it('refuses a token used before with other content, writing nothing', async () => {
        const first = message();
        const second = message();
        await store.accept(first);
        await store.accept(second);
        await receipts([event(first.id, { providerId: 'mailgun', status: 'sent', eventKey: 'a' })], {
          replay: token(),
        });
        const replay = await receipts([event(second.id, { providerId: 'mailgun', eventKey: 'b' })], {
          replay: token({ contentHash: 'hash-2' }),
          callback: () => ({ url: 'http://client/cb', body: '{}' }),
        });
        expect(replay).toEqual({ outcome: 'replayed' });
        expect(await store.events(second.id)).toEqual([]);
        expect((await store.get(second.id))?.status).toBe('queued');
        expect(await store.dueCallbacks(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
      });

      it('keeps tokens per provider instance, and a token with no events for known messages', async () => {
        await receipts([], { replay: token({ providerId: 'mailgun-eu' }) });
        expect(
          await receipts([], { replay: token({ providerId: 'mailgun-eu', contentHash: 'other' }) }),
        ).toEqual({
          outcome: 'replayed',
        });
        expect(
          await receipts([], { replay: token({ providerId: 'mailgun-us', contentHash: 'other' }) }),
        ).toEqual({
          outcome: 'accepted',
          results: [],
        });
      });

      it('stores neither token nor events when the write fails, so the retry is accepted', async () => {
        const stored = message();
        await store.accept(stored);
        const other = message({ callbackUrl: 'http://client/cb' });
        await store.accept(other);
        // A failure on the second receipt (building its callback) breaks the write part-way through.
        const broken = receipts(
          [
            event(stored.id, { providerId: 'mailgun', eventKey: 'c1' }),
            event(other.id, { providerId: 'mailgun', eventKey: 'c2' }),
          ],
          {
            replay: token({ token: 'token-2' }),
            callback: (id) => {
              if (id === other.id) throw new Error('cannot build the callback');
              return undefined;
            },
          },
        );
        await expect(broken).rejects.toThrow();
        expect(await store.events(stored.id)).toEqual([]);
        const retry = await receipts([event(stored.id, { providerId: 'mailgun', eventKey: 'c1' })], {
          replay: token({ token: 'token-2', contentHash: 'other' }),
        });
        expect(retry).toMatchObject({ outcome: 'accepted', results: [{ outcome: 'stored' }] });
      });
    });

    it('keeps a receipt that arrived before the send returned', async () => {
      const stored = message();
      await store.accept(stored);
      await addEventTo(event(stored.id));
      await store.finishDispatch(
        stored.id,
        { status: 'queued', providerId: 'twilio', providerMessageId: 'SM1' },
        3000,
      );
      expect((await store.get(stored.id))?.status).toBe('delivered');
    });

    /** A message sent at `sentAt` through `providerId` under `providerMessageId`. */
    async function sent(
      providerMessageId: string,
      sentAt: number,
      overrides: Partial<StoredMessage> = {},
      plan: { receiptDueAt?: number; reconcileAt?: number } = {},
    ): Promise<StoredMessage> {
      const stored = message({ createdAt: sentAt, updatedAt: sentAt, ...overrides });
      await store.accept(stored, undefined, { instanceId: 'a' });
      await store.finishDispatch(
        stored.id,
        { status: 'sent', providerId: 'twilio', providerMessageId, ...plan },
        sentAt,
      );
      return stored;
    }

    it('keeps dashboard sessions: read back, used, ended, and bounded in number', async () => {
      const session = (hash: string, createdAt: number) => ({
        hash,
        keyId: 'operator',
        scopes: ['admin', 'monitor'],
        csrfToken: `csrf-${hash}`,
        createdAt,
        expiresAt: createdAt + 10_000,
        lastSeenAt: createdAt,
      });
      await store.createSession(session('a', 1000), { idleSince: 0, max: 10 });
      expect(await store.getSession('a')).toEqual(session('a', 1000));
      expect(await store.getSession('nope')).toBeUndefined();
      await store.touchSession('a', 3000);
      // Use never goes back in time.
      await store.touchSession('a', 2000);
      expect((await store.getSession('a'))?.lastSeenAt).toBe(3000);
      // A new session ends those past their life or idle since `idleSince`, and keeps `max`.
      await store.createSession(session('b', 4000), { idleSince: 0, max: 10 });
      await store.createSession(session('c', 12_000), { idleSince: 3500, max: 10 });
      expect(await store.getSession('a')).toBeUndefined();
      expect(await store.getSession('b')).toBeDefined();
      await store.createSession(session('d', 12_001), { idleSince: 0, max: 2 });
      expect(await store.getSession('b')).toBeUndefined();
      expect((await store.getSession('c'))?.keyId).toBe('operator');
      await store.deleteSession('c');
      expect(await store.getSession('c')).toBeUndefined();
      expect(await store.getSession('d')).toBeDefined();
    });

    describe('a receipt that comes before its send is stored', () => {
      const early = (
        providerMessageId: string,
        holdUnmatchedUntil: number | undefined,
        status: EventRecord['status'] = 'delivered',
        eventKey: string = randomUUID(),
      ) =>
        store.recordReceipts({
          providerId: 'twilio',
          receipts: [{ event: event('', { providerMessageId, status, eventKey }) }],
          sentSince: 500,
          holdUnmatchedUntil,
          callback: (target) => ({
            url: 'https://app.example/status',
            body: JSON.stringify({ id: target.id }),
          }),
        });
      const outcomeOf = (written: ReceiptsResult) =>
        written.outcome === 'accepted' ? written.results[0]?.outcome : written.outcome;
      const match = (now: number, limit = 10) =>
        store.matchHeldReceipts({
          now,
          limit,
          callback: (target) => ({
            url: 'https://app.example/status',
            body: JSON.stringify({ id: target.id }),
          }),
        });

      it('is held, then stored when its send is, moving the message and queueing its callback', async () => {
        expect(outcomeOf(await early('SM-early', 60_000))).toBe('held');
        // Nothing to match while the send's outcome is not stored.
        expect(await match(2000)).toEqual({ matched: [], expired: [] });
        const stored = await sent('SM-early', 1000, { callbackUrl: 'https://app.example/status' });
        expect((await store.get(stored.id))?.status).toBe('sent');
        const { matched, expired } = await match(2000);
        expect(expired).toEqual([]);
        expect(matched).toHaveLength(1);
        expect(matched[0]).toMatchObject({
          providerId: 'twilio',
          result: { outcome: 'stored', status: 'delivered', advanced: true, message: { id: stored.id } },
        });
        expect((await store.get(stored.id))?.status).toBe('delivered');
        expect((await store.events(stored.id)).map((item) => item.status)).toEqual(['delivered']);
        expect((await store.dueCallbacks(Number.MAX_SAFE_INTEGER, 10)).map((item) => item.messageId)).toEqual(
          [stored.id],
        );
        // Matched once: it is no longer held.
        expect(await match(2000)).toEqual({ matched: [], expired: [] });
      });

      it('is dropped when its hold ends with no send, and is never held without a hold or for a message id we lack', async () => {
        expect(outcomeOf(await early('SM-foreign', 5000))).toBe('held');
        expect(outcomeOf(await early('SM-nohold', undefined))).toBe('unknown-message');
        const unknownOwnId = await store.recordReceipts({
          providerId: 'twilio',
          receipts: [{ messageId: 'msg_never_stored', event: event('', { providerMessageId: 'SM-own' }) }],
          sentSince: 0,
          holdUnmatchedUntil: 60_000,
          callback: () => undefined,
        });
        expect(outcomeOf(unknownOwnId)).toBe('unknown-message');
        expect(await match(4999)).toEqual({ matched: [], expired: [] });
        expect(await match(5000)).toEqual({
          matched: [],
          expired: [{ providerId: 'twilio', providerMessageId: 'SM-foreign' }],
        });
        // Its send stored later finds nothing held.
        await sent('SM-foreign', 6000);
        expect(await match(7000)).toEqual({ matched: [], expired: [] });
      });

      it('finds a matched receipt behind any number of unmatched ones, and de-duplicates a held retry', async () => {
        for (let index = 0; index < 5; index += 1) await early(`SM-other-${index}`, 60_000);
        // The provider posts the same receipt twice (its retry) before the send is stored.
        expect(outcomeOf(await early('SM-late-send', 60_000, 'delivered', 'dlr-1'))).toBe('held');
        expect(outcomeOf(await early('SM-late-send', 60_000, 'delivered', 'dlr-1'))).toBe('held');
        const stored = await sent('SM-late-send', 1000);
        expect((await match(2000, 1)).matched.map((item) => item.result.outcome)).toEqual(['stored']);
        expect((await match(2000, 1)).matched.map((item) => item.result.outcome)).toEqual(['duplicate']);
        expect(await match(2000, 1)).toEqual({ matched: [], expired: [] });
        expect((await store.get(stored.id))?.status).toBe('delivered');
        expect(await store.events(stored.id)).toHaveLength(1);
      });
    });

    it('matches a provider message id to the latest send within the window, never an older one', async () => {
      const older = await sent('SM-reused', 1000);
      await addEventTo(event(older.id, { providerMessageId: 'SM-reused', eventKey: 'old-delivered' }));
      const newer = await sent('SM-reused', 5000);
      const matched = async (providerId: string, sentSince: number) => {
        const written = await receipts(
          [event('', { providerId, providerMessageId: 'SM-reused', status: 'sent', eventKey: randomUUID() })],
          { sentSince },
        );
        const [result] = written.outcome === 'accepted' ? written.results : [];
        return result?.outcome === 'stored' || result?.outcome === 'duplicate'
          ? result.message.id
          : undefined;
      };
      expect(await matched('twilio', 0)).toBe(newer.id);
      expect(await matched('twilio', 4000)).toBe(newer.id);
      // Outside the window nothing matches, however finished or not the old send is.
      expect(await matched('twilio', 6000)).toBeUndefined();
      expect(await matched('another', 0)).toBeUndefined();
      expect((await store.get(newer.id))?.sentAt).toBe(5000);
    });

    it('keeps a round that may pass waiting, out of the queue, until its time', async () => {
      const stored = message();
      await store.accept(stored);
      await store.renewLease('a', 100_000, 1000);
      const [claimed] = await store.claimNext('a', 10, 1100);
      expect(claimed?.attemptCount).toBe(0);
      await store.scheduleRetry(
        stored.id,
        {
          round: 1,
          nextAttemptAt: 5000,
          reason: 'twilio: transient',
          attempts: [
            {
              messageId: stored.id,
              sequence: 1,
              providerId: 'twilio',
              startedAt: 1100,
              finishedAt: 1200,
              outcome: 'failed',
              errorKind: 'transient',
              possibleDuplicate: false,
            },
          ],
        },
        1200,
      );
      expect(await store.get(stored.id)).toMatchObject({
        dispatchState: 'waiting',
        status: 'queued',
        retryRound: 1,
        retryReason: 'twilio: transient',
        nextAttemptAt: 5000,
      });
      expect(await store.countByDispatchState()).toMatchObject({ waiting: 1, queued: 0, 'in-flight': 0 });
      expect(await store.claimNext('a', 10, 1300)).toEqual([]);
      expect((await store.backlog(1300)).queued).toBe(0);
      let wakes = 0;
      const stop = store.onQueued(() => wakes++);
      expect(await store.releaseDueRetries(4999, 10)).toEqual([]);
      expect(await store.releaseDueRetries(5000, 10)).toEqual([stored.id]);
      expect(await store.releaseDueRetries(5000, 10)).toEqual([]);
      expect(wakes).toBe(1);
      stop();
      const [again] = await store.claimNext('a', 10, 5001);
      // The next round's attempts continue the numbering.
      expect(again).toMatchObject({ attemptCount: 1, retryRound: 1 });
      await store.finishDispatch(stored.id, { status: 'failed' }, 5100);
      expect((await store.get(stored.id))?.nextAttemptAt).toBeUndefined();
    });

    it('waits for a receipt only while the status is not final', async () => {
      const waiting = await sent('SM-a', 1000, {}, { receiptDueAt: 9000, reconcileAt: 3000 });
      expect(await store.get(waiting.id)).toMatchObject({ receiptDueAt: 9000, reconcileAt: 3000 });
      const early = message();
      await store.accept(early);
      await addEventTo(event(early.id, { eventKey: 'early-delivered' }));
      await store.finishDispatch(
        early.id,
        {
          status: 'sent',
          providerId: 'twilio',
          providerMessageId: 'SM-b',
          receiptDueAt: 9000,
          reconcileAt: 3000,
        },
        1000,
      );
      expect(await store.get(early.id)).toMatchObject({ receiptDueAt: undefined, reconcileAt: undefined });
      await addEventTo(event(waiting.id, { eventKey: 'a-delivered' }));
      expect(await store.get(waiting.id)).toMatchObject({ receiptDueAt: undefined, reconcileAt: undefined });
    });

    it('ends a message unknown at its receipt deadline, once, and lets a late receipt move it on', async () => {
      const late = await sent('SM-late', 1000, { callbackUrl: 'http://client/cb' }, { receiptDueAt: 5000 });
      const answered = await sent('SM-answered', 1000, {}, { receiptDueAt: 5000 });
      await sent('SM-later', 1000, {}, { receiptDueAt: 8000 });
      expect(await store.overdueReceipts(4999, 10)).toEqual([]);
      expect((await store.overdueReceipts(5000, 10)).map((item) => item.id).sort()).toEqual(
        [late.id, answered.id].sort(),
      );
      const unknown = (id: string) =>
        event(id, {
          status: 'unknown',
          providerStatus: 'receipt-deadline',
          eventKey: `${id}:receipt-deadline`,
          occurredAt: 5000,
          receivedAt: 5000,
        });
      // A receipt came in between: the deadline's event is not stored at all.
      await addEventTo(event(answered.id, { eventKey: 'answered-delivered' }));
      expect(await store.expireReceipt(unknown(answered.id))).toBe(false);
      expect((await store.events(answered.id)).map((item) => item.status)).toEqual(['delivered']);
      expect(
        await store.expireReceipt(unknown(late.id), { url: 'http://client/cb', body: '{"id":"x"}' }),
      ).toBe(true);
      expect(await store.expireReceipt(unknown(late.id))).toBe(false);
      expect(await store.get(late.id)).toMatchObject({ status: 'unknown', receiptDueAt: undefined });
      expect((await store.overdueReceipts(5000, 10)).map((item) => item.id)).toEqual([]);
      expect((await store.dueCallbacks(5000, 10)).map((item) => item.messageId)).toEqual([late.id]);
      const delivered = await addEventTo(event(late.id, { eventKey: 'late-delivered' }));
      expect(delivered).toEqual({ stored: true, status: 'delivered', advanced: true });
    });

    it('leases status look-ups, counts them, and never revives one a final status ended', async () => {
      const first = await sent('SM-1', 1000, {}, { receiptDueAt: 90_000, reconcileAt: 2000 });
      const second = await sent('SM-2', 1000, {}, { receiptDueAt: 90_000, reconcileAt: 2500 });
      expect(await store.claimReconciliations(1999, 10, 1000)).toEqual([]);
      const leased = await store.claimReconciliations(3000, 10, 1000);
      expect(leased.map((item) => [item.id, item.reconcileAttempts])).toEqual([
        [first.id, 1],
        [second.id, 1],
      ]);
      // Leased: not due again until the lease runs out.
      expect(await store.claimReconciliations(3999, 10, 1000)).toEqual([]);
      await store.scheduleReconcile(first.id, 7000);
      await addEventTo(event(second.id, { providerMessageId: 'SM-2', eventKey: 'second-delivered' }));
      await store.scheduleReconcile(second.id, 7000);
      expect((await store.claimReconciliations(7000, 10, 1000)).map((item) => item.id)).toEqual([first.id]);
      await store.scheduleReconcile(first.id, undefined);
      expect(await store.claimReconciliations(99_999, 10, 1000)).toEqual([]);
    });

    it("numbers each message's callbacks and hands out only the first pending one", async () => {
      const stored = message();
      const other = message();
      await store.accept(stored);
      await store.accept(other);
      await store.enqueueCallback(stored.id, 'http://client/cb', '{"type":"message.status","id":"a"}', 1000);
      await store.enqueueCallback(stored.id, 'http://client/cb', '{"type":"message.status","id":"a"}', 1000);
      await store.enqueueCallback(other.id, 'http://client/cb', '{"type":"message.status","id":"b"}', 1000);
      const due = await store.dueCallbacks(1000, 10);
      expect(due.map((item) => [item.messageId, item.sequence])).toEqual([
        [stored.id, 1],
        [other.id, 1],
      ]);
      expect(JSON.parse(due[0]?.body as string)).toEqual({ type: 'message.status', id: 'a', sequence: 1 });
      // The first is retried later: the second still waits for it.
      await store.callbackRetry(due[0]!.id, 5000, false);
      expect((await store.dueCallbacks(4000, 10)).map((item) => item.messageId)).toEqual([other.id]);
      await store.callbackDone(due[0]!.id);
      const next = (await store.dueCallbacks(4000, 10)).find((item) => item.messageId === stored.id);
      expect(next?.sequence).toBe(2);
      expect(JSON.parse(next?.body as string).sequence).toBe(2);
      // Given up, it no longer holds the next one back either.
      await store.enqueueCallback(stored.id, 'http://client/cb', '{}', 4000);
      await store.callbackRetry(next!.id, 4000, true);
      expect(
        (await store.dueCallbacks(4000, 10)).find((item) => item.messageId === stored.id)?.sequence,
      ).toBe(3);
    });

    it('keeps the API a message came in through, and a provider-format callback as given', async () => {
      const ingress = {
        api: 'twilio' as const,
        accountSid: `AC${'1'.repeat(32)}`,
        messagingServiceSid: 'MG1',
      };
      const stored = message({ ingress, callbackUrl: 'http://client/status' });
      await store.accept(stored);
      expect((await store.get(stored.id))?.ingress).toEqual(ingress);
      const format = { kind: 'twilio' as const, accountSid: ingress.accountSid };
      await addEventTo(event(stored.id, { status: 'sent', providerStatus: 'sent' }), {
        url: 'http://client/status',
        body: 'MessageStatus=sent',
        format,
      });
      const [due] = await store.dueCallbacks(9999, 10);
      // A provider's body is that provider's: no `sequence` written into it, but the order is kept.
      expect(due).toMatchObject({ body: 'MessageStatus=sent', format, sequence: 1 });
    });

    it('stores a request of several messages all together, or none of them', async () => {
      const first = message();
      const second = message({ ingress: { api: 'sendgrid', xMessageId: 'x1' } });
      await store.acceptAll([first, second]);
      expect((await store.get(second.id))?.ingress).toEqual({ api: 'sendgrid', xMessageId: 'x1' });
      const fresh = message();
      // The second insert fails (the id exists): the first is not kept either.
      await expect(store.acceptAll([fresh, message({ id: first.id })])).rejects.toThrow();
      expect(await store.get(fresh.id)).toBeUndefined();
      expect(await store.countByDispatchState()).toMatchObject({ queued: 2 });
    });

    it('keeps the first value of a generated secret', async () => {
      expect(await store.ensureSecret('event-key', () => 'first', 1000)).toBe('first');
      let called = false;
      const again = await store.ensureSecret(
        'event-key',
        () => {
          called = true;
          return 'second';
        },
        2000,
      );
      expect({ again, called }).toEqual({ again: 'first', called: false });
    });

    it('reports itself writable and takes a probe write', async () => {
      expect(store.writeHealth()).toEqual({ writable: true });
      await store.probeWrite(1000);
      expect(store.writeHealth()).toEqual({ writable: true });
    });

    it('runs the callback outbox', async () => {
      const stored = message();
      await store.accept(stored);
      await store.enqueueCallback(stored.id, 'http://client/cb', '{}', 1000);
      const [due] = await store.dueCallbacks(1000, 10);
      expect(due).toMatchObject({ messageId: stored.id, attempts: 0 });
      await store.callbackRetry(due!.id, 5000, false);
      expect(await store.dueCallbacks(1000, 10)).toEqual([]);
      expect((await store.dueCallbacks(5000, 10))[0]?.attempts).toBe(1);
      await store.callbackDone(due!.id);
      expect(await store.dueCallbacks(9999, 10)).toEqual([]);
    });
  });
}
