import type { Logger, ProviderError } from '@msg/core';
import {
  type MtnSubscriptionRequest,
  type MtnSubscriptionResponse,
  SUBSCRIPTION_PATH,
  SUCCESS_STATUS_CODE,
} from './mtn-api-types.js';
import type { MtnClient } from './mtn-client.js';
import { readErrorBody } from './mtn-error.js';
import type { MtnTokenCache } from './mtn-token.js';

export interface MtnSubscriptionSettings {
  provider: string;
  client: MtnClient;
  tokens: MtnTokenCache;
  serviceCode: string;
  targetSystem: string;
  /** The delivery-report URL with its secret token; never logged. */
  notifyUrl: string;
  /** After a failed registration, the next attempt waits at least this long. */
  retryAfterFailureMs: number;
  timeoutMs: number;
  logger: Logger;
  now(): number;
}

export type SubscriptionState = 'pending' | 'registering' | 'registered' | 'failed';

/**
 * Registers the instance's delivery-report URL with MTN once per provider instance, lazily: the
 * first send waits for it (every concurrent first send shares the one request). A failure never
 * fails a send (the SMS still goes, only its report is lost): it is logged, `health()` reports it,
 * and a later send tries again after `retryAfterFailureMs`. HTTP 409 (already subscribed, as after
 * a restart) counts as registered.
 */
export class MtnSubscription {
  state: SubscriptionState = 'pending';
  subscriptionId: string | undefined;
  lastError: string | undefined;
  /** Registration requests made. */
  attempts = 0;
  private inFlight: Promise<void> | undefined;
  private failedAt = 0;
  private readonly closing = new AbortController();

  constructor(private readonly settings: MtnSubscriptionSettings) {}

  /** A promise to wait for while a registration runs or is due; undefined when there is none. */
  ensure(): Promise<void> | undefined {
    if (this.state === 'registered') return undefined;
    if (this.inFlight) return this.inFlight;
    if (this.state === 'failed' && this.settings.now() - this.failedAt < this.settings.retryAfterFailureMs) {
      return undefined;
    }
    this.state = 'registering';
    this.inFlight = this.register().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  close(): void {
    this.closing.abort(new Error('provider closed'));
  }

  private async register(): Promise<void> {
    const { settings } = this;
    const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(settings.timeoutMs)]);
    const body: MtnSubscriptionRequest = {
      callbackUrl: settings.notifyUrl,
      deliveryReportUrl: settings.notifyUrl,
      targetSystem: settings.targetSystem,
      serviceCode: settings.serviceCode,
    };
    const json = JSON.stringify(body);
    try {
      for (let attempt = 1; ; attempt++) {
        const token = await settings.tokens.get(signal);
        this.attempts += 1;
        const answer = await settings.client.request({
          method: 'POST',
          path: SUBSCRIPTION_PATH,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: json,
          signal,
        });
        // An expired token is refreshed once, as on the send path.
        if (answer.status === 401 && attempt === 1) {
          settings.tokens.invalidate(token);
          continue;
        }
        if (answer.status === 409) return this.registered(undefined, 'already subscribed');
        if (answer.status >= 200 && answer.status < 300) {
          const parsed = parseSubscription(answer.body);
          if (parsed.statusCode === undefined || parsed.statusCode === SUCCESS_STATUS_CODE) {
            return this.registered(parsed.data?.subscriptionId, 'registered');
          }
        }
        const detail = readErrorBody(answer.body);
        return this.failed(
          `HTTP ${answer.status}${detail.code ? ` ${detail.code}` : ''}${detail.text ? ` ${detail.text}` : ''}`,
        );
      }
    } catch (error) {
      const message = (error as ProviderError | Error).message ?? String(error);
      this.failed(message);
    }
  }

  private registered(subscriptionId: string | undefined, how: string): void {
    this.state = 'registered';
    this.subscriptionId = subscriptionId;
    this.lastError = undefined;
    this.settings.logger.info('MTN delivery-report subscription registered', {
      provider: this.settings.provider,
      subscriptionId,
      outcome: how,
    });
  }

  private failed(reason: string): void {
    this.state = 'failed';
    this.failedAt = this.settings.now();
    this.lastError = reason;
    this.settings.logger.warn('MTN delivery-report subscription failed; sends continue without reports', {
      provider: this.settings.provider,
      reason,
      retryInMs: this.settings.retryAfterFailureMs,
    });
  }
}

function parseSubscription(body: string): MtnSubscriptionResponse {
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as MtnSubscriptionResponse) : {};
  } catch {
    return {};
  }
}
