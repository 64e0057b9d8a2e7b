import {
  assertPlugin,
  createProvider,
  DELIVERY_STATUSES,
  type DeliveryStatus,
  type ErrorKind,
  type Message,
  type Plugin,
  type PluginContext,
  type Provider,
  ProviderError,
  SPECIFICATION_VERSION,
  silentLogger,
  type WebhookRequest,
  WebhookVerificationError,
} from '@msg/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultSettings } from './simulator.js';

/** A named simulator error and the kind (and provider code) the plugin must turn it into. */
export interface ExpectedError {
  /** Name in the simulator's error catalogue. */
  error: string;
  kind: ErrorKind;
  /** The provider's own code the error must carry, when it has one. */
  providerCode?: string;
}

export interface WebhookHarness {
  /** Every status word the provider sends, with the normalised status it must map to. */
  statuses: Record<string, DeliveryStatus>;
  /** A callback for `providerMessageId` with `providerStatus`, signed as the provider signs it. */
  signed(input: {
    providerMessageId: string;
    providerStatus: string;
  }): WebhookRequest | Promise<WebhookRequest>;
  /** Headers that carry the signature; removed to make an unsigned request. */
  signatureHeaders: string[];
  /** The same callback with its body altered after signing. Defaults to changing the last body byte. */
  tamper?(request: WebhookRequest): WebhookRequest;
  /** The same callback signed too long ago (providers that sign a timestamp). */
  stale?(input: {
    providerMessageId: string;
    providerStatus: string;
  }): WebhookRequest | Promise<WebhookRequest>;
  /** For providers without signatures: the request without its secret (token, allow-listed address). */
  unsigned?(request: WebhookRequest): WebhookRequest;
}

/**
 * What the suite drives on a simulator. `SimulatorServer` satisfies it; a simulator that speaks no
 * HTTP (an SMSC) can too, without being a `SimulatorServer`.
 */
export interface SimulatorControl {
  /** Requests received so far, with the credential the simulator's auth check accepted. */
  readonly requests: ReadonlyArray<{ readonly credential?: string | undefined }>;
  /** Answers the next request with the named error of the simulator's catalogue. */
  failNext(error: string): void;
  /** Applies a fault (`reset`, `hang`) to the next request. */
  faultNext(settings: FaultSettings): void;
  clearFaults(): void;
}

export interface ConformanceSetup<Options> {
  /** Options for the first instance. */
  options: Options;
  /** Options for a second instance with other credentials, pointed at the same simulator. */
  otherOptions?: Options;
  /** The credential the simulator records for an instance made with these options. */
  credentialOf?(options: Options): string | undefined;
  simulator?: SimulatorControl;
  /** A message this provider can send; `id` is filled in by the suite. */
  message(id: string): Message;
  /** Every error the plugin maps, and how to make the simulator produce it. */
  errors?: ExpectedError[];
  webhooks?: WebhookHarness;
  /** The public URL the host would give the instance for webhooks. */
  webhookUrl?: string;
  teardown?(): Promise<void>;
}

export interface ConformanceTarget<Options> {
  plugin: Plugin<Options>;
  /** Options are the plugin's input: fields with defaults may be left out. */
  setup(): Promise<ConformanceSetup<Partial<Options>>>;
  /** How long an aborted send may take to reject. */
  abortDeadlineMs?: number;
}

function defaultTamper(request: WebhookRequest): WebhookRequest {
  const body = Uint8Array.from(request.rawBody);
  const last = body.length - 1;
  if (last >= 0) body[last] = (body[last] as number) === 0x41 ? 0x42 : 0x41;
  return { ...request, rawBody: body.length > 0 ? body : new TextEncoder().encode('x') };
}

function withoutHeaders(request: WebhookRequest, names: string[]): WebhookRequest {
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(([name]) => !names.includes(name.toLowerCase())),
  );
  return { ...request, headers };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/**
 * The behaviour every provider plugin must show. Call it at the top level of a test file:
 * `runConformanceSuite({ plugin, setup: async () => ({ ... }) })`.
 */
export function runConformanceSuite<Options>(target: ConformanceTarget<Options>): void {
  const name = target.plugin.name ?? 'plugin';
  describe(`conformance: ${name}`, () => {
    let setup: ConformanceSetup<Partial<Options>>;
    const providers: Provider[] = [];
    let counter = 0;
    const nextId = () => `conf-${Date.now().toString(36)}-${++counter}`;

    const context = (instanceId: string): PluginContext => ({
      instanceId,
      logger: silentLogger,
      now: Date.now,
      webhookUrl: setup.webhookUrl,
    });
    const make = async (options: Partial<Options>, instanceId = 'conformance-a'): Promise<Provider> => {
      const provider = await createProvider(target.plugin, options, context(instanceId));
      providers.push(provider);
      return provider;
    };
    const send = (provider: Provider, signal = new AbortController().signal) =>
      provider.send(setup.message(nextId()) as never, { signal });

    beforeAll(async () => {
      setup = await target.setup();
    });
    afterAll(async () => {
      await Promise.all(providers.map((provider) => provider.close()));
      await setup?.teardown?.();
    });

    it('exports a plugin object this host accepts', () => {
      const plugin = assertPlugin(target.plugin, name);
      expect(plugin.specificationVersion).toBe(SPECIFICATION_VERSION);
      expect(plugin.version).toMatch(/^\d+\.\d+\.\d+/);
    });

    it('creates a provider that describes itself', async () => {
      const provider = await make(setup.options);
      expect(provider.id).toBe('conformance-a');
      expect(provider.specificationVersion).toBe(SPECIFICATION_VERSION);
      expect(provider.plugin).toBe(target.plugin.name);
      expect(target.plugin.channels).toContain(provider.channel);
      expect(provider.capabilities.maxBatchSize).toBeGreaterThanOrEqual(1);
      expect(provider.capabilities.senderTypes.length).toBeGreaterThan(0);
    });

    it('can be closed twice', async () => {
      const provider = await createProvider(target.plugin, setup.options, context('conformance-close'));
      await provider.close();
      await expect(provider.close()).resolves.toBeUndefined();
    });

    it('refuses options that are not an object, naming the plugin', async () => {
      const error = await rejection(createProvider(target.plugin, 42, context('conformance-bad')));
      expect((error as { code?: string }).code).toBe('MSG_ERR_PLUGIN_OPTIONS');
      expect((error as Error).message).toContain(`[${target.plugin.name}]`);
    });

    it('sends a message and returns the provider id', async () => {
      const provider = await make(setup.options, 'conformance-send');
      const before = setup.simulator?.requests.length ?? 0;
      const result = await send(provider);
      expect(typeof result.providerMessageId).toBe('string');
      expect(result.providerMessageId.length).toBeGreaterThan(0);
      expect(['queued', 'sent', 'delivered']).toContain(result.status);
      if (setup.simulator) expect(setup.simulator.requests.length).toBeGreaterThan(before);
    });

    it('gives every message its own provider id', async () => {
      const provider = await make(setup.options, 'conformance-ids');
      const [first, second] = await Promise.all([send(provider), send(provider)]);
      expect(first?.providerMessageId).not.toBe(second?.providerMessageId);
    });

    it('sends a batch with one outcome per message, in order', async (context) => {
      const provider = await make(setup.options, 'conformance-batch');
      if (!provider.sendBatch) return context.skip('no sendBatch');
      const messages = [setup.message(nextId()), setup.message(nextId())];
      const results = await provider.sendBatch(messages as never, { signal: new AbortController().signal });
      expect(results.map((result) => result.messageId)).toEqual(messages.map((message) => message.id));
      for (const result of results) expect(result.ok).toBe(true);
    });

    describe('errors', () => {
      it('turns every mapped provider error into its kind, keeping the provider code', async (context) => {
        if (!setup.simulator || !setup.errors?.length) return context.skip('no simulator errors declared');
        const provider = await make(setup.options, 'conformance-errors');
        for (const expected of setup.errors) {
          setup.simulator.failNext(expected.error);
          const error = await rejection(send(provider));
          expect(ProviderError.isInstance(error), `${expected.error} must be a ProviderError`).toBe(true);
          const providerError = error as ProviderError;
          expect(providerError.kind, `${expected.error} -> kind`).toBe(expected.kind);
          expect(providerError.provider).toBe('conformance-errors');
          if (expected.providerCode !== undefined) {
            expect(providerError.providerCode, `${expected.error} -> code`).toBe(expected.providerCode);
          }
          if (expected.kind === 'rate-limited') expect(providerError.isRetryable).toBe(true);
          if (expected.kind === 'permanent' || expected.kind === 'configuration') {
            expect(providerError.isRetryable).toBe(false);
          }
        }
        setup.simulator.clearFaults();
      });

      it('reports a connection dropped after the request left as ambiguous', async (context) => {
        if (!setup.simulator) return context.skip('no simulator');
        const provider = await make(setup.options, 'conformance-reset');
        setup.simulator.faultNext({ reset: true });
        const error = await rejection(send(provider));
        expect(ProviderError.isInstance(error)).toBe(true);
        expect((error as ProviderError).kind).toBe('ambiguous');
      });

      it('cancels an in-flight send promptly when the signal aborts, as ambiguous', async (context) => {
        if (!setup.simulator) return context.skip('no simulator');
        const provider = await make(setup.options, 'conformance-abort');
        setup.simulator.faultNext({ hang: true });
        const controller = new AbortController();
        const started = Date.now();
        const pending = rejection(send(provider, controller.signal));
        setTimeout(() => controller.abort(new Error('deadline')), 100);
        const error = await pending;
        expect(Date.now() - started).toBeLessThan(target.abortDeadlineMs ?? 1000);
        expect(ProviderError.isInstance(error)).toBe(true);
        expect((error as ProviderError).kind).toBe('ambiguous');
      });

      it('rejects at once when the signal is already aborted', async () => {
        const provider = await make(setup.options, 'conformance-pre-abort');
        const controller = new AbortController();
        controller.abort(new Error('cancelled'));
        const before = setup.simulator?.requests.length ?? 0;
        await rejection(send(provider, controller.signal));
        expect(setup.simulator?.requests.length ?? 0).toBe(before);
      });
    });

    it('keeps two instances with different credentials apart', async (context) => {
      if (!setup.otherOptions || !setup.simulator || !setup.credentialOf) {
        return context.skip('no second set of credentials');
      }
      const simulator = setup.simulator;
      const first = await make(setup.options, 'conformance-first');
      const second = await make(setup.otherOptions, 'conformance-second');
      const expected = [setup.credentialOf(setup.options), setup.credentialOf(setup.otherOptions)];
      expect(expected[0]).not.toBe(expected[1]);
      const seen: Array<string | undefined> = [];
      for (const provider of [first, second, first, second]) {
        const before = simulator.requests.length;
        await send(provider);
        seen.push(simulator.requests.slice(before).find((request) => request.credential)?.credential);
      }
      expect(seen).toEqual([expected[0], expected[1], expected[0], expected[1]]);
      await first.close();
      await expect(send(second)).resolves.toMatchObject({ providerMessageId: expect.any(String) });
    });

    describe('webhooks', () => {
      const need = (context: { skip(note: string): void }) => {
        if (!setup.webhooks) context.skip('the provider sends no webhooks');
        return setup.webhooks as WebhookHarness;
      };

      it('maps every provider status to a normalised status', async (context) => {
        const webhooks = need(context);
        const provider = await make(setup.options, 'conformance-webhook');
        expect(typeof provider.parseWebhook).toBe('function');
        expect(Object.keys(webhooks.statuses).length).toBeGreaterThan(0);
        for (const [providerStatus, expected] of Object.entries(webhooks.statuses)) {
          expect(DELIVERY_STATUSES).toContain(expected);
          const request = await webhooks.signed({
            providerMessageId: `pm-${providerStatus}`,
            providerStatus,
          });
          const result = await provider.parseWebhook!(request);
          const event = result.events.find(
            (candidate) => candidate.providerMessageId === `pm-${providerStatus}`,
          );
          expect(event, `an event for ${providerStatus}`).toBeDefined();
          expect(event?.status, `${providerStatus} -> status`).toBe(expected);
          expect(event?.providerStatus).toBe(providerStatus);
          expect(event?.occurredAt).toBeInstanceOf(Date);
        }
      });

      it('rejects a tampered, an unsigned and a stale callback', async (context) => {
        const webhooks = need(context);
        const provider = await make(setup.options, 'conformance-webhook-bad');
        const input = {
          providerMessageId: 'pm-tamper',
          providerStatus: Object.keys(webhooks.statuses)[0] as string,
        };
        const good = await webhooks.signed(input);
        await expect(provider.parseWebhook!(good)).resolves.toBeDefined();
        const bad: Array<[string, WebhookRequest]> = [
          ['tampered', (webhooks.tamper ?? defaultTamper)(good)],
          [
            'unsigned',
            webhooks.unsigned ? webhooks.unsigned(good) : withoutHeaders(good, webhooks.signatureHeaders),
          ],
        ];
        if (webhooks.stale) bad.push(['stale', await webhooks.stale(input)]);
        for (const [label, request] of bad) {
          const error = await rejection(provider.parseWebhook!(request));
          expect(WebhookVerificationError.isInstance(error), `${label} callback must be refused`).toBe(true);
        }
      });

      it('refuses a callback signed with another instance credentials', async (context) => {
        const webhooks = need(context);
        if (!setup.otherOptions) return context.skip('no second set of credentials');
        const other = await make(setup.otherOptions, 'conformance-webhook-other');
        const request = await webhooks.signed({
          providerMessageId: 'pm-cross',
          providerStatus: Object.keys(webhooks.statuses)[0] as string,
        });
        const error = await rejection(other.parseWebhook!(request));
        expect(WebhookVerificationError.isInstance(error)).toBe(true);
      });
    });
  });
}
