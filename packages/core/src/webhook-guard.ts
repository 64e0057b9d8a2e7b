import { createHash, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from './errors.js';
import { IpAllowList } from './ip-allow-list.js';
import type { WebhookRequest } from './provider.js';

export interface UrlTokenGuardOptions {
  /** The provider instance id, for the error. */
  provider: string;
  /** The secret the registered callback URL carries; without it every request is refused. */
  token: string | undefined;
  /** Query parameter that carries the token. */
  parameter?: string;
  /** Addresses or CIDR blocks callers may come from; any address when absent or empty. */
  allowedIps?: readonly string[] | undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * For providers that sign nothing (Africa's Talking, MTN): a callback is trusted when its URL
 * carries the instance's secret token, compared in constant time, and, with an allow-list, the
 * caller's address is in it. Returns a check that throws `WebhookVerificationError`.
 */
export function urlTokenGuard(options: UrlTokenGuardOptions): (request: WebhookRequest) => void {
  const parameter = options.parameter ?? 'token';
  const expected = options.token === undefined ? undefined : digest(options.token);
  const allowList = options.allowedIps?.length ? new IpAllowList(options.allowedIps) : undefined;
  const refuse = (reason: string) => new WebhookVerificationError(options.provider, reason);
  return (request) => {
    if (!expected) throw refuse('no webhookToken is configured, so delivery reports cannot be verified');
    if (allowList && !allowList.allows(request.remoteAddress)) {
      throw refuse(
        `delivery report from an address outside allowedIps (${request.remoteAddress ?? 'unknown'})`,
      );
    }
    let token: string | null;
    try {
      token = new URL(request.url, 'http://placeholder').searchParams.get(parameter);
    } catch {
      token = null;
    }
    // Hashing first makes the comparison constant-time whatever the length of the given token.
    if (token === null || !timingSafeEqual(digest(token), expected)) {
      throw refuse(`delivery report without the right "${parameter}" in its URL`);
    }
  };
}
