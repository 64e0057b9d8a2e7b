/// <reference path="./smpp-module.d.ts" />
import { randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { encodeGsm7, isGsm7 } from '@msg/core';
import { createServer, PDU, type Server, type Session } from 'smpp';
import {
  type ConcatenationInfo,
  captureRawPdus,
  decodeSmsText,
  parseConcatenationUdh,
  parseRawSubmitSm,
  receiptDate,
} from './simulator-wire.js';
import { ESM_CLASS_UDH_INDICATOR } from './smpp-encoding.js';
import type { ReceiptStat } from './smpp-receipt.js';

export {
  SMSC_ERRORS,
  SmscConformanceAdapter,
  type SmscConformanceAdapterOptions,
  type SmscErrorName,
  type SmscRecordedRequest,
} from './simulator-conformance.js';

const STATUS = {
  ESME_ROK: 0x00,
  ESME_RINVBNDSTS: 0x04,
  ESME_RBINDFAIL: 0x0d,
  ESME_RINVPASWD: 0x0e,
  ESME_RINVSYSID: 0x0f,
  ESME_RTHROTTLED: 0x58,
} as const;

/** message_state TLV values of the receipt outcomes. */
const MESSAGE_STATE: Readonly<Record<ReceiptStat, number>> = {
  ENROUTE: 1,
  DELIVRD: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIV: 5,
  ACCEPTD: 6,
  UNKNOWN: 7,
  REJECTD: 8,
};

export type SimulatorBindType = 'transceiver' | 'transmitter' | 'receiver';

export interface RecordedBind {
  bindType: SimulatorBindType;
  systemId: string;
  systemType: string;
  interfaceVersion: number;
  addressRange: string;
  /** The system_id whose password checked out; undefined when the bind was refused. */
  credential: string | undefined;
  commandStatus: number;
}

export interface RecordedSubmit {
  /** The bound system_id that sent it. */
  credential: string;
  sequenceNumber: number;
  sourceAddr: string;
  sourceAddrTon: number;
  sourceAddrNpi: number;
  destinationAddr: string;
  destAddrTon: number;
  destAddrNpi: number;
  esmClass: number;
  dataCoding: number;
  registeredDelivery: number;
  /** short_message exactly as received (UDH included). */
  shortMessage: Buffer;
  udh: Buffer | undefined;
  concatenation: ConcatenationInfo | undefined;
  /** sar_msg_ref_num / sar_total_segments / sar_segment_seqnum when present. */
  sar: { reference: number; total: number; sequence: number } | undefined;
  messagePayload: Buffer | undefined;
  /** The text, decoded from the octets after the UDH (or from message_payload). */
  text: string;
  /** The id returned in submit_sm_resp; undefined when refused or swallowed. */
  messageId: string | undefined;
  commandStatus: number | undefined;
  receivedAt: number;
}

export interface ReceiptOutcome {
  stat: ReceiptStat;
  /** The receipt's `err:` field (default `000`, or `001` for a failure). */
  err?: string;
  /** network_error_code TLV, [type, code]. */
  networkError?: [number, number];
}

export interface SmscSimulatorOptions {
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** system_id -> password; binds with any other pair are refused. Default: any pair binds. */
  credentials?: Record<string, string>;
  /** Ids in submit_sm_resp (default `hex`). */
  messageIdFormat?: 'hex' | 'decimal';
  /** Ids in receipts (default: as in submit_sm_resp). */
  receiptIdFormat?: 'hex' | 'decimal';
  /** Receipt form: the text, the TLVs or both (default `both`). */
  receiptMode?: 'text' | 'tlv' | 'both';
  receiptDelayMs?: number;
  /** Outcome per destination_addr (no `+`); others get `defaultOutcome` (DELIVRD). */
  outcomes?: Record<string, ReceiptStat | ReceiptOutcome>;
  defaultOutcome?: ReceiptStat | ReceiptOutcome;
  /** Delay before every submit_sm_resp. */
  responseDelayMs?: number;
  /** Close a session that sent nothing for this long, as real SMSCs do. */
  inactivityTimeoutMs?: number;
}

export interface SimulatorFaults {
  /** Answer every Nth submit_sm with `throttleStatus` (counted over all sessions). */
  throttleEveryNth?: number;
  /** Throttle submits above this many accepted in the last second. */
  maxSubmitsPerSecond?: number;
  /** ESME_RTHROTTLED (0x58, default) or ESME_RMSGQFUL (0x14). */
  throttleStatus?: number;
  /** Refuse every bind with this command_status (e.g. ESME_RBINDFAIL 0x0D). */
  bindStatus?: number;
  /** Drop every connection when this many more submits have arrived (that submit gets no answer). */
  dropAfterSubmits?: number;
  /** Never answer submit_sm: `true` for all, a number for the next N. */
  swallowSubmits?: boolean | number;
  /** Answer submits to these destinations with this command_status. */
  submitStatusFor?: Record<string, number>;
  /** Answer the next submits with these command_status values, one each. */
  nextSubmitStatuses?: number[];
  /** Accept the next N submits (ESME_ROK) with an empty message_id, as a broken SMSC does. */
  emptyMessageIds?: number;
}

interface SessionState {
  session: Session;
  bindType: SimulatorBindType | undefined;
  credential: string | undefined;
  rawPdu: () => Buffer | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * An SMSC on 127.0.0.1 speaking SMPP 3.4 through the `smpp` package's server, with fault injection
 * (throttling, refused binds, drops, swallowed submits), delivery receipts per destination, and a
 * record of every bind and submit (raw octets, UDH, data_coding, decoded text).
 */
export class SmscSimulator {
  readonly binds: RecordedBind[] = [];
  readonly submits: RecordedSubmit[] = [];
  /** enquire_link PDUs received from clients. */
  enquireLinks = 0;
  unbinds = 0;
  /** Sessions closed for inactivity. */
  inactivityCloses = 0;
  faults: SimulatorFaults = {};
  private readonly options: SmscSimulatorOptions;
  private readonly sessions = new Set<SessionState>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: Server | undefined;
  /**
   * A random start, not a fixed one: a simulator started again (a second sandbox run on the same
   * store) must not hand out the ids of the first run, or their receipts would match old messages.
   * Below 2^47 so every id stays exact as a number, in hex and in decimal.
   */
  private nextMessageId = randomInt(0x100000, 2 ** 47);
  private submitCount = 0;
  private submitsSinceDropSet = 0;
  private acceptedTimes: number[] = [];

  constructor(options: SmscSimulatorOptions = {}) {
    this.options = options;
  }

  get port(): number {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('simulator not started');
    return address.port;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  /** Sessions currently connected (bound or not). */
  get connectionCount(): number {
    return this.sessions.size;
  }

  async start(): Promise<this> {
    const server = createServer({}, (session) => this.accept(session));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return this;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.dropConnections();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  setFaults(faults: SimulatorFaults): void {
    this.faults = faults;
    this.submitsSinceDropSet = 0;
  }

  /** Sets the receipt outcome for one destination (no `+`). */
  setOutcome(destination: string, outcome: ReceiptStat | ReceiptOutcome): void {
    this.options.outcomes = { ...this.options.outcomes, [destination]: outcome };
  }

  /** Destroys every client connection now, without unbind. */
  dropConnections(): void {
    for (const state of this.sessions) state.session.destroy();
  }

  /** Sends enquire_link to every bound session; resolves with how many answered within `timeoutMs`. */
  async enquireLink(timeoutMs = 1000): Promise<number> {
    const bound = [...this.sessions].filter((state) => state.credential !== undefined);
    const answers = await Promise.all(
      bound.map(
        (state) =>
          new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), timeoutMs);
            state.session.send(new PDU('enquire_link', {}), () => {
              clearTimeout(timer);
              resolve(true);
            });
          }),
      ),
    );
    return answers.filter(Boolean).length;
  }

  private accept(session: Session): void {
    const state: SessionState = {
      session,
      bindType: undefined,
      credential: undefined,
      rawPdu: captureRawPdus(session.socket),
      idleTimer: undefined,
    };
    this.sessions.add(state);
    // Without it, Nagle holds back a burst of responses until the client's delayed ACK (40 ms).
    session.socket.setNoDelay(true);
    session.on('error', () => session.destroy());
    session.socket.on('close', () => {
      clearTimeout(state.idleTimer);
      this.sessions.delete(state);
    });
    this.touch(state);
    let corked = false;
    session.on('pdu', (pdu: PDU) => {
      // One syscall for all the responses of one read.
      if (!corked) {
        corked = true;
        session.socket.cork();
        process.nextTick(() => {
          corked = false;
          session.socket.uncork();
        });
      }
      this.touch(state);
      this.handle(state, pdu);
    });
  }

  private touch(state: SessionState): void {
    const timeout = this.options.inactivityTimeoutMs;
    if (!timeout) return;
    clearTimeout(state.idleTimer);
    state.idleTimer = setTimeout(() => {
      this.inactivityCloses += 1;
      state.session.destroy();
    }, timeout);
  }

  private handle(state: SessionState, pdu: PDU): void {
    const { session } = state;
    switch (pdu.command) {
      case 'bind_transceiver':
      case 'bind_transmitter':
      case 'bind_receiver':
        this.bind(state, pdu);
        return;
      case 'enquire_link':
        this.enquireLinks += 1;
        session.send(pdu.response());
        return;
      case 'unbind':
        this.unbinds += 1;
        session.send(pdu.response());
        session.close();
        return;
      case 'submit_sm':
        this.submit(state, pdu);
        return;
      case 'deliver_sm_resp':
      case 'enquire_link_resp':
        return;
      default:
        if (!pdu.isResponse()) session.send(pdu.response({ command_status: 0x03 }));
    }
  }

  private bind(state: SessionState, pdu: PDU): void {
    const bindType = pdu.command.slice('bind_'.length) as SimulatorBindType;
    const systemId = String(pdu.system_id ?? '');
    const password = String(pdu.password ?? '');
    const credentials = this.options.credentials;
    let status: number = STATUS.ESME_ROK;
    if (this.faults.bindStatus) status = this.faults.bindStatus;
    else if (credentials && !(systemId in credentials)) status = STATUS.ESME_RINVSYSID;
    else if (credentials && credentials[systemId] !== password) status = STATUS.ESME_RINVPASWD;
    this.binds.push({
      bindType,
      systemId,
      systemType: String(pdu.system_type ?? ''),
      interfaceVersion: Number(pdu.interface_version ?? 0),
      addressRange: String(pdu.address_range ?? ''),
      credential: status === STATUS.ESME_ROK ? systemId : undefined,
      commandStatus: status,
    });
    if (status !== STATUS.ESME_ROK) {
      state.session.send(pdu.response({ command_status: status }));
      return;
    }
    state.bindType = bindType;
    state.credential = systemId;
    state.session.send(pdu.response({ system_id: 'msg-smsc-simulator' }));
  }

  private submit(state: SessionState, pdu: PDU): void {
    const raw = state.rawPdu();
    const record = this.record(state, pdu, raw);
    this.submits.push(record);
    if (state.credential === undefined || state.bindType === 'receiver') {
      state.session.send(pdu.response({ command_status: STATUS.ESME_RINVBNDSTS }));
      return;
    }
    this.submitCount += 1;
    const faults = this.faults;
    if (faults.dropAfterSubmits !== undefined) {
      this.submitsSinceDropSet += 1;
      if (this.submitsSinceDropSet >= faults.dropAfterSubmits) {
        faults.dropAfterSubmits = undefined;
        this.dropConnections();
        return;
      }
    }
    if (faults.swallowSubmits === true) return;
    if (typeof faults.swallowSubmits === 'number' && faults.swallowSubmits > 0) {
      faults.swallowSubmits -= 1;
      return;
    }
    const status = this.submitStatus(record);
    record.commandStatus = status;
    if (status !== STATUS.ESME_ROK) {
      this.later(
        () => state.session.send(pdu.response({ command_status: status })),
        this.options.responseDelayMs,
      );
      return;
    }
    if (faults.emptyMessageIds !== undefined && faults.emptyMessageIds > 0) {
      faults.emptyMessageIds -= 1;
      this.later(() => state.session.send(pdu.response({ message_id: '' })), this.options.responseDelayMs);
      return;
    }
    const id = this.nextMessageId++;
    record.messageId = this.formatId(id, this.options.messageIdFormat ?? 'hex');
    this.later(
      () => state.session.send(pdu.response({ message_id: record.messageId })),
      this.options.responseDelayMs,
    );
    if (record.registeredDelivery & 0x03)
      this.later(() => this.sendReceipt(state, record, id), this.options.receiptDelayMs ?? 20);
  }

  private submitStatus(record: RecordedSubmit): number {
    const faults = this.faults;
    const next = faults.nextSubmitStatuses?.shift();
    if (next !== undefined) return next;
    const forDestination = faults.submitStatusFor?.[record.destinationAddr];
    if (forDestination !== undefined) return forDestination;
    const throttle = faults.throttleStatus ?? STATUS.ESME_RTHROTTLED;
    if (faults.throttleEveryNth && this.submitCount % faults.throttleEveryNth === 0) return throttle;
    if (faults.maxSubmitsPerSecond !== undefined) {
      const now = performance.now();
      this.acceptedTimes = this.acceptedTimes.filter((time) => now - time < 1000);
      if (this.acceptedTimes.length >= faults.maxSubmitsPerSecond) return throttle;
      this.acceptedTimes.push(now);
    }
    return STATUS.ESME_ROK;
  }

  private record(state: SessionState, pdu: PDU, raw: Buffer | undefined): RecordedSubmit {
    const dataCoding = Number(pdu.data_coding ?? 0);
    const esmClass = Number(pdu.esm_class ?? 0);
    const parsed = raw
      ? parseRawSubmitSm(raw)
      : { shortMessage: Buffer.alloc(0), tlvs: new Map<number, Buffer>() };
    const shortMessage = parsed.shortMessage;
    const hasUdh = (esmClass & ESM_CLASS_UDH_INDICATOR) !== 0 && shortMessage.length > 0;
    const udh = hasUdh ? shortMessage.subarray(0, (shortMessage[0] as number) + 1) : undefined;
    const body = udh ? shortMessage.subarray(udh.length) : shortMessage;
    const messagePayload = parsed.tlvs.get(0x0424);
    const reference = parsed.tlvs.get(0x020c);
    const total = parsed.tlvs.get(0x020e);
    const sequence = parsed.tlvs.get(0x020f);
    return {
      credential: state.credential ?? '',
      sequenceNumber: pdu.sequence_number,
      sourceAddr: String(pdu.source_addr ?? ''),
      sourceAddrTon: Number(pdu.source_addr_ton ?? 0),
      sourceAddrNpi: Number(pdu.source_addr_npi ?? 0),
      destinationAddr: String(pdu.destination_addr ?? ''),
      destAddrTon: Number(pdu.dest_addr_ton ?? 0),
      destAddrNpi: Number(pdu.dest_addr_npi ?? 0),
      esmClass,
      dataCoding,
      registeredDelivery: Number(pdu.registered_delivery ?? 0),
      shortMessage,
      udh,
      concatenation: udh ? parseConcatenationUdh(udh) : undefined,
      sar:
        reference && total && sequence
          ? { reference: reference.readUInt16BE(0), total: total[0]!, sequence: sequence[0]! }
          : undefined,
      messagePayload,
      text: decodeSmsText(messagePayload ?? body, dataCoding),
      messageId: undefined,
      commandStatus: undefined,
      receivedAt: Date.now(),
    };
  }

  private sendReceipt(origin: SessionState, record: RecordedSubmit, id: number): void {
    // Receipts go to the session that submitted when it can receive, else to a receiver of the same account.
    const target =
      origin.bindType === 'transceiver' && this.sessions.has(origin)
        ? origin
        : [...this.sessions].find(
            (state) =>
              state.credential === record.credential &&
              (state.bindType === 'receiver' || state.bindType === 'transceiver'),
          );
    if (!target) return;
    const configured =
      this.options.outcomes?.[record.destinationAddr] ?? this.options.defaultOutcome ?? 'DELIVRD';
    const outcome = typeof configured === 'string' ? { stat: configured } : configured;
    const receiptId = this.formatId(
      id,
      this.options.receiptIdFormat ?? this.options.messageIdFormat ?? 'hex',
    );
    const mode = this.options.receiptMode ?? 'both';
    const delivered = outcome.stat === 'DELIVRD';
    const now = receiptDate(new Date());
    const excerpt = [...record.text.slice(0, 20)].map((char) => (isGsm7(char) ? char : '?')).join('');
    const text =
      `id:${receiptId} sub:001 dlvrd:${delivered ? '001' : '000'} submit date:${receiptDate(new Date(record.receivedAt))} ` +
      `done date:${now} stat:${outcome.stat} err:${outcome.err ?? (delivered ? '000' : '001')} text:${excerpt}`;
    const fields: Record<string, unknown> = {
      source_addr_ton: record.destAddrTon,
      source_addr_npi: record.destAddrNpi,
      source_addr: record.destinationAddr,
      dest_addr_ton: record.sourceAddrTon,
      dest_addr_npi: record.sourceAddrNpi,
      destination_addr: record.sourceAddr,
      esm_class: 0x04,
      data_coding: 0x00,
      short_message: mode === 'tlv' ? Buffer.alloc(0) : Buffer.from(encodeGsm7(text)),
    };
    if (mode !== 'text') {
      fields.receipted_message_id = receiptId;
      fields.message_state = MESSAGE_STATE[outcome.stat];
      if (outcome.networkError) {
        const [type, code] = outcome.networkError;
        fields.network_error_code = Buffer.from([type, (code >> 8) & 0xff, code & 0xff]);
      }
    }
    target.session.send(new PDU('deliver_sm', fields));
  }

  private formatId(id: number, format: 'hex' | 'decimal'): string {
    return format === 'hex' ? id.toString(16) : id.toString(10);
  }

  private later(action: () => void, delayMs: number | undefined): void {
    if (!delayMs) {
      action();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delayMs);
    this.timers.add(timer);
  }
}

/** Creates and starts a simulator on 127.0.0.1. */
export async function createSmscSimulator(options: SmscSimulatorOptions = {}): Promise<SmscSimulator> {
  return new SmscSimulator(options).start();
}
