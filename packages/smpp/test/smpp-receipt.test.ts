import { describe, expect, it } from 'vitest';
import {
  type DeliveryReceipt,
  MessageIdIndex,
  messageIdsMatch,
  normaliseMessageId,
  parseDeliveryReceipt,
  parseReceiptText,
  RECEIPT_STATUS_MAP,
  receiptStatus,
  reconcileReceipts,
} from '../src/index.js';

const TEXT =
  'id:2286477101 sub:001 dlvrd:001 submit date:2511221430 done date:2511221431 stat:DELIVRD err:000 text:Hello stat:UNDELIV';

function receipt(messageId: string, status: DeliveryReceipt['status']): DeliveryReceipt {
  return {
    messageId,
    receiptMessageId: messageId,
    matched: true,
    status,
    providerStatus: status,
    recipient: '260971234567',
    sender: 'MSG',
  };
}

describe('receipt text', () => {
  it('parses every field, dates as UTC, and keeps text: to the end even when it looks like a field', () => {
    const parsed = parseReceiptText(TEXT);
    expect(parsed).toEqual({
      id: '2286477101',
      submitted: 1,
      delivered: 1,
      submitDate: new Date(Date.UTC(2025, 10, 22, 14, 30)),
      doneDate: new Date(Date.UTC(2025, 10, 22, 14, 31)),
      stat: 'DELIVRD',
      err: '000',
      text: 'Hello stat:UNDELIV',
    });
  });

  it('accepts upper-case keys, seconds in dates, and no text field', () => {
    const parsed = parseReceiptText(
      'ID:0A1F SUB:001 DLVRD:000 SUBMIT DATE:251122143005 DONE DATE:2511221431 STAT:UNDELIV ERR:034',
    );
    expect(parsed?.id).toBe('0A1F');
    expect(parsed?.stat).toBe('UNDELIV');
    expect(parsed?.err).toBe('034');
    expect(parsed?.submitDate?.toISOString()).toBe('2025-11-22T14:30:05.000Z');
  });

  it('returns undefined for text that is not a receipt', () => {
    expect(parseReceiptText('hello there')).toBeUndefined();
  });

  it('maps every stat word to a delivery status', () => {
    expect(RECEIPT_STATUS_MAP).toEqual({
      DELIVRD: 'delivered',
      EXPIRED: 'expired',
      DELETED: 'failed',
      UNDELIV: 'undelivered',
      ACCEPTD: 'sent',
      UNKNOWN: 'unknown',
      REJECTD: 'failed',
      ENROUTE: 'sent',
    });
    for (const [stat, status] of Object.entries(RECEIPT_STATUS_MAP)) expect(receiptStatus(stat)).toBe(status);
    expect(receiptStatus('GARBAGE')).toBe('unknown');
  });

  it('prefers the TLVs (receipted_message_id, message_state, network_error_code) over the text', () => {
    const parsed = parseDeliveryReceipt({
      esmClass: 0x04,
      sourceAddr: '260971234567',
      destinationAddr: 'MSG',
      text: TEXT,
      receiptedMessageId: '88A2F3AD',
      messageState: 5,
      networkErrorCode: Uint8Array.from([3, 0x00, 0x22]),
    });
    expect(parsed?.receiptMessageId).toBe('88A2F3AD');
    expect(parsed?.status).toBe('undelivered');
    expect(parsed?.providerStatus).toBe('UNDELIV');
    expect(parsed?.networkErrorCode).toEqual({ networkType: 3, code: 0x22 });
    expect(parsed?.doneAt).toEqual(new Date(Date.UTC(2025, 10, 22, 14, 31)));
  });

  it('reads a TLV-only receipt', () => {
    const parsed = parseDeliveryReceipt({
      esmClass: 0x04,
      sourceAddr: '1',
      destinationAddr: '2',
      text: undefined,
      receiptedMessageId: 'abc',
      messageState: 2,
    });
    expect(parsed?.status).toBe('delivered');
  });
});

describe('message ids in hex and decimal', () => {
  it('matches a decimal receipt id to a hex submit id and the reverse', () => {
    expect(messageIdsMatch('88a2f3ad', '2292380589')).toBe(true);
    expect(messageIdsMatch('2292380589', '88A2F3AD')).toBe(true);
    expect(messageIdsMatch('0088a2f3ad', '88a2f3ad')).toBe(true);
    expect(messageIdsMatch('88a2f3ad', '2292380580')).toBe(false);
  });

  it('normalises hex and decimal readings to one key', () => {
    expect(normaliseMessageId('2A', 'hex')).toBe('42');
    expect(normaliseMessageId('042', 'decimal')).toBe('42');
    expect(normaliseMessageId('Msg-1', 'string')).toBe('msg-1');
  });

  it('finds the submit id of a receipt, exact matches first', () => {
    const index = new MessageIdIndex();
    index.add('a0000');
    index.add('10');
    expect(index.find('655360')).toBe('a0000');
    expect(index.find('A0000')).toBe('a0000');
    // "10" exists as given: the exact reading wins over 16 = 0x10.
    expect(index.find('10')).toBe('10');
    expect(index.find('16')).toBe('10');
    expect(index.find('999')).toBeUndefined();
  });

  it('uses declared formats when the SMSC is known', () => {
    const index = new MessageIdIndex('hex', 'decimal');
    index.add('10');
    expect(index.find('16')).toBe('10');
    expect(index.find('10')).toBeUndefined();
  });
});

describe('reconcileReceipts', () => {
  const ids = ['a1', 'a2', 'a3'];

  it('is delivered only when every part is delivered', () => {
    const two = reconcileReceipts(ids, [receipt('a1', 'delivered'), receipt('a2', 'delivered')]);
    expect(two).toMatchObject({ status: 'sent', final: false });
    const all = reconcileReceipts(ids, [
      receipt('a1', 'delivered'),
      receipt('a2', 'delivered'),
      receipt('a3', 'delivered'),
    ]);
    expect(all).toMatchObject({ status: 'delivered', final: true });
  });

  it('takes the failure of any part, even when others are delivered', () => {
    const result = reconcileReceipts(ids, [
      receipt('a1', 'delivered'),
      receipt('a2', 'expired'),
      receipt('a3', 'delivered'),
    ]);
    expect(result).toMatchObject({ status: 'expired', final: true });
  });

  it('matches parts by decimal receipt ids and ignores a late sent after delivered', () => {
    const result = reconcileReceipts(
      ['a', 'b'],
      [receipt('10', 'delivered'), receipt('11', 'delivered'), receipt('11', 'sent')],
    );
    expect(result.parts.map((part) => part.status)).toEqual(['delivered', 'delivered']);
    expect(result.status).toBe('delivered');
  });
});
