import { runConformanceSuite } from '@msg/testing/conformance';
import snsPlugin, { type SnsPluginOptions } from '../src/index.js';
import { createSnsSimulator, SNS_SIMULATOR_ACCOUNTS } from '../src/simulator.js';

const [first, second] = SNS_SIMULATOR_ACCOUNTS as [
  (typeof SNS_SIMULATOR_ACCOUNTS)[number],
  (typeof SNS_SIMULATOR_ACCOUNTS)[number],
];

runConformanceSuite<SnsPluginOptions>({
  plugin: snsPlugin,
  setup: async () => {
    const simulator = createSnsSimulator({ region: 'eu-west-1' });
    const baseUrl = await simulator.start();
    const options = (account: typeof first): SnsPluginOptions => ({
      region: 'eu-west-1',
      accessKeyId: account.accessKeyId,
      secretAccessKey: account.secretAccessKey,
      baseUrl,
      senderId: 'MSG',
    });
    return {
      simulator,
      options: options(first),
      otherOptions: options(second),
      credentialOf: (instanceOptions) => instanceOptions.accessKeyId,
      secrets: ['secretAccessKey'],
      messageIdIn: {
        none: 'SNS Publish has no client reference for SMS, and SNS reports delivery only to CloudWatch Logs',
      },
      message: (id) => ({ id, channel: 'sms', to: '+260971234567', text: 'conformance' }),
      errors: [
        { error: 'Throttled', kind: 'rate-limited', providerCode: 'Throttled' },
        { error: 'Throttling', kind: 'rate-limited', providerCode: 'Throttling' },
        { error: 'KMSThrottling', kind: 'rate-limited', providerCode: 'KMSThrottling' },
        { error: 'InternalError', kind: 'transient', providerCode: 'InternalError' },
        { error: 'ServiceUnavailable', kind: 'transient', providerCode: 'ServiceUnavailable' },
        { error: 'InvalidParameter', kind: 'permanent', providerCode: 'InvalidParameter' },
        { error: 'ParameterValueInvalid', kind: 'permanent', providerCode: 'ParameterValueInvalid' },
        { error: 'OptedOut', kind: 'permanent', providerCode: 'OptedOut' },
        { error: 'EndpointDisabled', kind: 'permanent', providerCode: 'EndpointDisabled' },
        { error: 'AuthorizationError', kind: 'configuration', providerCode: 'AuthorizationError' },
        { error: 'InvalidClientTokenId', kind: 'configuration', providerCode: 'InvalidClientTokenId' },
        { error: 'SignatureDoesNotMatch', kind: 'configuration', providerCode: 'SignatureDoesNotMatch' },
        { error: 'ExpiredToken', kind: 'configuration', providerCode: 'ExpiredToken' },
      ],
      validation: {
        refused: [
          {
            label: 'a sender id with a space (SNS takes letters, digits and dashes)',
            message: (id) => ({ id, channel: 'sms', to: '+260971234567', text: 'code', from: 'ACME Bank' }),
          },
        ],
      },
      teardown: () => simulator.stop(),
    };
  },
});
