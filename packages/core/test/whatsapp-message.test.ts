import { describe, expect, it } from 'vitest';
import type { ValidationError } from '../src/errors.js';
import { validateMessage } from '../src/message.js';
import type { WhatsAppMessage } from '../src/whatsapp-message.js';
import { issuesOf } from './validation-issues.js';

const text: WhatsAppMessage = { id: 'w1', channel: 'whatsapp', to: '+260 97 123 4567', text: 'Muli bwanji' };
const template: WhatsAppMessage = {
  id: 'w2',
  channel: 'whatsapp',
  to: '+260971234567',
  template: {
    name: 'order_ready',
    language: 'en_US',
    components: [{ type: 'body', parameters: [{ type: 'text', text: 'A-1029' }] }],
  },
};

describe('validateMessage for WhatsApp', () => {
  it('normalises the recipient to E.164 and keeps text or a template', () => {
    expect(validateMessage(text)).toEqual({ ...text, to: '+260971234567' });
    expect(validateMessage(template)).toBe(template);
  });

  it('needs exactly one of text and template', () => {
    expect(issuesOf(() => validateMessage({ ...text, text: undefined }))).toEqual([
      { path: 'text', message: 'a WhatsApp message needs text or a template' },
    ]);
    expect(issuesOf(() => validateMessage({ ...template, text: 'and text' }))).toEqual([
      { path: 'template', message: 'a WhatsApp message is text or a template, not both' },
    ]);
  });

  it('names the subject and every bad field: number, empty text', () => {
    let caught: unknown;
    try {
      validateMessage({ ...text, to: '12345', text: ' ' });
    } catch (error) {
      caught = error;
    }
    expect((caught as ValidationError).message).toMatch(
      /^invalid WhatsApp message: to: .*; text: must not be empty$/,
    );
  });

  it("refuses text past the Cloud API's 4096 characters", () => {
    expect(issuesOf(() => validateMessage({ ...text, text: 'x'.repeat(4097) }))).toEqual([
      { path: 'text', message: 'is 4097 characters; the limit is 4096' },
    ]);
    expect(validateMessage({ ...text, text: 'x'.repeat(4096) }).text).toHaveLength(4096);
  });

  it('refuses a template without a valid name or language', () => {
    const issues = issuesOf(() =>
      validateMessage({ ...template, template: { name: 'Order Ready!', language: 'english' } }),
    );
    expect(issues.map((issue) => issue.path)).toEqual(['template.name', 'template.language']);
    expect(issuesOf(() => validateMessage({ ...template, template: 'order_ready' as never }))).toEqual([
      { path: 'template', message: 'must be an object { name, language, components? }' },
    ]);
  });

  it('checks components: objects with a type, JSON values, encodable text, named by path', () => {
    const bad = (components: unknown) =>
      issuesOf(() =>
        validateMessage({
          ...template,
          template: { name: 'x', language: 'en', components: components as never },
        }),
      );
    expect(bad({ type: 'body' })).toEqual([
      { path: 'template.components', message: 'must be a list of components' },
    ]);
    expect(bad([{ parameters: [] }])).toEqual([
      { path: 'template.components.0', message: 'must be an object with a "type" (header, body, button, …)' },
    ]);
    expect(bad([{ type: 'body', parameters: [{ type: 'text', text: 'cut \ud83d' }] }])).toEqual([
      {
        path: 'template.components.0.parameters.0.text',
        message: 'holds a lone UTF-16 surrogate, which cannot be encoded',
      },
    ]);
    expect(bad([{ type: 'body', parameters: [{ type: 'currency', amount_1000: Number.NaN }] }])).toEqual([
      { path: 'template.components.0.parameters.0.amount_1000', message: 'must be a finite number' },
    ]);
    expect(bad(Array.from({ length: 21 }, () => ({ type: 'button' })))[0]?.message).toBe(
      'has 21 components; the limit is 20',
    );
  });

  it('refuses a lone surrogate in the text', () => {
    expect(issuesOf(() => validateMessage({ ...text, text: 'bad \ud800' }))).toEqual([
      { path: 'text', message: 'holds a lone UTF-16 surrogate, which cannot be encoded' },
    ]);
  });

  it('names every known channel when the channel is unknown', () => {
    expect(issuesOf(() => validateMessage({ ...text, channel: 'fax' } as never))).toEqual([
      { path: 'channel', message: 'must be one of sms, email, whatsapp, got "fax"' },
    ]);
  });
});
