import { runConformanceSuite } from '@msg/testing/conformance';
import sendgridPlugin, {
  type SendgridPluginOptions,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
} from '../src/index.js';
import { createSendgridSimulator, generateSendgridApiKey } from '../src/simulator.js';

const simulator = createSendgridSimulator({
  accounts: [
    { apiKey: generateSendgridApiKey(), label: 'account-a' },
    { apiKey: generateSendgridApiKey(), label: 'account-b' },
  ],
});
const accountA = simulator.account('account-a');
const accountB = simulator.account('account-b');

function callback(providerMessageId: string, providerStatus: string, timestamp?: string) {
  const event = {
    email: 'to@example.com',
    timestamp: Math.floor(Date.now() / 1000),
    event: providerStatus === 'blocked' ? 'bounce' : providerStatus,
    ...(providerStatus === 'blocked' && { type: 'blocked' }),
    ...(providerStatus === 'bounce' && { type: 'bounce' }),
    sg_event_id: `evt-${providerStatus}`,
    sg_message_id: `${providerMessageId}.filterdrecv-1-0`,
    msg_id: 'message-1',
  };
  const signed = simulator.signEvents(accountA, [event], timestamp);
  return {
    method: 'POST',
    url: 'https://gateway.example.com/webhooks/sendgrid-main',
    headers: signed.headers,
    rawBody: new TextEncoder().encode(signed.body),
  };
}

runConformanceSuite<SendgridPluginOptions>({
  plugin: sendgridPlugin,
  async setup() {
    const url = await simulator.start();
    const options = (account: typeof accountA): SendgridPluginOptions => ({
      apiKey: account.apiKey,
      baseUrl: url,
      webhookVerificationKey: account.webhookVerificationKey,
    });
    return {
      options: options(accountA),
      otherOptions: options(accountB),
      credentialOf: (chosen) => simulator.account(chosen.apiKey).label,
      secrets: ['apiKey'],
      // custom_args come back as top-level keys of every event.
      messageIdIn: {
        read: (request) => {
          const body = JSON.parse(Buffer.from(request.body).toString('utf8')) as {
            custom_args?: Record<string, string>;
            personalizations?: Array<{ custom_args?: Record<string, string> }>;
          };
          return body.custom_args?.msg_id ?? body.personalizations?.[0]?.custom_args?.msg_id;
        },
      },
      simulator,
      message: (id) => ({
        id,
        channel: 'email',
        from: { email: 'sender@example.com', name: 'Sender' },
        to: [{ email: 'to@example.com' }],
        subject: 'Conformance',
        text: 'Hello from the conformance suite',
      }),
      validation: {
        refused: [
          {
            label: 'a header SendGrid reserves (Authorization)',
            message: (id) => ({
              id,
              channel: 'email',
              from: { email: 'sender@example.com' },
              to: [{ email: 'to@example.com' }],
              subject: 'Conformance',
              text: 'Hello',
              headers: { 'X-SG-ID': 'forged' },
            }),
          },
        ],
        isTestRequest: (request) =>
          (
            JSON.parse(Buffer.from(request.body).toString('utf8')) as {
              mail_settings?: { sandbox_mode?: { enable?: boolean } };
            }
          ).mail_settings?.sandbox_mode?.enable === true,
        deliveries: async () => {
          await simulator.callbacks.idle();
          return simulator.accepted.length;
        },
      },
      errors: [
        { error: 'bad-request', kind: 'permanent', providerCode: '400' },
        { error: 'unauthorized', kind: 'configuration', providerCode: '401' },
        { error: 'unverified-sender', kind: 'configuration', providerCode: '403' },
        { error: 'payload-too-large', kind: 'permanent', providerCode: '413' },
        { error: 'rate-limited', kind: 'rate-limited', providerCode: '429' },
        { error: 'server-error', kind: 'transient', providerCode: '500' },
        { error: 'service-unavailable', kind: 'transient', providerCode: '503' },
      ],
      webhooks: {
        // Event Webhook `event` values (`blocked` is a bounce of type blocked).
        statuses: {
          processed: 'queued',
          deferred: 'sent',
          delivered: 'delivered',
          bounce: 'bounced',
          blocked: 'bounced',
          dropped: 'failed',
          open: 'opened',
          click: 'clicked',
          spamreport: 'complained',
        },
        signatureHeaders: [SIGNATURE_HEADER, TIMESTAMP_HEADER],
        signed: ({ providerMessageId, providerStatus }) => callback(providerMessageId, providerStatus),
        stale: ({ providerMessageId, providerStatus }) =>
          callback(providerMessageId, providerStatus, String(Math.floor(Date.now() / 1000) - 3600)),
      },
      webhookUrl: 'https://gateway.example.com/webhooks/sendgrid-main',
      teardown: () => simulator.stop(),
    };
  },
});
