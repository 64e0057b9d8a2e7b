import { createHash } from 'node:crypto';
import {
  type CompiledPlan,
  compilePlan,
  initialPlanState,
  isAnalysisDue,
  isPlanFinished,
  type Logger,
  type MigrationConfig,
  type MigrationMode,
  type MigrationPlanConfig,
  type MigrationState,
  modeTransitionError,
  nextWakeAt,
  PlanActionError,
  type PlanEffect,
  type PlanInput,
  type PlanState,
  type Router,
  type RouterConfig,
  type RouterStateStore,
  stepPlan,
  type ValidationIssue,
} from '@msg/core';
import type { GatewayMetrics } from '../metrics.js';
import type { MessageStore } from '../store/message-store.js';
import type { AlertInput, AuditInput, OperationWrite, PlanRecord } from '../store/operations-store.js';
import type { AlertEvent, Alerts } from './alerts.js';
import { analyseStep } from './migration-analysis.js';

/** A refused control action: the API answers `status` with `code` and the message. */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly status: 400 | 404 | 409,
    readonly code: string,
    message: string,
    readonly issues: readonly ValidationIssue[] = [],
  ) {
    super(message);
  }
}

/** A migration as config declares it. */
export interface MigrationInfo {
  id: string;
  route: string;
  from: readonly string[];
  to: readonly string[];
  config: MigrationConfig;
}

/** A migration's runtime control state, as stored. */
interface ControlState {
  mode: MigrationMode;
  percentage: number;
  /** While rolled back: what a resume restores. */
  resume?: { mode: MigrationMode; percentage: number } | undefined;
}

/** The mode and percentage in force, and whether the config or a runtime change set them. */
export interface EffectiveControl {
  mode: MigrationMode;
  percentage: number;
  resume?: { mode: MigrationMode; percentage: number } | undefined;
  source: 'config' | 'runtime';
  updatedAt?: number | undefined;
  updatedBy?: string | undefined;
  reason?: string | undefined;
}

export interface PlanEntry {
  record: PlanRecord;
  compiled: CompiledPlan;
}

export interface MigrationControlOptions {
  store: MessageStore;
  router: Router;
  /** The router's state store: the in-memory copy the send path reads. */
  state: RouterStateStore;
  routerConfig: RouterConfig;
  alerts: Alerts;
  logger: Logger;
  metrics: GatewayMetrics;
  now: () => number;
  onAlertQueued: () => void;
}

const migrationSubject = (id: string) => `migration:${id}`;
const providerSubject = (id: string) => `provider:${id}`;
const hashOf = (plan: unknown) => createHash('sha256').update(JSON.stringify(plan)).digest('base64url');

/**
 * Durable, audited control of migrations and providers. Every change is validated, then written
 * to the store with its audit entry (who, when, why, before and after) and its alerts in one
 * transaction, and only then applied to the router's in-memory state, which the send path reads
 * synchronously. Runtime values win over the config until reset; after a restart (or kill -9)
 * `load` puts them back before the first message is routed. Plans run here too: `tick` advances
 * them, runs their analyses when due and carries out their effects through the same path.
 */
export class MigrationControl {
  readonly migrations: ReadonlyMap<string, MigrationInfo>;
  private readonly records = new Map<
    string,
    { state: Record<string, unknown>; updatedAt: number; updatedBy: string; reason?: string | undefined }
  >();
  private readonly plansById = new Map<string, PlanEntry>();
  /** One change at a time per subject: two operators cannot interleave a read and a write. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly options: MigrationControlOptions) {
    const migrations = new Map<string, MigrationInfo>();
    for (const route of options.routerConfig.routes) {
      const migration = route.migration;
      if (migration)
        migrations.set(migration.id, {
          id: migration.id,
          route: route.id,
          from: migration.from,
          to: migration.to,
          config: migration,
        });
    }
    this.migrations = migrations;
  }

  /** Restores runtime control state and plans from the store; starts config plans not yet started. */
  async load(): Promise<void> {
    const { store, state, logger } = this.options;
    for (const record of await store.controls()) {
      const [kind, id] = record.subject.split(/:(.*)/s) as [string, string];
      if (kind === 'migration' && this.migrations.has(id)) {
        state.setMigration(id, toMigrationState(record.state));
      } else if (kind === 'provider' && this.providerExists(id)) {
        state.setHalted(id, record.state.halted === true);
      } else {
        logger.warn(
          `runtime control state for ${record.subject}, which the config no longer has, is ignored`,
        );
        continue;
      }
      this.records.set(record.subject, record);
    }
    const stored = new Map((await store.plans()).map((record) => [record.migrationId, record]));
    for (const [id, record] of stored) {
      if (!this.migrations.has(id)) {
        logger.warn(`plan of migration ${id}, which the config no longer has, is ignored`);
        continue;
      }
      const compiled = compilePlan(record.plan, 'plan', []);
      if (compiled) this.plansById.set(id, { record, compiled });
    }
    for (const info of this.migrations.values()) {
      const configured = info.config.plan;
      if (!configured) continue;
      const existing = stored.get(info.id);
      const hash = hashOf(configured);
      // An API plan stays until replaced; a config plan is replaced when the config changes it.
      if (existing && (existing.origin === 'api' || existing.configHash === hash)) continue;
      await this.installPlan(info.id, configured, {
        origin: 'config',
        configHash: hash,
        actor: 'config',
        reason: existing ? 'the config changed the plan' : 'plan from the config',
        start: true,
      });
    }
    this.refreshGauges();
  }

  /**
   * Re-reads control state and plans from the store, where another gateway instance sharing it may
   * have changed them (the router's copy follows through the shared state store). Plans the config
   * brings are installed by `load`, not here.
   */
  async refresh(): Promise<void> {
    const { store } = this.options;
    const [controls, plans] = await Promise.all([store.controls(), store.plans()]);
    this.records.clear();
    for (const record of controls) this.records.set(record.subject, record);
    for (const record of plans) {
      if (!this.migrations.has(record.migrationId)) continue;
      const compiled = compilePlan(record.plan, 'plan', []);
      if (compiled) this.plansById.set(record.migrationId, { record, compiled });
    }
    for (const id of this.plansById.keys()) {
      if (!plans.some((record) => record.migrationId === id)) this.plansById.delete(id);
    }
    this.refreshGauges();
  }

  /**
   * Puts the store's control state (the truth) back into the router's state store: after the
   * shared state store (Redis) lost it or came back from an outage, every instance routes by it.
   */
  async reseed(): Promise<void> {
    await this.refresh();
    const { state } = this.options;
    for (const id of this.migrations.keys()) {
      const record = this.records.get(migrationSubject(id));
      state.setMigration(
        id,
        record
          ? toMigrationState(record.state)
          : { mode: undefined, percentage: undefined, resume: undefined },
      );
    }
    for (const { id } of this.options.router.status().providers) {
      state.setHalted(id, this.records.get(providerSubject(id))?.state.halted === true);
    }
  }

  /** The mode and percentage in force for a migration, with their source. */
  effective(id: string): EffectiveControl {
    const info = this.info(id);
    const record = this.records.get(migrationSubject(id));
    const state = record ? toMigrationState(record.state) : undefined;
    return {
      mode: state?.mode ?? info.config.mode ?? 'gradual',
      percentage: state?.percentage ?? info.config.percentage ?? 0,
      resume: state?.resume,
      source: record ? 'runtime' : 'config',
      updatedAt: record?.updatedAt,
      updatedBy: record?.updatedBy,
      reason: record?.reason,
    };
  }

  plan(id: string): PlanEntry | undefined {
    return this.plansById.get(id);
  }

  info(id: string): MigrationInfo {
    const info = this.migrations.get(id);
    if (!info) throw new ControlError(404, 'not_found', `no migration ${id}`);
    return info;
  }

  setPercentage(id: string, percentage: number, actor: string, reason: string): Promise<EffectiveControl> {
    requireReason(reason);
    return this.change(
      id,
      actor,
      'migration.percentage',
      reason,
      (current) => {
        if (!Number.isInteger(percentage) || percentage < 0 || percentage > 100) {
          throw new ControlError(
            400,
            'invalid_request',
            `percentage must be an integer from 0 to 100, got ${percentage}`,
            [{ path: 'percentage', message: `must be an integer from 0 to 100, got ${percentage}` }],
          );
        }
        this.checkTransition(current.mode, 'gradual');
        return { mode: 'gradual', percentage };
      },
      { pausePlan: `percentage set by hand to ${percentage}%` },
    );
  }

  setMode(id: string, mode: MigrationMode, actor: string, reason: string): Promise<EffectiveControl> {
    requireReason(reason);
    if (mode === 'rolled-back') return this.emergencyStop(id, actor, reason);
    return this.change(
      id,
      actor,
      'migration.mode',
      reason,
      (current) => {
        this.checkTransition(current.mode, mode);
        return { mode, percentage: current.percentage };
      },
      { pausePlan: `mode set by hand to ${mode}` },
    );
  }

  /** Everything to `from` on the next message; the plan, if any, is aborted. */
  emergencyStop(id: string, actor: string, reason: string): Promise<EffectiveControl> {
    requireReason(reason);
    return this.change(
      id,
      actor,
      'migration.emergency-stop',
      reason,
      (current) => {
        if (current.mode === 'rolled-back') return undefined;
        return {
          mode: 'rolled-back',
          percentage: current.percentage,
          resume: { mode: current.mode, percentage: current.percentage },
        };
      },
      { abortPlan: `emergency stop by ${actor}: ${reason}`, alert: 'migration-rolled-back' },
    );
  }

  /** Leaves a rollback: the mode and percentage in force before it apply again. */
  resume(id: string, actor: string, reason: string): Promise<EffectiveControl> {
    requireReason(reason);
    return this.change(id, actor, 'migration.resume', reason, (current) => {
      if (current.mode !== 'rolled-back')
        throw new ControlError(409, 'conflict', `migration ${id} is not rolled back (it is ${current.mode})`);
      const resume = current.resume ?? { mode: 'gradual' as const, percentage: current.percentage };
      return { mode: resume.mode, percentage: resume.percentage };
    });
  }

  /** Drops the runtime values: the config's apply again. A rolled-back migration needs resume instead. */
  reset(id: string, actor: string, reason: string): Promise<EffectiveControl> {
    requireReason(reason);
    return this.change(
      id,
      actor,
      'migration.reset',
      reason,
      (current) => {
        if (current.mode === 'rolled-back')
          throw new ControlError(409, 'conflict', `migration ${id} is rolled back: resume it first`);
        return null;
      },
      { pausePlan: 'runtime values reset to the config' },
    );
  }

  async haltProvider(id: string, halted: boolean, actor: string, reason: string | undefined): Promise<void> {
    if (!this.providerExists(id)) throw new ControlError(404, 'not_found', `no provider ${id}`);
    const subject = providerSubject(id);
    await this.serialised(subject, async () => {
      const before = { halted: this.options.state.isHalted(id) };
      const after = { halted };
      const write: OperationWrite = {
        controls: [{ subject, state: halted ? after : undefined, updatedBy: actor, reason }],
        audit: [
          this.audit(actor, halted ? 'provider.halt' : 'provider.resume', subject, reason, before, after),
        ],
      };
      await this.options.store.writeOperation(write, this.options.now());
      this.options.state.setHalted(id, halted);
      this.afterWrite(write);
      this.options.logger.warn(`${id} ${halted ? 'halted' : 'resumed'} by ${actor}`, { reason });
    });
  }

  async resetBreaker(id: string, actor: string, reason: string | undefined): Promise<void> {
    if (!this.providerExists(id)) throw new ControlError(404, 'not_found', `no provider ${id}`);
    const subject = providerSubject(id);
    const before = this.options.router.status().providers.find((provider) => provider.id === id)?.breaker;
    await this.options.store.writeOperation(
      {
        audit: [
          this.audit(
            actor,
            'provider.reset-breaker',
            subject,
            reason,
            { breaker: before },
            { breaker: 'closed' },
          ),
        ],
      },
      this.options.now(),
    );
    await this.options.router.resetBreaker(id);
  }

  /** Creates or replaces a migration's plan (validated first: nothing changes when it is wrong). */
  async putPlan(
    id: string,
    plan: MigrationPlanConfig,
    actor: string,
    reason: string,
    start: boolean,
  ): Promise<PlanEntry> {
    requireReason(reason);
    this.info(id);
    const issues: ValidationIssue[] = [];
    compilePlan(plan, 'plan', issues);
    if (issues.length > 0) {
      throw new ControlError(
        400,
        'invalid_request',
        issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '),
        issues,
      );
    }
    return this.installPlan(id, plan, { origin: 'api', actor, reason, start });
  }

  /** An operator's plan action: start, pause, resume, promote, abort, approve. */
  planAction(
    id: string,
    action: 'start' | 'pause' | 'resume' | 'promote' | 'abort' | 'approve',
    actor: string,
    reason: string,
  ): Promise<PlanEntry> {
    requireReason(reason);
    this.info(id);
    if (
      (action === 'start' || action === 'resume' || action === 'approve') &&
      this.effective(id).mode === 'rolled-back'
    ) {
      return Promise.reject(
        new ControlError(
          409,
          'conflict',
          `migration ${id} is rolled back: resume it before the plan moves on`,
        ),
      );
    }
    const input: PlanInput =
      action === 'start' || action === 'approve'
        ? ({ type: action, ...(action === 'approve' ? { reason } : {}) } as PlanInput)
        : { type: action, reason };
    return this.planTransition(id, input, actor);
  }

  /** Advances every running plan: analyses that are due, holds that are over. */
  async tick(): Promise<boolean> {
    const now = this.options.now();
    for (const [id, entry] of this.plansById) {
      const { compiled, record } = entry;
      if (isPlanFinished(record.state)) continue;
      if (isAnalysisDue(compiled, record.state, now)) {
        await this.runAnalysis(id, entry, now);
        continue;
      }
      const wake = nextWakeAt(compiled, record.state);
      if (wake !== undefined && wake <= now) await this.planTransition(id, { type: 'tick' }, 'plan');
    }
    return false;
  }

  /** A `configuration` error from a `to` provider aborts a running plan at once (if it says so). */
  async onConfigurationError(provider: string, detail: string): Promise<void> {
    for (const [id, entry] of this.plansById) {
      if (isPlanFinished(entry.record.state) || !this.info(id).to.includes(provider)) continue;
      await this.planTransition(id, { type: 'configuration-error', provider, detail }, 'safeguard').catch(
        (error: unknown) => this.options.logger.error(`could not abort the plan of ${id}`, { error }),
      );
    }
  }

  private async runAnalysis(id: string, entry: PlanEntry, now: number): Promise<void> {
    let analysis: Awaited<ReturnType<typeof analyseStep>>;
    try {
      analysis = await analyseStep(
        this.options.store,
        this.info(id),
        entry.compiled.analysis,
        entry.record.state.stepStartedAt,
        now,
      );
    } catch (error) {
      this.options.logger.error(`the analysis of migration ${id} could not run`, { error });
      await this.planTransition(id, { type: 'analysis-error', error: (error as Error).message }, 'safeguard');
      return;
    }
    for (const check of analysis.result.checks)
      this.options.metrics.migrationChecks.inc({ migration: id, check: check.name, verdict: check.verdict });
    const actor = analysis.result.verdict === 'fail' ? 'safeguard' : 'plan';
    await this.planTransition(id, { type: 'analysis', result: analysis.result }, actor, {
      migrationId: id,
      at: now,
      step: entry.record.state.step,
      verdict: analysis.result.verdict,
      checks: analysis.result.checks,
      samples: analysis.samples,
    });
  }

  private async installPlan(
    id: string,
    plan: MigrationPlanConfig,
    options: {
      origin: PlanRecord['origin'];
      configHash?: string;
      actor: string;
      reason: string;
      start: boolean;
    },
  ): Promise<PlanEntry> {
    return this.serialised(migrationSubject(id), async () => {
      const now = this.options.now();
      if (options.start && this.effective(id).mode === 'rolled-back') {
        // A plan that starts sets a percentage: only a resume, with its reason, leaves a rollback.
        if (options.origin === 'api') {
          throw new ControlError(
            409,
            'conflict',
            `migration ${id} is rolled back: resume it before starting a plan`,
          );
        }
        this.options.logger.warn(
          `migration ${id} is rolled back: its plan from the config waits, pending, for a resume and a start`,
        );
        options = { ...options, start: false };
      }
      const compiled = compilePlan(plan, 'plan', []) as CompiledPlan;
      const previous = this.plansById.get(id)?.record.state;
      let record: PlanRecord = {
        migrationId: id,
        plan,
        state: initialPlanState(now),
        origin: options.origin,
        configHash: options.configHash,
        updatedAt: now,
      };
      const write: OperationWrite = {
        audit: [
          this.audit(
            options.actor,
            'plan.replace',
            migrationSubject(id),
            options.reason,
            previous ? { phase: previous.phase, step: previous.step } : undefined,
            { plan },
          ),
        ],
      };
      let effects: PlanEffect[] = [];
      if (options.start) {
        const started = stepPlan(compiled, record.state, { type: 'start' }, now);
        record = { ...record, state: started.state };
        effects = started.effects;
        (write.audit as AuditInput[]).push(
          this.audit(options.actor, 'plan.start', migrationSubject(id), started.reason, undefined, {
            phase: started.state.phase,
            step: started.state.step,
          }),
        );
      }
      const control = this.effectsToControl(id, effects, options.actor, write, `plan: ${options.reason}`);
      write.plan = record;
      await this.options.store.writeOperation(write, now);
      this.applyControl(id, control);
      const entry = { record, compiled };
      this.plansById.set(id, entry);
      this.afterWrite(write);
      return entry;
    });
  }

  private planTransition(
    id: string,
    input: PlanInput,
    actor: string,
    checks?: OperationWrite['checks'],
  ): Promise<PlanEntry> {
    return this.serialised(migrationSubject(id), async () => {
      const entry = this.plansById.get(id);
      if (!entry) throw new ControlError(404, 'not_found', `migration ${id} has no plan`);
      const now = this.options.now();
      let transition: ReturnType<typeof stepPlan>;
      try {
        transition = stepPlan(entry.compiled, entry.record.state, input, now);
      } catch (error) {
        if (error instanceof PlanActionError) throw new ControlError(409, 'conflict', error.message);
        throw error;
      }
      if (transition.state === entry.record.state && !checks && transition.effects.length === 0) return entry;
      const record: PlanRecord = { ...entry.record, state: transition.state, updatedAt: now };
      const write: OperationWrite = { plan: record, checks };
      if (transition.reason) {
        write.audit = [
          this.audit(
            actor,
            `plan.${input.type}`,
            migrationSubject(id),
            transition.reason,
            { phase: entry.record.state.phase, step: entry.record.state.step },
            { phase: transition.state.phase, step: transition.state.step },
          ),
        ];
      }
      const control = this.effectsToControl(
        id,
        transition.effects,
        actor,
        write,
        transition.reason ?? input.type,
      );
      await this.options.store.writeOperation(write, now);
      this.applyControl(id, control);
      const next = { record, compiled: entry.compiled };
      this.plansById.set(id, next);
      this.afterWrite(write);
      if (transition.reason)
        this.options.logger[transition.state.phase === 'aborted' ? 'error' : 'warn'](
          `migration ${id}: ${transition.reason}`,
          { actor },
        );
      return next;
    });
  }

  /**
   * Turns a plan's effects into the control state they set, adding the control row, its audit
   * entry and the alerts to `write`; returns the new state to apply once the write has landed.
   */
  private effectsToControl(
    id: string,
    effects: readonly PlanEffect[],
    actor: string,
    write: OperationWrite,
    why: string,
  ): ControlState | undefined {
    let current = this.effective(id);
    let next: ControlState | undefined;
    const alerts: AlertInput[] = [...(write.alerts ?? [])];
    for (const effect of effects) {
      if (effect.type === 'alert') {
        alerts.push(
          ...this.options.alerts.build(effect.alert, migrationSubject(id), `migration ${id}: ${why}`, {
            migration: id,
          }),
        );
        continue;
      }
      if (current.mode === 'rolled-back' && effect.type !== 'roll-back') continue;
      next =
        effect.type === 'set-percentage'
          ? { mode: 'gradual', percentage: effect.percentage }
          : effect.type === 'complete'
            ? { mode: 'complete', percentage: 100 }
            : current.mode === 'rolled-back'
              ? undefined
              : {
                  mode: 'rolled-back',
                  percentage: current.percentage,
                  resume: { mode: current.mode, percentage: current.percentage },
                };
      if (next) current = { ...current, ...next, source: 'runtime' };
    }
    write.alerts = alerts;
    if (!next) return undefined;
    const before = this.effective(id);
    const action =
      next.mode === 'rolled-back'
        ? 'migration.emergency-stop'
        : next.mode === 'complete'
          ? 'migration.mode'
          : 'migration.percentage';
    write.controls = [
      { subject: migrationSubject(id), state: fromMigrationState(next), updatedBy: actor, reason: why },
    ];
    write.audit = [
      ...(write.audit ?? []),
      this.audit(
        actor,
        action,
        migrationSubject(id),
        why,
        summary(before),
        summary({ ...next, source: 'runtime' }),
      ),
    ];
    if (next.mode === 'rolled-back')
      alerts.push(
        ...this.options.alerts.build(
          'migration-rolled-back',
          migrationSubject(id),
          `migration ${id} rolled back: ${why}`,
          { migration: id },
        ),
      );
    return next;
  }

  /**
   * One operator change of a migration: `compute` gives the next state from the current one
   * (`undefined`: nothing to change, `null`: back to the config), or throws to refuse it.
   */
  private change(
    id: string,
    actor: string,
    action: string,
    reason: string,
    compute: (current: EffectiveControl) => ControlState | null | undefined,
    effects: { pausePlan?: string; abortPlan?: string; alert?: AlertEvent } = {},
  ): Promise<EffectiveControl> {
    this.info(id);
    const subject = migrationSubject(id);
    return this.serialised(subject, async () => {
      const before = this.effective(id);
      const next = compute(before);
      if (next === undefined) return before;
      const now = this.options.now();
      const after: EffectiveControl =
        next === null ? { ...this.configControl(id) } : { ...next, source: 'runtime' };
      const write: OperationWrite = {
        controls: [
          { subject, state: next === null ? undefined : fromMigrationState(next), updatedBy: actor, reason },
        ],
        audit: [this.audit(actor, action, subject, reason, summary(before), summary(after))],
        alerts: effects.alert
          ? this.options.alerts.build(
              effects.alert,
              subject,
              `migration ${id}: ${action} by ${actor}: ${reason}`,
              { migration: id, actor },
            )
          : [],
      };
      const plan = this.plansById.get(id);
      let planRecord: PlanRecord | undefined;
      if (plan && !isPlanFinished(plan.record.state) && plan.record.state.phase !== 'pending') {
        const input: PlanInput | undefined = effects.abortPlan
          ? { type: 'abort', reason: effects.abortPlan }
          : effects.pausePlan && plan.record.state.phase !== 'paused'
            ? { type: 'pause', reason: `${effects.pausePlan} by ${actor}: ${reason}` }
            : undefined;
        if (input) {
          const transition = stepPlan(plan.compiled, plan.record.state, input, now);
          planRecord = { ...plan.record, state: transition.state, updatedAt: now };
          write.plan = planRecord;
          (write.audit as AuditInput[]).push(
            this.audit(
              actor,
              `plan.${input.type}`,
              subject,
              transition.reason,
              { phase: plan.record.state.phase },
              { phase: transition.state.phase },
            ),
          );
          for (const effect of transition.effects) {
            if (effect.type === 'alert')
              (write.alerts as AlertInput[]).push(
                ...this.options.alerts.build(effect.alert, subject, `migration ${id}: ${transition.reason}`, {
                  migration: id,
                }),
              );
          }
        }
      }
      await this.options.store.writeOperation(write, now);
      this.applyControl(id, next);
      if (planRecord && plan) this.plansById.set(id, { record: planRecord, compiled: plan.compiled });
      this.afterWrite(write);
      this.options.logger.warn(`migration ${id}: ${action} by ${actor}`, {
        reason,
        before: summary(before),
        after: summary(after),
      });
      return this.effective(id);
    });
  }

  /** Applies a written state to the router's copy; `null` goes back to the config, `undefined` changes nothing. */
  private applyControl(id: string, next: ControlState | null | undefined): void {
    if (next === undefined) return;
    const state: MigrationState =
      next === null
        ? { mode: undefined, percentage: undefined, resume: undefined }
        : { mode: next.mode, percentage: next.percentage, resume: next.resume };
    this.options.state.setMigration(id, state);
  }

  /** Once a write landed: the cached control rows follow it, alerts go out, gauges move. */
  private afterWrite(write: OperationWrite): void {
    for (const control of write.controls ?? []) {
      if (control.state === undefined) this.records.delete(control.subject);
      else
        this.records.set(control.subject, {
          state: control.state,
          updatedAt: this.options.now(),
          updatedBy: control.updatedBy,
          reason: control.reason,
        });
    }
    if ((write.alerts?.length ?? 0) > 0) this.options.onAlertQueued();
    this.refreshGauges();
  }

  private configControl(id: string): EffectiveControl {
    const info = this.info(id);
    return { mode: info.config.mode ?? 'gradual', percentage: info.config.percentage ?? 0, source: 'config' };
  }

  private checkTransition(current: MigrationMode, next: MigrationMode): void {
    const problem = modeTransitionError(current, next);
    if (problem) throw new ControlError(409, 'invalid_transition', problem);
  }

  private providerExists(id: string): boolean {
    return this.options.router.status().providers.some((provider) => provider.id === id);
  }

  private audit(
    actor: string,
    action: string,
    subject: string,
    reason: string | undefined,
    before: unknown,
    after: unknown,
  ): AuditInput {
    return { at: this.options.now(), actor, action, subject, reason, before, after };
  }

  private refreshGauges(): void {
    const { metrics } = this.options;
    for (const id of this.migrations.keys()) {
      const control = this.effective(id);
      metrics.migrationPercentage.set(
        { migration: id },
        control.mode === 'gradual' ? control.percentage : control.mode === 'complete' ? 100 : 0,
      );
      for (const mode of ['off', 'shadow', 'gradual', 'complete', 'rolled-back'] as const)
        metrics.migrationMode.set({ migration: id, mode }, mode === control.mode ? 1 : 0);
      const phase = this.plansById.get(id)?.record.state.phase;
      for (const candidate of [
        'pending',
        'progressing',
        'paused',
        'awaiting-approval',
        'inconclusive',
        'promoted',
        'aborted',
      ] as const) {
        metrics.migrationPlanPhase.set({ migration: id, phase: candidate }, candidate === phase ? 1 : 0);
      }
    }
  }

  private serialised<T>(subject: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(subject) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.catch(() => undefined);
    this.queues.set(subject, settled);
    void settled.then(() => {
      if (this.queues.get(subject) === settled) this.queues.delete(subject);
    });
    return run;
  }
}

function requireReason(reason: string | undefined): asserts reason is string {
  if (typeof reason !== 'string' || reason.trim().length === 0) {
    throw new ControlError(400, 'invalid_request', 'reason: is required (say why, for the audit log)', [
      { path: 'reason', message: 'is required (say why, for the audit log)' },
    ]);
  }
}

function toMigrationState(state: Record<string, unknown>): MigrationState {
  return {
    mode: state.mode as MigrationMode | undefined,
    percentage: state.percentage as number | undefined,
    resume: state.resume as MigrationState['resume'],
  };
}

function fromMigrationState(state: ControlState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state).filter(([, value]) => value !== undefined));
}

function summary(
  control: Pick<EffectiveControl, 'mode' | 'percentage'> & { source?: string },
): Record<string, unknown> {
  return {
    mode: control.mode,
    percentage: control.percentage,
    ...(control.source ? { source: control.source } : {}),
  };
}

export type { PlanState };
