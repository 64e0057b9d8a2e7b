import { BlockList, isIP } from 'node:net';

/** An address (`196.201.214.200`) or a CIDR block (`196.201.214.0/24`, `2001:db8::/32`). */
export function isAddressOrBlock(entry: string): boolean {
  const [address, prefix, ...rest] = entry.trim().split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) is checked as `1.2.3.4`. */
function unmapped(address: string): string {
  const match = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return match ? (match[1] as string) : address;
}

/** Matches a caller's address against the allowed addresses and blocks. */
export class IpAllowList {
  private readonly list = new BlockList();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, prefix] = entry.trim().split('/') as [string, string | undefined];
      const plain = prefix === undefined ? unmapped(address) : address;
      const family = isIP(plain) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(plain, family);
      else this.list.addSubnet(plain, Number(prefix), family);
    }
  }

  allows(remoteAddress: string | undefined): boolean {
    if (!remoteAddress) return false;
    const address = unmapped(remoteAddress.trim());
    const family = isIP(address);
    if (family === 0) return false;
    return this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}
