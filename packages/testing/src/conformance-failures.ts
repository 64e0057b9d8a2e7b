import { type ErrorKind, type Provider, ProviderError } from '@msg/core';
import { describe, expect, it } from 'vitest';
import { type ConformanceRun, describeError, settle } from './conformance-run.js';
import type { SimulatorControl } from './conformance-types.js';
import type { FaultSettings } from './simulator.js';

const BAD_GATEWAY_PAGE = '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>';

/** Answers without the provider's error body: what a load balancer or a crashed upstream sends. */
const BARE_ERRORS: ReadonlyArray<{ label: string; fault: FaultSettings }> = [
  { label: 'HTTP 500 with an empty body', fault: { status: 500 } },
  { label: 'HTTP 502 with an HTML page', fault: { status: 502, body: BAD_GATEWAY_PAGE } },
  { label: 'HTTP 503 with an empty body', fault: { status: 503 } },
];

/** Success statuses with a body no client can read: the provider may have taken the message. */
const UNREADABLE_SUCCESSES: ReadonlyArray<{ label: string; fault: FaultSettings }> = [
  { label: 'HTTP 200 with an empty body', fault: { status: 200 } },
  { label: 'HTTP 200 with an HTML page', fault: { status: 200, body: '<html><body>OK</body></html>' } },
  {
    label: 'HTTP 200 with truncated JSON',
    fault: { status: 200, body: '{"id":"', contentType: 'application/json' },
  },
  { label: 'HTTP 202 with plain text', fault: { status: 202, body: 'Accepted', contentType: 'text/plain' } },
];

/** Each fault must fail the send with a `ProviderError` of `kind`, never pass for a success. */
async function expectEachFault<Options>(
  run: ConformanceRun<Options>,
  provider: Provider,
  simulator: SimulatorControl,
  faults: ReadonlyArray<{ label: string; fault: FaultSettings }>,
  kind: ErrorKind,
): Promise<void> {
  for (const { label, fault } of faults) {
    simulator.faultNext(fault);
    const outcome = await settle(run.send(provider));
    expect(
      outcome.ok,
      `${label} must not be taken for a success (got ${JSON.stringify(outcome.ok && outcome.value)})`,
    ).toBe(false);
    const error = run.providerError((outcome as { error: unknown }).error, label);
    expect(error.kind, `${label} -> kind`).toBe(kind);
  }
}

/** Mapped errors, bare and unreadable answers, dropped connections, aborts. */
export function failureChecks<Options>(run: ConformanceRun<Options>): void {
  describe('errors', () => {
    it('turns every mapped provider error into its kind, keeping the provider code', async (context) => {
      const { simulator, errors } = run.setup;
      if (!simulator || !errors?.length) return context.skip('no simulator errors declared');
      const provider = await run.make(run.setup.options, 'conformance-errors');
      for (const expected of errors) {
        simulator.failNext(expected.error);
        const outcome = await settle(run.send(provider));
        expect(outcome.ok, `simulator error "${expected.error}" must fail the send`).toBe(false);
        const error = run.providerError((outcome as { error: unknown }).error, `error "${expected.error}"`);
        expect(error.kind, `error "${expected.error}" -> kind`).toBe(expected.kind);
        expect(error.provider, `error "${expected.error}" -> provider (the instance id)`).toBe(
          'conformance-errors',
        );
        if (expected.providerCode !== undefined) {
          expect(error.providerCode, `error "${expected.error}" -> providerCode`).toBe(expected.providerCode);
        }
        if (expected.kind === 'rate-limited') {
          expect(error.isRetryable, `error "${expected.error}" is retryable`).toBe(true);
        }
      }
      simulator.clearFaults();
    });

    it('treats a bare 5xx (no provider error body) as transient', async (context) => {
      const { simulator } = run.setup;
      if (!simulator) return context.skip('no simulator');
      const provider = await run.make(run.setup.options, 'conformance-bare-5xx');
      await expectEachFault(run, provider, simulator, BARE_ERRORS, 'transient');
    });

    it('never takes an unreadable 2xx for a success: ambiguous, it may have been accepted', async (context) => {
      const { simulator } = run.setup;
      if (!simulator) return context.skip('no simulator');
      const provider = await run.make(run.setup.options, 'conformance-unreadable');
      await expectEachFault(run, provider, simulator, UNREADABLE_SUCCESSES, 'ambiguous');
    });

    it('reports a connection dropped after the request left as ambiguous', async (context) => {
      const { simulator } = run.setup;
      if (!simulator) return context.skip('no simulator');
      const provider = await run.make(run.setup.options, 'conformance-reset');
      simulator.faultNext({ reset: true });
      const outcome = await settle(run.send(provider));
      expect(outcome.ok, 'a dropped connection must fail the send').toBe(false);
      const error = run.providerError((outcome as { error: unknown }).error, 'a dropped connection');
      expect(error.kind, 'a dropped connection -> kind').toBe('ambiguous');
    });

    it('cancels an in-flight send promptly when the signal aborts, as ambiguous', async (context) => {
      const { simulator } = run.setup;
      if (!simulator) return context.skip('no simulator');
      const provider = await run.make(run.setup.options, 'conformance-abort');
      simulator.faultNext({ hang: true });
      const controller = new AbortController();
      const started = Date.now();
      const pending = settle(run.send(provider, run.message(), controller.signal));
      setTimeout(() => controller.abort(new Error('deadline')), 100);
      const outcome = await pending;
      const deadline = run.target.abortDeadlineMs ?? 1000;
      expect(Date.now() - started, `an aborted send must reject within ${deadline} ms`).toBeLessThan(
        deadline,
      );
      expect(outcome.ok, 'an aborted send must reject').toBe(false);
      const error = run.providerError((outcome as { error: unknown }).error, 'an in-flight abort');
      expect(error.kind, 'an in-flight abort -> kind').toBe('ambiguous');
    });

    it('rejects at once when the signal is already aborted, sending nothing', async () => {
      const provider = await run.make(run.setup.options, 'conformance-pre-abort');
      const controller = new AbortController();
      controller.abort(new Error('cancelled'));
      const before = run.setup.simulator?.requests.length ?? 0;
      const outcome = await settle(run.send(provider, run.message(), controller.signal));
      expect(outcome.ok, 'a send with an aborted signal must reject').toBe(false);
      expect(run.setup.simulator?.requests.length ?? 0, 'nothing may reach the provider').toBe(before);
      const error = (outcome as { error: unknown }).error;
      if (ProviderError.isInstance(error)) {
        expect(error.kind, `nothing left, so not ambiguous (${describeError(error)})`).not.toBe('ambiguous');
      }
    });
  });
}
