import type { Channel } from '@msg/core';
import type { StoredMessage } from './message-store.js';

/**
 * `uploading`: recipients are being stored (never visible through the API; a failed upload is
 * deleted whole). `draft`: validated, waiting for `start`. `scheduled`: started, waiting for its
 * time. `running` / `paused`: sending or held. `completed` / `cancelled`: over.
 */
export type CampaignState =
  | 'uploading'
  | 'draft'
  | 'scheduled'
  | 'running'
  | 'paused'
  | 'completed'
  | 'cancelled';

export interface CampaignTemplate {
  channel: Extract<Channel, 'sms' | 'email'>;
  /** SMS text, or the email's text part; `{{name}}` takes the recipient's variable `name`. */
  text?: string | undefined;
  subject?: string | undefined;
  html?: string | undefined;
}

export interface CampaignDefinition {
  name?: string | undefined;
  template: CampaignTemplate;
  /** SMS sender id or number; email address (`{ email, name }`). */
  from?: string | { email: string; name?: string | undefined } | undefined;
  /** Forces this provider instance for every message (else the routes decide). */
  provider?: string | undefined;
  /** Sends every message through this route (by id) instead of the route its match would pick. */
  route?: string | undefined;
  /** Messages per second at most, over the whole campaign. */
  ratePerSecond?: number | undefined;
  /** When to start sending (ms since the epoch); at `start` when absent. */
  scheduledAt?: number | undefined;
  callbackUrl?: string | undefined;
  tags?: string[] | undefined;
}

export interface InvalidLine {
  /** 1-based line of the upload (the header is line 1 of a CSV), or index + 1 of an inline list. */
  line: number;
  value?: string | undefined;
  reason: string;
}

/** What validation found, before anything is sent. */
export interface ValidationReport {
  /** Recipient lines read (not counting a CSV header or blank lines). */
  lines: number;
  /** Unique valid recipients: the messages the campaign will send. */
  recipients: number;
  invalid: number;
  duplicates: number;
  /** Billable units over all recipients (SMS segments after each recipient's variables; emails). */
  segments: number;
  /** In micro-units of `currency`: the dearest provider the campaign may use, per recipient. */
  estimatedMicros: number;
  currency: string;
  /** The first invalid lines (up to `campaigns.maxReportedInvalid`); `invalid` counts them all. */
  invalidLines: InvalidLine[];
}

export interface CampaignRecord {
  id: string;
  apiKeyId: string;
  /** The credit account charged, when credits are on. */
  account?: string | undefined;
  state: CampaignState;
  definition: CampaignDefinition;
  report?: ValidationReport | undefined;
  /** Decided at start from the bulk rollout (sticky by campaign id): through providers' `sendBatch`. */
  bulk?: boolean | undefined;
  /** Micro-units reserved for the campaign at start, and those passed on to its messages so far. */
  reservedMicros: number;
  materializedMicros: number;
  createdAt: number;
  updatedAt: number;
  startedAt?: number | undefined;
  finishedAt?: number | undefined;
}

export interface CampaignRecipient {
  /** The line it came from: recipients are sent in this order. */
  sequence: number;
  /** E.164 number or email address (lower case). */
  recipient: string;
  variables: Record<string, string>;
}

/** A recipient's message, built by the campaign's runner; `sequence` names the recipient. */
export interface CampaignMessage {
  sequence: number;
  message: StoredMessage;
}

export interface CampaignProgress {
  /** Recipients whose message is not created yet (held back by the window, the rate or a pause). */
  pending: number;
  cancelled: number;
  /** Messages created so far. */
  messages: number;
  /** Messages by status (`queued`, `sent`, `delivered`, `failed`…). */
  byStatus: Record<string, number>;
  /** The cost of the campaign's accepted messages so far, in micro-units. */
  costMicros: number;
}

export interface CampaignAggregates {
  byStatus: Record<string, number>;
  byProvider: Record<string, number>;
  byErrorKind: Record<string, number>;
}

export interface CampaignResult {
  sequence: number;
  recipient: string;
  state: 'pending' | 'queued' | 'cancelled';
  messageId?: string | undefined;
  status?: string | undefined;
  providerId?: string | undefined;
  providerMessageId?: string | undefined;
  bulkId?: string | undefined;
  costMicros?: number | undefined;
  errorKind?: string | undefined;
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
}

/** The campaign's reservation did not fit the account's balance: nothing was changed. */
export interface Shortfall {
  account: string;
  balanceMicros: number;
  requiredMicros: number;
}

/** Campaigns and their recipients. The SQLite adapter implements it next to the message store. */
export interface CampaignStore {
  /** A new campaign in state `uploading`: invisible until `completeUpload`. */
  createCampaign(campaign: CampaignRecord): Promise<void>;
  /**
   * Stores recipients; one already in the campaign (same number or address) is a duplicate and
   * not stored. Returns the sequences of the duplicates.
   */
  addRecipients(campaignId: string, recipients: readonly CampaignRecipient[]): Promise<number[]>;
  /** The upload is over and valid: the campaign becomes a `draft` with its report. */
  completeUpload(campaignId: string, report: ValidationReport, now: number): Promise<void>;
  /** Deletes a campaign that never left `uploading`, with its recipients (a failed upload). */
  discardUpload(campaignId: string): Promise<void>;
  /** Deletes every campaign left `uploading` (by a crash mid-upload); returns how many. */
  discardUnfinishedUploads(): Promise<number>;
  get(campaignId: string): Promise<CampaignRecord | undefined>;
  /** Newest first; an API key sees its own, `undefined` sees all. */
  list(apiKeyId: string | undefined, limit: number): Promise<CampaignRecord[]>;
  /**
   * `draft` → `running` (or `scheduled`) with the bulk decision, reserving `reserveMicros` on the
   * account in the same transaction. Returns the shortfall instead when the balance is short.
   */
  start(
    campaignId: string,
    options: { state: 'running' | 'scheduled'; bulk: boolean; reserveMicros: number },
    now: number,
  ): Promise<{ started: true } | { started: false; shortfall?: Shortfall; state: CampaignState }>;
  /** Moves the campaign from one of `from` to `to`; returns whether it did. */
  transition(
    campaignId: string,
    from: readonly CampaignState[],
    to: CampaignState,
    now: number,
  ): Promise<boolean>;
  /** Campaigns that are `running` or `scheduled` (for the runner, also after a restart). */
  active(): Promise<CampaignRecord[]>;
  /** The next recipients still pending, in sequence order. */
  pendingRecipients(campaignId: string, limit: number): Promise<CampaignRecipient[]>;
  /**
   * Stores the recipients' messages and marks them queued, in one transaction; their reservations
   * move from the campaign's to theirs. With `claimedBy`, stored in flight under that dispatcher
   * instance's lease (the bulk path sends them at once). Recipients no longer pending (a cancel
   * raced) are skipped; returns the messages stored.
   */
  materialize(
    campaignId: string,
    messages: readonly CampaignMessage[],
    claimedBy: string | undefined,
  ): Promise<StoredMessage[]>;
  /** Messages of the campaign not finished yet (queued, in flight, waiting for a retry round). */
  unfinished(campaignId: string): Promise<number>;
  /**
   * Ends a campaign: pending recipients and messages not yet claimed are cancelled, and what the
   * campaign and they still held is released, in one transaction. Returns whether it was running,
   * scheduled, paused or a draft.
   */
  cancel(campaignId: string, now: number): Promise<boolean>;
  /** `running` with nothing pending or unfinished → `completed`, releasing what is left of its reservation. */
  completeIfDone(campaignId: string, now: number): Promise<boolean>;
  /** Read from counters kept as messages move: its cost does not grow with the campaign. */
  progress(campaignId: string): Promise<CampaignProgress>;
  aggregates(campaignId: string): Promise<CampaignAggregates>;
  /** Per-recipient results in sequence order after `afterSequence`. */
  results(campaignId: string, afterSequence: number, limit: number): Promise<CampaignResult[]>;
}

export interface LedgerEntry {
  id: number;
  account: string;
  kind: 'top-up' | 'reserve' | 'release' | 'debit';
  /** Signed micro-units: a top-up and a release add, a reservation and a debit take. */
  amountMicros: number;
  messageId?: string | undefined;
  campaignId?: string | undefined;
  reference?: string | undefined;
  createdAt: number;
}

export interface AccountBalance {
  account: string;
  /** The sum of the account's ledger: what is left to spend. */
  balanceMicros: number;
  /** Reserved and not settled yet (taken from the balance). */
  heldMicros: number;
  /** Debited for sends providers accepted, in total. */
  debitedMicros: number;
}

export interface CostRow {
  provider: string | null;
  side: string | null;
  campaign: string | null;
  day: string | null;
  messages: number;
  costMicros: number;
}

/** Credits (an append-only ledger per account) and what was spent. */
export interface LedgerStore {
  topUp(account: string, micros: number, reference: string | undefined, now: number): Promise<LedgerEntry>;
  balance(account: string): Promise<AccountBalance>;
  /** The account's entries, newest first, before the entry id `before`. */
  entries(account: string, options: { limit: number; before?: number | undefined }): Promise<LedgerEntry[]>;
  /** Spend of the provider instance in the calendar month (UTC) of `now`, in micro-units. */
  monthSpend(providerId: string, now: number): Promise<number>;
  /** Cost of accepted messages between `since` and `until`, grouped by the given keys. */
  costs(options: {
    since: number;
    until: number;
    groupBy: ReadonlyArray<'provider' | 'side' | 'campaign' | 'day'>;
    apiKeyId?: string | undefined;
  }): Promise<CostRow[]>;
}

export class InsufficientCreditError extends Error {
  readonly code = 'MSG_ERR_INSUFFICIENT_CREDIT';
  constructor(readonly shortfall: Shortfall) {
    super(
      `account ${shortfall.account} has ${shortfall.balanceMicros} micro-units, ${shortfall.requiredMicros} are needed`,
    );
    this.name = 'InsufficientCreditError';
  }
}
