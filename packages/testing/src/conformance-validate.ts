import { countSmsSegments, type Message, type Provider, type ValidateResult } from '@msg/core';
import { describe, expect, it } from 'vitest';
import { type ConformanceRun, describeError, type Settled, settle, withText } from './conformance-run.js';
import type { RefusedMessage, SimulatorRecord, ValidationHarness } from './conformance-types.js';

type Validate = NonNullable<Provider['validate']>;

/** What a `validate` call did at the simulator: the requests it made and the deliveries it caused. */
interface Footprint {
  outcome: Settled<ValidateResult>;
  requests: readonly SimulatorRecord[];
}

async function deliveriesOf(harness: ValidationHarness | undefined): Promise<number> {
  return harness?.deliveries ? await harness.deliveries() : 0;
}

/**
 * Runs `validate` and checks it delivered nothing: a `local` provider makes no request at all; a
 * `test-mode` provider makes only test-mode requests and the simulator delivers nothing.
 */
async function validateQuietly<Options>(
  run: ConformanceRun<Options>,
  provider: Provider,
  message: Message,
  what: string,
  signal: AbortSignal = new AbortController().signal,
): Promise<Footprint> {
  const { simulator, validation } = run.setup;
  const requestsBefore = simulator?.requests.length ?? 0;
  const deliveriesBefore = await deliveriesOf(validation);
  const outcome = await settle((provider.validate as Validate)(message as never, { signal }));
  const requests = simulator?.requests.slice(requestsBefore) ?? [];
  const deliveries = (await deliveriesOf(validation)) - deliveriesBefore;
  if (provider.capabilities.validation === 'local') {
    expect(requests.length, `${what}: a local validation must not reach the provider`).toBe(0);
  } else {
    const untested = requests.filter((request) => !validation?.isTestRequest?.(request));
    expect(
      untested.map((request) => `${request.method} ${request.path}`),
      `${what}: every request of a test-mode validation must use the provider's test mode`,
    ).toEqual([]);
    expect(deliveries, `${what}: a validation must never make the simulator deliver`).toBe(0);
  }
  return { outcome, requests };
}

/** `capabilities.validation` and `validate`: declared together, and honest about what they do. */
export function validationChecks<Options>(run: ConformanceRun<Options>): void {
  describe('validate', () => {
    const need = async (
      context: { skip(note: string): void },
      instanceId: string,
    ): Promise<Provider | undefined> => {
      const provider = await run.make(run.setup.options, instanceId);
      if (!provider.capabilities.validation) {
        context.skip('the provider declares no capabilities.validation');
        return undefined;
      }
      return provider;
    };

    it('declares capabilities.validation exactly when it has validate()', async () => {
      const provider = await run.make(run.setup.options, 'conformance-validate-declared');
      const declared = provider.capabilities.validation;
      expect(
        typeof provider.validate === 'function',
        `validate() must exist exactly when capabilities.validation is declared (it is ${JSON.stringify(declared)})`,
      ).toBe(declared !== undefined);
      if (declared !== undefined) {
        expect(['test-mode', 'local'], 'capabilities.validation').toContain(declared);
      }
      if (declared === 'test-mode' && run.setup.simulator) {
        const { validation } = run.setup;
        expect(
          typeof validation?.isTestRequest === 'function' && typeof validation.deliveries === 'function',
          'a test-mode plugin gives validation.isTestRequest and validation.deliveries, so the suite can see that nothing is delivered',
        ).toBe(true);
      }
    });

    it("validates the harness's message with the declared method, delivering nothing", async (context) => {
      const provider = await need(context, 'conformance-validate');
      if (!provider) return;
      const message = run.message();
      const { outcome, requests } = await validateQuietly(
        run,
        provider,
        message,
        'validate of a good message',
      );
      if (!outcome.ok) {
        throw new Error(`validate of a good message must resolve, got ${describeError(outcome.error)}`);
      }
      expect(outcome.value.method, 'ValidateResult.method').toBe(provider.capabilities.validation);
      if (provider.capabilities.validation === 'test-mode' && run.setup.simulator) {
        expect(requests.length, 'a test-mode validation asks the provider').toBeGreaterThan(0);
      }
      if (message.channel === 'sms' && outcome.value.segments !== undefined) {
        const count = run.setup.segments ?? ((text: string) => countSmsSegments(text).segments);
        expect(outcome.value.segments, 'ValidateResult.segments').toBe(count(message.text));
      }
    });

    it('refuses what a send would refuse, with the same kind, never ambiguous', async (context) => {
      const provider = await need(context, 'conformance-validate-refused');
      if (!provider) return;
      const own = run.setup.validation?.refused ?? [];
      // The suite's own: text no encoder can carry. A send may refuse it (permanent) or carry it
      // somehow (HOSTILE_TEXTS allows both); validate must then agree, or refuse it as permanent.
      const surrogate: RefusedMessage = {
        label: 'text with a lone surrogate',
        message: (id) => withText(run.setup.message(id), 'a\ud800b'),
      };
      for (const refused of [surrogate, ...own]) {
        const what = `validate of ${refused.label}`;
        const sent = await settle(run.send(provider, refused.message(run.nextId())));
        const { outcome } = await validateQuietly(run, provider, refused.message(run.nextId()), what);
        if (sent.ok) {
          expect(refused, `${refused.label}: the harness says a send fails, but it was accepted`).toBe(
            surrogate,
          );
          if (!outcome.ok) {
            expect(run.providerError(outcome.error, what).kind, `${what}: a refusal is permanent`).toBe(
              'permanent',
            );
          }
          continue;
        }
        const sendKind = run.providerError(sent.error, `send of ${refused.label}`).kind;
        expect(outcome.ok, `${what} must be refused, as a send is`).toBe(false);
        const error = run.providerError((outcome as { error: unknown }).error, what);
        expect(error.kind, `${what}: not ambiguous`).not.toBe('ambiguous');
        expect(error.kind, `${what}: the kind a send met`).toBe(sendKind);
      }
    });

    it('refuses with the mapped error a send would meet, when the test mode answers one', async (context) => {
      const provider = await need(context, 'conformance-validate-errors');
      if (!provider) return;
      const { simulator, errors } = run.setup;
      if (provider.capabilities.validation !== 'test-mode' || !simulator || !errors?.length) {
        return context.skip('only test-mode validations meet the provider');
      }
      for (const expected of errors.filter((entry) => entry.kind !== 'ambiguous')) {
        const what = `validate with simulator error "${expected.error}"`;
        simulator.failNext(expected.error);
        const { outcome } = await validateQuietly(run, provider, run.message(), what);
        expect(outcome.ok, `${what} must fail`).toBe(false);
        const error = run.providerError((outcome as { error: unknown }).error, what);
        expect(error.kind, `${what} -> kind`).toBe(expected.kind);
        if (expected.providerCode !== undefined) {
          expect(error.providerCode, `${what} -> providerCode`).toBe(expected.providerCode);
        }
      }
      simulator.clearFaults();
    });

    it('rejects at once when the signal is already aborted, asking nothing', async (context) => {
      const provider = await need(context, 'conformance-validate-aborted');
      if (!provider) return;
      const controller = new AbortController();
      controller.abort(new Error('cancelled'));
      const before = run.setup.simulator?.requests.length ?? 0;
      const outcome = await settle(
        (provider.validate as Validate)(run.message() as never, { signal: controller.signal }),
      );
      expect(outcome.ok, 'validate with an aborted signal must reject').toBe(false);
      expect(run.setup.simulator?.requests.length ?? 0, 'nothing may reach the provider').toBe(before);
    });
  });
}
