import { runConformanceSuite } from '@msg/testing/conformance';
import africasTalkingPlugin, { type AfricasTalkingPluginOptions } from '../src/index.js';
import {
  ACME,
  deliveryReport,
  GLOBEX,
  optionsFor,
  REPORT_STATUSES,
  startSimulator,
  WEBHOOK_URL,
} from './helpers.js';

runConformanceSuite<AfricasTalkingPluginOptions>({
  plugin: africasTalkingPlugin,
  async setup() {
    const simulator = await startSimulator();
    return {
      simulator,
      options: optionsFor(ACME, simulator),
      otherOptions: optionsFor(GLOBEX, simulator),
      credentialOf: (options) => options.username,
      secrets: ['apiKey', 'webhookToken'],
      messageIdIn: {
        none: "Africa's Talking's messaging API takes no client reference; reports carry its own id",
      },
      webhookUrl: WEBHOOK_URL,
      message: (id) => ({
        id,
        channel: 'sms',
        to: '+254711000001',
        text: 'Your code is 123456',
        from: 'ACME',
      }),
      validation: {
        refused: [
          {
            label: 'a number of 5 digits (403 InvalidPhoneNumber)',
            message: (id) => ({
              id,
              channel: 'sms',
              to: '+25471',
              text: 'Your code is 123456',
              from: 'ACME',
            }),
          },
        ],
      },
      errors: [
        { error: 'http:401', kind: 'configuration', providerCode: 'HTTP_401' },
        { error: 'http:429', kind: 'rate-limited', providerCode: 'HTTP_429' },
        { error: 'http:500', kind: 'transient', providerCode: 'HTTP_500' },
        { error: 'http:503', kind: 'transient', providerCode: 'HTTP_503' },
        { error: 'request:InvalidSenderId', kind: 'configuration', providerCode: 'InvalidSenderId' },
        { error: 'recipient:RiskHold', kind: 'configuration', providerCode: '401' },
        { error: 'recipient:InvalidSenderId', kind: 'configuration', providerCode: '402' },
        { error: 'recipient:InvalidPhoneNumber', kind: 'permanent', providerCode: '403' },
        { error: 'recipient:UnsupportedNumberType', kind: 'permanent', providerCode: '404' },
        { error: 'recipient:InsufficientBalance', kind: 'configuration', providerCode: '405' },
        { error: 'recipient:UserInBlacklist', kind: 'permanent', providerCode: '406' },
        { error: 'recipient:CouldNotRoute', kind: 'permanent', providerCode: '407' },
        { error: 'recipient:DoNotDisturbRejection', kind: 'permanent', providerCode: '409' },
        { error: 'recipient:InternalServerError', kind: 'transient', providerCode: '500' },
        { error: 'recipient:GatewayError', kind: 'transient', providerCode: '501' },
        { error: 'recipient:RejectedByGateway', kind: 'permanent', providerCode: '502' },
      ],
      webhooks: {
        statuses: REPORT_STATUSES,
        signed: ({ providerMessageId, providerStatus }) =>
          deliveryReport(
            {
              id: providerMessageId,
              status: providerStatus,
              phoneNumber: '+254711000001',
              networkCode: '63902',
              retryCount: '0',
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
