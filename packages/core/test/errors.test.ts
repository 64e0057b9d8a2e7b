import { describe, expect, it } from 'vitest';
import {
  abortedError,
  MsgError,
  ProviderError,
  ValidationError,
  WebhookVerificationError,
} from '../src/errors.js';

describe('marker errors', () => {
  it('recognises an error made by another copy of the package', () => {
    // What a second copy of @msg/core would produce: same markers, different class identity.
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('msg.error')]: true,
      [Symbol.for('msg.error.provider')]: true,
      kind: 'transient',
    });
    expect(foreign instanceof ProviderError).toBe(false);
    expect(ProviderError.isInstance(foreign)).toBe(true);
    expect(MsgError.isInstance(foreign)).toBe(true);
    expect(ValidationError.isInstance(foreign)).toBe(false);
  });

  it('keeps kind, provider code, status and retry-after', () => {
    const error = new ProviderError({
      kind: 'rate-limited',
      provider: 'twilio-zm',
      providerCode: '20429',
      httpStatus: 429,
      retryAfterMs: 1500,
      message: 'Too Many Requests',
    });
    expect(error).toMatchObject({
      code: 'MSG_ERR_PROVIDER_RATE_LIMITED',
      isRetryable: true,
      retryAfterMs: 1500,
    });
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ kind: 'rate-limited', providerCode: '20429' });
    expect(new ProviderError({ kind: 'permanent', provider: 'p', message: 'm' }).isRetryable).toBe(false);
  });

  it('marks an aborted in-flight request as ambiguous', () => {
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    const error = abortedError('p', controller.signal);
    expect(error.kind).toBe('ambiguous');
    expect(error.message).toContain('deadline');
  });

  it('prefixes webhook errors with the provider', () => {
    expect(new WebhookVerificationError('twilio-zm', 'bad signature').message).toBe(
      '[msg] [twilio-zm] bad signature',
    );
  });
});
