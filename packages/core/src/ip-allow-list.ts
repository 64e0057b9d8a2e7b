import { BlockList, isIP } from 'node:net';

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) is checked as `1.2.3.4`. */
function unmapped(address: string): string {
  const match = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return match ? (match[1] as string) : address;
}

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/** An address (`196.201.214.200`) or a CIDR block (`196.201.214.0/24`, `2001:db8::/32`). */
export function isIpAddressOrBlock(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.trim().split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Matches a webhook caller's address against allowed addresses and CIDR blocks (IPv4 and IPv6). */
export class IpAllowList {
  private readonly list = new BlockList();

  /** Entries must pass `isIpAddressOrBlock`; a plugin's options schema checks them first. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      if (!isIpAddressOrBlock(entry)) {
        throw new TypeError(`[msg] "${entry}" is not an IP address or a CIDR block`);
      }
      const [address = '', prefix] = entry.trim().split('/');
      if (prefix === undefined) {
        const plain = unmapped(address);
        this.list.addAddress(plain, familyOf(plain));
      } else {
        this.list.addSubnet(address, Number(prefix), familyOf(address));
      }
    }
  }

  /** Whether the address is allowed; a missing or malformed address never is. */
  allows(remoteAddress: string | undefined): boolean {
    if (!remoteAddress) return false;
    const address = unmapped(remoteAddress.trim());
    const family = isIP(address);
    return family !== 0 && this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}
