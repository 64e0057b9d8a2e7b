import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { CarrierLookup, ZAMBIA_CARRIERS } from '../../src/router/carriers.js';
import type { RouterConfig } from '../../src/router/config.js';
import { Router } from '../../src/router/router.js';
import { RoutingError } from '../../src/router/routing-error.js';
import { email, scriptedProvider, sms } from './helpers.js';

describe('carrier lookup', () => {
  it('knows every Zambian carrier by its prefixes', () => {
    const lookup = new CarrierLookup(ZAMBIA_CARRIERS);
    const expected: Record<string, string> = {
      '55': 'zamtel',
      '75': 'zamtel',
      '95': 'zamtel',
      '56': 'mtn',
      '76': 'mtn',
      '96': 'mtn',
      '57': 'airtel',
      '77': 'airtel',
      '97': 'airtel',
      '58': 'beeline',
      '78': 'beeline',
      '98': 'beeline',
    };
    for (const [prefix, carrier] of Object.entries(expected)) {
      expect(lookup.carrierOf(`+260${prefix}1234567`)).toBe(carrier);
    }
    expect(lookup.carrierOf('+260211234567')).toBeUndefined();
    expect(lookup.carrierOf('+254712345678')).toBeUndefined();
  });

  it('prefers the longest matching prefix', () => {
    const lookup = new CarrierLookup({ wide: ['+2609'], narrow: ['+260977'] });
    expect(lookup.carrierOf('+260977000000')).toBe('narrow');
    expect(lookup.carrierOf('+260966000000')).toBe('wide');
  });
});

describe('route matching', () => {
  const providers = [
    scriptedProvider('zamtel-direct'),
    scriptedProvider('mtn-direct'),
    scriptedProvider('otp-provider'),
    scriptedProvider('bank-provider'),
    scriptedProvider('kenya-provider'),
    scriptedProvider('global'),
    scriptedProvider('ses', { channel: 'email' }),
  ];
  const config: RouterConfig = {
    routes: [
      { id: 'otp', match: { channel: 'sms', tags: ['otp', 'priority'] }, providers: ['otp-provider'] },
      { id: 'bank', match: { sender: ['BANK', 'bank-alerts'] }, providers: ['bank-provider'] },
      { id: 'zamtel', match: { carrier: 'zamtel' }, providers: ['zamtel-direct'] },
      { id: 'mtn', match: { prefix: ['+26096', '+26076'] }, providers: ['mtn-direct'] },
      { id: 'kenya', match: { country: 'KE' }, providers: ['kenya-provider'] },
      { id: 'email', match: { channel: 'email' }, providers: ['ses'] },
      { id: 'default', providers: ['global'] },
    ],
  };
  const router = new Router({ config, providers });
  const routeOf = (message: Parameters<Router['decide']>[0]) => router.decide(message).route;

  it('matches on carrier, prefix, country, tags, sender and channel', () => {
    expect(routeOf(sms('+260955123456'))).toBe('zamtel');
    expect(routeOf(sms('+260961234567'))).toBe('mtn');
    expect(routeOf(sms('+254712345678'))).toBe('kenya');
    expect(routeOf(sms('+260971234567', { tags: ['priority', 'otp', 'extra'] }))).toBe('otp');
    expect(routeOf(sms('+260971234567', { from: 'bank' }))).toBe('bank');
    expect(routeOf(email())).toBe('email');
  });

  it('needs every listed tag', () => {
    expect(routeOf(sms('+260971234567', { tags: ['otp'] }))).toBe('default');
  });

  it('takes the first matching route', () => {
    // Zamtel number with OTP tags: both routes match, the earlier wins.
    expect(routeOf(sms('+260955123456', { tags: ['otp', 'priority'] }))).toBe('otp');
  });

  it('sends what nothing else matches to the default route', () => {
    expect(router.decide(sms('+260971234567'))).toMatchObject({
      route: 'default',
      candidates: ['global'],
      reasons: ['route "default" (default route)'],
    });
  });

  it('explains the match in the decision', () => {
    expect(router.decide(sms('+260955123456')).reason).toBe('route "zamtel" (carrier zamtel)');
  });

  it('goes through the route an override names instead of the matching one, and says so', async () => {
    // A Zamtel number matches `zamtel`; the override sends it through `kenya` as if it had matched.
    const decision = router.decide(sms('+260955123456'), { override: { route: 'kenya' } });
    expect(decision).toMatchObject({ route: 'kenya', candidates: ['kenya-provider'] });
    expect(decision.reasons[0]).toBe('route "kenya" (country KE), named by the override');
    const sent = await router.send(sms('+260955123456'), { override: { route: 'kenya' } });
    expect(sent.provider).toBe('kenya-provider');
  });

  it('refuses an override naming an unknown route or one with no provider of the channel', () => {
    const refusal = (override: { route: string }, message = sms()) => {
      try {
        router.decide(message, { override });
      } catch (error) {
        expect(ValidationError.isInstance(error)).toBe(true);
        return (error as ValidationError).issues;
      }
      throw new Error('no refusal');
    };
    expect(refusal({ route: 'nowhere' })).toEqual([
      {
        path: 'override.route',
        message: 'unknown route "nowhere" (routes: otp, bank, zamtel, mtn, kenya, email, default)',
      },
    ]);
    expect(refusal({ route: 'email' })).toEqual([
      { path: 'override.route', message: 'route "email" has no provider that serves sms' },
    ]);
  });

  it('throws a RoutingError when no route matches', () => {
    const narrow = new Router({
      config: { routes: [{ id: 'zm', match: { prefix: '+260' }, providers: ['global'] }] },
      providers,
    });
    let caught: unknown;
    try {
      narrow.decide(sms('+254712345678'));
    } catch (error) {
      caught = error;
    }
    expect(RoutingError.isInstance(caught)).toBe(true);
    expect((caught as RoutingError).code).toBe('MSG_ERR_ROUTING_NO_ROUTE');
  });

  it('routes WhatsApp messages by channel, and by prefix, country or carrier of their number', () => {
    const whatsapp = (to: string) => ({ id: `w-${to}`, channel: 'whatsapp' as const, to, text: 'hi' });
    const router = new Router({
      config: {
        routes: [
          { id: 'wa-zm', match: { channel: 'whatsapp', country: 'ZM' }, providers: ['wa-zambia'] },
          { id: 'wa-ke', match: { prefix: '+254' }, providers: ['wa-kenya', 'global'] },
          { id: 'wa', match: { channel: 'whatsapp' }, providers: ['wa-global'] },
          { id: 'default', providers: ['global'] },
        ],
      },
      providers: [
        scriptedProvider('wa-zambia', { channel: 'whatsapp' }),
        scriptedProvider('wa-kenya', { channel: 'whatsapp' }),
        scriptedProvider('wa-global', { channel: 'whatsapp' }),
        scriptedProvider('global'),
      ],
    });
    expect(router.decide(whatsapp('+260971234567'))).toMatchObject({
      route: 'wa-zm',
      candidates: ['wa-zambia'],
    });
    // A mixed route offers a WhatsApp message only its WhatsApp providers.
    expect(router.decide(whatsapp('+254712345678'))).toMatchObject({
      route: 'wa-ke',
      candidates: ['wa-kenya'],
    });
    expect(router.decide(sms('+254712345678'))).toMatchObject({ route: 'wa-ke', candidates: ['global'] });
    expect(router.decide(whatsapp('+14155550100')).route).toBe('wa');
    expect(router.status().routes.find((route) => route.id === 'wa')?.providers).toEqual([
      { id: 'wa-global', channel: 'whatsapp', score: expect.any(Number) },
    ]);
  });

  it('only offers providers of the message channel from a mixed default route', () => {
    const mixed = new Router({
      config: { routes: [{ id: 'any', providers: ['global', 'ses'] }] },
      providers,
    });
    expect(mixed.decide(sms()).candidates).toEqual(['global']);
    expect(mixed.decide(email()).candidates).toEqual(['ses']);
  });
});
