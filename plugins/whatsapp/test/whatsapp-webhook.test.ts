import {
  createProvider,
  type DeliveryEvent,
  type Provider,
  reduceStatuses,
  silentLogger,
  ValidationError,
  type WebhookRequest,
  WebhookVerificationError,
  type WhatsAppMessage,
} from '@msg/core';
import { rejectionOf, type WebhookReceiver, waitFor, webhookReceiver } from '@msg/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import whatsAppPlugin, { type WhatsAppPluginOptions } from '../src/index.js';
import type { WhatsAppSimulator } from '../src/simulator.js';
import {
  ACME,
  GLOBEX,
  optionsFor,
  payload,
  signedRequest,
  startSimulator,
  status,
  TO,
  WEBHOOK_URL,
} from './helpers.js';

const providers: Provider[] = [];
const signal = () => new AbortController().signal;

async function make(options: WhatsAppPluginOptions): Promise<Provider<'whatsapp'>> {
  const provider = await createProvider(whatsAppPlugin, options, {
    instanceId: 'whatsapp-hooks',
    logger: silentLogger,
    now: () => Date.parse('2026-01-01T10:00:00Z'),
  });
  providers.push(provider);
  return provider as Provider<'whatsapp'>;
}

const options = (extra: Partial<WhatsAppPluginOptions> = {}): WhatsAppPluginOptions => ({
  ...ACME,
  baseUrl: 'http://127.0.0.1:9',
  ...extra,
});

function handshake(query: Record<string, string>): WebhookRequest {
  return {
    method: 'GET',
    url: `${WEBHOOK_URL}?${new URLSearchParams(query)}`,
    headers: {},
    rawBody: new Uint8Array(),
  };
}

afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
});

describe('status webhooks', () => {
  it('turns each status of a signed post into an event, with our id, time, recipient and pricing', async () => {
    const provider = await make(options());
    const { events } = await provider.parseWebhook!(
      signedRequest(
        payload([
          status('wamid.A', 'sent', {
            biz_opaque_callback_data: 'msg_1',
            conversation: {
              id: 'CONVERSATION_ID',
              expiration_timestamp: '1767348000',
              origin: { type: 'utility' },
            },
            pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' },
          }),
          status('wamid.A', 'delivered', { biz_opaque_callback_data: 'msg_1', timestamp: '1767261605' }),
          status('wamid.A', 'read', { biz_opaque_callback_data: 'msg_1', timestamp: '1767261610' }),
        ]),
      ),
    );
    expect(events).toEqual([
      {
        providerMessageId: 'wamid.A',
        messageId: 'msg_1',
        status: 'sent',
        providerStatus: 'sent',
        occurredAt: new Date('2026-01-01T10:00:00Z'),
        recipient: TO,
        eventId: 'wamid.A:sent:',
        error: undefined,
        details: {
          pricingCategory: 'utility',
          pricingModel: 'PMP',
          pricingType: 'regular',
          conversationId: 'CONVERSATION_ID',
          conversationOrigin: 'utility',
        },
      },
      expect.objectContaining({ status: 'delivered', occurredAt: new Date('2026-01-01T10:00:05Z') }),
      expect.objectContaining({ status: 'read', providerStatus: 'read', eventId: 'wamid.A:read:' }),
    ]);
  });

  it('reads several entries and changes in one post, and leaves out other numbers, inbound messages and unknown words', async () => {
    const provider = await make(options());
    const body = payload([status('wamid.A', 'delivered')]);
    const other = payload([status('wamid.X', 'delivered')], GLOBEX.phoneNumberId).entry[0]!;
    const second = payload([status('wamid.B', 'played'), status('wamid.C', 'deleted')]).entry[0]!;
    body.entry.push(other, second);
    body.entry[0]!.changes.push(
      {
        field: 'messages',
        value: { ...body.entry[0]!.changes[0]!.value, statuses: undefined, messages: [{ from: TO }] },
      },
      { field: 'message_template_status_update', value: body.entry[0]!.changes[0]!.value },
    );
    const { events } = await provider.parseWebhook!(signedRequest(body));
    expect(events.map((event) => [event.providerMessageId, event.status])).toEqual([
      ['wamid.A', 'delivered'],
      ['wamid.B', 'read'],
    ]);
  });

  it('splits failed by its code: undeliverable to the user is undelivered, a refusal is failed', async () => {
    const provider = await make(options());
    const failed = (code: number) =>
      status(`wamid.${code}`, 'failed', { errors: [{ code, title: 'Title from Meta' }] });
    const { events } = await provider.parseWebhook!(
      signedRequest(
        payload([
          failed(131026),
          failed(131049),
          failed(131050),
          failed(131047),
          failed(131000),
          failed(132001),
        ]),
      ),
    );
    expect(events.map((event) => [event.error?.code, event.status])).toEqual([
      ['131026', 'undelivered'],
      ['131049', 'undelivered'],
      ['131050', 'undelivered'],
      ['131047', 'failed'],
      ['131000', 'failed'],
      ['132001', 'failed'],
    ]);
    expect(events[3]?.error?.message).toBe('Title from Meta');
    expect(events[0]?.eventId).toBe('wamid.131026:failed:131026');
  });

  it('refuses an unsigned, a tampered, an otherwise-signed post, and every post without an app secret', async () => {
    const provider = await make(options());
    const good = signedRequest(payload([status('wamid.A', 'failed')]));
    const refusals: WebhookRequest[] = [
      { ...good, headers: { 'content-type': 'application/json' } },
      {
        ...good,
        rawBody: new TextEncoder().encode(Buffer.from(good.rawBody).toString().replace('failed', 'read')),
      },
      signedRequest(payload([status('wamid.A', 'failed')]), GLOBEX.appSecret),
    ];
    for (const request of refusals) {
      await rejectionOf(provider.parseWebhook!(request), WebhookVerificationError);
    }
    const unconfigured = await make(options({ appSecret: undefined }));
    const error = await rejectionOf(unconfigured.parseWebhook!(good), WebhookVerificationError);
    expect(error.message).toContain('no appSecret is configured');
  });

  it('refuses a signed body that is not a WhatsApp status payload as unreadable, not as forged', async () => {
    const provider = await make(options());
    await rejectionOf(provider.parseWebhook!(signedRequest('{not json')), ValidationError);
    await rejectionOf(provider.parseWebhook!(signedRequest({ object: 'page', entry: [] })), ValidationError);
  });
});

describe('the verification handshake', () => {
  it('answers hub.challenge as plain text when hub.verify_token matches', async () => {
    const provider = await make(options());
    const result = await provider.parseWebhook!(
      handshake({
        'hub.mode': 'subscribe',
        'hub.verify_token': ACME.verifyToken,
        'hub.challenge': '1158201444',
      }),
    );
    expect(result).toEqual({
      events: [],
      response: { status: 200, body: '1158201444', contentType: 'text/plain' },
    });
  });

  it('refuses a wrong token or mode, a challenge that is not a plain token, and any GET without a verify token', async () => {
    const provider = await make(options());
    const queries: Array<Record<string, string>> = [
      { 'hub.mode': 'subscribe', 'hub.verify_token': GLOBEX.verifyToken, 'hub.challenge': '1' },
      { 'hub.mode': 'unsubscribe', 'hub.verify_token': ACME.verifyToken, 'hub.challenge': '1' },
      { 'hub.mode': 'subscribe', 'hub.challenge': '1' },
      { 'hub.mode': 'subscribe', 'hub.verify_token': ACME.verifyToken, 'hub.challenge': '<script>' },
      { 'hub.mode': 'subscribe', 'hub.verify_token': ACME.verifyToken },
    ];
    for (const query of queries) {
      await rejectionOf(provider.parseWebhook!(handshake(query)), WebhookVerificationError);
    }
    const unconfigured = await make(options({ verifyToken: undefined }));
    await rejectionOf(
      unconfigured.parseWebhook!(
        handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': 'anything-at-all', 'hub.challenge': '1' }),
      ),
      WebhookVerificationError,
    );
  });
});

describe('receipts from the simulator', () => {
  let simulator: WhatsAppSimulator;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await webhookReceiver();
    simulator = await startSimulator({
      callbackUrl: `${receiver.url}/webhooks/whatsapp`,
      callbackDelayMs: 10,
    });
  });
  afterEach(async () => {
    await simulator.callbacks.idle();
    simulator.reset();
    simulator.statuses.unescapedBody = false;
    receiver.received.length = 0;
  });
  afterAll(async () => {
    await simulator.stop();
    await receiver.close();
  });

  const text = (id: string, to = `+${TO}`): WhatsAppMessage => ({
    id,
    channel: 'whatsapp',
    to,
    text: 'Muli bwanji',
  });

  /** The events of the posts received so far for these messages, once each has one. */
  async function eventsFor(
    provider: Provider<'whatsapp'>,
    messageIds: readonly string[],
  ): Promise<DeliveryEvent[]> {
    let events: DeliveryEvent[] = [];
    const parse = async () => {
      const results = await Promise.all(receiver.received.map((request) => provider.parseWebhook!(request)));
      events = results
        .flatMap((result) => result.events)
        .filter((event) => messageIds.includes(event.messageId ?? ''));
    };
    await waitFor(() => {
      void parse();
      return messageIds.every((id) => events.some((event) => event.messageId === id));
    });
    await parse();
    return events;
  }

  /** Sends one message and gathers the events of the `posts` status posts it brings. */
  async function sendAndCollect(provider: Provider<'whatsapp'>, message: WhatsAppMessage, posts: number) {
    const sent = await provider.send(message, { signal: signal() });
    await receiver.waitFor(posts);
    await simulator.callbacks.idle();
    const events: DeliveryEvent[] = [];
    for (const request of receiver.received) events.push(...(await provider.parseWebhook!(request)).events);
    return { sent, events, posts: receiver.received.length };
  }

  it('posts sent, delivered and read, signed, naming our message id; they end the message read', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    const { sent, events } = await sendAndCollect(provider, text('msg_r'), 3);
    expect(events.map((event) => [event.providerMessageId, event.messageId, event.status])).toEqual([
      [sent.providerMessageId, 'msg_r', 'sent'],
      [sent.providerMessageId, 'msg_r', 'delivered'],
      [sent.providerMessageId, 'msg_r', 'read'],
    ]);
    expect(receiver.received[0]?.headers['x-hub-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('ends a message read whatever order its statuses come in: reversed, batched, read without delivered', async () => {
    const provider = await make(optionsFor(ACME, simulator));
    for (const [outcome, posts, words] of [
      ['out-of-order', 3, ['read', 'delivered', 'sent']],
      ['batched', 1, ['read', 'sent', 'delivered']],
      ['read-only', 2, ['sent', 'read']],
    ] as const) {
      simulator.outcomes.set(TO, outcome);
      receiver.received.length = 0;
      const { events } = await sendAndCollect(provider, text(`msg_${outcome}`), posts);
      expect(
        events.map((event) => event.providerStatus),
        outcome,
      ).toEqual(words);
      expect(reduceStatuses(events.map((event) => event.status)), outcome).toBe('read');
      await simulator.callbacks.idle();
    }
  });

  it('posts duplicates with the same event ids, so that the host stores each once', async () => {
    simulator.outcomes.set(TO, 'duplicate');
    const provider = await make(optionsFor(ACME, simulator));
    const { events } = await sendAndCollect(provider, text('msg_dup'), 3);
    expect(events).toHaveLength(6);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(3);
  });

  it('batches the statuses of messages sent together into one post', async () => {
    const slow = await startSimulator({
      callbackUrl: `${receiver.url}/webhooks/whatsapp`,
      callbackDelayMs: 300,
    });
    try {
      const provider = await make(optionsFor(ACME, slow));
      slow.outcomes.set('260971000001', 'sent');
      slow.outcomes.set('260971000002', 'sent');
      await Promise.all([
        provider.send(text('a', '+260971000001'), { signal: signal() }),
        provider.send(text('b', '+260971000002'), { signal: signal() }),
      ]);
      await receiver.waitFor(1);
      await slow.callbacks.idle();
      expect(receiver.received).toHaveLength(1);
      const { events } = await provider.parseWebhook!(receiver.received[0]!);
      expect(events.map((event) => event.messageId).sort()).toEqual(['a', 'b']);
    } finally {
      await slow.stop();
    }
  });

  it('fails a message to a number not on WhatsApp as undelivered (131026)', async () => {
    simulator.outcomes.set(TO, 'unregistered');
    const provider = await make(optionsFor(ACME, simulator));
    const { events } = await sendAndCollect(provider, text('msg_u'), 1);
    expect(events).toEqual([
      expect.objectContaining({ status: 'undelivered', error: expect.objectContaining({ code: '131026' }) }),
    ]);
  });

  it('keeps the 24-hour window: free text to a user who has not written fails (131047), a template does not', async () => {
    const windows = await startSimulator({
      callbackUrl: `${receiver.url}/webhooks/whatsapp`,
      callbackDelayMs: 10,
      trackWindow: true,
    });
    try {
      const provider = await make(optionsFor(ACME, windows));
      windows.outcomes.set(TO, 'sent');
      await provider.send(text('closed'), { signal: signal() });
      await provider.send(
        {
          id: 'tpl',
          channel: 'whatsapp',
          to: `+${TO}`,
          template: { name: 'hello_world', language: 'en_US' },
        },
        { signal: signal() },
      );
      windows.receiveInbound(ACME.phoneNumberId, TO);
      await provider.send(text('open'), { signal: signal() });
      const events = await eventsFor(provider, ['closed', 'tpl', 'open']);
      const byMessage = Object.fromEntries(
        events.map((event) => [event.messageId, [event.status, event.error?.code]]),
      );
      expect(byMessage).toEqual({
        closed: ['failed', '131047'],
        tpl: ['sent', undefined],
        open: ['sent', undefined],
      });
    } finally {
      await windows.stop();
    }
  });

  it('verifies a post whose escapes were decoded on the way, against the escaped form Meta signed', async () => {
    simulator.addRecipient(TO, 'Zoë Mwansa');
    simulator.statuses.unescapedBody = true;
    simulator.outcomes.set(TO, 'sent');
    const provider = await make(optionsFor(ACME, simulator));
    const { events } = await sendAndCollect(provider, text('msg_utf8'), 1);
    expect(Buffer.from(receiver.received[0]!.rawBody).toString()).toContain('Zoë Mwansa');
    expect(events.map((event) => event.status)).toEqual(['sent']);
  });
});
