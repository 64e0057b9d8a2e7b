import { promises as dns, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { IpAllowList } from '@msg/core';

/** Resolves a host name to every address it has (`dns.lookup` with `all: true` by default). */
export type ResolveHost = (hostname: string) => Promise<readonly LookupAddress[]>;

export interface CallbackTargetOptions {
  /** Addresses or CIDR blocks a callback may reach although the default policy refuses them. */
  allow?: readonly string[];
  /** Addresses or CIDR blocks refused on top of the default ones; deny wins over allow. */
  deny?: readonly string[];
  resolve?: ResolveHost;
}

/**
 * Where a client's callback must never go unless the config allows it: this host and its
 * neighbours, which a server-side request forgery would reach (cloud metadata at 169.254.169.254
 * and fd00:ec2::254, Alibaba's at 100.100.100.200).
 */
const INTERNAL_RANGES: ReadonlyArray<{ label: string; list: IpAllowList }> = [
  { label: 'an unspecified', list: new IpAllowList(['0.0.0.0/8', '::/128']) },
  { label: 'a loopback', list: new IpAllowList(['127.0.0.0/8', '::1/128']) },
  {
    label: 'a private',
    list: new IpAllowList(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7']),
  },
  { label: 'a link-local (cloud metadata)', list: new IpAllowList(['169.254.0.0/16', 'fe80::/10']) },
  { label: 'a multicast', list: new IpAllowList(['224.0.0.0/4', 'ff00::/8']) },
  {
    label: 'a reserved',
    list: new IpAllowList(['192.0.0.0/24', '198.18.0.0/15', '240.0.0.0/4']),
  },
];

const CALLBACK_TARGET_ERROR = Symbol.for('msg.error.callback-target');

/** A callback the policy refused; the worker gives it up at once, since a retry would be refused too. */
export class CallbackTargetError extends Error {
  readonly [CALLBACK_TARGET_ERROR] = true;
  readonly code = 'MSG_ERR_CALLBACK_TARGET';

  static isInstance(error: unknown): error is CallbackTargetError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[CALLBACK_TARGET_ERROR] === true
    );
  }
}

/** The refusal along an error's `cause` chain (undici may wrap the connector's error). */
export function callbackTargetRefusal(error: unknown): CallbackTargetError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    if (CallbackTargetError.isInstance(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The allow/deny policy of status callback targets. `checkUrl` runs at accept (scheme, literal
 * addresses, `localhost`); `lookup` runs when the worker connects, so that the address checked
 * after DNS resolution is the very address connected to (no second lookup a rebinding DNS server
 * could answer differently).
 */
export class CallbackTargetPolicy {
  private readonly allow: IpAllowList;
  private readonly deny: IpAllowList;
  private readonly resolve: ResolveHost;

  constructor(options: CallbackTargetOptions = {}) {
    this.allow = new IpAllowList(options.allow ?? []);
    this.deny = new IpAllowList(options.deny ?? []);
    this.resolve = options.resolve ?? ((hostname) => dns.lookup(hostname, { all: true, verbatim: true }));
  }

  /** Why a callback may not reach this address, or undefined when it may. */
  refusalOf(address: string): string | undefined {
    if (this.deny.allows(address)) return `${address} is refused by callbacks.deny`;
    if (this.allow.allows(address)) return undefined;
    const range = INTERNAL_RANGES.find((candidate) => candidate.list.allows(address));
    return range
      ? `${address} is ${range.label} address; list it in callbacks.allow to permit it`
      : undefined;
  }

  /** What can be known without DNS: the scheme, and the address when the host is one. */
  checkUrl(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'must be an http(s) URL';
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http(s) URL';
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host) !== 0) return this.refusalOf(host);
    // RFC 6761: these names always mean this machine.
    if (host === 'localhost' || host.endsWith('.localhost')) return this.refusalOf('127.0.0.1');
    return undefined;
  }

  /** A `net.connect` lookup that resolves, refuses a denied answer, and hands over what it checked. */
  readonly lookup = (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    this.resolve(hostname).then(
      (addresses) => {
        for (const { address } of addresses) {
          const refusal = this.refusalOf(address);
          if (refusal) {
            callback(new CallbackTargetError(`callback host ${hostname} resolves to ${refusal}`), []);
            return;
          }
        }
        const first = addresses[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
        } else if (options.all) {
          callback(null, [...addresses]);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: Error) => callback(error, []),
    );
  };
}
