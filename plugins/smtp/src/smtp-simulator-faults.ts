import type { FaultSettings } from '@msg/testing';
import { isReplyName, SMTP_SIMULATOR_REPLIES, type SmtpReplyName } from './smtp-simulator-replies.js';

/** SMTP-side faults: `hang` never answers the final `.`, `reset` drops the connection after it. */
export interface SmtpFaultSettings extends FaultSettings {
  /** `greeting` applies `hang`/`reset` to the next new connection instead of the next message. */
  at?: 'greeting' | 'data';
}

/** What happens to one transaction: a scripted reply at its phase, or a fault at its end. */
export interface SmtpTransactionFaults {
  reply?: SmtpReplyName;
  fault?: SmtpFaultSettings;
}

/**
 * The simulator's faults: one-shot entries (`failNext`, `faultNext`) taken by the first
 * connection, login or transaction they apply to, and standing ones (`setFaults`).
 */
export class SmtpFaultQueue {
  private queued: SmtpTransactionFaults[] = [];
  private standing: SmtpFaultSettings = {};
  private state: number;

  constructor(seed = 7) {
    this.state = seed >>> 0;
  }

  push(entry: SmtpTransactionFaults, times: number): void {
    for (let index = 0; index < times; index++) this.queued.push({ ...entry });
  }

  setStanding(settings: SmtpFaultSettings): void {
    this.standing = { ...settings };
  }

  clear(): void {
    this.queued = [];
    this.standing = {};
  }

  /**
   * For a connection just accepted: a fault `at: 'greeting'`, or a `hang` without `at`, which
   * silences whichever comes first, a greeting or a message's final reply.
   */
  takeGreeting(): SmtpFaultSettings | undefined {
    return this.take(
      (entry) => entry.fault?.at === 'greeting' || (!!entry.fault?.hang && entry.fault.at === undefined),
    )?.fault;
  }

  takeAuth(): SmtpReplyName | undefined {
    return this.take((entry) => this.phaseOf(entry) === 'auth')?.reply;
  }

  /** At MAIL FROM: the next one-shot entry, else what the standing faults say. */
  takeTransaction(now: number): SmtpTransactionFaults {
    const entry = this.take(
      (candidate) => candidate.fault?.at !== 'greeting' && this.phaseOf(candidate) !== 'auth',
    );
    return entry ?? this.fromStanding(now);
  }

  private phaseOf(entry: SmtpTransactionFaults) {
    return entry.reply ? SMTP_SIMULATOR_REPLIES[entry.reply].phase : undefined;
  }

  private take(matches: (entry: SmtpTransactionFaults) => boolean): SmtpTransactionFaults | undefined {
    const index = this.queued.findIndex(matches);
    return index >= 0 ? this.queued.splice(index, 1)[0] : undefined;
  }

  /** An outage window (a named reply, `system-busy` by default), or a named reply at `errorRate`. */
  private fromStanding(now: number): SmtpTransactionFaults {
    const standing = this.standing;
    const named = standing.error && isReplyName(standing.error) ? standing.error : undefined;
    if (standing.outage && now >= standing.outage.from && now < standing.outage.to) {
      return { reply: named ?? 'system-busy' };
    }
    if (standing.errorRate && this.draw() < standing.errorRate) return { reply: named ?? 'local-error' };
    if (standing.hang || standing.reset || standing.latencyMs || standing.status) return { fault: standing };
    return {};
  }

  /** A seeded LCG, so an `errorRate` pattern repeats. */
  private draw(): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    return this.state / 4294967296;
  }
}
