import { runConformanceSuite } from '@msg/testing/conformance';
import resendPlugin, { type ResendPluginOptions } from '../src/index.js';
import { createResendSimulator, generateResendApiKey } from '../src/simulator.js';
import { optionsFor } from './helpers.js';

const simulator = createResendSimulator({
  accounts: [
    { apiKey: generateResendApiKey(), label: 'account-a' },
    { apiKey: generateResendApiKey(), label: 'account-b' },
  ],
});
const accountA = simulator.account('account-a');

function callback(providerMessageId: string, providerStatus: string, timestamp?: string) {
  const signed = simulator.signEvent(
    accountA,
    {
      type: providerStatus,
      created_at: new Date().toISOString(),
      data: {
        email_id: providerMessageId,
        to: ['to@example.com'],
        tags: { msg_id: 'message-1' },
        ...(providerStatus === 'email.bounced' && {
          bounce: { type: 'Permanent', subType: 'General', message: 'hard' },
        }),
      },
    },
    timestamp,
  );
  return {
    method: 'POST',
    url: 'https://gateway.example.com/webhooks/resend',
    headers: signed.headers,
    rawBody: new TextEncoder().encode(signed.body),
  };
}

runConformanceSuite<ResendPluginOptions>({
  plugin: resendPlugin,
  async setup() {
    await simulator.start();
    return {
      options: optionsFor(simulator, accountA),
      otherOptions: optionsFor(simulator, simulator.account('account-b')),
      credentialOf: (options) => simulator.account(options.apiKey).label,
      secrets: ['apiKey', 'webhookSecret'],
      // The `msg_id` tag, which webhooks echo in `data.tags` (the Idempotency-Key header carries it too).
      messageIdIn: {
        read: (request) => {
          const body = JSON.parse(Buffer.from(request.body).toString('utf8')) as {
            tags?: Array<{ name: string; value: string }>;
          };
          return body.tags?.find((tag) => tag.name === 'msg_id')?.value;
        },
      },
      simulator,
      webhookUrl: 'https://gateway.example.com/webhooks/resend',
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
            label: 'an email to 51 addresses (Resend takes 50 in to)',
            message: (id) => ({
              id,
              channel: 'email',
              from: { email: 'sender@example.com' },
              to: Array.from({ length: 51 }, (_, index) => ({ email: `to${index}@example.com` })),
              subject: 'Conformance',
              text: 'Hello',
            }),
          },
        ],
      },
      errors: [
        { error: 'missing-api-key', kind: 'configuration', providerCode: 'missing_api_key' },
        { error: 'restricted-api-key', kind: 'configuration', providerCode: 'restricted_api_key' },
        { error: 'invalid-api-key', kind: 'configuration', providerCode: 'invalid_api_key' },
        { error: 'domain-not-verified', kind: 'configuration', providerCode: 'validation_error' },
        { error: 'not-found', kind: 'configuration', providerCode: 'not_found' },
        { error: 'method-not-allowed', kind: 'configuration', providerCode: 'method_not_allowed' },
        { error: 'invalid-from-address', kind: 'configuration', providerCode: 'invalid_from_address' },
        { error: 'security-error', kind: 'configuration', providerCode: 'security_error' },
        { error: 'validation-error', kind: 'permanent', providerCode: 'validation_error' },
        { error: 'invalid-idempotency-key', kind: 'permanent', providerCode: 'invalid_idempotency_key' },
        {
          error: 'invalid-idempotent-request',
          kind: 'permanent',
          providerCode: 'invalid_idempotent_request',
        },
        {
          error: 'concurrent-idempotent-requests',
          kind: 'transient',
          providerCode: 'concurrent_idempotent_requests',
        },
        { error: 'invalid-attachment', kind: 'permanent', providerCode: 'invalid_attachment' },
        { error: 'invalid-access', kind: 'permanent', providerCode: 'invalid_access' },
        { error: 'invalid-parameter', kind: 'permanent', providerCode: 'invalid_parameter' },
        { error: 'invalid-region', kind: 'permanent', providerCode: 'invalid_region' },
        { error: 'missing-required-field', kind: 'permanent', providerCode: 'missing_required_field' },
        { error: 'rate-limit-exceeded', kind: 'rate-limited', providerCode: 'rate_limit_exceeded' },
        { error: 'daily-quota-exceeded', kind: 'configuration', providerCode: 'daily_quota_exceeded' },
        { error: 'monthly-quota-exceeded', kind: 'configuration', providerCode: 'monthly_quota_exceeded' },
        { error: 'application-error', kind: 'transient', providerCode: 'application_error' },
        { error: 'internal-server-error', kind: 'transient', providerCode: 'internal_server_error' },
        { error: 'bad-gateway', kind: 'transient', providerCode: 'application_error' },
        { error: 'unreadable-success', kind: 'ambiguous', providerCode: 'UNREADABLE_RESPONSE' },
      ],
      webhooks: {
        // Resend's email event types; PROVIDERS.md's Resend event -> status list.
        statuses: {
          'email.scheduled': 'queued',
          'email.sent': 'sent',
          'email.delivery_delayed': 'sent',
          'email.delivered': 'delivered',
          'email.bounced': 'bounced',
          'email.complained': 'complained',
          'email.opened': 'opened',
          'email.clicked': 'clicked',
          'email.failed': 'failed',
          'email.suppressed': 'failed',
        },
        signatureHeaders: ['svix-id', 'svix-timestamp', 'svix-signature'],
        signed: ({ providerMessageId, providerStatus }) => callback(providerMessageId, providerStatus),
        stale: ({ providerMessageId, providerStatus }) =>
          callback(providerMessageId, providerStatus, String(Math.floor(Date.now() / 1000) - 3600)),
      },
      teardown: () => simulator.stop(),
    };
  },
});
