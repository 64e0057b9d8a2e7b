import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import { failureChecks } from './conformance-failures.js';
import { connectionChecks, lifecycleChecks } from './conformance-lifecycle.js';
import { ConformanceRun } from './conformance-run.js';
import { secretsOf } from './conformance-secrets.js';
import { sendingChecks } from './conformance-sending.js';
import type { ConformanceTarget } from './conformance-types.js';
import { validationChecks } from './conformance-validate.js';
import { webhookChecks } from './conformance-webhooks.js';

export { type TamperedRequest, tamperSignedValues, type ValueChange } from './conformance-tamper.js';
export { HOSTILE_TEXTS, LONE_SURROGATE_TEXTS, type SampleText, SEGMENT_TEXTS } from './conformance-texts.js';
export type {
  CallbackInput,
  ConformanceSetup,
  ConformanceTarget,
  ExpectedError,
  MessageIdCarrier,
  RefusedMessage,
  SimulatorControl,
  SimulatorRecord,
  ValidationHarness,
  WebhookHarness,
} from './conformance-types.js';

/**
 * The behaviour every provider plugin must show. Call it at the top level of a test file:
 * `runConformanceSuite({ plugin, setup: async () => ({ ... }) })`. Every failure names what was
 * being checked.
 */
export function runConformanceSuite<Options>(target: ConformanceTarget<Options>): void {
  const run = new ConformanceRun(target);
  describe(`conformance: ${run.name}`, () => {
    beforeAll(async () => {
      run.setup = await target.setup();
      const { options, otherOptions, secrets } = run.setup;
      run.log.secrets = secretsOf([options, otherOptions], secrets ?? []).secrets;
    });
    afterEach(() => {
      const leaks = run.log.takeLeaks();
      expect(leaks, `no configured secret may reach the log: ${leaks.join('; ')}`).toEqual([]);
    });
    afterAll(async () => {
      await run.closeAll();
      await run.setup?.teardown?.();
    });

    lifecycleChecks(run);
    sendingChecks(run);
    failureChecks(run);
    validationChecks(run);
    webhookChecks(run);
    // Last: it closes every provider the others made.
    connectionChecks(run);
  });
}
