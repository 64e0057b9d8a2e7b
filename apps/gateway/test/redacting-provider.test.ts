import {
  type BatchItemResult,
  type Provider,
  ProviderError,
  type SmsMessage,
  SPECIFICATION_VERSION,
  WebhookVerificationError,
} from '@msg/core';
import { rejectionOf } from '@msg/testing';
import { describe, expect, it } from 'vitest';
import { SecretRegistry } from '../src/config/secrets.js';
import { redactingProvider } from '../src/plugins/redacting-provider.js';

const KEY = 'sk_live_0123456789';
const echo = (what: string) => `${what} refused the key ${KEY}`;

/** A provider as a class with private state: the wrapper must call it with itself as `this`. */
class EchoingProvider implements Provider<'sms'> {
  readonly specificationVersion = SPECIFICATION_VERSION;
  readonly id = 'echo';
  readonly plugin = 'echo';
  readonly channel = 'sms' as const;
  readonly capabilities = { maxBatchSize: 10, unicode: true, deliveryReceipts: true, senderTypes: [] };
  #closed = false;

  async send(): Promise<never> {
    throw new ProviderError({ kind: 'configuration', provider: this.id, message: echo('send') });
  }
  async sendBatch(messages: readonly SmsMessage[]): Promise<BatchItemResult[]> {
    return messages.map((message) => ({
      messageId: message.id,
      ok: false,
      error: new ProviderError({ kind: 'configuration', provider: this.id, message: echo('batch') }),
    }));
  }
  async validate(): Promise<never> {
    throw new Error(echo('validate'));
  }
  async health() {
    return { ok: false, detail: echo('health') };
  }
  async getStatus() {
    return [
      {
        providerMessageId: 'p1',
        status: 'failed' as const,
        providerStatus: 'failed',
        occurredAt: new Date(0),
        error: { code: '401', message: echo('status') },
      },
    ];
  }
  async parseWebhook(): Promise<never> {
    throw new WebhookVerificationError(this.id, echo('webhook'));
  }
  async close() {
    this.#closed = true;
  }
  get closed() {
    return this.#closed;
  }
}

describe('redactingProvider', () => {
  const secrets = new SecretRegistry();
  secrets.add(KEY);
  const signal = new AbortController().signal;
  const message: SmsMessage = { id: 'm1', channel: 'sms', to: '+260971234567', text: 'x' };

  it('redacts every error text a provider hands back, and keeps each error its kind and class', async () => {
    const original = new EchoingProvider();
    const provider: Provider<'sms'> = redactingProvider(original, secrets);
    const sent = await rejectionOf(provider.send(message, { signal }));
    expect(sent).toMatchObject({ kind: 'configuration', message: 'send refused the key ***' });
    const [batch] = await (provider.sendBatch as NonNullable<Provider['sendBatch']>)([message], { signal });
    expect(batch).toMatchObject({ ok: false, error: { message: 'batch refused the key ***' } });
    // A plain exception is classified as the router would (nothing left), then redacted.
    const validated = await rejectionOf(
      (provider.validate as NonNullable<Provider['validate']>)(message, { signal }),
    );
    expect(validated).toMatchObject({
      kind: 'permanent',
      message: expect.stringContaining('validate refused the key ***'),
    });
    expect(await (provider.health as NonNullable<Provider['health']>)({ signal })).toEqual({
      ok: false,
      detail: 'health refused the key ***',
    });
    const [event] = await (provider.getStatus as NonNullable<Provider['getStatus']>)(
      { providerMessageId: 'p1', messageId: 'm1', sentAt: new Date(0) },
      { signal },
    );
    expect(event?.error).toEqual({ code: '401', message: 'status refused the key ***' });
    const refused = await rejectionOf(
      (provider.parseWebhook as NonNullable<Provider['parseWebhook']>)({
        method: 'POST',
        url: 'http://x',
        headers: {},
        rawBody: new Uint8Array(),
      }),
      WebhookVerificationError,
    );
    expect(refused.message).toBe('[msg] [echo] webhook refused the key ***');
    await provider.close();
    expect(original.closed).toBe(true);
    expect(provider.id).toBe('echo');
  });

  it('returns the provider itself when the config holds no secret', () => {
    const original = new EchoingProvider();
    expect(redactingProvider(original, new SecretRegistry())).toBe(original);
  });
});
