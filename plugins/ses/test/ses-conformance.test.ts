import { runConformanceSuite } from '@msg/testing/conformance';
import { createSesPlugin, type SesPluginOptions } from '../src/index.js';
import { createSesSimulator } from '../src/simulator.js';
import { editBody, email, WEBHOOK_URL, webhookRequest } from './helpers.js';

const simulator = createSesSimulator({
  accounts: { AKIAFIRSTACCOUNT0001: 'first-secret', AKIASECONDACCOUNT002: 'second-secret' },
});
const plugin = createSesPlugin({ certificateFetcher: simulator.certificateFetcher });

runConformanceSuite<SesPluginOptions>({
  plugin,
  async setup() {
    const baseUrl = await simulator.start();
    const options: SesPluginOptions = {
      region: 'us-east-1',
      baseUrl,
      accessKeyId: 'AKIAFIRSTACCOUNT0001',
      secretAccessKey: 'first-secret',
      allowedTopicArns: [simulator.topicArn],
    };
    const otherOptions: SesPluginOptions = {
      region: 'us-east-1',
      baseUrl,
      accessKeyId: 'AKIASECONDACCOUNT002',
      secretAccessKey: 'second-secret',
      allowedTopicArns: ['arn:aws:sns:us-east-1:210987654321:other-ses-events'],
    };
    const signed = (input: { providerMessageId: string; providerStatus: string }, timestamp?: Date) =>
      webhookRequest(
        simulator.notification({
          eventType: input.providerStatus,
          messageId: input.providerMessageId,
          tags: { msg_id: 'conformance-message' },
          timestamp,
        }),
      );
    return {
      options,
      otherOptions,
      simulator,
      credentialOf: (instance) => instance.accessKeyId as string,
      secrets: ['secretAccessKey'],
      // SES echoes message tags in every event's `mail.tags`.
      messageIdIn: {
        read: (request) =>
          (
            JSON.parse(Buffer.from(request.body).toString('utf8')) as {
              EmailTags?: Array<{ Name: string; Value: string }>;
            }
          ).EmailTags?.find((tag) => tag.Name === 'msg_id')?.Value,
      },
      message: (id) => email(id),
      validation: {
        refused: [
          {
            label: 'an email to 51 recipients (SES takes 50)',
            message: (id) =>
              email(id, {
                to: Array.from({ length: 51 }, (_, index) => ({ email: `u${index}@example.com` })),
              }),
          },
        ],
      },
      webhookUrl: WEBHOOK_URL,
      errors: [
        { error: 'TooManyRequestsException', kind: 'rate-limited', providerCode: 'TooManyRequestsException' },
        { error: 'LimitExceededException', kind: 'rate-limited', providerCode: 'LimitExceededException' },
        {
          error: 'InternalServiceErrorException',
          kind: 'transient',
          providerCode: 'InternalServiceErrorException',
        },
        { error: 'ServiceUnavailable', kind: 'transient', providerCode: 'HTTP_503' },
        { error: 'MessageRejected', kind: 'permanent', providerCode: 'MessageRejected' },
        { error: 'MessageRejectedUnverified', kind: 'configuration', providerCode: 'MessageRejected' },
        {
          error: 'MailFromDomainNotVerifiedException',
          kind: 'configuration',
          providerCode: 'MailFromDomainNotVerifiedException',
        },
        {
          error: 'AccountSuspendedException',
          kind: 'configuration',
          providerCode: 'AccountSuspendedException',
        },
        { error: 'SendingPausedException', kind: 'configuration', providerCode: 'SendingPausedException' },
        { error: 'NotFoundException', kind: 'configuration', providerCode: 'NotFoundException' },
        { error: 'BadRequestException', kind: 'permanent', providerCode: 'BadRequestException' },
        {
          error: 'UnrecognizedClientException',
          kind: 'configuration',
          providerCode: 'UnrecognizedClientException',
        },
        {
          error: 'InvalidSignatureException',
          kind: 'configuration',
          providerCode: 'InvalidSignatureException',
        },
        { error: 'AccessDeniedException', kind: 'configuration', providerCode: 'AccessDeniedException' },
      ],
      webhooks: {
        statuses: {
          Send: 'sent',
          Delivery: 'delivered',
          Bounce: 'bounced',
          Complaint: 'complained',
          Reject: 'failed',
          DeliveryDelay: 'sent',
          Open: 'opened',
          Click: 'clicked',
          'Rendering Failure': 'failed',
        },
        signed: (input) => signed(input),
        // SNS puts the signature in the body, not in a header.
        signatureHeaders: [],
        unsigned: (request) =>
          editBody(request, (body) => {
            delete body.Signature;
          }),
        stale: (input) => signed(input, new Date(Date.now() - 2 * 3600_000)),
      },
      teardown: () => simulator.stop(),
    };
  },
});
