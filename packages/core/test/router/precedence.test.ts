import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import type { RouterConfig } from '../../src/router/config.js';
import { Router } from '../../src/router/router.js';
import { MemoryRouterStateStore } from '../../src/router/state.js';
import { email, failure, scriptedProvider, sms } from './helpers.js';

const VIP = '+260971111111';

function setup(percentage = 100) {
  const store = new MemoryRouterStateStore();
  const legacy = scriptedProvider('legacy');
  const africastalking = scriptedProvider('africastalking');
  const backup = scriptedProvider('backup');
  const config: RouterConfig = {
    routes: [
      {
        id: 'zambia',
        providers: ['legacy', 'africastalking', 'backup'],
        migration: {
          id: 'migration',
          from: ['legacy'],
          to: ['africastalking'],
          percentage,
          vip: [{ side: 'to', numbers: [VIP] }],
        },
      },
    ],
    defaults: { retry: { maxRetries: 0 } },
  };
  const router = new Router({
    config,
    providers: [legacy, africastalking, backup, scriptedProvider('ses', { channel: 'email' })],
    store,
  });
  return { router, store, legacy, africastalking, backup };
}

describe('emergency stop', () => {
  it('sends all of a migration traffic back to from on the next message, and never to the new side', async () => {
    const { router, legacy } = setup(100);
    expect(router.decide(sms()).candidates).toEqual(['africastalking', 'legacy', 'backup']);
    await router.emergencyStop('migration');
    const decision = router.decide(sms());
    expect(decision.candidates).toEqual(['legacy', 'backup']);
    expect(decision.excluded).toEqual([{ provider: 'africastalking', reason: 'emergency-stop' }]);
    expect(decision.reason).toContain('migration migration emergency stop -> legacy');
    // Not even as a failover.
    legacy.fallback = failure('legacy', 'transient');
    expect((await router.send(sms())).provider).toBe('backup');
  });

  it('beats the VIP list, a forced side and a forced provider', async () => {
    const { router } = setup(100);
    await router.emergencyStop('migration');
    expect(router.decide(sms(VIP)).candidates[0]).toBe('legacy');
    expect(router.decide(sms(), { override: { side: 'to' } }).candidates[0]).toBe('legacy');
    const forced = router.decide(sms(), { override: { provider: 'africastalking' } });
    expect(forced.candidates).toEqual(['legacy', 'backup']);
    expect(forced.reasons).toContain('override africastalking ignored: migration migration emergency stop');
  });

  it('is lifted by resuming, back to the percentage in force', async () => {
    const { router } = setup(100);
    await router.emergencyStop('migration');
    await router.resumeMigration('migration');
    expect(router.decide(sms()).candidates[0]).toBe('africastalking');
    expect(router.status().migrations[0]).toMatchObject({ percentage: 100, emergencyStop: false });
  });

  it('halts a provider in every route, and refuses overrides to it', async () => {
    const { router, africastalking } = setup(100);
    await router.haltProvider('africastalking');
    const decision = router.decide(sms(), { override: { provider: 'africastalking' } });
    expect(decision.candidates).toEqual(['legacy', 'backup']);
    expect(decision.excluded).toEqual([{ provider: 'africastalking', reason: 'halted' }]);
    expect(decision.reasons).toContain('override africastalking ignored: provider halted');
    await router.send(sms());
    expect(africastalking.calls).toHaveLength(0);
    await router.resumeProvider('africastalking');
    expect(router.decide(sms()).candidates[0]).toBe('africastalking');
  });

  it('fails with no provider when every provider is halted', async () => {
    const { router } = setup(100);
    for (const provider of ['legacy', 'africastalking', 'backup']) await router.haltProvider(provider);
    await expect(router.send(sms())).rejects.toMatchObject({ code: 'MSG_ERR_ROUTING_NO_PROVIDER' });
  });

  it('reaches an instance through the shared store', async () => {
    const { router, store } = setup(100);
    store.setMigration('migration', { mode: 'rolled-back' });
    expect(router.decide(sms()).candidates[0]).toBe('legacy');
  });
});

describe('override', () => {
  it('forces one provider and no other, even if it fails', async () => {
    const { router, backup, legacy, africastalking } = setup(100);
    const sent = await router.send(sms(), { override: { provider: 'backup' } });
    expect(sent.provider).toBe('backup');
    expect(sent.decision.reasons.at(-1)).toBe('override -> backup');
    backup.fallback = failure('backup', 'transient');
    await expect(router.send(sms(), { override: { provider: 'backup' } })).rejects.toMatchObject({
      code: 'MSG_ERR_ROUTING_EXHAUSTED',
    });
    expect(legacy.calls.length + africastalking.calls.length).toBe(0);
  });

  it('beats the rollout bucket and the VIP list', () => {
    const { router } = setup(0);
    expect(router.decide(sms(), { override: { side: 'to' } }).candidates[0]).toBe('africastalking');
    expect(router.decide(sms(VIP), { override: { side: 'from' } }).candidates[0]).toBe('legacy');
    expect(router.decide(sms(VIP)).candidates[0]).toBe('africastalking');
  });

  it('refuses an unknown provider or one of the wrong channel', () => {
    const { router } = setup();
    expect(() => router.decide(sms(), { override: { provider: 'nexmo' } })).toThrow(ValidationError);
    expect(() => router.decide(sms(), { override: { provider: 'ses' } })).toThrow(
      'override.provider: provider "ses" serves email, not sms',
    );
    expect(router.decide(email(), { override: { provider: 'ses' } }).candidates).toEqual(['ses']);
  });
});

describe('affinity', () => {
  it('keeps the later parts and tries of a message with the provider of the first', async () => {
    const { router } = setup(0);
    const first = await router.send(sms());
    expect(first.provider).toBe('legacy');
    const decision = router.decide(sms(), { affinity: 'backup' });
    expect(decision.candidates).toEqual(['backup', 'legacy', 'africastalking']);
    expect(decision.reasons).toContain('affinity -> backup');
  });

  it('beats the rollout bucket, but leaves the provider when it fails', async () => {
    const { router, backup } = setup(100);
    backup.fallback = failure('backup', 'transient');
    const sent = await router.send(sms(), { affinity: 'backup' });
    expect(sent.attempts.map((attempt) => attempt.provider)).toEqual(['backup', 'africastalking']);
  });

  it('yields to an emergency stop and to a halt', async () => {
    const { router } = setup(100);
    await router.emergencyStop('migration');
    const stopped = router.decide(sms(), { affinity: 'africastalking' });
    expect(stopped.candidates).toEqual(['legacy', 'backup']);
    expect(stopped.reasons).toContain('affinity africastalking ignored: not a candidate');
    await router.haltProvider('backup');
    expect(router.decide(sms(), { affinity: 'backup' }).candidates).toEqual(['legacy']);
  });

  it('yields to an override', () => {
    const { router } = setup(100);
    expect(router.decide(sms(), { affinity: 'legacy', override: { provider: 'backup' } }).candidates).toEqual(
      ['backup'],
    );
  });
});
