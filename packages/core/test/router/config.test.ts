import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { resolveProviderPolicy, validateRouterConfig } from '../../src/router/config.js';
import { Router } from '../../src/router/router.js';
import { scriptedProvider } from './helpers.js';

const known = [
  { id: 'twilio', channel: 'sms' as const },
  { id: 'africastalking', channel: 'sms' as const },
  { id: 'ses', channel: 'email' as const },
];

function issuesOf(config: unknown, providers = known): Array<{ path: string; message: string }> {
  try {
    validateRouterConfig(config, { providers });
  } catch (error) {
    expect(ValidationError.isInstance(error)).toBe(true);
    expect((error as ValidationError).code).toBe('MSG_ERR_ROUTER_CONFIG');
    return [...(error as ValidationError).issues];
  }
  throw new Error('expected the config to be refused');
}

describe('router config validation', () => {
  it('accepts a complete config', () => {
    const config = {
      routes: [
        {
          id: 'zambia',
          match: {
            channel: 'sms',
            prefix: '+260',
            carrier: ['mtn', 'airtel'],
            tags: ['otp'],
            sender: 'ACME',
          },
          strategy: 'health',
          providers: ['twilio', { id: 'africastalking', weight: 3 }],
          migration: {
            id: 'to-africastalking',
            from: ['twilio'],
            to: ['africastalking'],
            percentage: 25,
            stickyBy: 'metadata.accountId',
            vip: [{ side: 'from', numbers: ['+260971234567'], tags: ['board'] }],
          },
          failoverOn: ['transient', 'timeout'],
        },
        { id: 'email', match: { channel: 'email' }, providers: ['ses'] },
        { id: 'default', providers: ['twilio'] },
      ],
      defaults: { timeoutMs: 5_000, retry: { maxRetries: 1 } },
      providers: { twilio: { breaker: { mode: 'error-rate', errorRateThreshold: 0.3, windowMs: 30_000 } } },
      health: { weights: { latency: 50 }, windowMs: 30_000 },
    };
    expect(validateRouterConfig(config, { providers: known })).toBe(config);
  });

  it('names the path and the reason of every problem at once', () => {
    const issues = issuesOf({
      routes: [
        {
          id: 'zambia',
          match: { channel: 'fax', prefix: '260', carrier: 'vodafone' },
          providers: ['twilio', 'twilio', 'nexmo'],
          migration: { id: 'm', from: ['twilio'], to: ['ses'], percentage: 150 },
          failoverOn: ['transient', 'sometimes'],
        },
      ],
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'routes.0.match.channel', message: 'must be one of sms, email, whatsapp, got "fax"' },
        { path: 'routes.0.match.prefix', message: '"260" is not an E.164 prefix like +26097' },
        { path: 'routes.0.match.carrier', message: 'unknown carrier "vodafone" (not in the carrier table)' },
        { path: 'routes.0.providers.1', message: 'duplicate provider "twilio"' },
        {
          path: 'routes.0.providers.2',
          message: 'unknown provider "nexmo" (known: twilio, africastalking, ses)',
        },
        { path: 'routes.0.migration.to.0', message: '"ses" is not among the route\'s providers' },
        { path: 'routes.0.migration.percentage', message: 'must be an integer from 0 to 100, got 150' },
        {
          path: 'routes.0.failoverOn.1',
          message: expect.stringContaining('unknown trigger "sometimes"'),
        },
      ]),
    );
  });

  it('refuses a default route that is not last, since it hides the routes after it', () => {
    const issues = issuesOf({
      routes: [
        { id: 'default', providers: ['twilio'] },
        { id: 'zambia', match: { prefix: '+260' }, providers: ['africastalking'] },
      ],
    });
    expect(issues).toEqual([{ path: 'routes.0.match', message: expect.stringContaining('put it last') }]);
  });

  it('refuses a provider of the wrong channel for the route', () => {
    const issues = issuesOf({
      routes: [{ id: 'sms', match: { channel: 'sms' }, providers: ['twilio', 'ses'] }],
    });
    expect(issues).toEqual([
      { path: 'routes.0.providers.1', message: 'provider "ses" serves email, but the route matches sms' },
    ]);
  });

  it('refuses unknown keys, so that a typo does not pass silently', () => {
    const issues = issuesOf({ routes: [{ id: 'a', providers: ['twilio'], failover: ['transient'] }] });
    expect(issues).toEqual([{ path: 'routes.0.failover', message: expect.stringContaining('unknown key') }]);
  });

  it('refuses duplicate route and migration ids', () => {
    const migration = { id: 'same', from: ['twilio'], to: ['africastalking'], percentage: 10 };
    const issues = issuesOf({
      routes: [
        { id: 'a', match: { tags: ['x'] }, providers: ['twilio', 'africastalking'], migration },
        { id: 'a', providers: ['twilio', 'africastalking'], migration },
      ],
    });
    expect(issues).toEqual([
      { path: 'routes.1.id', message: 'duplicate route id "a"' },
      { path: 'routes.1.migration.id', message: 'duplicate migration id "same" (also in route "a")' },
    ]);
  });

  it('checks migration sides, VIP rules and sticky keys', () => {
    const issues = issuesOf({
      routes: [
        {
          id: 'a',
          providers: ['twilio', 'africastalking'],
          migration: {
            id: 'm',
            from: ['twilio'],
            to: ['twilio'],
            percentage: 10,
            stickyBy: 'customer',
            vip: [{ side: 'sideways', numbers: ['0971234567'] }, { side: 'to' }],
          },
        },
      ],
    });
    expect(issues).toEqual([
      { path: 'routes.0.migration.to', message: '"twilio" is on both sides of the migration' },
      {
        path: 'routes.0.migration.stickyBy',
        message: expect.stringContaining('"metadata.<key>", got "customer"'),
      },
      { path: 'routes.0.migration.vip.0.side', message: 'must be "from" or "to", got "sideways"' },
      { path: 'routes.0.migration.vip.0.numbers.0', message: '"0971234567" is not an E.164 number' },
      { path: 'routes.0.migration.vip.1', message: 'must list numbers or tags' },
    ]);
  });

  it('checks resilience settings', () => {
    const issues = issuesOf({
      routes: [{ id: 'a', providers: ['twilio'] }],
      defaults: { timeoutMs: 0, retry: { maxRetries: 1.5 }, maxInFlight: 0 },
      providers: {
        twilio: { breaker: { errorRateThreshold: 1, successThreshold: 0 }, rateLimit: { burst: 2 } },
        nexmo: {},
      },
      health: { weights: { health: 0, priority: 0, latency: 0, load: 0 } },
    });
    expect(issues).toEqual([
      { path: 'defaults.timeoutMs', message: 'must be a number greater than 0, got 0' },
      { path: 'defaults.maxInFlight', message: 'must be an integer of at least 1, got 0' },
      { path: 'defaults.retry.maxRetries', message: 'must be an integer from 0 to 10, got 1.5' },
      {
        path: 'providers.twilio.breaker.errorRateThreshold',
        message: 'must be a number from 0 to 1 (exclusive), got 1',
      },
      {
        path: 'providers.twilio.breaker.successThreshold',
        message: 'must be an integer of at least 1, got 0',
      },
      { path: 'providers.twilio.rateLimit.perSecond', message: 'is required' },
      { path: 'providers.nexmo', message: 'unknown provider "nexmo"' },
      { path: 'health.weights', message: 'must not all be zero' },
    ]);
  });

  it('refuses a config that is not an object, or has no routes', () => {
    expect(issuesOf(null)).toEqual([{ path: '', message: 'must be an object, got null' }]);
    expect(issuesOf({ routes: [] })).toEqual([
      { path: 'routes', message: 'must be a non-empty array, got an array' },
    ]);
  });

  it('layers per-provider settings over the defaults over the built-in defaults', () => {
    const config = {
      routes: [{ id: 'a', providers: ['twilio'] }],
      defaults: { timeoutMs: 3_000, breaker: { failureThreshold: 3 } },
      providers: { twilio: { breaker: { halfOpenAfterMs: 1_000 }, rateLimit: { perSecond: 20 } } },
    };
    const policy = resolveProviderPolicy(config, 'twilio');
    expect(policy.timeoutMs).toBe(3_000);
    expect(policy.breaker).toMatchObject({
      failureThreshold: 3,
      halfOpenAfterMs: 1_000,
      successThreshold: 2,
    });
    expect(policy.rateLimit).toEqual({ perSecond: 20, burst: 20 });
    expect(resolveProviderPolicy(config, 'other').breaker.halfOpenAfterMs).toBe(60_000);
  });

  it('makes the router refuse an invalid config and duplicate provider ids', () => {
    expect(
      () =>
        new Router({
          config: { routes: [{ id: 'a', providers: ['nexmo'] }] },
          providers: [scriptedProvider('twilio')],
        }),
    ).toThrow('routes.0.providers.0: unknown provider "nexmo"');
    expect(
      () =>
        new Router({
          config: { routes: [{ id: 'a', providers: ['twilio'] }] },
          providers: [scriptedProvider('twilio'), scriptedProvider('twilio')],
        }),
    ).toThrow('duplicate provider id "twilio"');
  });
});
