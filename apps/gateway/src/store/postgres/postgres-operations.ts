import { emptySideSample, type SideSample } from '@msg/core';
import type { OutboxCallback } from '../message-store.js';
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
} from '../operations-store.js';
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
} from '../store-rows.js';
import type { PostgresConnection } from './postgres-connection.js';

/** Numbered parameters for SQL built piece by piece. */
class Parameters {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The operations part of the PostgreSQL store (see `OperationsStore`): the same queries as the
 * SQLite adapter's, in PostgreSQL's dialect (`FILTER` for conditional counts, arrays for lists).
 */
export class PostgresOperations implements OperationsStore {
  constructor(
    private readonly connection: PostgresConnection,
    /** This store object, as the alert outbox's leases name it. */
    private readonly token: string,
    private readonly outboxLeaseMs: number,
  ) {}

  async writeOperation(write: OperationWrite, now: number): Promise<void> {
    await this.connection.transaction('record the operation', async (client) => {
      for (const control of write.controls ?? []) {
        if (control.state === undefined) {
          await client.query('DELETE FROM control_state WHERE subject = $1', [control.subject]);
        } else {
          await client.query(
            `INSERT INTO control_state (subject, state, updated_at, updated_by, reason) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (subject) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
               updated_by = excluded.updated_by, reason = excluded.reason`,
            [control.subject, JSON.stringify(control.state), now, control.updatedBy, control.reason ?? null],
          );
        }
      }
      const plan = write.plan;
      if (plan && 'remove' in plan) {
        await client.query('DELETE FROM migration_plans WHERE migration_id = $1', [plan.migrationId]);
      } else if (plan) {
        await client.query(
          `INSERT INTO migration_plans (migration_id, plan, state, origin, config_hash, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (migration_id) DO UPDATE SET plan = excluded.plan, state = excluded.state,
             origin = excluded.origin, config_hash = excluded.config_hash, updated_at = excluded.updated_at`,
          [
            plan.migrationId,
            JSON.stringify(plan.plan),
            JSON.stringify(plan.state),
            plan.origin,
            plan.configHash ?? null,
            plan.updatedAt,
          ],
        );
      }
      if (write.checks) {
        const checks = write.checks;
        await client.query(
          'INSERT INTO migration_checks (migration_id, at, step, verdict, checks, samples) VALUES ($1, $2, $3, $4, $5, $6)',
          [
            checks.migrationId,
            checks.at,
            checks.step,
            checks.verdict,
            JSON.stringify(checks.checks),
            JSON.stringify(checks.samples),
          ],
        );
      }
      for (const entry of write.audit ?? []) await client.query(...auditInsert(entry));
      for (const alert of write.alerts ?? []) {
        await client.query(
          'INSERT INTO alert_outbox (url, body, next_attempt_at, created_at) VALUES ($1, $2, $3, $3)',
          [alert.url, alert.body, now],
        );
      }
    });
  }

  async controls(): Promise<ControlRecord[]> {
    return (
      await this.connection.read('read the control state', 'SELECT * FROM control_state ORDER BY subject')
    ).map(toControl);
  }

  async audit(query: AuditQuery): Promise<AuditEntry[]> {
    const parameters = new Parameters();
    const where: string[] = [];
    const add = (column: string, operator: string, value: unknown) => {
      if (value !== undefined) where.push(`${column} ${operator} ${parameters.add(value)}`);
    };
    add('subject', '=', query.subject);
    add('actor', '=', query.actor);
    add('at', '>=', query.since);
    add('at', '<', query.until);
    add('id', '<', query.before);
    const sql = `SELECT * FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT ${parameters.add(query.limit)}`;
    return (await this.connection.read('read the audit log', sql, parameters.values)).map(toAudit);
  }

  async plans(): Promise<PlanRecord[]> {
    return (
      await this.connection.read(
        'read the migration plans',
        'SELECT * FROM migration_plans ORDER BY migration_id',
      )
    ).map(toPlan);
  }

  async checkHistory(
    migrationId: string,
    options: { limit: number; before?: number | undefined },
  ): Promise<CheckRecord[]> {
    const rows = await this.connection.read(
      'read the check history',
      `SELECT * FROM migration_checks WHERE migration_id = $1 AND ($2::bigint IS NULL OR id < $2)
       ORDER BY id DESC LIMIT $3`,
      [migrationId, options.before ?? null, options.limit],
    );
    return rows.map(toCheck);
  }

  async destinations(
    query: Pick<SideQuery, 'migrationId' | 'providers' | 'since' | 'until'>,
  ): Promise<string[]> {
    if (query.providers.length === 0) return [];
    const rows = await this.connection.read(
      'read the destinations',
      `SELECT DISTINCT destination FROM messages
       WHERE migration_id = $1 AND created_at >= $2 AND created_at < $3 AND destination IS NOT NULL
         AND provider_id = ANY($4::text[])`,
      [query.migrationId, query.since, query.until, [...query.providers]],
    );
    return rows.map((row) => row.destination as string);
  }

  async sideSample(query: SideQuery): Promise<SideSample> {
    const sample = emptySideSample();
    if (query.providers.length === 0 || query.destinations?.length === 0) return sample;
    const what = 'read a migration sample';
    const providers = [...query.providers];
    const destinations = query.destinations ? [...query.destinations] : null;
    // $1 migration, $2 since, $3 until, $4 providers, $5 destinations (null: all).
    const base = [query.migrationId, query.since, query.until, providers, destinations];
    const destinationClause = '($5::text[] IS NULL OR m.destination = ANY($5::text[]))';

    const [attempts] = await this.connection.read(
      what,
      `SELECT COUNT(*) AS sends,
         COUNT(*) FILTER (WHERE a.outcome IN ('failed', 'ambiguous') AND COALESCE(a.error_kind, '') <> 'permanent') AS errors,
         COUNT(*) FILTER (WHERE a.error_kind = 'permanent') AS permanent,
         COUNT(*) FILTER (WHERE a.outcome = 'ambiguous') AS ambiguous
       FROM attempts AS a ${destinations ? 'JOIN messages AS m ON m.id = a.message_id' : ''}
       WHERE a.migration_id = $1 AND a.started_at >= $2 AND a.started_at < $3 AND a.outcome <> 'in-flight'
         AND a.provider_id = ANY($4::text[]) ${destinations ? `AND ${destinationClause}` : 'AND $5::text[] IS NULL'}`,
      base,
    );
    sample.sends = attempts?.sends as number;
    sample.sendErrors = attempts?.errors as number;
    sample.permanentErrors = attempts?.permanent as number;
    sample.ambiguous = attempts?.ambiguous as number;

    const sent = `m.migration_id = $1 AND m.created_at >= $2 AND m.created_at < $3 AND m.sent_at IS NOT NULL
      AND m.provider_id = ANY($4::text[]) AND ${destinationClause}`;
    const [settled] = await this.connection.read(
      what,
      `SELECT COUNT(*) AS settled,
         COUNT(*) FILTER (WHERE m.delivered_at IS NOT NULL) AS delivered,
         COUNT(*) FILTER (WHERE CASE WHEN m.delivered_at IS NOT NULL THEN m.delivered_at - m.created_at > $6
           WHEN m.status IN ('queued', 'sent', 'unknown') THEN $7 - m.created_at > $6 ELSE FALSE END) AS slow,
         COALESCE(SUM(m.cost_amount::double precision), 0) AS cost_total,
         COUNT(*) FILTER (WHERE m.cost_amount IS NOT NULL AND m.delivered_at IS NOT NULL) AS cost_delivered,
         COUNT(DISTINCT m.cost_currency) AS currencies, MIN(m.cost_currency) AS currency
       FROM messages AS m WHERE ${sent}`,
      [
        query.migrationId,
        query.since,
        Math.min(query.until, query.settledBefore),
        providers,
        destinations,
        query.slowAfterMs,
        query.now,
      ],
    );
    const row = settled as Row;
    sample.settled = row.settled as number;
    sample.delivered = row.delivered as number;
    sample.slow = row.slow as number;
    sample.cost = {
      total: row.cost_total as number,
      delivered: row.cost_delivered as number,
      currency: (row.currency as string | null) ?? undefined,
      ...((row.currencies as number) > 1 ? { mixedCurrencies: true } : {}),
    };

    // One sort for both percentiles (nearest rank): positions ceil(n / 2) and ceil(n * 0.95).
    const percentiles = await this.connection.read(
      what,
      `SELECT time, position, count FROM (
         SELECT m.delivered_at - m.created_at AS time,
           ROW_NUMBER() OVER (ORDER BY m.delivered_at - m.created_at) AS position, COUNT(*) OVER () AS count
         FROM messages AS m WHERE ${sent} AND m.delivered_at IS NOT NULL) AS ranked
       WHERE position = GREATEST(1, (count * 50 + 99) / 100) OR position = GREATEST(1, (count * 95 + 99) / 100)
       ORDER BY position`,
      base,
    );
    if (percentiles.length > 0) {
      const count = percentiles[0]?.count as number;
      const at = (offset: number) => percentiles.find((item) => item.position === offset + 1)?.time as number;
      sample.deliveryTimes = { count, p50Ms: at(rank(count, 0.5)), p95Ms: at(rank(count, 0.95)) };
    }

    const range = [query.migrationId, query.since, query.until, providers];
    const [shadow] = await this.connection.read(
      what,
      `SELECT COUNT(*) AS count, COUNT(*) FILTER (WHERE accepted) AS accepted FROM shadow_validations
       WHERE migration_id = $1 AND at >= $2 AND at < $3 AND provider_id = ANY($4::text[])`,
      range,
    );
    const validations = (shadow?.count as number) ?? 0;
    if (validations > 0) {
      const [p95] = await this.connection.read(
        what,
        `SELECT latency_ms FROM shadow_validations WHERE migration_id = $1 AND at >= $2 AND at < $3
           AND provider_id = ANY($4::text[]) ORDER BY latency_ms LIMIT 1 OFFSET $5`,
        [...range, rank(validations, 0.95)],
      );
      sample.validations = {
        count: validations,
        wouldAccept: shadow?.accepted as number,
        p95Ms: p95?.latency_ms as number,
      };
    }
    return sample;
  }

  async series(query: SeriesQuery): Promise<SeriesPoint[]> {
    if (query.providers.length === 0) return [];
    const what = 'read a migration series';
    const { point, sorted } = seriesPoints(query);
    // $1 migration, $2 since, $3 until, $4 providers, $5 bucket size.
    const range = [query.migrationId, query.since, query.until, [...query.providers], query.bucketMs];
    for (const row of await this.connection.read(
      what,
      `SELECT (started_at - $2) / $5 AS bucket, COUNT(*) AS sends,
         COUNT(*) FILTER (WHERE outcome IN ('failed', 'ambiguous') AND COALESCE(error_kind, '') <> 'permanent') AS errors
       FROM attempts
       WHERE migration_id = $1 AND started_at >= $2 AND started_at < $3 AND outcome <> 'in-flight'
         AND provider_id = ANY($4::text[]) GROUP BY bucket`,
      range,
    )) {
      const item = point(row.bucket as number);
      item.sends = row.sends as number;
      item.sendErrors = row.errors as number;
    }
    for (const row of await this.connection.read(
      what,
      `SELECT (created_at - $2) / $5 AS bucket, COUNT(*) AS settled,
         COUNT(*) FILTER (WHERE delivered_at IS NOT NULL) AS delivered,
         COALESCE(SUM(cost_amount::double precision), 0) AS cost_total,
         COUNT(*) FILTER (WHERE cost_amount IS NOT NULL AND delivered_at IS NOT NULL) AS cost_delivered
       FROM messages
       WHERE migration_id = $1 AND created_at >= $2 AND created_at < $3 AND sent_at IS NOT NULL
         AND created_at < $6 AND provider_id = ANY($4::text[]) GROUP BY bucket`,
      [...range, query.settledBefore],
    )) {
      const item = point(row.bucket as number);
      item.settled = row.settled as number;
      item.delivered = row.delivered as number;
      item.costTotal = row.cost_total as number;
      item.costDelivered = row.cost_delivered as number;
    }
    for (const row of await this.connection.read(
      what,
      `WITH times AS (
         SELECT (created_at - $2) / $5 AS bucket, delivered_at - created_at AS time
         FROM messages
         WHERE migration_id = $1 AND created_at >= $2 AND created_at < $3 AND delivered_at IS NOT NULL
           AND provider_id = ANY($4::text[])),
       ranked AS (
         SELECT bucket, time, ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY time) AS position,
           COUNT(*) OVER (PARTITION BY bucket) AS count FROM times)
       SELECT bucket, MIN(time) AS p95 FROM ranked WHERE position * 100 >= count * 95 GROUP BY bucket`,
      range,
    )) {
      point(row.bucket as number).p95DeliveryMs = row.p95 as number;
    }
    return sorted();
  }

  async recordShadowValidation(record: ShadowValidationRecord): Promise<void> {
    await this.connection.run(
      'record a shadow validation',
      `INSERT INTO shadow_validations (message_id, migration_id, provider_id, at, accepted, latency_ms, error_kind,
         error_code, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (message_id, provider_id) DO UPDATE SET migration_id = excluded.migration_id, at = excluded.at,
         accepted = excluded.accepted, latency_ms = excluded.latency_ms, error_kind = excluded.error_kind,
         error_code = excluded.error_code, reason = excluded.reason`,
      [
        record.messageId,
        record.migrationId,
        record.providerId,
        record.at,
        record.accepted,
        record.latencyMs,
        record.errorKind ?? null,
        record.errorCode ?? null,
        record.reason ?? null,
      ],
    );
  }

  async dueAlerts(now: number, limit: number): Promise<OutboxCallback[]> {
    // Leased to this instance's worker, like status callbacks: one instance sends each alert.
    const { rows } = await this.connection.run(
      'lease due alerts',
      `WITH due AS (
         SELECT id FROM alert_outbox WHERE state = 'pending' AND next_attempt_at <= $1
           AND (leased_by IS NULL OR leased_by = $3 OR leased_until < $1)
         ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE alert_outbox AS a SET leased_by = $3, leased_until = $4 FROM due WHERE a.id = due.id RETURNING a.*`,
      [now, limit, this.token, now + this.outboxLeaseMs],
    );
    return rows.sort((left, right) => (left.id as number) - (right.id as number)).map(toAlert);
  }

  async alertDone(id: number): Promise<void> {
    await this.connection.run(
      'mark the alert sent',
      `UPDATE alert_outbox SET state = 'done', attempts = attempts + 1, leased_by = NULL WHERE id = $1`,
      [id],
    );
  }

  async alertRetry(id: number, nextAttemptAt: number, giveUp: boolean): Promise<void> {
    await this.connection.run(
      'reschedule the alert',
      'UPDATE alert_outbox SET state = $1, attempts = attempts + 1, next_attempt_at = $2, leased_by = NULL WHERE id = $3',
      [giveUp ? 'failed' : 'pending', nextAttemptAt, id],
    );
  }
}

function auditInsert(entry: AuditInput): [string, unknown[]] {
  return [
    `INSERT INTO audit_log (at, actor, action, detail, subject, reason, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      entry.at,
      entry.actor,
      entry.action,
      JSON.stringify(entry.detail ?? {}),
      entry.subject ?? null,
      entry.reason ?? null,
      json(entry.before),
      json(entry.after),
    ],
  ];
}
