import { runConformanceSuite } from '@msg/testing/conformance';
import zamtelPlugin, { type ZamtelPluginOptions } from '../src/index.js';
import { COPPER, httpOptions, startSimulator, ZED_BANK } from './helpers.js';

const apiKeyLabels = new Map([
  [ZED_BANK.apiKey, ZED_BANK.label],
  [COPPER.apiKey, COPPER.label],
]);

// HTTP mode: Zamtel sends no delivery callbacks, so the webhook tests do not apply.
runConformanceSuite<ZamtelPluginOptions>({
  plugin: zamtelPlugin,
  async setup() {
    const simulator = await startSimulator();
    return {
      simulator,
      options: httpOptions(simulator, ZED_BANK),
      otherOptions: httpOptions(simulator, COPPER),
      credentialOf: (options) =>
        'apiKey' in options ? apiKeyLabels.get(options.apiKey as string) : undefined,
      secrets: ['apiKey'],
      messageIdIn: { none: "Zamtel's bulk API takes no client reference and sends no receipts" },
      message: (id) => ({ id, channel: 'sms', to: '+260955123456', text: 'Your code is 123456' }),
      validation: {
        refused: [
          {
            label: 'a number outside Zambia (the bulk API takes +260 only)',
            message: (id) => ({ id, channel: 'sms', to: '+254711000001', text: 'Your code is 123456' }),
          },
        ],
      },
      errors: [
        { error: 'invalid-api-key', kind: 'configuration', providerCode: 'INVALID_API_KEY' },
        { error: 'invalid-sender-id', kind: 'configuration', providerCode: 'INVALID_SENDER_ID' },
        { error: 'invalid-contact', kind: 'permanent', providerCode: 'INVALID_CONTACT' },
        { error: 'insufficient-balance', kind: 'configuration', providerCode: 'INSUFFICIENT_BALANCE' },
        { error: 'rate-limited', kind: 'rate-limited', providerCode: 'HTTP_429' },
        { error: 'server-error', kind: 'transient', providerCode: 'HTTP_500' },
        { error: 'bad-gateway', kind: 'transient', providerCode: 'HTTP_502' },
        { error: 'unavailable', kind: 'transient', providerCode: 'HTTP_503' },
        { error: 'unreadable', kind: 'ambiguous', providerCode: 'UNREADABLE_RESPONSE' },
      ],
      teardown: () => simulator.stop(),
    };
  },
});
