import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventRecord, MessageStore, ReplayToken, StoredMessage } from '../src/store/message-store.js';

/** The behaviour every store adapter must show; the SQLite and PostgreSQL adapters both run it. */
export function describeMessageStore(name: string, open: () => Promise<MessageStore>): void {
  describe(`message store: ${name}`, () => {
    let store: MessageStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(() => store.close());

    const message = (overrides: Partial<StoredMessage> = {}): StoredMessage => {
      const id = overrides.id ?? `msg_${randomUUID()}`;
      return {
        id,
        channel: 'sms',
        message: { id, channel: 'sms', to: '+260971234567', text: 'hello' },
        status: 'queued',
        dispatchState: 'queued',
        apiKeyId: 'key-1',
        createdAt: 1000,
        updatedAt: 1000,
        ...overrides,
      };
    };
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
      expect((await store.findByProviderMessageId('twilio', 'SM1'))?.id).toBe(stored.id);
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
