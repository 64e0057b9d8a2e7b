import { describe, expect, it } from 'vitest';
import {
  countSmsSegments,
  decodeGsm7,
  detectSmsEncoding,
  encodeGsm7,
  splitSms,
} from '../src/sms-encoding.js';

describe('SMS encoding', () => {
  it('keeps plain GSM text in GSM-7 and switches to UCS-2 for anything outside it', () => {
    expect(detectSmsEncoding('Hello @ £5 – ok')).toBe('UCS-2'); // en dash is not GSM
    expect(detectSmsEncoding('Hello @ £5 - ok ÄÖÑÜ§¿')).toBe('GSM-7');
    expect(detectSmsEncoding('Muli bwanji 😀')).toBe('UCS-2');
  });

  it('fits 160 GSM septets in one message and 161 in two parts of at most 153', () => {
    expect(countSmsSegments('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
    const two = countSmsSegments('a'.repeat(161));
    expect(two).toMatchObject({ segments: 2, unitsPerSegment: 153 });
    expect(splitSms('a'.repeat(161)).map((part) => part.length)).toEqual([153, 8]);
  });

  it('counts extension characters as two septets', () => {
    expect(countSmsSegments('{}[]~|^\\€\f').units).toBe(20);
    expect(countSmsSegments('€'.repeat(80)).segments).toBe(1);
    expect(countSmsSegments('€'.repeat(81)).segments).toBe(2);
  });

  it('never splits an escape pair across parts', () => {
    const text = `${'a'.repeat(152)}€${'b'.repeat(10)}`; // 164 septets: two parts
    const parts = splitSms(text);
    expect(parts).toEqual(['a'.repeat(152), `€${'b'.repeat(10)}`]);
  });

  it('fits 70 UCS-2 units in one message and splits longer text in 67-unit parts', () => {
    expect(countSmsSegments('ж'.repeat(70))).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(countSmsSegments('ж'.repeat(71))).toMatchObject({ segments: 2, unitsPerSegment: 67 });
  });

  it('counts an emoji as two UTF-16 units and never splits a surrogate pair', () => {
    expect(countSmsSegments('😀'.repeat(35))).toMatchObject({ units: 70, segments: 1 });
    const text = `${'ж'.repeat(66)}😀жжж`; // 71 units: two parts
    const parts = splitSms(text);
    expect(parts).toEqual(['ж'.repeat(66), '😀жжж']);
    for (const part of parts) expect(part).toBe(part.normalize()); // no lone surrogate
  });

  it('uses 152/66 units per part with a 16-bit concatenation reference', () => {
    expect(splitSms('a'.repeat(305), { referenceBits: 16 }).map((part) => part.length)).toEqual([
      152, 152, 1,
    ]);
    expect(countSmsSegments('ж'.repeat(133), { referenceBits: 16 })).toMatchObject({
      segments: 3,
      unitsPerSegment: 66,
    });
  });

  it('splits 400 GSM characters into three parts', () => {
    expect(countSmsSegments('x'.repeat(400)).segments).toBe(3);
  });

  it('counts as many segments as splitSms makes parts, whatever the mix of characters', () => {
    // Pieces that sit on every boundary: basic and extension GSM, a UCS-2 letter, a surrogate pair.
    const pieces = ['a', 'Z', ' ', '€', '{', 'ñ', 'Ж', '😀', '\n'];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    for (let run = 0; run < 400; run++) {
      const length = next() % 420;
      let text = '';
      for (let index = 0; index < length; index++) {
        // Mostly GSM text, now and then a character that changes the encoding or costs two units.
        const pick = next() % 100;
        text += pick < 80 ? (pieces[pick % 3] as string) : (pieces[3 + (pick % 6)] as string);
      }
      const info = countSmsSegments(text);
      const parts = text === '' ? [] : splitSms(text);
      expect(info.segments, JSON.stringify(text)).toBe(parts.length);
      expect(info.characters).toBe([...text].length);
      expect(countSmsSegments(text, { referenceBits: 16 }).segments).toBe(
        text === '' ? 0 : splitSms(text, { referenceBits: 16 }).length,
      );
    }
  });

  it('round-trips GSM-7 septets including the escape table', () => {
    const text = 'Price: €5 {ok} @home';
    const septets = encodeGsm7(text);
    expect(septets[0]).toBe(0x50); // P
    expect([...septets]).toContain(0x1b);
    expect(decodeGsm7(septets)).toBe(text);
    expect(() => encodeGsm7('ж')).toThrow(RangeError);
  });
});
