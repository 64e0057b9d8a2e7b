import type { ErrorKind, ProviderError } from '../errors.js';
import type { FailoverTrigger } from './config.js';

/** One call to a provider, as the gateway persists it. */
export interface Attempt {
  provider: string;
  /** 1-based position among the message's attempts. */
  number: number;
  /** 0 for the first call to this provider, then 1, 2... for retries. */
  retry: number;
  /** Clock time (ms) at the start and the end of the call. */
  startedAt: number;
  endedAt: number;
  latencyMs: number;
  outcome: 'succeeded' | 'failed';
  /** The provider's id for the message, when it accepted it. */
  providerMessageId?: string | undefined;
  errorKind?: ErrorKind | undefined;
  /** `timeout` for a call the router's timeout cut short, otherwise the error kind. */
  trigger?: FailoverTrigger | undefined;
  /** The provider's own code, or ours (`MSG_TIMEOUT`). */
  errorCode?: string | undefined;
  error?: ProviderError | undefined;
  /** The outcome was ambiguous and the router tried again: the recipient may get the message twice. */
  possibleDuplicate: boolean;
}

/** A provider the router passed over without calling it. */
export interface SkippedProvider {
  provider: string;
  reason: Extract<FailoverTrigger, 'breaker-open' | 'bulkhead-full' | 'throttled'>;
}
