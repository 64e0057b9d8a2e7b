import { describe, expect, it } from 'vitest';
import { IpAllowList, isIpAddressOrBlock } from '../src/index.js';

describe('isIpAddressOrBlock', () => {
  it('accepts IPv4 and IPv6 addresses and CIDR blocks within the prefix range', () => {
    for (const entry of [
      '196.201.214.200',
      ' 10.0.0.0/8 ',
      '0.0.0.0/0',
      '2001:db8::1',
      '2001:db8::/32',
      '::/128',
    ]) {
      expect(isIpAddressOrBlock(entry), entry).toBe(true);
    }
  });

  it('refuses host names, out-of-range prefixes and malformed blocks', () => {
    for (const entry of [
      '',
      'example.com',
      '10.0.0.0/33',
      '2001:db8::/129',
      '10.0.0.0/',
      '10.0.0.0/8/8',
      '10.0.0.0/x',
      '256.1.1.1',
    ]) {
      expect(isIpAddressOrBlock(entry), entry).toBe(false);
    }
  });
});

describe('IpAllowList', () => {
  const list = new IpAllowList(['196.201.214.0/24', '41.215.160.10', '2001:db8::/32']);

  it('allows an address inside a block or equal to an allowed address', () => {
    expect(list.allows('196.201.214.200')).toBe(true);
    expect(list.allows('41.215.160.10')).toBe(true);
    expect(list.allows('2001:db8:0:1::5')).toBe(true);
  });

  it('refuses addresses outside the list', () => {
    expect(list.allows('196.201.215.1')).toBe(false);
    expect(list.allows('41.215.160.11')).toBe(false);
    expect(list.allows('2001:db9::1')).toBe(false);
  });

  it('checks an IPv4-mapped IPv6 peer as its IPv4 address, for blocks and single addresses', () => {
    expect(list.allows('::ffff:196.201.214.7')).toBe(true);
    expect(list.allows('::FFFF:41.215.160.10')).toBe(true);
    expect(list.allows('::ffff:8.8.8.8')).toBe(false);
    expect(new IpAllowList(['::ffff:10.1.2.3']).allows('10.1.2.3')).toBe(true);
  });

  it('refuses a missing or malformed caller address', () => {
    expect(list.allows(undefined)).toBe(false);
    expect(list.allows('')).toBe(false);
    expect(list.allows('not-an-ip')).toBe(false);
  });

  it('allows nothing when empty', () => {
    expect(new IpAllowList([]).allows('127.0.0.1')).toBe(false);
  });

  it('refuses an entry that is not an address or a block, naming it', () => {
    expect(() => new IpAllowList(['10.0.0.0/40'])).toThrow(
      '"10.0.0.0/40" is not an IP address or a CIDR block',
    );
  });
});
