import type { SideSample } from '@msg/core';
import type { OutboxCallback } from './message-store.js';
import type {
  AuditEntry,
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

/** A store whose operations part is another object (each adapter's own): it passes every call on. */
export abstract class OperationsDelegate implements OperationsStore {
  protected abstract readonly operations: OperationsStore;

  writeOperation(write: OperationWrite, now: number): Promise<void> {
    return this.operations.writeOperation(write, now);
  }

  controls(): Promise<ControlRecord[]> {
    return this.operations.controls();
  }

  audit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.operations.audit(query);
  }

  plans(): Promise<PlanRecord[]> {
    return this.operations.plans();
  }

  checkHistory(
    migrationId: string,
    options: { limit: number; before?: number | undefined },
  ): Promise<CheckRecord[]> {
    return this.operations.checkHistory(migrationId, options);
  }

  destinations(query: Pick<SideQuery, 'migrationId' | 'providers' | 'since' | 'until'>): Promise<string[]> {
    return this.operations.destinations(query);
  }

  sideSample(query: SideQuery): Promise<SideSample> {
    return this.operations.sideSample(query);
  }

  series(query: SeriesQuery): Promise<SeriesPoint[]> {
    return this.operations.series(query);
  }

  recordShadowValidation(record: ShadowValidationRecord): Promise<void> {
    return this.operations.recordShadowValidation(record);
  }

  dueAlerts(now: number, limit: number): Promise<OutboxCallback[]> {
    return this.operations.dueAlerts(now, limit);
  }

  alertDone(id: number): Promise<void> {
    return this.operations.alertDone(id);
  }

  alertRetry(id: number, nextAttemptAt: number, giveUp: boolean): Promise<void> {
    return this.operations.alertRetry(id, nextAttemptAt, giveUp);
  }
}
