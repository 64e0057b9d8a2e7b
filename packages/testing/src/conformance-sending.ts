import { countSmsSegments, detectSmsEncoding, type Provider, type SendResult } from '@msg/core';
import { expect, it } from 'vitest';
import { type ConformanceRun, type Settled, settle } from './conformance-run.js';
import { HOSTILE_TEXTS, LONE_SURROGATE_TEXTS, SEGMENT_TEXTS } from './conformance-texts.js';

function expectSent(outcome: Settled<SendResult>, what: string): SendResult {
  if (!outcome.ok) throw new Error(`${what}: the send failed: ${(outcome.error as Error)?.message}`);
  const result = outcome.value;
  expect(typeof result.providerMessageId, `${what}: providerMessageId`).toBe('string');
  expect(result.providerMessageId.length, `${what}: providerMessageId must not be empty`).toBeGreaterThan(0);
  expect(['queued', 'sent', 'delivered'], `${what}: status`).toContain(result.status);
  return result;
}

/** Sends, ids, batches, segments, our message id on the wire, and texts that break encoders. */
export function sendingChecks<Options>(run: ConformanceRun<Options>): void {
  it('sends a message and returns the provider id', async () => {
    const provider = await run.make(run.setup.options, 'conformance-send');
    const before = run.setup.simulator?.requests.length ?? 0;
    expectSent(await settle(run.send(provider)), 'a plain send');
    if (run.setup.simulator) {
      expect(run.setup.simulator.requests.length, 'the send must reach the simulator').toBeGreaterThan(
        before,
      );
    }
  });

  it('gives every message its own provider id', async () => {
    const provider = await run.make(run.setup.options, 'conformance-ids');
    const [first, second] = await Promise.all([run.send(provider), run.send(provider)]);
    expect(first?.providerMessageId, 'two sends, two provider ids').not.toBe(second?.providerMessageId);
  });

  it('sends a batch with one outcome per message, in order', async (context) => {
    const provider = await run.make(run.setup.options, 'conformance-batch');
    if (!provider.sendBatch) return context.skip('no sendBatch');
    const messages = [run.message(), run.message()];
    const results = await provider.sendBatch(messages as never, { signal: new AbortController().signal });
    expect(
      results.map((result) => result.messageId),
      'batch outcomes carry our message ids, in order',
    ).toEqual(messages.map((message) => message.id));
    for (const result of results) expect(result.ok, `batch outcome of ${result.messageId}`).toBe(true);
  });

  it('sends our message id to the provider, where receipts can echo it', async (context) => {
    const { simulator, messageIdIn } = run.setup;
    if (!simulator) return context.skip('no simulator');
    expect(
      messageIdIn,
      'declare messageIdIn: where message.id travels in the request (`read`), or why it cannot (`none`)',
    ).toBeDefined();
    if (!messageIdIn) return;
    if ('none' in messageIdIn) return context.skip(`the provider takes no message id: ${messageIdIn.none}`);
    const provider = await run.make(run.setup.options, 'conformance-message-id');
    const message = run.message();
    const before = simulator.requests.length;
    await run.send(provider, message);
    const found = simulator.requests.slice(before).map((request) => messageIdIn.read(request));
    expect(found, `message.id "${message.id}" in a request the simulator recorded`).toContain(message.id);
  });

  it('reports SMS segments as the provider counts them (GSM-7, extension characters, UCS-2)', async (context) => {
    const provider = await run.make(run.setup.options, 'conformance-segments');
    if (provider.channel !== 'sms') return context.skip('not an SMS provider');
    const count = run.setup.segments ?? ((text: string) => countSmsSegments(text).segments);
    for (const sample of SEGMENT_TEXTS) {
      const what = `segments of ${sample.label}`;
      const outcome = await settle(run.send(provider, run.message(sample.text)));
      if (!outcome.ok && !provider.capabilities.unicode && detectSmsEncoding(sample.text) === 'UCS-2') {
        expect(run.providerError(outcome.error, what).kind, `${what}: a refused UCS-2 text`).toBe(
          'permanent',
        );
        continue;
      }
      const result = expectSent(outcome, what);
      if (result.segments === undefined) continue;
      expect(result.segments, `${what} (${sample.text.length} characters)`).toBe(count(sample.text));
    }
  });

  it('sends or refuses (never ambiguous) every text the API accepts', async () => {
    const provider = await run.make(run.setup.options, 'conformance-hostile');
    for (const sample of HOSTILE_TEXTS) {
      await expectSentOrRefused(run, provider, sample.text, `text with ${sample.label}`, (kind) => {
        expect(kind, `text with ${sample.label}: a refusal must not be ambiguous`).not.toBe('ambiguous');
      });
    }
    expectSent(await settle(run.send(provider)), 'a plain send after the hostile texts');
  });

  it('answers text it cannot encode (lone surrogates) as permanent, never a crash', async () => {
    const provider = await run.make(run.setup.options, 'conformance-surrogates');
    for (const sample of LONE_SURROGATE_TEXTS) {
      await expectSentOrRefused(run, provider, sample.text, `text with ${sample.label}`, (kind) => {
        expect(kind, `text with ${sample.label}: the message itself is bad`).toBe('permanent');
      });
    }
    expectSent(await settle(run.send(provider)), 'a plain send after the lone surrogates');
  });
}

async function expectSentOrRefused<Options>(
  run: ConformanceRun<Options>,
  provider: Provider,
  text: string,
  what: string,
  checkKind: (kind: string) => void,
): Promise<void> {
  const outcome = await settle(run.send(provider, run.message(text)));
  if (outcome.ok) {
    expectSent(outcome, what);
    return;
  }
  checkKind(run.providerError(outcome.error, what).kind);
}
