import { describe, expect, it } from 'vitest';
import { WebhookVerificationError } from '../src/errors.js';
import type { WebhookRequest } from '../src/provider.js';
import { urlTokenGuard } from '../src/webhook-guard.js';

const request = (url: string, remoteAddress = '196.201.214.10'): WebhookRequest => ({
  method: 'POST',
  url,
  headers: {},
  rawBody: new Uint8Array(),
  remoteAddress,
});

function refusal(check: () => void): string {
  try {
    check();
  } catch (error) {
    if (WebhookVerificationError.isInstance(error)) return error.message;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

describe('urlTokenGuard', () => {
  const verify = urlTokenGuard({
    provider: 'at',
    token: 'secret-token-0123456789',
    allowedIps: ['196.201.214.0/24'],
  });

  it('accepts the right token from an allowed address', () => {
    expect(() =>
      verify(request('https://gw.example/webhooks/at?token=secret-token-0123456789')),
    ).not.toThrow();
  });

  it('refuses a wrong, a missing and a prefix of the token', () => {
    for (const url of ['https://gw/w?token=wrong', 'https://gw/w', 'https://gw/w?token=secret-token']) {
      expect(refusal(() => verify(request(url)))).toMatch(/"token"/);
    }
  });

  it('refuses an address outside the allow-list even with the token', () => {
    const message = refusal(() => verify(request('https://gw/w?token=secret-token-0123456789', '10.0.0.1')));
    expect(message).toContain('10.0.0.1');
  });

  it('refuses everything when no token is configured', () => {
    const open = urlTokenGuard({ provider: 'at', token: undefined });
    expect(refusal(() => open(request('https://gw/w?token=anything')))).toMatch(/no webhookToken/);
  });

  it('reads the token from the configured parameter', () => {
    const custom = urlTokenGuard({ provider: 'mtn', token: 'abc-0123456789', parameter: 'key' });
    expect(() => custom(request('https://gw/w?key=abc-0123456789'))).not.toThrow();
    expect(() => custom(request('https://gw/w?token=abc-0123456789'))).toThrow();
  });
});
