import { describe, expect, it } from 'vitest';
import {
  ConcatenationReferences,
  commandStatusError,
  describeCommandStatus,
  encodeMessage,
  formatCommandStatus,
} from '../src/index.js';

const fixedReference = { reference: () => 0x1234 };

describe('encodeMessage', () => {
  it('encodes GSM-7 as unpacked septets with data_coding 0, extension characters escaped', () => {
    const { parts, encoding } = encodeMessage('A@{€', {
      concatenation: 'udh',
      referenceBits: 8,
      ...fixedReference,
    });
    expect(encoding).toBe('GSM-7');
    expect(parts[0]?.dataCoding).toBe(0);
    expect([...(parts[0]?.shortMessage ?? [])]).toEqual([0x41, 0x00, 0x1b, 0x28, 0x1b, 0x65]);
  });

  it('encodes UCS-2 big-endian with data_coding 8, an emoji as a surrogate pair', () => {
    const { parts } = encodeMessage('Ж😀', { concatenation: 'udh', referenceBits: 8, ...fixedReference });
    expect(parts[0]?.dataCoding).toBe(8);
    expect([...(parts[0]?.shortMessage ?? [])]).toEqual([0x04, 0x16, 0xd8, 0x3d, 0xde, 0x00]);
  });

  it('splits 400 GSM characters into 153+153+94 with an 8-bit UDH and esm_class 0x40', () => {
    const { parts, segments } = encodeMessage('x'.repeat(400), {
      concatenation: 'udh',
      referenceBits: 8,
      ...fixedReference,
    });
    expect(segments).toBe(3);
    expect(parts.map((part) => part.shortMessage.length - 6)).toEqual([153, 153, 94]);
    parts.forEach((part, index) => {
      expect(part.esmClass).toBe(0x40);
      expect([...part.shortMessage.subarray(0, 6)]).toEqual([0x05, 0x00, 0x03, 0x34, 3, index + 1]);
    });
  });

  it('writes a 16-bit reference UDH (06 08 04) with 152 septets per part', () => {
    const { parts } = encodeMessage('y'.repeat(400), {
      concatenation: 'udh',
      referenceBits: 16,
      ...fixedReference,
    });
    expect(parts).toHaveLength(3);
    expect([...(parts[0]?.shortMessage.subarray(0, 7) ?? [])]).toEqual([0x06, 0x08, 0x04, 0x12, 0x34, 3, 1]);
    expect(parts[0]?.shortMessage.length).toBe(7 + 152);
  });

  it('uses sar_* TLVs without a UDH, or one message_payload', () => {
    const sar = encodeMessage('z'.repeat(200), { concatenation: 'sar', referenceBits: 8, ...fixedReference });
    expect(sar.parts[1]?.tlvs).toEqual({
      sar_msg_ref_num: 0x1234,
      sar_total_segments: 2,
      sar_segment_seqnum: 2,
    });
    expect(sar.parts[1]?.esmClass).toBe(0);
    const payload = encodeMessage('z'.repeat(200), {
      concatenation: 'payload',
      referenceBits: 8,
      ...fixedReference,
    });
    expect(payload.parts).toHaveLength(1);
    expect(payload.segments).toBe(2);
    expect((payload.parts[0]!.tlvs.message_payload as Buffer).length).toBe(200);
    expect(payload.parts[0]?.shortMessage.length).toBe(0);
  });

  it('never splits an escape pair across parts', () => {
    const text = `${'a'.repeat(152)}€bbbb${'c'.repeat(10)}`;
    const { parts } = encodeMessage(text, { concatenation: 'udh', referenceBits: 8, ...fixedReference });
    expect(parts[0]?.text).toBe('a'.repeat(152));
    expect(parts[1]?.text.startsWith('€')).toBe(true);
  });

  it('rotates references per destination', () => {
    const references = new ConcatenationReferences(8);
    const first = references.next('260971');
    expect(references.next('260971')).toBe((first + 1) % 256);
    const other = references.next('260972');
    expect(references.next('260972')).toBe((other + 1) % 256);
  });
});

describe('command_status', () => {
  const cases: Array<[number, string, string]> = [
    [0x58, 'ESME_RTHROTTLED', 'rate-limited'],
    [0x14, 'ESME_RMSGQFUL', 'rate-limited'],
    [0x08, 'ESME_RSYSERR', 'transient'],
    [0x64, 'ESME_RX_T_APPN', 'transient'],
    [0x0b, 'ESME_RINVDSTADR', 'permanent'],
    [0x0a, 'ESME_RINVSRCADR', 'configuration'],
    [0x65, 'ESME_RX_P_APPN', 'permanent'],
    [0x66, 'ESME_RX_R_APPN', 'permanent'],
    [0x01, 'ESME_RINVMSGLEN', 'permanent'],
    [0x0e, 'ESME_RINVPASWD', 'configuration'],
    [0x0d, 'ESME_RBINDFAIL', 'configuration'],
    [0x0f, 'ESME_RINVSYSID', 'configuration'],
  ];

  it.each(cases)('maps command_status %i to %s, kind %s', (status, name, kind) => {
    expect(describeCommandStatus(status)).toMatchObject({ name, kind });
    const error = commandStatusError(status, 'airtel', 'submit_sm');
    expect(error.kind).toBe(kind);
    expect(error.provider).toBe('airtel');
    expect(error.providerCode).toBe(formatCommandStatus(status));
    expect(error.message).toContain(name);
  });

  it('formats codes as 0x0000000B and treats vendor codes as transient', () => {
    expect(formatCommandStatus(0x0b)).toBe('0x0000000B');
    expect(describeCommandStatus(0x401)).toMatchObject({ name: 'UNKNOWN_STATUS', kind: 'transient' });
  });
});
