import {
  createProvider,
  type DeliveryEvent,
  type Logger,
  type Provider,
  silentLogger,
  WebhookVerificationError,
} from '@msg/core';
import { webhookReceiver } from '@msg/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSesPlugin, type SesDependencies, type SesPluginOptions } from '../src/index.js';
import { createSelfSignedCertificate } from '../src/ses-simulator-certificate.js';
import { signSnsMessage } from '../src/ses-simulator-sns.js';
import { snsStringToSign } from '../src/ses-sns.js';
import { createSesSimulator, type SesSimulator } from '../src/simulator.js';
import { editBody, email, webhookRequest } from './helpers.js';

let simulator: SesSimulator;
const providers: Provider[] = [];

async function make(
  overrides: Partial<SesPluginOptions> = {},
  dependencies: SesDependencies = { certificateFetcher: simulator.certificateFetcher },
  logger: Logger = silentLogger,
): Promise<Provider<'email'>> {
  const options: SesPluginOptions = {
    region: 'us-east-1',
    baseUrl: simulator.url,
    accessKeyId: 'AKIAWEBHOOKTESTS0001',
    secretAccessKey: 'webhook-secret',
    allowedTopicArns: [simulator.topicArn],
    ...overrides,
  };
  const provider = await createProvider(createSesPlugin(dependencies), options, {
    instanceId: 'ses-webhooks',
    logger,
    now: Date.now,
  });
  providers.push(provider);
  return provider as Provider<'email'>;
}

async function events(
  provider: Provider,
  delivery: { headers: Record<string, string>; body: string },
): Promise<DeliveryEvent[]> {
  return (await provider.parseWebhook!(webhookRequest(delivery))).events;
}

async function refused(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(
    WebhookVerificationError.isInstance(error),
    `expected a WebhookVerificationError, got ${String(error)}`,
  ).toBe(true);
  return (error as Error).message;
}

beforeAll(async () => {
  simulator = createSesSimulator({ accounts: { AKIAWEBHOOKTESTS0001: 'webhook-secret' } });
  await simulator.start();
});
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await simulator.stop();
});

describe('SES events to delivery events', () => {
  it('gives one Delivery event per recipient, with our id from the msg_id tag and a per-recipient event id', async () => {
    const provider = await make();
    const at = new Date(Date.now() - 1000);
    const delivery = simulator.notification({
      eventType: 'Delivery',
      messageId: 'ses-1',
      recipients: ['a@example.org', 'b@example.org'],
      tags: { msg_id: 'our-1' },
      timestamp: at,
    });
    const result = await events(provider, delivery);
    expect(result).toEqual([
      expect.objectContaining({
        providerMessageId: 'ses-1',
        messageId: 'our-1',
        status: 'delivered',
        providerStatus: 'Delivery',
        recipient: 'a@example.org',
        eventId: `${delivery.message.MessageId}:a@example.org`,
        occurredAt: at,
      }),
      expect.objectContaining({
        recipient: 'b@example.org',
        eventId: `${delivery.message.MessageId}:b@example.org`,
      }),
    ]);
    expect(result[0]?.details?.smtpResponse).toBe('250 2.6.0 Message received');
  });

  it.each([
    ['Permanent', 'permanent', '5.1.1'],
    ['Transient', 'transient', '4.2.2'],
    ['Undetermined', 'transient', '4.2.2'],
  ])('maps a %s bounce to bounced with bounceType %s', async (bounceType, expected, code) => {
    const provider = await make();
    const [event] = await events(
      provider,
      simulator.notification({ eventType: 'Bounce', messageId: 'ses-b', bounceType }),
    );
    expect(event).toMatchObject({
      status: 'bounced',
      providerStatus: 'Bounce',
      bounceType: expected,
      recipient: 'recipient@example.com',
    });
    expect(event?.error?.code).toBe(code);
    expect(event?.error?.message).toMatch(/^smtp; /);
    expect(event?.details?.bounceType).toBe(bounceType);
  });

  it('keeps a DeliveryDelay as sent, with the delay reason', async () => {
    const provider = await make();
    const [event] = await events(
      provider,
      simulator.notification({ eventType: 'DeliveryDelay', messageId: 'ses-d' }),
    );
    expect(event).toMatchObject({
      status: 'sent',
      providerStatus: 'DeliveryDelay',
      error: { code: '4.4.1' },
    });
    expect(event?.details?.delayType).toBe('TransientCommunicationFailure');
  });

  it('maps Reject and Rendering Failure to failed with the reason', async () => {
    const provider = await make();
    const [reject] = await events(
      provider,
      simulator.notification({ eventType: 'Reject', messageId: 'ses-r' }),
    );
    expect(reject).toMatchObject({ status: 'failed', error: { code: 'Reject', message: 'Bad content' } });
    const [rendering] = await events(
      provider,
      simulator.notification({ eventType: 'Rendering Failure', messageId: 'ses-f' }),
    );
    expect(rendering).toMatchObject({ status: 'failed', error: { code: 'RenderingFailure' } });
  });

  it('reports one Open or Click per message, naming the recipient only when there is one', async () => {
    const provider = await make();
    const [click] = await events(
      provider,
      simulator.notification({ eventType: 'Click', messageId: 'ses-c' }),
    );
    expect(click).toMatchObject({
      status: 'clicked',
      recipient: 'recipient@example.com',
      details: { link: 'https://example.com/' },
    });
    const opens = await events(
      provider,
      simulator.notification({ eventType: 'Open', messageId: 'ses-o', recipients: ['a@x.org', 'b@x.org'] }),
    );
    expect(opens).toHaveLength(1);
    expect(opens[0]).toMatchObject({ status: 'opened', recipient: undefined });
  });

  it('reads identity notifications that use notificationType', async () => {
    const provider = await make();
    const message = JSON.stringify({
      notificationType: 'Complaint',
      complaint: {
        complainedRecipients: [{ emailAddress: 'x@example.org' }],
        timestamp: '2030-01-01T00:00:00.000Z',
        complaintFeedbackType: 'abuse',
      },
      mail: { messageId: 'ses-n', destination: ['x@example.org'], timestamp: '2030-01-01T00:00:00.000Z' },
    });
    const [event] = await events(provider, simulator.signedNotification(message));
    expect(event).toMatchObject({
      status: 'complained',
      providerStatus: 'Complaint',
      recipient: 'x@example.org',
      messageId: undefined,
    });
    expect(event?.occurredAt.toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('gives no events for the topic test message, Subscription events and unknown types', async () => {
    const provider = await make();
    await expect(
      events(
        provider,
        simulator.signedNotification('Successfully validated SNS topic for Amazon SES event publishing.'),
      ),
    ).resolves.toEqual([]);
    await expect(
      events(provider, simulator.notification({ eventType: 'Subscription', messageId: 'ses-s' })),
    ).resolves.toEqual([]);
    await expect(
      events(provider, simulator.notification({ eventType: 'Teleported', messageId: 'ses-t' })),
    ).resolves.toEqual([]);
  });
});

describe('SNS signature verification', () => {
  it('builds the string to sign from the documented fields, in order, skipping an absent Subject', () => {
    const base = {
      Type: 'Notification' as const,
      MessageId: 'id-1',
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
      Message: 'Hello world!',
      Timestamp: '2012-05-02T00:54:06.655Z',
      SignatureVersion: '1',
      Signature: 'x',
      SigningCertURL: 'https://sns.us-east-1.amazonaws.com/x.pem',
    };
    expect(snsStringToSign({ ...base, Subject: 'My First Message' })).toBe(
      'Message\nHello world!\nMessageId\nid-1\nSubject\nMy First Message\nTimestamp\n2012-05-02T00:54:06.655Z\nTopicArn\narn:aws:sns:us-east-1:123456789012:t\nType\nNotification\n',
    );
    expect(snsStringToSign(base)).not.toContain('Subject');
    expect(
      snsStringToSign({ ...base, Type: 'SubscriptionConfirmation', Token: 'tok', SubscribeURL: 'https://s' }),
    ).toBe(
      'Message\nHello world!\nMessageId\nid-1\nSubscribeURL\nhttps://s\nTimestamp\n2012-05-02T00:54:06.655Z\nToken\ntok\nTopicArn\narn:aws:sns:us-east-1:123456789012:t\nType\nSubscriptionConfirmation\n',
    );
  });

  it('accepts SignatureVersion 2 (SHA256withRSA)', async () => {
    const v2 = createSesSimulator({ signatureVersion: '2' });
    const provider = await make(
      { allowedTopicArns: [v2.topicArn] },
      { certificateFetcher: v2.certificateFetcher },
    );
    const delivery = v2.notification({ eventType: 'Send', messageId: 'ses-v2' });
    expect(delivery.message.SignatureVersion).toBe('2');
    await expect(events(provider, delivery)).resolves.toHaveLength(1);
    await refused(
      provider.parseWebhook!(
        editBody(webhookRequest(delivery), (body) => {
          body.SignatureVersion = '1';
        }),
      ),
    );
  });

  it('refuses a signature made with another key', async () => {
    const impostor = createSesSimulator();
    const provider = await make();
    const forged = editBody(
      webhookRequest(impostor.notification({ eventType: 'Delivery', messageId: 'ses-x' })),
      (body) => {
        body.SigningCertURL = simulator.signingCertUrl;
      },
    );
    expect(await refused(provider.parseWebhook!(forged))).toContain('signature does not match');
  });

  it.each([
    ['plain http', (url: string) => url.replace('https:', 'http:')],
    ['a look-alike host', (url: string) => url.replace('amazonaws.com/', 'amazonaws.com.evil.test/')],
    ['a host outside SNS', (url: string) => url.replace('sns.us-east-1', 's3.us-east-1')],
    ['a path that is not .pem', (url: string) => url.replace('.pem', '.txt')],
    ['an explicit port', (url: string) => url.replace('amazonaws.com/', 'amazonaws.com:8443/')],
  ])('refuses a SigningCertURL on %s without fetching it', async (_label, change) => {
    const fetched: string[] = [];
    const provider = await make(
      {},
      {
        certificateFetcher: async (url) => {
          fetched.push(url);
          return simulator.certificatePem;
        },
      },
    );
    const request = editBody(
      webhookRequest(simulator.notification({ eventType: 'Send', messageId: 'ses-u' })),
      (body) => {
        body.SigningCertURL = change(String(body.SigningCertURL));
      },
    );
    expect(await refused(provider.parseWebhook!(request))).toContain('SigningCertURL');
    expect(fetched).toEqual([]);
  });

  it('fetches each certificate once and does not cache a failed download', async () => {
    let calls = 0;
    let failing = true;
    const provider = await make(
      {},
      {
        certificateFetcher: async (url) => {
          calls++;
          if (failing) throw new Error('network down');
          return simulator.certificateFetcher(url);
        },
      },
    );
    expect(
      await refused(events(provider, simulator.notification({ eventType: 'Send', messageId: 'c-0' }))),
    ).toContain('network down');
    failing = false;
    await events(provider, simulator.notification({ eventType: 'Send', messageId: 'c-1' }));
    await events(provider, simulator.notification({ eventType: 'Delivery', messageId: 'c-2' }));
    expect(calls).toBe(2);
  });

  it('refuses topics outside allowedTopicArns, and everything when none are allowed', async () => {
    const other = await make({ allowedTopicArns: ['arn:aws:sns:us-east-1:123456789012:other'] });
    expect(
      await refused(events(other, simulator.notification({ eventType: 'Send', messageId: 't-1' }))),
    ).toContain('allowedTopicArns');
    const none = await make({ allowedTopicArns: [] });
    await refused(events(none, simulator.notification({ eventType: 'Send', messageId: 't-2' })));
  });

  it('refuses notifications older than webhookMaxAgeSeconds or from the future', async () => {
    const provider = await make({ webhookMaxAgeSeconds: 60 });
    const old = simulator.notification({
      eventType: 'Send',
      messageId: 'o-1',
      timestamp: new Date(Date.now() - 120_000),
    });
    expect(await refused(events(provider, old))).toContain('too old');
    const recent = simulator.notification({
      eventType: 'Send',
      messageId: 'o-2',
      timestamp: new Date(Date.now() - 30_000),
    });
    await expect(events(provider, recent)).resolves.toHaveLength(1);
    const future = simulator.notification({
      eventType: 'Send',
      messageId: 'o-3',
      timestamp: new Date(Date.now() + 3600_000),
    });
    expect(await refused(events(provider, future))).toContain('future');
  });

  it('refuses bodies that are not SNS messages and a message type header that disagrees', async () => {
    const provider = await make();
    const good = webhookRequest(simulator.notification({ eventType: 'Send', messageId: 'h-1' }));
    await refused(provider.parseWebhook!({ ...good, rawBody: Buffer.from('not json') }));
    await refused(provider.parseWebhook!({ ...good, rawBody: Buffer.from('[1,2]') }));
    await refused(
      provider.parseWebhook!(
        editBody(good, (body) => {
          body.SignatureVersion = '3';
        }),
      ),
    );
    await refused(
      provider.parseWebhook!(
        editBody(good, (body) => {
          delete body.TopicArn;
        }),
      ),
    );
    expect(
      await refused(
        provider.parseWebhook!({
          ...good,
          headers: { ...good.headers, 'x-amz-sns-message-type': 'SubscriptionConfirmation' },
        }),
      ),
    ).toContain('x-amz-sns-message-type');
  });
});

describe('subscriptions', () => {
  it('only logs a SubscriptionConfirmation unless autoConfirmSubscriptions is set', async () => {
    const warn = vi.fn();
    const provider = await make(
      {},
      {
        certificateFetcher: simulator.certificateFetcher,
        subscriptionConfirmer: simulator.subscriptionConfirmer,
      },
      { ...silentLogger, warn },
    );
    const confirmation = simulator.subscriptionConfirmation();
    await expect(events(provider, confirmation)).resolves.toEqual([]);
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining('SubscribeURL'),
      expect.objectContaining({ subscribeUrl: confirmation.message.SubscribeURL }),
    );
    expect(simulator.confirmedTokens).not.toContain(confirmation.message.Token);
  });

  it('confirms through the SubscribeURL when autoConfirmSubscriptions is set', async () => {
    const receiver = await webhookReceiver();
    try {
      const provider = await make(
        { autoConfirmSubscriptions: true },
        {
          certificateFetcher: simulator.certificateFetcher,
          subscriptionConfirmer: simulator.subscriptionConfirmer,
        },
      );
      const sent = simulator.subscribe(`${receiver.url}/webhooks/ses`);
      const [request] = await receiver.waitFor(1);
      expect(request?.headers['content-type']).toBe('text/plain; charset=UTF-8');
      const result = await provider.parseWebhook!(request!);
      expect(result.events).toEqual([]);
      expect(simulator.confirmedTokens).toContain(sent.message.Token);
    } finally {
      await receiver.close();
    }
  });

  it('refuses to visit a SubscribeURL that is not on an SNS host, even when signed', async () => {
    const { privateKey, certificatePem } = createSelfSignedCertificate();
    const signer = {
      privateKey,
      signingCertUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-own.pem',
      signatureVersion: '1' as const,
    };
    const visited: string[] = [];
    const provider = await make(
      { autoConfirmSubscriptions: true },
      {
        certificateFetcher: async () => certificatePem,
        subscriptionConfirmer: async (url) => {
          visited.push(url);
        },
      },
    );
    const delivery = signSnsMessage(
      {
        Type: 'SubscriptionConfirmation',
        Token: 't',
        TopicArn: simulator.topicArn,
        Message: 'confirm',
        SubscribeURL: 'https://attacker.example/?Token=t',
        Timestamp: new Date().toISOString(),
      },
      signer,
    );
    expect(await refused(events(provider, delivery))).toContain('SubscribeURL');
    expect(visited).toEqual([]);
  });

  it('accepts an UnsubscribeConfirmation with no events', async () => {
    const { privateKey, certificatePem } = createSelfSignedCertificate();
    const signer = {
      privateKey,
      signingCertUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-own.pem',
      signatureVersion: '1' as const,
    };
    const provider = await make({}, { certificateFetcher: async () => certificatePem });
    const delivery = signSnsMessage(
      {
        Type: 'UnsubscribeConfirmation',
        Token: 't',
        TopicArn: simulator.topicArn,
        Message: 'bye',
        SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t',
        Timestamp: new Date().toISOString(),
      },
      signer,
    );
    await expect(events(provider, delivery)).resolves.toEqual([]);
  });
});

describe('event publishing from the simulator', () => {
  it('delivers signed notifications for each recipient outcome that parseWebhook accepts', async () => {
    const receiver = await webhookReceiver();
    try {
      const provider = await make();
      simulator.callbackUrl = `${receiver.url}/webhooks/ses`;
      simulator.outcomes.set('bounce@example.org', 'bounced');
      simulator.outcomes.set('angry@example.org', 'complained');
      const result = await provider.send(
        email('e2e-1', {
          to: [{ email: 'ok@example.org' }, { email: 'bounce@example.org' }],
          cc: [{ email: 'angry@example.org' }],
        }),
        { signal: new AbortController().signal },
      );
      // Send for the message (3 recipients), Delivery, Bounce, Delivery + Complaint.
      const requests = await receiver.waitFor(5);
      const all = (await Promise.all(requests.map((request) => provider.parseWebhook!(request)))).flatMap(
        (parsed) => parsed.events,
      );
      for (const event of all) {
        expect(event.providerMessageId).toBe(result.providerMessageId);
        expect(event.messageId).toBe('e2e-1');
      }
      const by = (recipient: string) =>
        all
          .filter((event) => event.recipient === recipient)
          .map((event) => event.status)
          .sort();
      expect(by('ok@example.org')).toEqual(['delivered', 'sent']);
      expect(by('bounce@example.org')).toEqual(['bounced', 'sent']);
      expect(by('angry@example.org')).toEqual(['complained', 'delivered', 'sent']);
      expect(all.find((event) => event.status === 'bounced')?.bounceType).toBe('permanent');
      expect(new Set(all.map((event) => event.eventId)).size).toBe(all.length);
    } finally {
      simulator.callbackUrl = undefined;
      simulator.outcomes.clear();
      await receiver.close();
    }
  });
});

describe('inline trusted certificates', () => {
  const noDownload = vi.fn(async (url: string): Promise<string> => {
    throw new Error(`downloaded ${url}`);
  });

  it("verifies with the simulator's certificate given inline, without downloading it", async () => {
    const provider = await make(
      { trustedCertificates: { [simulator.signingCertUrl]: simulator.certificatePem } },
      { certificateFetcher: noDownload },
    );
    const parsed = await events(
      provider,
      simulator.notification({ eventType: 'Delivery', messageId: 'm-1' }),
    );
    expect(parsed.map((event) => event.status)).toEqual(['delivered']);
    expect(noDownload).not.toHaveBeenCalled();
  });

  it('still downloads certificates at other URLs', async () => {
    const other = createSesSimulator();
    const provider = await make(
      {
        allowedTopicArns: [other.topicArn],
        trustedCertificates: { [simulator.signingCertUrl]: simulator.certificatePem },
      },
      { certificateFetcher: other.certificateFetcher },
    );
    const parsed = await events(provider, other.notification({ eventType: 'Send', messageId: 'm-2' }));
    expect(parsed.map((event) => event.status)).toEqual(['sent']);
  });

  it.each([
    [
      'a real AWS certificate URL',
      () =>
        'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem',
    ],
    ['a URL off the SNS hosts', () => simulator.signingCertUrl.replace('.amazonaws.com', '.example.com')],
  ])('refuses an entry at %s', async (_name, url) => {
    await expect(make({ trustedCertificates: { [url()]: simulator.certificatePem } })).rejects.toMatchObject({
      code: 'MSG_ERR_PLUGIN_OPTIONS',
    });
  });
});
