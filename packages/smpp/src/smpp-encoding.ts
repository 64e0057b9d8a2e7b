import { detectSmsEncoding, encodeGsm7, ProviderError, type SmsEncoding, splitSms } from '@msg/core';

/** How a message longer than one SMS is carried (the SMSC leaves concatenation to the client). */
export type ConcatenationMode = 'udh' | 'sar' | 'payload';

export const DATA_CODING = { 'GSM-7': 0x00, 'UCS-2': 0x08 } as const satisfies Record<SmsEncoding, number>;
export const ESM_CLASS_UDH_INDICATOR = 0x40;

/** One submit_sm worth of content. */
export interface EncodedPart {
  /** The text this part carries (for logs and the simulator's checks). */
  text: string;
  shortMessage: Buffer;
  esmClass: number;
  dataCoding: number;
  /** Optional parameters, keyed by the `smpp` package's TLV names. */
  tlvs: Record<string, number | Buffer>;
}

export interface EncodedMessage {
  encoding: SmsEncoding;
  /** SMS segments the handset receives (also for `payload`, where one PDU carries them all). */
  segments: number;
  parts: EncodedPart[];
}

export interface EncodeMessageOptions {
  concatenation: ConcatenationMode;
  referenceBits: 8 | 16;
  /** Concatenation reference for this message; only read when the text needs several parts. */
  reference: () => number;
}

/** Text as short_message octets: GSM-7 as unpacked septets (one per octet), UCS-2 big-endian. */
export function encodeSmsText(text: string, encoding: SmsEncoding): Buffer {
  if (encoding === 'GSM-7') return Buffer.from(encodeGsm7(text));
  return Buffer.from(text, 'utf16le').swap16();
}

export function concatenationHeader(
  reference: number,
  total: number,
  sequence: number,
  bits: 8 | 16,
): Buffer {
  if (bits === 8) return Buffer.from([0x05, 0x00, 0x03, reference & 0xff, total, sequence]);
  return Buffer.from([0x06, 0x08, 0x04, (reference >> 8) & 0xff, reference & 0xff, total, sequence]);
}

/** Splits and encodes a text for submit_sm; part boundaries come from `splitSms` (153/67 per UDH part). */
export function encodeMessage(text: string, options: EncodeMessageOptions): EncodedMessage {
  const encoding = detectSmsEncoding(text);
  const dataCoding = DATA_CODING[encoding];
  const texts = splitSms(text, { referenceBits: options.referenceBits });
  if (texts.length <= 1) {
    const single = { text, shortMessage: encodeSmsText(text, encoding), esmClass: 0, dataCoding, tlvs: {} };
    return { encoding, segments: text.length === 0 ? 0 : 1, parts: [single] };
  }
  if (options.concatenation === 'payload') {
    const payload = { message_payload: encodeSmsText(text, encoding) };
    const part = { text, shortMessage: Buffer.alloc(0), esmClass: 0, dataCoding, tlvs: payload };
    return { encoding, segments: texts.length, parts: [part] };
  }
  if (texts.length > 255) throw new RangeError('a concatenated SMS has at most 255 parts');
  const reference = options.reference();
  const parts = texts.map((partText, index): EncodedPart => {
    const body = encodeSmsText(partText, encoding);
    if (options.concatenation === 'sar') {
      const tlvs = {
        sar_msg_ref_num: reference & 0xffff,
        sar_total_segments: texts.length,
        sar_segment_seqnum: index + 1,
      };
      return { text: partText, shortMessage: body, esmClass: 0, dataCoding, tlvs };
    }
    const header = concatenationHeader(reference, texts.length, index + 1, options.referenceBits);
    return {
      text: partText,
      shortMessage: Buffer.concat([header, body]),
      esmClass: ESM_CLASS_UDH_INDICATOR,
      dataCoding,
      tlvs: {},
    };
  });
  return { encoding, segments: texts.length, parts };
}

/**
 * Concatenation references rotate per destination: a handset reassembles by (sender, reference),
 * so two long messages in flight to one number must not share one. Starts at a random value so a
 * restart does not reuse the last references.
 */
export class ConcatenationReferences {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly bits: 8 | 16,
    private readonly maxDestinations = 10_000,
  ) {}

  next(destination: string): number {
    const modulo = this.bits === 8 ? 0x100 : 0x10000;
    const previous = this.last.get(destination);
    const value = previous === undefined ? Math.floor(Math.random() * modulo) : (previous + 1) % modulo;
    this.last.delete(destination);
    this.last.set(destination, value);
    if (this.last.size > this.maxDestinations) {
      const oldest = this.last.keys().next().value as string;
      this.last.delete(oldest);
    }
    return value;
  }
}

/** `encodeMessage`, with a text it cannot carry refused as the message's fault (`MESSAGE_TOO_LONG`). */
export function encodeOrRefuse(
  text: string,
  options: EncodeMessageOptions,
  provider: string,
): EncodedMessage {
  try {
    return encodeMessage(text, options);
  } catch (error) {
    throw new ProviderError({
      kind: 'permanent',
      provider,
      providerCode: 'MESSAGE_TOO_LONG',
      message: `[msg] [smpp] ${(error as Error).message}`,
    });
  }
}
