import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { PLUGIN_EXCEPTION_CODE } from '../../src/provider-utils.js';
import { Router } from '../../src/router/router.js';
import { RoutingError } from '../../src/router/routing-error.js';
import { type ScriptedProvider, scriptedProvider, sms } from './helpers.js';

/** Like the Twilio plugin on a lone surrogate: `encodeURIComponent` throws before any request. */
const encodeFirst = () => {
  encodeURIComponent('\ud800');
  return Promise.reject(new Error('unreachable'));
};

function setup() {
  const first = scriptedProvider('first');
  const second = scriptedProvider('second');
  const router = new Router({
    config: { routes: [{ id: 'main', providers: ['first', 'second'] }] },
    providers: [first, second],
    sleep: () => Promise.resolve(),
  });
  const breakerOf = (id: string) => router.status().providers.find((provider) => provider.id === id);
  return { router, first, second, breakerOf };
}

async function failureOf(router: Router, message = sms()): Promise<RoutingError> {
  const error = await router.send(message).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!RoutingError.isInstance(error)) throw new Error(`expected a RoutingError, got ${String(error)}`);
  return error;
}

describe('an exception thrown by plugin code before its request left', () => {
  it('is permanent (MSG_ERR_PLUGIN_EXCEPTION), never ambiguous, and is neither retried nor failed over', async () => {
    const { router, first, second } = setup();
    first.fallback = async () => encodeFirst();
    const error = await failureOf(router);
    expect(error.code).toBe('MSG_ERR_ROUTING_FAILED');
    expect(error.possibleDuplicate).toBe(false);
    expect(error.attempts).toHaveLength(1);
    expect(error.attempts[0]).toMatchObject({
      provider: 'first',
      errorKind: 'permanent',
      errorCode: PLUGIN_EXCEPTION_CODE,
      possibleDuplicate: false,
    });
    expect(error.lastError?.message).toContain('URIError');
    expect(first.calls).toHaveLength(1);
    expect(second.calls).toHaveLength(0);
  });

  it('is classified the same when the plugin throws synchronously, before returning a promise', async () => {
    const { router, first } = setup();
    const throwing = first as ScriptedProvider & { send: unknown };
    throwing.send = () => {
      throw new TypeError("Cannot read properties of undefined (reading 'length')");
    };
    const error = await failureOf(router);
    expect(error.attempts[0]).toMatchObject({ errorKind: 'permanent', errorCode: PLUGIN_EXCEPTION_CODE });
  });

  it('counts neither against the breaker nor in the health window, so good messages still go', async () => {
    const { router, first, breakerOf } = setup();
    first.fallback = async () => encodeFirst();
    for (let index = 0; index < 10; index++) await failureOf(router);
    expect(breakerOf('first')).toMatchObject({ breaker: 'closed', health: { samples: 0 } });
    first.fallback = 'ok';
    const sent = await router.send(sms());
    expect(sent.provider).toBe('first');
    expect(sent.skipped).toEqual([]);
  });

  it('treats a ValidationError thrown by a plugin as the message being at fault (permanent)', async () => {
    const { router, first, breakerOf } = setup();
    first.fallback = () =>
      Promise.reject(new ValidationError([{ path: 'text', message: 'cannot be encoded' }]));
    for (let index = 0; index < 6; index++) {
      const error = await failureOf(router);
      expect(error.attempts[0]).toMatchObject({ errorKind: 'permanent', errorCode: 'MSG_ERR_VALIDATION' });
    }
    expect(breakerOf('first')?.breaker).toBe('closed');
  });
});
