import { runConformanceSuite } from '@msg/testing/conformance';
import smtpPlugin, { type SmtpPluginOptions } from '../src/index.js';
import { createSmtpSimulator } from '../src/simulator.js';
import { buildDsnReport } from '../src/smtp-dsn-report.js';
import { optionsFor, WEBHOOK_TOKEN, WEBHOOK_URL } from './helpers.js';

const DSN_STATUS: Record<string, string> = { failed: '5.1.1', delayed: '4.4.7' };

/** A DSN about `providerMessageId` (our Message-ID), posted to the hook with the instance's token. */
function dsnRequest(providerMessageId: string, providerStatus: string) {
  const report = buildDsnReport({
    to: 'sender@example.com',
    reportingMta: 'mx.example.net',
    envelopeId: 'message-1',
    recipients: [
      {
        recipient: 'to@example.com',
        action: providerStatus as 'failed',
        status: DSN_STATUS[providerStatus] ?? '2.0.0',
      },
    ],
    original: `From: sender@example.com\r\nMessage-ID: <${providerMessageId}>\r\nSubject: Hi\r\n`,
  });
  return {
    method: 'POST',
    url: WEBHOOK_URL,
    headers: { 'content-type': 'message/rfc822' },
    rawBody: new TextEncoder().encode(report),
  };
}

runConformanceSuite<SmtpPluginOptions>({
  plugin: smtpPlugin,
  async setup() {
    const simulator = createSmtpSimulator({
      accounts: [
        { username: 'first@example.com', password: 'first-app-password', label: 'first' },
        { username: 'second@example.com', password: 'second-app-password', label: 'second' },
      ],
    });
    await simulator.start();
    return {
      simulator,
      options: optionsFor(simulator, simulator.account('first')),
      otherOptions: optionsFor(simulator, simulator.account('second'), {
        webhookToken: 'another-token-0123456789',
      }),
      credentialOf: (options) => simulator.account(options.username).label,
      secrets: ['password', 'webhookToken'],
      // Our Message-ID is `<message.id@sender domain>` (and ENVID carries the id on MAIL FROM).
      messageIdIn: {
        read: (request) => /^<([^@>]+)@/.exec(String(request.headers['message-id'] ?? ''))?.[1],
      },
      webhookUrl: 'https://gateway.example.com/webhooks/smtp',
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
            label: 'a custom Message-ID header (the plugin sets its own)',
            message: (id) => ({
              id,
              channel: 'email',
              from: { email: 'sender@example.com' },
              to: [{ email: 'to@example.com' }],
              subject: 'Conformance',
              text: 'Hello',
              headers: { 'Message-ID': '<forged@example.com>' },
            }),
          },
        ],
      },
      // Transaction replies; the AUTH ones need a new connection and are in smtp-errors.test.ts.
      errors: [
        { error: 'no-such-user', kind: 'permanent', providerCode: '550 5.1.1' },
        { error: 'bad-address-syntax', kind: 'permanent', providerCode: '553 5.1.2' },
        { error: 'mailbox-full', kind: 'transient', providerCode: '552 5.2.2' },
        { error: 'mailbox-over-quota', kind: 'transient', providerCode: '452 4.2.2' },
        { error: 'recipient-rate-limited', kind: 'rate-limited', providerCode: '450 4.2.1' },
        { error: 'too-many-recipients', kind: 'permanent', providerCode: '452 4.5.3' },
        { error: 'unusual-rate', kind: 'rate-limited', providerCode: '421 4.7.0' },
        { error: 'system-busy', kind: 'transient', providerCode: '421 4.3.0' },
        { error: 'bad-sequence', kind: 'transient', providerCode: '503 5.5.1' },
        { error: 'daily-quota', kind: 'rate-limited', providerCode: '550 5.4.5' },
        { error: 'auth-required', kind: 'configuration', providerCode: '530 5.7.0' },
        { error: 'local-error', kind: 'transient', providerCode: '451 4.3.0' },
        { error: 'message-too-big', kind: 'permanent', providerCode: '552 5.3.4' },
        { error: 'policy-rejected', kind: 'configuration', providerCode: '550 5.7.1' },
        { error: 'unauthenticated-sender', kind: 'configuration', providerCode: '550 5.7.26' },
      ],
      webhooks: {
        // RFC 3464 `Action` values; PROVIDERS.md's DSN -> status table.
        statuses: {
          delivered: 'delivered',
          relayed: 'sent',
          expanded: 'sent',
          delayed: 'bounced',
          failed: 'bounced',
        },
        signed: ({ providerMessageId, providerStatus }) => dsnRequest(providerMessageId, providerStatus),
        // No signature exists for DSNs: the hook's URL token is the secret.
        signatureHeaders: [],
        unsigned: (request) => ({ ...request, url: 'https://gateway.example.com/webhooks/smtp' }),
        tamper: (request) => ({
          ...request,
          url: `${WEBHOOK_URL.replace(WEBHOOK_TOKEN, `${WEBHOOK_TOKEN}x`)}`,
        }),
      },
      teardown: () => simulator.stop(),
    };
  },
});
