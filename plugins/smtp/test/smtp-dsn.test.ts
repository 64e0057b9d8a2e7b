import { WebhookVerificationError } from '@msg/core';
import { rejectionOf } from '@msg/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpSimulator } from '../src/simulator.js';
import { parseBounce } from '../src/smtp-dsn.js';
import { buildDsnReport, encodeXtext } from '../src/smtp-dsn-report.js';
import { bounceEvents } from '../src/smtp-webhook.js';
import { makeProvider, optionsFor, type SmtpTestProvider, WEBHOOK_URL } from './helpers.js';

const NOW = Date.parse('2026-03-01T10:00:00Z');
const ORIGINAL = 'From: sender@example.com\r\nMessage-ID: <order-7@example.com>\r\nSubject: Your order\r\n';
const bytes = (text: string) => new TextEncoder().encode(text);

const report = (action: 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded', status: string) =>
  bytes(
    buildDsnReport({
      to: 'sender@example.com',
      reportingMta: 'mx.example.net',
      envelopeId: 'order-7',
      recipients: [
        { recipient: 'buyer@example.org', action, status, diagnostic: `${status} from the far end` },
      ],
      original: ORIGINAL,
      date: new Date(NOW),
    }),
  );

describe('DSN parsing', () => {
  it.each([
    ['delivered', '2.0.0', 'delivered', undefined],
    ['relayed', '2.0.0', 'sent', undefined],
    ['expanded', '2.0.0', 'sent', undefined],
    ['delayed', '4.4.7', 'bounced', 'transient'],
    ['failed', '5.1.1', 'bounced', 'permanent'],
    ['failed', '4.2.2', 'bounced', 'transient'],
  ] as const)('Action %s with Status %s -> %s (%s)', (action, status, expected, bounceType) => {
    const [event] = bounceEvents(report(action, status), NOW);
    expect(event).toMatchObject({
      providerMessageId: 'order-7@example.com',
      messageId: 'order-7',
      status: expected,
      providerStatus: action,
      recipient: 'buyer@example.org',
      bounceType,
      eventId: `order-7:buyer@example.org:${action}:${status}`,
    });
    expect(event?.occurredAt.getTime()).toBe(NOW);
    if (action === 'failed' || action === 'delayed') {
      expect(event?.error).toEqual({ code: status, message: `${status} from the far end` });
    }
  });

  it('reads one event per recipient, folded fields, an xtext ENVID and a base64 status part', () => {
    const statusPart = [
      'Reporting-MTA: dns;\r\n  mx.example.net',
      `Original-Envelope-Id: ${encodeXtext('id+with=odd chars')}`,
      '',
      'Final-Recipient: rfc822; one@example.org',
      'Action: failed',
      'Status: 5.1.1 (no such user)',
      'Diagnostic-Code: smtp; 550 5.1.1 user unknown',
      '',
      'Final-Recipient: RFC822; two@example.org',
      'Original-Recipient: rfc822;Two@Example.org',
      'Action: delivered',
      'Status: 2.0.0',
    ].join('\r\n');
    const raw = [
      'Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'Report',
      '--b1',
      'Content-Type: message/delivery-status',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(statusPart)
        .toString('base64')
        .replace(/(.{60})/g, '$1\r\n'),
      '--b1',
      'Content-Type: message/rfc822',
      '',
      `${ORIGINAL}\r\nbody`,
      '--b1--',
    ].join('\r\n');
    const parsed = parseBounce(bytes(raw));
    expect(parsed.deliveryStatus?.originalEnvelopeId).toBe('id+with=odd chars');
    expect(parsed.deliveryStatus?.reportingMta).toBe('mx.example.net');
    expect(parsed.originalMessageId).toBe('<order-7@example.com>');
    const events = bounceEvents(bytes(raw), NOW);
    expect(events.map((event) => [event.recipient, event.status, event.bounceType])).toEqual([
      ['one@example.org', 'bounced', 'permanent'],
      ['two@example.org', 'delivered', undefined],
    ]);
    expect(events[0]?.error?.code).toBe('5.1.1');
  });

  it('reads a plain bounce without DSN framing when it quotes the Message-ID and a status code', () => {
    const raw = [
      'From: MAILER-DAEMON@mx.example.net',
      'Subject: Undelivered Mail Returned to Sender',
      'Date: Sun, 01 Mar 2026 10:00:00 +0000',
      '',
      'I am sorry to have to inform you that your message could not be delivered.',
      '<buyer@example.org>: host mx.example.org said: 550 5.1.1 user unknown',
      '',
      '--- original headers ---',
      'Message-ID: <order-7@example.com>',
    ].join('\r\n');
    const [event, ...rest] = bounceEvents(bytes(raw), NOW);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      providerMessageId: 'order-7@example.com',
      status: 'bounced',
      providerStatus: 'bounce',
      bounceType: 'permanent',
      error: { code: '5.1.1' },
    });
  });

  it('ignores a mail that is no bounce (an auto-reply, spam)', () => {
    const raw = 'From: someone@example.org\r\nSubject: Out of office\r\n\r\nI am away until Monday.\r\n';
    expect(bounceEvents(bytes(raw), NOW)).toEqual([]);
  });
});

describe('the DSN hook', () => {
  const simulator = createSmtpSimulator();
  let provider: SmtpTestProvider;
  beforeAll(async () => {
    await simulator.start();
    provider = await makeProvider(optionsFor(simulator, simulator.account(), { allowedIps: ['10.0.0.0/8'] }));
  });
  afterAll(async () => {
    await provider.close();
    await simulator.stop();
  });

  const request = (url: string, remoteAddress = '10.1.2.3') => ({
    method: 'POST',
    url,
    headers: { 'content-type': 'message/rfc822' },
    rawBody: report('failed', '5.1.1'),
    remoteAddress,
  });

  it('takes a report posted with the token from an allowed address', async () => {
    const { events } = await provider.parseWebhook!(request(WEBHOOK_URL));
    expect(events).toHaveLength(1);
  });

  it('refuses a report without the token, with another token, or from elsewhere', async () => {
    for (const bad of [
      request('https://gateway.example.com/webhooks/smtp'),
      request(`${WEBHOOK_URL}x`),
      request(WEBHOOK_URL, '192.0.2.1'),
    ]) {
      await rejectionOf(provider.parseWebhook!(bad), WebhookVerificationError);
    }
  });

  it('refuses every report when no webhookToken is configured', async () => {
    const open = await makeProvider(optionsFor(simulator, simulator.account(), { webhookToken: undefined }));
    try {
      const error = await rejectionOf(open.parseWebhook!(request(WEBHOOK_URL)), WebhookVerificationError);
      expect(error.message).toContain('webhookToken');
    } finally {
      await open.close();
    }
  });
});
