import { describe, expect, it } from 'vitest';
import { ProviderError } from '../src/errors.js';
import { localValidation } from '../src/local-validation.js';
import type { EmailMessage, SmsMessage } from '../src/message.js';
import type { ProviderCapabilities } from '../src/provider.js';
import { senderTypeOf } from '../src/sender-type.js';
import type { WhatsAppMessage } from '../src/whatsapp-message.js';

const SMS_CAPABILITIES: ProviderCapabilities = {
  maxBatchSize: 1,
  unicode: true,
  deliveryReceipts: true,
  senderTypes: ['alphanumeric', 'numeric', 'short-code'],
};
const EMAIL_CAPABILITIES: ProviderCapabilities = {
  maxBatchSize: 1,
  unicode: true,
  deliveryReceipts: true,
  senderTypes: ['email'],
  attachments: true,
};

function sms(overrides: Partial<SmsMessage> = {}): SmsMessage {
  return {
    id: 'm1',
    channel: 'sms',
    to: '+260971234567',
    from: 'ACME',
    text: 'Your code is 1234',
    ...overrides,
  };
}

function email(overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    id: 'm1',
    channel: 'email',
    from: { email: 'app@example.com' },
    to: [{ email: 'user@example.com' }],
    subject: 'Welcome',
    text: 'Hello',
    ...overrides,
  };
}

/** The ProviderError `run` throws. */
function refusalOf(run: () => unknown): ProviderError {
  try {
    run();
  } catch (error) {
    if (ProviderError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal, but the message was judged acceptable');
}

describe('senderTypeOf', () => {
  it('tells short codes, numbers, alphanumeric ids and addresses apart', () => {
    expect(senderTypeOf('12345')).toBe('short-code');
    expect(senderTypeOf('262')).toBe('short-code');
    expect(senderTypeOf('+260971234567')).toBe('numeric');
    expect(senderTypeOf('260971234567')).toBe('numeric');
    expect(senderTypeOf('+123')).toBe('numeric');
    expect(senderTypeOf('ACME Bank')).toBe('alphanumeric');
    expect(senderTypeOf('Info-2')).toBe('alphanumeric');
    expect(senderTypeOf('a@example.com')).toBe('email');
    expect(senderTypeOf('TwelveLetter')).toBeUndefined();
    expect(senderTypeOf('ACME!')).toBeUndefined();
  });
});

describe('localValidation of an SMS', () => {
  it('judges a good message acceptable, with its segment count, without calling anyone', () => {
    expect(localValidation(sms(), SMS_CAPABILITIES, 'p')).toEqual({ method: 'local', segments: 1 });
    expect(localValidation(sms({ text: 'é'.repeat(161) }), SMS_CAPABILITIES, 'p')).toEqual({
      method: 'local',
      segments: 2,
    });
    expect(localValidation(sms({ text: 'ж'.repeat(71) }), SMS_CAPABILITIES, 'p').segments).toBe(2);
  });

  it('refuses a recipient that is not a valid E.164 number as permanent, naming "to"', () => {
    for (const to of ['+1', '260971234567', '+260971234567;DROP', '+2609712345678']) {
      const error = refusalOf(() => localValidation(sms({ to }), SMS_CAPABILITIES, 'p'));
      expect(error).toMatchObject({ kind: 'permanent', provider: 'p', providerCode: 'MSG_INVALID_TO' });
      expect(error.message).toMatch(/^invalid SMS: to: /);
    }
  });

  it('refuses text no encoder can carry as UNENCODABLE_TEXT, as a send does', () => {
    expect(refusalOf(() => localValidation(sms({ text: 'a\ud800b' }), SMS_CAPABILITIES, 'p'))).toMatchObject({
      kind: 'permanent',
      providerCode: 'UNENCODABLE_TEXT',
    });
    expect(refusalOf(() => localValidation(sms({ text: ' ' }), SMS_CAPABILITIES, 'p'))).toMatchObject({
      kind: 'permanent',
      providerCode: 'MSG_INVALID_TEXT',
    });
  });

  it('refuses a sender type the account cannot use as configuration, naming "from"', () => {
    const numericOnly = { ...SMS_CAPABILITIES, senderTypes: ['numeric'] as const };
    const error = refusalOf(() => localValidation(sms({ from: 'ACME' }), numericOnly, 'p'));
    expect(error).toMatchObject({ kind: 'configuration', providerCode: 'MSG_SENDER_TYPE' });
    expect(error.message).toContain('from: the sender "ACME" is an alphanumeric sender');
    expect(localValidation(sms({ from: '+260971234567' }), numericOnly, 'p').method).toBe('local');
    const shortCodes = { ...SMS_CAPABILITIES, senderTypes: ['short-code'] as const };
    expect(refusalOf(() => localValidation(sms({ from: '+260971234567' }), shortCodes, 'p')).kind).toBe(
      'configuration',
    );
  });

  it("judges the instance's default sender when the message names none", () => {
    const alphanumericOnly = { ...SMS_CAPABILITIES, senderTypes: ['alphanumeric'] as const };
    const message = sms({ from: undefined });
    expect(localValidation(message, alphanumericOnly, 'p', { defaultSender: 'ACME' }).method).toBe('local');
    expect(
      refusalOf(() => localValidation(message, alphanumericOnly, 'p', { defaultSender: '260971234567' })),
    ).toMatchObject({ kind: 'configuration', providerCode: 'MSG_SENDER_TYPE' });
    expect(
      refusalOf(() => localValidation(message, alphanumericOnly, 'p', { defaultSender: 'Far too long id' })),
    ).toMatchObject({ kind: 'configuration', providerCode: 'MSG_INVALID_FROM' });
  });

  it('refuses a message without any sender only where the provider needs one', () => {
    const message = sms({ from: undefined });
    expect(localValidation(message, SMS_CAPABILITIES, 'p').method).toBe('local');
    expect(
      refusalOf(() => localValidation(message, SMS_CAPABILITIES, 'p', { senderRequired: true })),
    ).toMatchObject({ kind: 'configuration', providerCode: 'MSG_NO_SENDER' });
  });

  it('refuses text outside GSM-7 when the provider sends no unicode, naming the character', () => {
    const gsmOnly = { ...SMS_CAPABILITIES, unicode: false };
    expect(localValidation(sms({ text: 'Prix: 10€ {ok} à bientot' }), gsmOnly, 'p').method).toBe('local');
    const error = refusalOf(() => localValidation(sms({ text: 'Привет' }), gsmOnly, 'p'));
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'MSG_UNICODE_UNSUPPORTED' });
    expect(error.message).toContain('text: holds "П"');
  });

  it("refuses text beyond the provider's length and segment limits", () => {
    expect(
      refusalOf(() =>
        localValidation(sms({ text: 'a'.repeat(161) }), SMS_CAPABILITIES, 'p', { maxTextLength: 160 }),
      ),
    ).toMatchObject({ kind: 'permanent', providerCode: 'MSG_TEXT_TOO_LONG' });
    const sixParts = 'a'.repeat(153 * 5 + 1);
    expect(
      refusalOf(() => localValidation(sms({ text: sixParts }), SMS_CAPABILITIES, 'p', { maxSegments: 5 })),
    ).toMatchObject({ kind: 'permanent', providerCode: 'MSG_TOO_MANY_SEGMENTS' });
    expect(
      localValidation(sms({ text: 'a'.repeat(153 * 5) }), SMS_CAPABILITIES, 'p', { maxSegments: 5 }),
    ).toEqual({ method: 'local', segments: 5 });
  });
});

describe('localValidation of an email', () => {
  const attachment = { filename: 'a.pdf', contentType: 'application/pdf', content: new Uint8Array([1]) };

  it('judges a good email acceptable', () => {
    expect(localValidation(email({ attachments: [attachment] }), EMAIL_CAPABILITIES, 'p')).toEqual({
      method: 'local',
    });
  });

  it('refuses what the API refuses, naming the field', () => {
    const bad = email({ to: [{ email: 'not an address' }] });
    const error = refusalOf(() => localValidation(bad, EMAIL_CAPABILITIES, 'p'));
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'MSG_INVALID_TO' });
    expect(error.message).toContain('to.0.email');
    expect(
      refusalOf(() => localValidation(email({ headers: { Bcc: 'x@example.com' } }), EMAIL_CAPABILITIES, 'p')),
    ).toMatchObject({ providerCode: 'MSG_INVALID_HEADERS' });
    expect(
      refusalOf(() => localValidation(email({ replyTo: [{ email: 'x' }] }), EMAIL_CAPABILITIES, 'p')),
    ).toMatchObject({ providerCode: 'MSG_INVALID_REPLY_TO' });
    expect(
      refusalOf(() => localValidation(email({ subject: 'Hi \ud83d' }), EMAIL_CAPABILITIES, 'p')),
    ).toMatchObject({ providerCode: 'UNENCODABLE_TEXT' });
  });

  it('refuses attachments a provider cannot send, and more recipients than it takes', () => {
    const noAttachments = { ...EMAIL_CAPABILITIES, attachments: false };
    expect(
      refusalOf(() => localValidation(email({ attachments: [attachment] }), noAttachments, 'p')),
    ).toMatchObject({ kind: 'permanent', providerCode: 'MSG_ATTACHMENTS_UNSUPPORTED' });
    const many = email({
      to: [{ email: 'a@example.com' }, { email: 'b@example.com' }],
      cc: [{ email: 'c@example.com' }],
    });
    const error = refusalOf(() => localValidation(many, EMAIL_CAPABILITIES, 'p', { maxRecipients: 2 }));
    expect(error).toMatchObject({ kind: 'permanent', providerCode: 'MSG_TOO_MANY_RECIPIENTS' });
    expect(error.message).toContain('3 recipients');
    expect(localValidation(many, EMAIL_CAPABILITIES, 'p', { maxRecipients: 3 }).method).toBe('local');
  });
});

describe('localValidation of a WhatsApp message', () => {
  const capabilities: ProviderCapabilities = { ...SMS_CAPABILITIES, senderTypes: ['numeric'] };
  const whatsapp = (overrides: Partial<WhatsAppMessage> = {}): WhatsAppMessage => ({
    id: 'w1',
    channel: 'whatsapp',
    to: '+260971234567',
    text: 'Your order is ready',
    ...overrides,
  });

  it('judges text or a template acceptable, with no segments', () => {
    expect(localValidation(whatsapp(), capabilities, 'p')).toEqual({ method: 'local' });
    const template = whatsapp({ text: undefined, template: { name: 'order_ready', language: 'en_US' } });
    expect(localValidation(template, capabilities, 'p')).toEqual({ method: 'local' });
  });

  it('refuses what the API refuses, naming the field', () => {
    expect(refusalOf(() => localValidation(whatsapp({ to: '12345' }), capabilities, 'p'))).toMatchObject({
      kind: 'permanent',
      providerCode: 'MSG_INVALID_TO',
    });
    const both = whatsapp({ template: { name: 'order_ready', language: 'en_US' } });
    expect(refusalOf(() => localValidation(both, capabilities, 'p'))).toMatchObject({
      kind: 'permanent',
      providerCode: 'MSG_INVALID_TEMPLATE',
    });
  });
});
