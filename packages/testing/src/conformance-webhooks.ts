import { DELIVERY_STATUSES, type Provider, type WebhookRequest, WebhookVerificationError } from '@msg/core';
import { describe, expect, it } from 'vitest';
import { type ConformanceRun, describeError, settle } from './conformance-run.js';
import { secretsIn } from './conformance-secrets.js';
import { type TamperedRequest, tamperSignedValues } from './conformance-tamper.js';
import type { WebhookHarness } from './conformance-types.js';

function withoutHeaders(request: WebhookRequest, names: string[]): WebhookRequest {
  const lower = names.map((name) => name.toLowerCase());
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(([name]) => !lower.includes(name.toLowerCase())),
  );
  return { ...request, headers };
}

async function expectRefused<Options>(
  run: ConformanceRun<Options>,
  provider: Provider,
  request: WebhookRequest,
  what: string,
): Promise<void> {
  const outcome = await settle((provider.parseWebhook as NonNullable<Provider['parseWebhook']>)(request));
  expect(
    outcome.ok,
    `${what} must be refused, but it was accepted with ${JSON.stringify(outcome.ok && outcome.value.events)}`,
  ).toBe(false);
  const error = (outcome as { error: unknown }).error;
  expect(
    WebhookVerificationError.isInstance(error),
    `${what} must be refused with a WebhookVerificationError, got ${describeError(error)}`,
  ).toBe(true);
  // The host logs the refusal's text.
  expect(
    secretsIn([(error as Error).message], run.log.secrets),
    `${what}: the refusal names no secret`,
  ).toEqual([]);
}

/** The status change an attacker wants (towards `delivered`), and the statuses to sign it with. */
function statusChange(statuses: Readonly<Record<string, string>>): { from: string; to: string } {
  const words = Object.keys(statuses);
  const from = words.find((word) => statuses[word] !== 'delivered') ?? (words[0] as string);
  const others = words.filter((word) => statuses[word] !== statuses[from]);
  const to = others.find((word) => statuses[word] === 'delivered') ?? others[0] ?? `${from}x`;
  return { from, to };
}

/** Status mapping (against the test's own table) and refusal of forged callbacks. */
export function webhookChecks<Options>(run: ConformanceRun<Options>): void {
  describe('webhooks', () => {
    const need = (context: { skip(note: string): void }): WebhookHarness => {
      if (!run.setup.webhooks) context.skip('the provider sends no webhooks');
      return run.setup.webhooks as WebhookHarness;
    };

    it('maps every provider status to the normalised status the test expects', async (context) => {
      const webhooks = need(context);
      const provider = await run.make(run.setup.options, 'conformance-webhook');
      expect(typeof provider.parseWebhook, 'a provider with webhooks has parseWebhook').toBe('function');
      expect(
        Object.keys(webhooks.statuses).length,
        'webhooks.statuses lists the provider statuses',
      ).toBeGreaterThan(0);
      for (const [providerStatus, expected] of Object.entries(webhooks.statuses)) {
        expect(DELIVERY_STATUSES, `expected status for "${providerStatus}" is a DeliveryStatus`).toContain(
          expected,
        );
        const providerMessageId = `pm-${providerStatus.replace(/[^A-Za-z0-9]/g, '')}`;
        const request = await webhooks.signed({ providerMessageId, providerStatus });
        const outcome = await settle(provider.parseWebhook!(request));
        if (!outcome.ok)
          throw new Error(`signed "${providerStatus}" callback refused: ${describeError(outcome.error)}`);
        const event = outcome.value.events.find(
          (candidate) => candidate.providerMessageId === providerMessageId,
        );
        expect(event, `an event for the "${providerStatus}" callback`).toBeDefined();
        expect(event?.status, `provider status "${providerStatus}" -> status`).toBe(expected);
        expect(event?.providerStatus, `"${providerStatus}" kept as providerStatus`).toBe(providerStatus);
        expect(event?.occurredAt, `"${providerStatus}" event has an occurredAt Date`).toBeInstanceOf(Date);
      }
    });

    it('refuses a callback whose signed values were changed', async (context) => {
      const webhooks = need(context);
      const provider = await run.make(run.setup.options, 'conformance-webhook-tamper');
      const change = statusChange(webhooks.statuses);
      const providerMessageId = `pmtamper${Date.now().toString(36)}`;
      const good = await webhooks.signed({ providerMessageId, providerStatus: change.from });
      const accepted = await settle(provider.parseWebhook!(good));
      if (!accepted.ok)
        throw new Error(`the untampered callback was refused: ${describeError(accepted.error)}`);
      const tampered: TamperedRequest[] = webhooks.tamper
        ? [{ label: 'the callback changed by webhooks.tamper', request: webhooks.tamper(good) }]
        : tamperSignedValues(good, [
            {
              label: `the callback with its signed status "${change.from}" changed to "${change.to}"`,
              from: change.from,
              to: change.to,
              match: 'token',
            },
            {
              label: 'the callback with its signed message id changed',
              from: providerMessageId,
              to: `pmforged${Date.now().toString(36)}`,
              match: 'text',
            },
          ]);
      expect(
        tampered.length,
        'no signed value (status word, message id) found in the body to change: give webhooks.tamper',
      ).toBeGreaterThan(0);
      for (const { label, request } of tampered) await expectRefused(run, provider, request, label);
    });

    it('refuses an unsigned and a stale callback', async (context) => {
      const webhooks = need(context);
      const provider = await run.make(run.setup.options, 'conformance-webhook-unsigned');
      const input = {
        providerMessageId: 'pm-unsigned',
        providerStatus: Object.keys(webhooks.statuses)[0] as string,
      };
      const good = await webhooks.signed(input);
      const unsigned = webhooks.unsigned
        ? webhooks.unsigned(good)
        : withoutHeaders(good, webhooks.signatureHeaders);
      await expectRefused(
        run,
        provider,
        unsigned,
        webhooks.unsigned
          ? 'the callback made unsigned by webhooks.unsigned'
          : `the callback without ${webhooks.signatureHeaders.join(', ') || 'signature headers (none declared: give webhooks.unsigned)'}`,
      );
      if (webhooks.stale) await expectRefused(run, provider, await webhooks.stale(input), 'a stale callback');
    });

    it('refuses a callback signed with another instance credentials', async (context) => {
      const webhooks = need(context);
      if (!run.setup.otherOptions) return context.skip('no second set of credentials');
      const other = await run.make(run.setup.otherOptions, 'conformance-webhook-other');
      const request = await webhooks.signed({
        providerMessageId: 'pm-cross',
        providerStatus: Object.keys(webhooks.statuses)[0] as string,
      });
      await expectRefused(
        run,
        other,
        request,
        'a callback signed for the first instance, given to the second',
      );
    });
  });
}
