import type { Socket } from 'node:net';
import { decodeGsm7 } from '@msg/core';

/**
 * The `smpp` package hands over PDUs already decoded (short_message turned into text with its own
 * GSM table). To record the exact octets, the simulator wraps `read()` of each accepted socket (one
 * instance, never the prototype): the package reads a 4-octet length, then the rest of the PDU.
 */
export function captureRawPdus(socket: Socket): () => Buffer | undefined {
  const read = socket.read.bind(socket);
  let head: Buffer | undefined;
  let last: Buffer | undefined;
  socket.read = ((size?: number) => {
    const chunk = read(size) as Buffer | null;
    if (chunk) {
      if (head === undefined && size === 4) head = chunk;
      else if (head !== undefined) {
        last = Buffer.concat([head, chunk]);
        head = undefined;
      }
    }
    return chunk;
  }) as typeof socket.read;
  return () => last;
}

export interface ConcatenationInfo {
  reference: number;
  total: number;
  sequence: number;
  referenceBits: 8 | 16;
}

export interface RawSubmitSm {
  shortMessage: Buffer;
  /** Optional parameters by tag. */
  tlvs: Map<number, Buffer>;
}

function skipCString(buffer: Buffer, offset: number): number {
  const end = buffer.indexOf(0, offset);
  return end < 0 ? buffer.length : end + 1;
}

/** short_message and TLVs of a raw submit_sm (SMPP 3.4 section 4.4.1 field order). */
export function parseRawSubmitSm(pdu: Buffer): RawSubmitSm {
  let offset = 16;
  offset = skipCString(pdu, offset); // service_type
  offset += 2;
  offset = skipCString(pdu, offset); // source_addr
  offset += 2;
  offset = skipCString(pdu, offset); // destination_addr
  offset += 3; // esm_class, protocol_id, priority_flag
  offset = skipCString(pdu, offset); // schedule_delivery_time
  offset = skipCString(pdu, offset); // validity_period
  offset += 4; // registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id
  const length = pdu[offset] ?? 0;
  offset += 1;
  const shortMessage = pdu.subarray(offset, offset + length);
  offset += length;
  const tlvs = new Map<number, Buffer>();
  while (offset + 4 <= pdu.length) {
    const tag = pdu.readUInt16BE(offset);
    const size = pdu.readUInt16BE(offset + 2);
    tlvs.set(tag, pdu.subarray(offset + 4, offset + 4 + size));
    offset += 4 + size;
  }
  return { shortMessage: Buffer.from(shortMessage), tlvs };
}

/** The concatenation element of a UDH (IEI 0x00 8-bit or 0x08 16-bit reference). */
export function parseConcatenationUdh(udh: Buffer): ConcatenationInfo | undefined {
  let offset = 1;
  while (offset + 1 < udh.length) {
    const iei = udh[offset] as number;
    const size = udh[offset + 1] as number;
    const data = udh.subarray(offset + 2, offset + 2 + size);
    if (iei === 0x00 && size === 3) {
      return { reference: data[0]!, total: data[1]!, sequence: data[2]!, referenceBits: 8 };
    }
    if (iei === 0x08 && size === 4) {
      return { reference: data.readUInt16BE(0), total: data[2]!, sequence: data[3]!, referenceBits: 16 };
    }
    offset += 2 + size;
  }
  return undefined;
}

/** Text of short_message octets in a data_coding: 0 unpacked GSM-7, 8 UCS-2 BE, else Latin-1. */
export function decodeSmsText(octets: Buffer, dataCoding: number): string {
  if (dataCoding === 0x00) return decodeGsm7(octets);
  if (dataCoding === 0x08)
    return Buffer.from(octets.subarray(0, octets.length & ~1))
      .swap16()
      .toString('utf16le');
  return octets.toString('latin1');
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}

/** YYMMDDhhmm in UTC. */
export function receiptDate(date: Date): string {
  return (
    twoDigits(date.getUTCFullYear() % 100) +
    twoDigits(date.getUTCMonth() + 1) +
    twoDigits(date.getUTCDate()) +
    twoDigits(date.getUTCHours()) +
    twoDigits(date.getUTCMinutes())
  );
}
