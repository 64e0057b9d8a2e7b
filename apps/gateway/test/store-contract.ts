import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventRecord, MessageStore, ReplayToken, StoredMessage } from '../src/store/message-store.js';

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

    it('claims a queued message once, and lists in-flight ones for recovery', async () => {
      const stored = message();
      await store.accept(stored);
      expect(await store.queuedIds(10)).toEqual([stored.id]);
      expect((await store.claim([stored.id], 1100)).map((item) => item.id)).toEqual([stored.id]);
      expect(await store.claim([stored.id], 1200)).toEqual([]);
      expect((await store.inFlight()).map((item) => item.id)).toEqual([stored.id]);
      await store.requeue(stored.id, 1300);
      expect(await store.queuedIds(10)).toEqual([stored.id]);
    });

    it('records attempts and finishes the dispatch', async () => {
      const stored = message();
      await store.accept(stored);
      await store.claim([stored.id], 1100);
      await store.recordAttempt({
        messageId: stored.id,
        sequence: 1,
        providerId: 'twilio',
        startedAt: 1100,
        outcome: 'in-flight',
        possibleDuplicate: false,
      });
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
      expect((await store.findByProviderMessageId('twilio', 'SM1', 0))?.id).toBe(stored.id);
    });

    it('stores an event once and never moves a message backwards', async () => {
      const stored = message();
      await store.accept(stored);
      const delivered = event(stored.id, { eventKey: 'e1' });
      expect(await store.addEvent(delivered)).toEqual({ stored: true, status: 'delivered', advanced: true });
      expect(await store.addEvent(delivered)).toEqual({
        stored: false,
        status: 'delivered',
        advanced: false,
      });
      const late = event(stored.id, { status: 'sent', providerStatus: 'sent', eventKey: 'e2' });
      expect(await store.addEvent(late)).toEqual({ stored: true, status: 'delivered', advanced: false });
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
        expect(await store.addWebhookEvents(token(), [{ event: delivered }])).toEqual({
          outcome: 'accepted',
          results: [{ stored: true, status: 'delivered', advanced: true }],
        });
        expect(await store.addWebhookEvents(token(), [{ event: delivered }])).toEqual({
          outcome: 'accepted',
          results: [{ stored: false, status: 'delivered', advanced: false }],
        });
        expect(await store.events(stored.id)).toHaveLength(1);
      });

      it('refuses a token used before with other content, writing nothing', async () => {
        const first = message();
        const second = message();
        await store.accept(first);
        await store.accept(second);
        await store.addWebhookEvents(token(), [
          { event: event(first.id, { status: 'sent', eventKey: 'a' }) },
        ]);
        const replay = await store.addWebhookEvents(token({ contentHash: 'hash-2' }), [
          { event: event(second.id, { eventKey: 'b' }), callback: { url: 'http://client/cb', body: '{}' } },
        ]);
        expect(replay).toEqual({ outcome: 'replayed' });
        expect(await store.events(second.id)).toEqual([]);
        expect((await store.get(second.id))?.status).toBe('queued');
        expect(await store.dueCallbacks(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
      });

      it('keeps tokens per provider instance, and a token with no events for known messages', async () => {
        await store.addWebhookEvents(token({ providerId: 'mailgun-eu' }), []);
        expect(
          await store.addWebhookEvents(token({ providerId: 'mailgun-eu', contentHash: 'other' }), []),
        ).toEqual({ outcome: 'replayed' });
        expect(
          await store.addWebhookEvents(token({ providerId: 'mailgun-us', contentHash: 'other' }), []),
        ).toEqual({ outcome: 'accepted', results: [] });
      });

      it('stores neither token nor events when the write fails, so the retry is accepted', async () => {
        const stored = message();
        await store.accept(stored);
        // An event for a message that is not in the store breaks the write part-way through.
        const broken = [
          { event: event(stored.id, { eventKey: 'c1' }) },
          { event: event('msg_not_stored', { eventKey: 'c2' }) },
        ];
        await expect(store.addWebhookEvents(token({ token: 'token-2' }), broken)).rejects.toThrow();
        expect(await store.events(stored.id)).toEqual([]);
        const retry = await store.addWebhookEvents(token({ token: 'token-2', contentHash: 'other' }), [
          { event: event(stored.id, { eventKey: 'c1' }) },
        ]);
        expect(retry).toMatchObject({ outcome: 'accepted', results: [{ stored: true }] });
      });
    });

    it('keeps a receipt that arrived before the send returned', async () => {
      const stored = message();
      await store.accept(stored);
      await store.addEvent(event(stored.id));
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
      await store.accept(stored);
      await store.claim([stored.id], sentAt);
      await store.finishDispatch(
        stored.id,
        { status: 'sent', providerId: 'twilio', providerMessageId, ...plan },
        sentAt,
      );
      return stored;
    }

    it('matches a provider message id to the latest send within the window, never an older one', async () => {
      const older = await sent('SM-reused', 1000);
      await store.addEvent(event(older.id, { providerMessageId: 'SM-reused', eventKey: 'old-delivered' }));
      const newer = await sent('SM-reused', 5000);
      expect((await store.findByProviderMessageId('twilio', 'SM-reused', 0))?.id).toBe(newer.id);
      expect((await store.findByProviderMessageId('twilio', 'SM-reused', 4000))?.id).toBe(newer.id);
      // Outside the window nothing matches, however finished or not the old send is.
      expect(await store.findByProviderMessageId('twilio', 'SM-reused', 6000)).toBeUndefined();
      expect(await store.findByProviderMessageId('another', 'SM-reused', 0)).toBeUndefined();
      expect((await store.get(newer.id))?.sentAt).toBe(5000);
    });

    it('keeps a round that may pass waiting, out of the queue, until its time', async () => {
      const stored = message();
      await store.accept(stored);
      const [claimed] = await store.claim([stored.id], 1100);
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
      expect(await store.queuedIds(10)).toEqual([]);
      expect(await store.claim([stored.id], 1300)).toEqual([]);
      expect(await store.releaseDueRetries(4999, 10)).toEqual([]);
      expect(await store.releaseDueRetries(5000, 10)).toEqual([stored.id]);
      expect(await store.releaseDueRetries(5000, 10)).toEqual([]);
      const [again] = await store.claim([stored.id], 5001);
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
      await store.addEvent(event(early.id, { eventKey: 'early-delivered' }));
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
      await store.addEvent(event(waiting.id, { eventKey: 'a-delivered' }));
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
      await store.addEvent(event(answered.id, { eventKey: 'answered-delivered' }));
      expect(await store.expireReceipt(unknown(answered.id))).toBe(false);
      expect((await store.events(answered.id)).map((item) => item.status)).toEqual(['delivered']);
      expect(
        await store.expireReceipt(unknown(late.id), { url: 'http://client/cb', body: '{"id":"x"}' }),
      ).toBe(true);
      expect(await store.expireReceipt(unknown(late.id))).toBe(false);
      expect(await store.get(late.id)).toMatchObject({ status: 'unknown', receiptDueAt: undefined });
      expect((await store.overdueReceipts(5000, 10)).map((item) => item.id)).toEqual([]);
      expect((await store.dueCallbacks(5000, 10)).map((item) => item.messageId)).toEqual([late.id]);
      const delivered = await store.addEvent(event(late.id, { eventKey: 'late-delivered' }));
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
      await store.addEvent(event(second.id, { providerMessageId: 'SM-2', eventKey: 'second-delivered' }));
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
      await store.addEvent(event(stored.id, { status: 'sent', providerStatus: 'sent' }), {
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
