import { describe, expect, it } from 'vitest';
import { ValidationError } from '../src/errors.js';
import type { WebhookRequest } from '../src/provider.js';
import { readWebhookFields } from '../src/webhook-fields.js';

const encode = (text: string) => new TextEncoder().encode(text);
const post = (contentType: string, body: string): WebhookRequest => ({
  method: 'POST',
  url: 'https://gw.example.com/webhooks/x?token=secret',
  headers: { 'content-type': contentType },
  rawBody: encode(body),
});

describe('readWebhookFields', () => {
  it('reads a GET query string without the excluded parameters', () => {
    const request: WebhookRequest = {
      method: 'GET',
      url: 'https://gw.example.com/webhooks/x?token=secret&id=1&status=ok%26fine',
      headers: {},
      rawBody: new Uint8Array(),
    };
    expect(readWebhookFields(request, { subject: 'test', exclude: ['token'] })).toEqual({
      id: '1',
      status: 'ok&fine',
    });
  });

  it('reads a form body, and ignores the URL of a POST', () => {
    expect(
      readWebhookFields(post('application/x-www-form-urlencoded', 'id=1&text=a+b'), { subject: 'test' }),
    ).toEqual({
      id: '1',
      text: 'a b',
    });
  });

  it('reads a JSON object as strings, keeping empty values and leaving out null', () => {
    const body = JSON.stringify({ id: 1, ok: true, empty: '', none: null, text: 'é' });
    expect(readWebhookFields(post('application/json; charset=utf-8', body), { subject: 'test' })).toEqual({
      id: '1',
      ok: 'true',
      empty: '',
      text: 'é',
    });
  });

  it('refuses JSON that does not parse or is not an object, naming the subject', () => {
    for (const body of ['{', '[1]', '"text"', 'null']) {
      let error: unknown;
      try {
        readWebhookFields(post('application/json', body), { subject: 'Acme receipt' });
      } catch (caught) {
        error = caught;
      }
      expect(ValidationError.isInstance(error), body).toBe(true);
      expect((error as Error).message).toContain('Acme receipt');
    }
  });
});
