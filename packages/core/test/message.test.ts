import { describe, expect, it } from 'vitest';
import { type EmailMessage, formatEmailAddress, type SmsMessage, validateMessage } from '../src/message.js';
import { issuesOf } from './validation-issues.js';

const sms: SmsMessage = { id: 'm1', channel: 'sms', to: '+260 97 123 4567', text: 'hi' };
const email: EmailMessage = {
  id: 'm2',
  channel: 'email',
  from: { email: 'noreply@example.com' },
  to: [{ email: 'ada@example.com' }],
  subject: 'Hi',
  text: 'hello',
};

describe('validateMessage', () => {
  it('normalises the SMS recipient to E.164', () => {
    expect(validateMessage(sms).to).toBe('+260971234567');
  });

  it('refuses an empty SMS body and a malformed number, naming both fields', () => {
    const issues = issuesOf(() => validateMessage({ ...sms, to: '12345', text: '  ' }));
    expect(issues.map((issue) => issue.path)).toEqual(['to', 'text']);
  });

  it('refuses a sender id longer than 11 characters', () => {
    expect(issuesOf(() => validateMessage({ ...sms, from: 'WayTooLongSender' }))[0]?.path).toBe('from');
  });

  it('refuses an email with neither text nor html', () => {
    const issues = issuesOf(() => validateMessage({ ...email, text: undefined }));
    expect(issues).toEqual([{ path: 'text', message: 'an email needs text or html (or both)' }]);
  });

  it('refuses an email without a valid sender or recipient', () => {
    const issues = issuesOf(() =>
      validateMessage({ ...email, from: { email: 'not-an-address' }, to: [], cc: [{ email: 'x@' }] }),
    );
    expect(issues.map((issue) => issue.path)).toEqual(['from.email', 'to', 'cc.0.email']);
  });

  it('formats display names with quoting when needed', () => {
    expect(formatEmailAddress({ email: 'a@b.co', name: 'Ada' })).toBe('Ada <a@b.co>');
    expect(formatEmailAddress({ email: 'a@b.co', name: 'Lovelace, Ada' })).toBe('"Lovelace, Ada" <a@b.co>');
  });

  it('refuses every text a provider receives that holds a lone surrogate, naming the field', () => {
    const lone = 'bad \ud800 text';
    expect(issuesOf(() => validateMessage({ ...sms, text: lone }))).toEqual([
      { path: 'text', message: 'holds a lone UTF-16 surrogate, which cannot be encoded' },
    ]);
    const issues = issuesOf(() =>
      validateMessage({
        ...email,
        from: { email: 'noreply@example.com', name: lone },
        to: [{ email: 'ada@example.com', name: lone }],
        subject: lone,
        text: lone,
        html: lone,
        headers: { 'X-Campaign': lone },
        attachments: [
          { filename: lone, contentType: 'text/plain', content: new Uint8Array(), contentId: lone },
        ],
        tags: [lone],
        metadata: { order: lone },
      }),
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual(
      [
        'from.name',
        'to.0.name',
        'subject',
        'text',
        'html',
        'headers.X-Campaign',
        'attachments.0.filename',
        'attachments.0.contentId',
        'tags.0',
        'metadata.order',
      ].sort(),
    );
    // A pair of surrogates is one character (an emoji), and fine.
    expect(validateMessage({ ...sms, text: 'ok \ud83d\ude00' }).text).toBe('ok 😀');
  });

  it('refuses line breaks and NUL in anything that becomes a header line', () => {
    const issues = issuesOf(() =>
      validateMessage({
        ...email,
        from: { email: 'noreply@example.com', name: 'Ada\r\nBcc: victim@example.com' },
        subject: 'Hi\nBcc: victim@example.com',
        headers: { 'X-Note': 'a\r\nBcc: victim@example.com', 'X-Nul': 'a\u0000' },
        attachments: [
          {
            filename: 'a.txt\r\nX: y',
            contentType: 'text/plain\r\nBcc: victim@example.com',
            contentId: 'logo\n',
            content: new Uint8Array(),
          },
        ],
      }),
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual(
      [
        'from.name',
        'subject',
        'headers.X-Note',
        'headers.X-Nul',
        'attachments.0.filename',
        'attachments.0.contentType',
        'attachments.0.contentId',
      ].sort(),
    );
    expect(issuesOf(() => validateMessage({ ...email, to: [{ email: 'ada@example.com\u0000' }] }))).toEqual([
      { path: 'to.0.email', message: String.raw`"ada@example.com\u0000" is not an email address` },
    ]);
    // A tab may fold a header; the body keeps its line breaks.
    expect(validateMessage({ ...email, text: 'line 1\r\nline 2', headers: { 'X-A': 'a\tb' } })).toBeTruthy();
  });

  it('refuses structural headers given as custom headers, whatever their case', () => {
    const headers = { bcc: 'x@example.com', From: 'x@example.com', 'CONTENT-TYPE': 'text/html', 'X-Ok': '1' };
    const issues = issuesOf(() => validateMessage({ ...email, headers }));
    expect(issues.map((issue) => issue.path)).toEqual([
      'headers.bcc',
      'headers.From',
      'headers.CONTENT-TYPE',
    ]);
    expect(
      validateMessage({ ...email, headers: { 'In-Reply-To': '<a@b>', 'List-Unsubscribe': '<x>' } }),
    ).toBeTruthy();
  });

  it('caps the recipients of an email (to, cc and bcc together) at 50, naming the list that passes it', () => {
    const many = (count: number, prefix: string) =>
      Array.from({ length: count }, (_, index) => ({ email: `${prefix}${index}@example.com` }));
    expect(issuesOf(() => validateMessage({ ...email, to: many(51, 't') }))[0]).toMatchObject({ path: 'to' });
    expect(
      issuesOf(() =>
        validateMessage({ ...email, to: many(30, 't'), cc: many(10, 'c'), bcc: many(11, 'b') }),
      )[0],
    ).toMatchObject({
      path: 'bcc',
      message: expect.stringContaining('51'),
    });
    expect(validateMessage({ ...email, to: many(30, 't'), cc: many(20, 'c') }).to).toHaveLength(30);
  });

  it('refuses an attachment content type that is not a media type', () => {
    const attachment = { filename: 'a.pdf', contentType: 'pdf', content: new Uint8Array() };
    expect(issuesOf(() => validateMessage({ ...email, attachments: [attachment] }))[0]?.path).toBe(
      'attachments.0.contentType',
    );
  });
});
