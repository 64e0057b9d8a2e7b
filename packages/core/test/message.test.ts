import { describe, expect, it } from 'vitest';
import { ValidationError } from '../src/errors.js';
import { type EmailMessage, formatEmailAddress, type SmsMessage, validateMessage } from '../src/message.js';

function issuesOf(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (error) {
    if (ValidationError.isInstance(error)) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ValidationError');
}

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
});
