import { type WebhookReceiver, webhookReceiver } from '@msg/testing';
import { runConformanceSuite } from '@msg/testing/conformance';
import twilioPlugin from '../src/index.js';
import { signTwilioCallback, type TwilioSimulator } from '../src/simulator.js';
import { FIRST_ACCOUNT, optionsFor, SECOND_ACCOUNT, startSimulator } from './fixtures.js';

let simulator: TwilioSimulator;
let receiver: WebhookReceiver;

runConformanceSuite({
  plugin: twilioPlugin,
  setup: async () => {
    simulator = await startSimulator();
    // Status callbacks of the sends go here: a loopback receiver, never an outside host.
    receiver = await webhookReceiver();
    const webhookUrl = `${receiver.url}/webhooks/twilio`;
    return {
      simulator,
      options: optionsFor(simulator, FIRST_ACCOUNT),
      otherOptions: optionsFor(simulator, SECOND_ACCOUNT),
      credentialOf: (options) => options.accountSid,
      secrets: ['authToken'],
      webhookUrl,
      // Twilio echoes no field of ours, but calls back the StatusCallback URL we give it.
      messageIdIn: {
        read: (request) => {
          const callback = new URLSearchParams(Buffer.from(request.body).toString('utf8')).get(
            'StatusCallback',
          );
          return callback ? new URL(callback).searchParams.get('messageId') : undefined;
        },
      },
      message: (id) => ({ id, channel: 'sms', to: '+260971234567', text: 'conformance' }),
      errors: [
        { error: '20003', kind: 'configuration', providerCode: '20003' },
        { error: '20404', kind: 'configuration', providerCode: '20404' },
        { error: '20429', kind: 'rate-limited', providerCode: '20429' },
        { error: '20500', kind: 'transient', providerCode: '20500' },
        { error: '20503', kind: 'transient', providerCode: '20503' },
        { error: '21211', kind: 'permanent', providerCode: '21211' },
        { error: '21408', kind: 'configuration', providerCode: '21408' },
        { error: '21602', kind: 'permanent', providerCode: '21602' },
        { error: '21603', kind: 'configuration', providerCode: '21603' },
        { error: '21604', kind: 'permanent', providerCode: '21604' },
        { error: '21606', kind: 'configuration', providerCode: '21606' },
        { error: '21610', kind: 'permanent', providerCode: '21610' },
        { error: '21612', kind: 'permanent', providerCode: '21612' },
        { error: '21614', kind: 'permanent', providerCode: '21614' },
        { error: '21617', kind: 'permanent', providerCode: '21617' },
        { error: '30001', kind: 'transient', providerCode: '30001' },
        { error: '30002', kind: 'configuration', providerCode: '30002' },
        { error: '30003', kind: 'permanent', providerCode: '30003' },
        { error: '30004', kind: 'permanent', providerCode: '30004' },
        { error: '30005', kind: 'permanent', providerCode: '30005' },
        { error: '30006', kind: 'permanent', providerCode: '30006' },
        { error: '30007', kind: 'permanent', providerCode: '30007' },
      ],
      validation: {
        refused: [
          {
            label: 'a body over 1600 characters (21617)',
            message: (id) => ({ id, channel: 'sms', to: '+260971234567', text: 'x'.repeat(1601) }),
          },
        ],
      },
      webhooks: {
        statuses: {
          queued: 'queued',
          accepted: 'queued',
          scheduled: 'queued',
          sending: 'sent',
          sent: 'sent',
          delivered: 'delivered',
          undelivered: 'undelivered',
          failed: 'failed',
          canceled: 'failed',
          read: 'delivered',
        },
        signatureHeaders: ['x-twilio-signature'],
        signed: ({ providerMessageId, providerStatus }) => {
          const params = new URLSearchParams({
            AccountSid: FIRST_ACCOUNT.sid,
            MessageSid: providerMessageId,
            MessageStatus: providerStatus,
            From: '+15005550006',
            To: '+260971234567',
          });
          if (providerStatus === 'failed' || providerStatus === 'undelivered')
            params.set('ErrorCode', '30003');
          return {
            method: 'POST',
            url: webhookUrl,
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              'x-twilio-signature': signTwilioCallback(FIRST_ACCOUNT.token, webhookUrl, params),
            },
            rawBody: new TextEncoder().encode(params.toString()),
          };
        },
      },
      teardown: async () => {
        await simulator.stop();
        await receiver.close();
      },
    };
  },
});
