import type { WebhookRequest } from '@msg/core';
import { runConformanceSuite } from '@msg/testing/conformance';
import mailgunPlugin, { type MailgunPluginOptions } from '../src/index.js';
import { createMailgunSimulator } from '../src/simulator.js';
import { ACCOUNT_A, ACCOUNT_B, emailMessage, signedEvent, webhookRequest } from './helpers.js';

/** Conformance status words -> the Mailgun event (and severity) that produces them. */
function eventFor(providerStatus: string) {
  if (providerStatus === 'failed-permanent')
    return { event: 'failed', severity: 'permanent' as const, reason: 'bounce' };
  if (providerStatus === 'failed-temporary')
    return { event: 'failed', severity: 'temporary' as const, reason: 'generic' };
  return { event: providerStatus };
}

function mutateSignature(
  request: WebhookRequest,
  change: (body: { signature: Record<string, string> }) => void,
) {
  const body = JSON.parse(Buffer.from(request.rawBody).toString('utf8'));
  change(body);
  return webhookRequest(body, request.url);
}

runConformanceSuite<MailgunPluginOptions>({
  plugin: mailgunPlugin,
  setup: async () => {
    const simulator = createMailgunSimulator({ accounts: [ACCOUNT_A, ACCOUNT_B] });
    const baseUrl = await simulator.start();
    const options = (account: typeof ACCOUNT_A): MailgunPluginOptions => ({
      apiKey: account.apiKey,
      domain: account.domains[0] as string,
      baseUrl,
      webhookSigningKey: account.signingKey,
    });
    const signed = ({
      providerMessageId,
      providerStatus,
    }: {
      providerMessageId: string;
      providerStatus: string;
    }) => signedEvent(ACCOUNT_A.signingKey, { ...eventFor(providerStatus), messageId: providerMessageId });
    return {
      simulator,
      options: options(ACCOUNT_A),
      otherOptions: options(ACCOUNT_B),
      credentialOf: (settings) => settings.domain,
      secrets: ['apiKey', 'webhookSigningKey'],
      // User variables (`v:msg_id`) come back in every event's `user-variables`.
      messageIdIn: {
        read: (request) =>
          /name="v:msg_id"\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]*)/.exec(
            Buffer.from(request.body).toString('utf8'),
          )?.[1],
      },
      message: (id) => emailMessage(id),
      validation: {
        refused: [
          {
            label: "a recipient Mailgun cannot parse ('to' parameter is not a valid address)",
            message: (id) => emailMessage(id, { to: [{ email: 'not an address' }] }),
          },
        ],
        isTestRequest: (request) =>
          /name="o:testmode"\r\n(?:[^\r\n]+\r\n)*\r\nyes\r\n/.test(
            Buffer.from(request.body).toString('utf8'),
          ),
        deliveries: async () => {
          await simulator.callbacks.idle();
          return simulator.accepted.length;
        },
      },
      errors: [
        { error: 'bad-request', kind: 'permanent', providerCode: '400' },
        { error: 'unauthorized', kind: 'configuration', providerCode: '401' },
        { error: 'payment-required', kind: 'configuration', providerCode: '402' },
        { error: 'forbidden', kind: 'configuration', providerCode: '403' },
        { error: 'domain-not-found', kind: 'configuration', providerCode: '404' },
        { error: 'payload-too-large', kind: 'permanent', providerCode: '413' },
        { error: 'rate-limited', kind: 'rate-limited', providerCode: '429' },
        { error: 'server-error', kind: 'transient', providerCode: '500' },
        { error: 'service-unavailable', kind: 'transient', providerCode: '503' },
      ],
      webhooks: {
        statuses: {
          accepted: 'queued',
          delivered: 'delivered',
          'failed-permanent': 'bounced',
          'failed-temporary': 'sent',
          opened: 'opened',
          clicked: 'clicked',
          unsubscribed: 'delivered',
          complained: 'complained',
        },
        signed,
        // The signature is in the body, not in a header.
        signatureHeaders: [],
        unsigned: (request) =>
          mutateSignature(request, (body) => {
            delete (body as { signature?: unknown }).signature;
          }),
        // Mailgun signs timestamp + token only (the body is bound by the replay token): change the token.
        tamper: (request) =>
          mutateSignature(request, (body) => {
            const token = body.signature.token as string;
            body.signature.token = `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`;
          }),
        stale: ({ providerMessageId, providerStatus }) =>
          signedEvent(
            ACCOUNT_A.signingKey,
            { ...eventFor(providerStatus), messageId: providerMessageId },
            { timestamp: String(Math.floor(Date.now() / 1000) - 3600) },
          ),
      },
      teardown: () => simulator.stop(),
    };
  },
});
