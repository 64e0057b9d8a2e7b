import type { SmscSimulator } from './simulator.js';
import { commandStatusByName } from './smpp-command-status.js';

/** Named SMSC refusals (command_status of submit_sm_resp); SMPP names (`ESME_RINVDSTADR`) work too. */
export const SMSC_ERRORS = {
  'invalid-destination': 0x0b,
  'invalid-source': 0x0a,
  'invalid-message-length': 0x01,
  'system-error': 0x08,
  'submit-failed': 0x45,
  'temporary-app-error': 0x64,
  'permanent-app-error': 0x65,
  'rejected-app-error': 0x66,
  throttled: 0x58,
  'queue-full': 0x14,
} as const;

export type SmscErrorName = keyof typeof SMSC_ERRORS;
const THROTTLES: ReadonlySet<number> = new Set([0x58, 0x14]);

/** A submit_sm in the shape of @msg/testing's `RecordedRequest`. */
export interface SmscRecordedRequest {
  method: 'SUBMIT_SM';
  /** `/<destination_addr>`. */
  path: string;
  url: string;
  headers: Record<string, never>;
  body: Buffer;
  /** The bound system_id. */
  credential: string | undefined;
  at: number;
}

export interface SmscConformanceAdapterOptions {
  /**
   * How many times in a row a throttle (`throttled`, `queue-full`) is answered: the session
   * re-submits throttled parts itself, so this should exceed the plugin's `throttleRetry.maxRetries`
   * (default 6).
   */
  throttleRepeats?: number;
}

/**
 * The part of `SimulatorServer` that @msg/testing's `runConformanceSuite` drives (`requests`,
 * `openConnections`, `failNext`, `faultNext`, `clearFaults`: its `SimulatorControl`), played by an
 * SMSC: each submit_sm is a request, `credential` its system_id; `hang` swallows the next submit,
 * `reset` drops the connection on it.
 */
export class SmscConformanceAdapter {
  private readonly throttleRepeats: number;

  constructor(
    readonly smsc: SmscSimulator,
    options: SmscConformanceAdapterOptions = {},
  ) {
    this.throttleRepeats = options.throttleRepeats ?? 6;
  }

  get requests(): SmscRecordedRequest[] {
    const url = `smpp://${this.smsc.host}:${this.smsc.port}`;
    return this.smsc.submits.map((submit) => ({
      method: 'SUBMIT_SM',
      path: `/${submit.destinationAddr}`,
      url,
      headers: {},
      body: submit.shortMessage,
      credential: submit.credential || undefined,
      at: submit.receivedAt,
    }));
  }

  errorNames(): string[] {
    return Object.keys(SMSC_ERRORS);
  }

  /** Answers the next submit_sm with the named command_status (`times` messages). */
  failNext(error: string, times = 1): void {
    const status = SMSC_ERRORS[error as SmscErrorName] ?? commandStatusByName(error);
    if (status === undefined) throw new Error(`[msg] [smsc simulator] unknown error "${error}"`);
    const repeats = THROTTLES.has(status) ? this.throttleRepeats : 1;
    const statuses = Array.from({ length: times * repeats }, () => status);
    this.smsc.faults.nextSubmitStatuses = [...(this.smsc.faults.nextSubmitStatuses ?? []), ...statuses];
  }

  /**
   * `hang`: the next submits get no answer; `reset`: the connection drops on the next submit;
   * `status`, SMPP's nearest to an HTTP answer without the provider's body: a 5xx is a bare
   * ESME_RSYSERR, a 2xx an ESME_ROK whose message_id is empty (an answer the client cannot use).
   */
  faultNext(
    settings: { hang?: boolean | undefined; reset?: boolean | undefined; status?: number | undefined },
    times = 1,
  ): void {
    const faults = this.smsc.faults;
    if (settings.hang) {
      const swallowed = typeof faults.swallowSubmits === 'number' ? faults.swallowSubmits : 0;
      faults.swallowSubmits = swallowed + times;
    }
    if (settings.status !== undefined && settings.status >= 500) {
      const statuses = Array.from({ length: times }, () => SMSC_ERRORS['system-error']);
      faults.nextSubmitStatuses = [...(faults.nextSubmitStatuses ?? []), ...statuses];
    } else if (settings.status !== undefined && settings.status >= 200 && settings.status < 300) {
      faults.emptyMessageIds = (faults.emptyMessageIds ?? 0) + times;
    }
    // setFaults restarts the simulator's drop counter.
    if (settings.reset) this.smsc.setFaults({ ...faults, dropAfterSubmits: 1 });
  }

  /** Client connections (bound or not) open now. */
  get openConnections(): number {
    return this.smsc.connectionCount;
  }

  clearFaults(): void {
    this.smsc.setFaults({});
  }

  stop(): Promise<void> {
    return this.smsc.stop();
  }
}
