import { describe, expect, it } from 'vitest';
import type { CrossSideFailover, MigrationMode } from '../../src/index.js';
import { type RouterConfig, validateRouterConfig } from '../../src/router/config.js';
import { Router } from '../../src/router/router.js';
import { failure, scriptedProvider, sms } from './helpers.js';

function setup(
  mode: Exclude<MigrationMode, 'rolled-back'>,
  crossSideFailover?: CrossSideFailover,
  percentage = 50,
) {
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
          mode,
          percentage,
          ...(crossSideFailover ? { crossSideFailover } : {}),
        },
      },
    ],
    defaults: { retry: { maxRetries: 0 } },
  };
  const router = new Router({ config, providers: [legacy, africastalking, backup] });
  return { router, legacy, africastalking, backup };
}

describe('migration modes in routing', () => {
  it('off: everything to from; to is never tried, not even when from fails', async () => {
    const { router, legacy, africastalking } = setup('off');
    const decision = router.decide(sms());
    expect(decision.candidates).toEqual(['legacy', 'backup']);
    expect(decision.excluded).toEqual([{ provider: 'africastalking', reason: 'migration-side' }]);
    expect(decision.migration).toMatchObject({ side: 'from', basis: 'mode', mode: 'off' });
    legacy.fallback = failure('legacy', 'transient');
    expect((await router.send(sms())).provider).toBe('backup');
    expect(africastalking.calls).toHaveLength(0);
  });

  it('off with crossSideFailover always: to becomes a failover', () => {
    const { router } = setup('off', 'always');
    expect(router.decide(sms()).candidates).toEqual(['legacy', 'africastalking', 'backup']);
  });

  it('complete: everything to to; from only as failover if allowed', () => {
    expect(setup('complete').router.decide(sms()).candidates).toEqual(['africastalking', 'backup']);
    expect(setup('complete', 'always').router.decide(sms()).candidates).toEqual([
      'africastalking',
      'legacy',
      'backup',
    ]);
  });

  it('shadow: live traffic stays on from', () => {
    const { router } = setup('shadow');
    for (let index = 0; index < 20; index++) expect(router.decide(sms()).candidates[0]).toBe('legacy');
  });

  it('gradual never crosses sides when told never to', () => {
    const { router } = setup('gradual', 'never', 100);
    expect(router.decide(sms()).candidates).toEqual(['africastalking', 'backup']);
  });

  it('an override still picks a side outside rolled-back; rolled-back beats every override', async () => {
    const { router } = setup('off');
    expect(router.decide(sms(), { override: { side: 'to' } }).candidates[0]).toBe('africastalking');
    await router.emergencyStop('migration');
    expect(router.decide(sms(), { override: { side: 'to' } }).candidates[0]).toBe('legacy');
    expect(router.decide(sms(), { override: { provider: 'africastalking' } }).candidates).toEqual([
      'legacy',
      'backup',
    ]);
  });

  it('resume restores the mode and percentage in force before the stop', async () => {
    const { router } = setup('gradual', undefined, 30);
    await router.emergencyStop('migration');
    expect(router.status().migrations[0]).toMatchObject({ mode: 'rolled-back', emergencyStop: true });
    await router.emergencyStop('migration');
    await router.resumeMigration('migration');
    expect(router.migrationState('migration')).toEqual({ mode: 'gradual', percentage: 30 });
  });

  it('validates transitions: a percentage means gradual, a rollback needs resume, and no skipping gradual', async () => {
    const { router } = setup('off');
    await expect(router.setMigrationMode('migration', 'complete')).rejects.toMatchObject({
      code: 'MSG_ERR_MIGRATION_TRANSITION',
      message: expect.stringContaining('cannot go from off to complete'),
    });
    await router.setRolloutPercentage('migration', 10);
    expect(router.migrationState('migration')).toEqual({ mode: 'gradual', percentage: 10 });
    await router.emergencyStop('migration');
    await expect(router.setRolloutPercentage('migration', 20)).rejects.toMatchObject({
      code: 'MSG_ERR_MIGRATION_TRANSITION',
    });
    await expect(router.setMigrationMode('migration', 'gradual')).rejects.toThrow('resume it, with a reason');
    await router.resumeMigration('migration');
    await expect(router.resumeMigration('migration')).rejects.toThrow('is not rolled back');
    await router.setMigrationMode('migration', 'complete');
    expect(router.migrationState('migration').mode).toBe('complete');
  });

  it('refuses a config mode of rolled-back, an unknown failover setting and a bad plan, naming each', () => {
    const base = { id: 'm', from: ['a'], to: ['b'] };
    expect(() =>
      validateRouterConfig({
        routes: [
          {
            id: 'r',
            providers: ['a', 'b'],
            migration: {
              ...base,
              mode: 'rolled-back',
              crossSideFailover: 'sometimes',
              plan: { steps: [{ percentage: 50 }, { percentage: 20 }] },
            },
          },
        ],
      }),
    ).toThrow(
      /routes\.0\.migration\.mode: must be one of off, shadow, gradual, complete.*routes\.0\.migration\.crossSideFailover.*routes\.0\.migration\.plan\.steps\.1\.percentage: steps must increase/s,
    );
  });
});
