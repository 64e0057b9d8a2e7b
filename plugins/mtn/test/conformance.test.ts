import { runConformanceSuite } from '@msg/testing/conformance';
import mtnPlugin, { type MtnPluginOptions } from '../src/index.js';
import { ACME, deliveryReport, GLOBEX, optionsFor, startSimulator, WEBHOOK_URL } from './helpers.js';

runConformanceSuite<MtnPluginOptions>({
  plugin: mtnPlugin,
  async setup() {
    const simulator = await startSimulator();
    // The subscribed URL is not reachable from the test: send no reports there.
    simulator.defaultOutcome = 'none';
    return {
      simulator,
      options: optionsFor(ACME, simulator),
      otherOptions: optionsFor(GLOBEX, simulator),
      credentialOf: (options) => options.clientId,
      secrets: ['clientSecret', 'webhookToken'],
      messageIdIn: {
        read: (request) =>
          request.path.endsWith('/outbound')
            ? (JSON.parse(Buffer.from(request.body).toString('utf8')) as { clientCorrelatorId?: string })
                .clientCorrelatorId
            : undefined,
      },
      webhookUrl: WEBHOOK_URL,
      message: (id) => ({
        id,
        channel: 'sms',
        to: '+260961000001',
        text: 'Your code is 123456',
        from: 'ACME',
      }),
      validation: {
        refused: [
          {
            label: 'a receiver of 7 digits (MTN takes 9-15: 400 4000)',
            message: (id) => ({ id, channel: 'sms', to: '+1234567', text: 'Your code', from: 'ACME' }),
          },
        ],
      },
      errors: [
        { error: 'invalid-request', kind: 'permanent', providerCode: '4000' },
        { error: 'invalid-receiver', kind: 'permanent', providerCode: '4000' },
        { error: 'sender-not-whitelisted', kind: 'configuration', providerCode: '4030' },
        {
          error: 'no-api-product',
          kind: 'configuration',
          providerCode: 'keymanagement.service.InvalidAPICallAsNoApiProductMatchFound',
        },
        {
          error: 'spike-arrest',
          kind: 'rate-limited',
          providerCode: 'policies.ratelimit.SpikeArrestViolation',
        },
        { error: 'quota-exceeded', kind: 'rate-limited', providerCode: 'policies.ratelimit.QuotaViolation' },
        { error: 'internal-error', kind: 'transient', providerCode: '5000' },
        {
          error: 'service-unavailable',
          kind: 'transient',
          providerCode: 'messaging.adaptors.http.flow.ServiceUnavailable',
        },
        {
          error: 'gateway-timeout',
          kind: 'ambiguous',
          providerCode: 'messaging.adaptors.http.flow.GatewayTimeout',
        },
      ],
      webhooks: {
        // MTN SMS API v3 deliveryStatus values.
        statuses: {
          DeliveredToTerminal: 'delivered',
          DeliveryImpossible: 'undelivered',
          DeliveredToNetwork: 'sent',
          MessageWaiting: 'queued',
          DeliveryUncertain: 'unknown',
          Expired: 'expired',
          DeliveryNotificationNotSupported: 'unknown',
        },
        signed: ({ providerMessageId, providerStatus }) =>
          deliveryReport(
            {
              transactionId: providerMessageId,
              clientCorrelator: 'conformance-message',
              deliveryStatus: providerStatus,
              receiverAddress: '260961000001',
              timestamp: '2026-03-01T10:00:00.000Z',
            },
            ACME.webhookToken,
          ),
        signatureHeaders: [],
        unsigned: (request) => ({ ...request, url: WEBHOOK_URL }),
        tamper: (request) => ({ ...request, url: `${WEBHOOK_URL}?token=${ACME.webhookToken}x` }),
      },
      teardown: () => simulator.stop(),
    };
  },
});
