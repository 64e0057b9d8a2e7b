import { emptySideSample, type SideSample } from '@msg/core';
import type Database from 'better-sqlite3';
import type { OutboxCallback } from './message-store.js';
import type {
  AuditEntry,
  AuditInput,
  AuditQuery,
  CheckRecord,
  ControlRecord,
  OperationsStore,
  OperationWrite,
  PlanRecord,
  SeriesPoint,
  SeriesQuery,
  ShadowValidationRecord,
  SideQuery,
} from './operations-store.js';
import { readsOnConnection, type SqliteRead } from './sqlite-reader.js';
import {
  json,
  type Row,
  rank,
  seriesPoints,
  toAlert,
  toAudit,
  toCheck,
  toControl,
  toPlan,
} from './store-rows.js';

type Write = <T>(what: string, run: () => T) => Promise<T>;

const placeholders = (count: number) => Array.from({ length: count }, () => '?').join(', ');

/**
 * The operations part of the SQLite store (see `OperationsStore`), on the store's connection and
 * its group-committing writer. Analysis queries read through the `messages_migration` and
 * `attempts_migration` indexes (migration id, then time), so their cost follows the window, not
 * the size of the store.
 */
export class SqliteOperations implements OperationsStore {
  private readonly statements;

  constructor(
    private readonly db: Database.Database,
    private readonly write: Write,
    /** Long reads (analysis, charts): off the event loop where the store has a file. */
    private readonly read: SqliteRead = readsOnConnection(db),
  ) {
    this.statements = {
      upsertControl: db.prepare(
        `INSERT INTO control_state (subject, state, updated_at, updated_by, reason) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (subject) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by, reason = excluded.reason`,
      ),
      deleteControl: db.prepare('DELETE FROM control_state WHERE subject = ?'),
      controls: db.prepare('SELECT * FROM control_state ORDER BY subject'),
      audit: db.prepare(
        `INSERT INTO audit_log (at, actor, action, detail, subject, reason, before, after)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      upsertPlan: db.prepare(
        `INSERT INTO migration_plans (migration_id, plan, state, origin, config_hash, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (migration_id) DO UPDATE SET plan = excluded.plan, state = excluded.state, origin = excluded.origin,
           config_hash = excluded.config_hash, updated_at = excluded.updated_at`,
      ),
      deletePlan: db.prepare('DELETE FROM migration_plans WHERE migration_id = ?'),
      plans: db.prepare('SELECT * FROM migration_plans ORDER BY migration_id'),
      insertChecks: db.prepare(
        'INSERT INTO migration_checks (migration_id, at, step, verdict, checks, samples) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insertAlert: db.prepare(
        'INSERT INTO alert_outbox (url, body, next_attempt_at, created_at) VALUES (?, ?, ?, ?)',
      ),
      dueAlerts: db.prepare(
        `SELECT * FROM alert_outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?`,
      ),
      alertDone: db.prepare(`UPDATE alert_outbox SET state = 'done', attempts = attempts + 1 WHERE id = ?`),
      alertRetry: db.prepare(
        'UPDATE alert_outbox SET state = ?, attempts = attempts + 1, next_attempt_at = ? WHERE id = ?',
      ),
      shadow: db.prepare(
        `INSERT OR REPLACE INTO shadow_validations (message_id, migration_id, provider_id, at, accepted, latency_ms,
           error_kind, error_code, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  async writeOperation(write: OperationWrite, now: number): Promise<void> {
    await this.write('record the operation', () => {
      for (const control of write.controls ?? []) {
        if (control.state === undefined) this.statements.deleteControl.run(control.subject);
        else
          this.statements.upsertControl.run(
            control.subject,
            JSON.stringify(control.state),
            now,
            control.updatedBy,
            control.reason ?? null,
          );
      }
      const plan = write.plan;
      if (plan && 'remove' in plan) this.statements.deletePlan.run(plan.migrationId);
      else if (plan) {
        this.statements.upsertPlan.run(
          plan.migrationId,
          JSON.stringify(plan.plan),
          JSON.stringify(plan.state),
          plan.origin,
          plan.configHash ?? null,
          plan.updatedAt,
        );
      }
      if (write.checks) {
        const checks = write.checks;
        this.statements.insertChecks.run(
          checks.migrationId,
          checks.at,
          checks.step,
          checks.verdict,
          JSON.stringify(checks.checks),
          JSON.stringify(checks.samples),
        );
      }
      for (const entry of write.audit ?? []) this.insertAudit(entry);
      for (const alert of write.alerts ?? [])
        this.statements.insertAlert.run(alert.url, alert.body, now, now);
    });
  }

  insertAudit(entry: AuditInput): void {
    this.statements.audit.run(
      entry.at,
      entry.actor,
      entry.action,
      JSON.stringify(entry.detail ?? {}),
      entry.subject ?? null,
      entry.reason ?? null,
      json(entry.before),
      json(entry.after),
    );
  }

  async controls(): Promise<ControlRecord[]> {
    return (this.statements.controls.all() as Row[]).map(toControl);
  }

  async audit(query: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      if (value === undefined) return;
      where.push(clause);
      values.push(value);
    };
    add('subject = ?', query.subject);
    add('actor = ?', query.actor);
    add('at >= ?', query.since);
    add('at < ?', query.until);
    add('id < ?', query.before);
    const sql = `SELECT * FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...values, query.limit) as Row[]).map(toAudit);
  }

  async plans(): Promise<PlanRecord[]> {
    return (this.statements.plans.all() as Row[]).map(toPlan);
  }

  async checkHistory(
    migrationId: string,
    options: { limit: number; before?: number | undefined },
  ): Promise<CheckRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM migration_checks WHERE migration_id = ? ${options.before === undefined ? '' : 'AND id < ?'}
         ORDER BY id DESC LIMIT ?`,
      )
      .all(
        ...(options.before === undefined ? [migrationId] : [migrationId, options.before]),
        options.limit,
      ) as Row[];
    return rows.map(toCheck);
  }

  async destinations(
    query: Pick<SideQuery, 'migrationId' | 'providers' | 'since' | 'until'>,
  ): Promise<string[]> {
    if (query.providers.length === 0) return [];
    const rows = (await this.read.all(
      `SELECT DISTINCT destination FROM messages INDEXED BY messages_migration
         WHERE migration_id = ? AND created_at >= ? AND created_at < ? AND destination IS NOT NULL
           AND provider_id IN (${placeholders(query.providers.length)})`,
      query.migrationId,
      query.since,
      query.until,
      ...query.providers,
    )) as Array<{ destination: string }>;
    return rows.map((row) => row.destination);
  }

  async sideSample(query: SideQuery): Promise<SideSample> {
    const sample = emptySideSample();
    if (query.providers.length === 0 || query.destinations?.length === 0) return sample;
    const providers = placeholders(query.providers.length);
    const destinations = query.destinations;
    const destinationClause = destinations
      ? `AND m.destination IN (${placeholders(destinations.length)})`
      : '';
    const destinationValues = destinations ?? [];

    const attempts = (await this.read.get(
      `SELECT COUNT(*) AS sends,
           COALESCE(SUM(a.outcome IN ('failed', 'ambiguous') AND COALESCE(a.error_kind, '') <> 'permanent'), 0) AS errors,
           COALESCE(SUM(a.error_kind = 'permanent'), 0) AS permanent,
           COALESCE(SUM(a.outcome = 'ambiguous'), 0) AS ambiguous
         FROM attempts AS a INDEXED BY attempts_migration
         ${destinations ? 'JOIN messages AS m ON m.id = a.message_id' : ''}
         WHERE a.migration_id = ? AND a.started_at >= ? AND a.started_at < ? AND a.outcome <> 'in-flight'
           AND a.provider_id IN (${providers}) ${destinationClause}`,
      query.migrationId,
      query.since,
      query.until,
      ...query.providers,
      ...destinationValues,
    )) as Row;
    sample.sends = attempts.sends as number;
    sample.sendErrors = attempts.errors as number;
    sample.permanentErrors = attempts.permanent as number;
    sample.ambiguous = attempts.ambiguous as number;

    const sent = `m.migration_id = ? AND m.created_at >= ? AND m.created_at < ? AND m.sent_at IS NOT NULL
      AND m.provider_id IN (${providers}) ${destinationClause}`;
    const settledUntil = Math.min(query.until, query.settledBefore);
    const settled = (await this.read.get(
      `SELECT COUNT(*) AS settled,
           COALESCE(SUM(m.delivered_at IS NOT NULL), 0) AS delivered,
           COALESCE(SUM(CASE WHEN m.delivered_at IS NOT NULL THEN m.delivered_at - m.created_at > @slow
             WHEN m.status IN ('queued', 'sent', 'unknown') THEN @now - m.created_at > @slow ELSE 0 END), 0) AS slow,
           COALESCE(SUM(CASE WHEN m.cost_amount IS NOT NULL THEN CAST(m.cost_amount AS REAL) END), 0) AS cost_total,
           COALESCE(SUM(m.cost_amount IS NOT NULL AND m.delivered_at IS NOT NULL), 0) AS cost_delivered,
           COUNT(DISTINCT m.cost_currency) AS currencies, MIN(m.cost_currency) AS currency
         FROM messages AS m INDEXED BY messages_migration WHERE ${sent}`,

      { slow: query.slowAfterMs, now: query.now },
      query.migrationId,
      query.since,
      settledUntil,
      ...query.providers,
      ...destinationValues,
    )) as Row;
    sample.settled = settled.settled as number;
    sample.delivered = settled.delivered as number;
    sample.slow = settled.slow as number;
    sample.cost = {
      total: settled.cost_total as number,
      delivered: settled.cost_delivered as number,
      currency: (settled.currency as string | null) ?? undefined,
      ...((settled.currencies as number) > 1 ? { mixedCurrencies: true } : {}),
    };

    // One sort for both percentiles (nearest rank): positions ceil(n / 2) and ceil(n * 0.95).
    const percentiles = (await this.read.all(
      `SELECT time, position, count FROM (
           SELECT m.delivered_at - m.created_at AS time,
             ROW_NUMBER() OVER (ORDER BY m.delivered_at - m.created_at) AS position, COUNT(*) OVER () AS count
           FROM messages AS m INDEXED BY messages_migration WHERE ${sent} AND m.delivered_at IS NOT NULL)
         WHERE position = MAX(1, (count * 50 + 99) / 100) OR position = MAX(1, (count * 95 + 99) / 100)
         ORDER BY position`,
      query.migrationId,
      query.since,
      query.until,
      ...query.providers,
      ...destinationValues,
    )) as Array<{
      time: number;
      position: number;
      count: number;
    }>;
    if (percentiles.length > 0) {
      const count = (percentiles[0] as { count: number }).count;
      const at = (offset: number) => percentiles.find((row) => row.position === offset + 1)?.time;
      sample.deliveryTimes = { count, p50Ms: at(rank(count, 0.5)), p95Ms: at(rank(count, 0.95)) };
    }

    const shadow = (await this.read.get(
      `SELECT COUNT(*) AS count, COALESCE(SUM(accepted), 0) AS accepted FROM shadow_validations
         WHERE migration_id = ? AND at >= ? AND at < ? AND provider_id IN (${providers})`,
      query.migrationId,
      query.since,
      query.until,
      ...query.providers,
    )) as {
      count: number;
      accepted: number;
    };
    if (shadow.count > 0) {
      const p95 = (await this.read.get(
        `SELECT latency_ms FROM shadow_validations WHERE migration_id = ? AND at >= ? AND at < ?
             AND provider_id IN (${providers}) ORDER BY latency_ms LIMIT 1 OFFSET ?`,
        query.migrationId,
        query.since,
        query.until,
        ...query.providers,
        rank(shadow.count, 0.95),
      )) as {
        latency_ms: number;
      };
      sample.validations = { count: shadow.count, wouldAccept: shadow.accepted, p95Ms: p95.latency_ms };
    }
    return sample;
  }

  async series(query: SeriesQuery): Promise<SeriesPoint[]> {
    if (query.providers.length === 0) return [];
    const providers = placeholders(query.providers.length);
    const { point, sorted } = seriesPoints(query);
    const range = [query.migrationId, query.since, query.until, ...query.providers];
    for (const row of (await this.read.all(
      `SELECT CAST((started_at - @since) / @bucket AS INTEGER) AS bucket, COUNT(*) AS sends,
           SUM(outcome IN ('failed', 'ambiguous') AND COALESCE(error_kind, '') <> 'permanent') AS errors
         FROM attempts INDEXED BY attempts_migration
         WHERE migration_id = ? AND started_at >= ? AND started_at < ? AND outcome <> 'in-flight'
           AND provider_id IN (${providers}) GROUP BY bucket`,
      { since: query.since, bucket: query.bucketMs },
      ...range,
    )) as Row[]) {
      const item = point(row.bucket as number);
      item.sends = row.sends as number;
      item.sendErrors = row.errors as number;
    }
    for (const row of (await this.read.all(
      `SELECT CAST((created_at - @since) / @bucket AS INTEGER) AS bucket, COUNT(*) AS settled,
           SUM(delivered_at IS NOT NULL) AS delivered,
           COALESCE(SUM(CASE WHEN cost_amount IS NOT NULL THEN CAST(cost_amount AS REAL) END), 0) AS cost_total,
           SUM(cost_amount IS NOT NULL AND delivered_at IS NOT NULL) AS cost_delivered
         FROM messages INDEXED BY messages_migration
         WHERE migration_id = ? AND created_at >= ? AND created_at < ? AND sent_at IS NOT NULL
           AND created_at < @settledBefore AND provider_id IN (${providers}) GROUP BY bucket`,

      { since: query.since, bucket: query.bucketMs, settledBefore: query.settledBefore },
      ...range,
    )) as Row[]) {
      const item = point(row.bucket as number);
      item.settled = row.settled as number;
      item.delivered = row.delivered as number;
      item.costTotal = row.cost_total as number;
      item.costDelivered = row.cost_delivered as number;
    }
    for (const row of (await this.read.all(
      `WITH times AS (
           SELECT CAST((created_at - @since) / @bucket AS INTEGER) AS bucket, delivered_at - created_at AS time
           FROM messages INDEXED BY messages_migration
           WHERE migration_id = ? AND created_at >= ? AND created_at < ? AND delivered_at IS NOT NULL
             AND provider_id IN (${providers})),
         ranked AS (
           SELECT bucket, time, ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY time) AS position,
             COUNT(*) OVER (PARTITION BY bucket) AS count FROM times)
         SELECT bucket, MIN(time) AS p95 FROM ranked WHERE position * 100 >= count * 95 GROUP BY bucket`,
      { since: query.since, bucket: query.bucketMs },
      ...range,
    )) as Row[]) {
      point(row.bucket as number).p95DeliveryMs = row.p95 as number;
    }
    return sorted();
  }

  async recordShadowValidation(record: ShadowValidationRecord): Promise<void> {
    await this.write('record a shadow validation', () =>
      this.statements.shadow.run(
        record.messageId,
        record.migrationId,
        record.providerId,
        record.at,
        record.accepted ? 1 : 0,
        record.latencyMs,
        record.errorKind ?? null,
        record.errorCode ?? null,
        record.reason ?? null,
      ),
    );
  }

  async dueAlerts(now: number, limit: number): Promise<OutboxCallback[]> {
    return (this.statements.dueAlerts.all(now, limit) as Row[]).map(toAlert);
  }

  async alertDone(id: number): Promise<void> {
    await this.write('mark the alert sent', () => this.statements.alertDone.run(id));
  }

  async alertRetry(id: number, nextAttemptAt: number, giveUp: boolean): Promise<void> {
    await this.write('reschedule the alert', () =>
      this.statements.alertRetry.run(giveUp ? 'failed' : 'pending', nextAttemptAt, id),
    );
  }
}
