import type { DeliveryStatus, ErrorKind, Message, Plugin, WebhookRequest } from '@msg/core';
import type { FaultSettings } from './simulator.js';

/** A named simulator error and the kind (and provider code) the plugin must turn it into. */
export interface ExpectedError {
  /** Name in the simulator's error catalogue. */
  error: string;
  kind: ErrorKind;
  /** The provider's own code the error must carry, when it has one. */
  providerCode?: string;
}

/** What the suite asks a harness to sign: one callback for one message in one provider status. */
export interface CallbackInput {
  providerMessageId: string;
  providerStatus: string;
}

export interface WebhookHarness {
  /**
   * Every status word the provider sends, with the normalised status it must map to, written out
   * in the test from the provider's documentation. Never pass the plugin's own status map here:
   * the suite would then compare the plugin with itself, and a wrong mapping (`delivered` ->
   * `sent`) could not fail.
   */
  statuses: Readonly<Record<string, DeliveryStatus>>;
  /** A callback for `providerMessageId` in `providerStatus`, signed as the provider signs it. */
  signed(input: CallbackInput): WebhookRequest | Promise<WebhookRequest>;
  /**
   * Headers that carry the signature: removing them makes the unsigned request. Leave it empty
   * when the signature travels in the body or the URL, and give `unsigned` instead.
   */
  signatureHeaders: string[];
  /**
   * The signed callback with a value the signature covers changed (a status, an id, a token).
   * By default the suite changes the status word and then the message id inside the body (a form
   * value, or a JSON value, also inside JSON held in a string) and keeps every other byte; give
   * this hook when the signature covers something else (Mailgun signs only timestamp and token)
   * or there is none (a URL token: change the token).
   */
  tamper?(request: WebhookRequest): WebhookRequest;
  /** The same callback signed too long ago (providers that sign a timestamp). */
  stale?(input: CallbackInput): WebhookRequest | Promise<WebhookRequest>;
  /** The request without its proof: no signature field, no URL token, an address outside the allow-list. */
  unsigned?(request: WebhookRequest): WebhookRequest;
}

/** A request as a simulator recorded it: `SimulatorServer`'s `RecordedRequest`, or an SMSC's submit_sm. */
export interface SimulatorRecord {
  readonly method: string;
  readonly path: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
  /** The credential the simulator's auth check accepted. */
  readonly credential?: string | undefined;
}

/**
 * What the suite drives on a simulator. `SimulatorServer` satisfies it; a simulator that speaks no
 * HTTP (an SMSC) can too, without being a `SimulatorServer` (`SmscConformanceAdapter`).
 */
export interface SimulatorControl {
  /** Requests received so far, oldest first. */
  readonly requests: ReadonlyArray<SimulatorRecord>;
  /** Client connections open now; after `close()` a provider must leave none of its own. */
  readonly openConnections: number;
  /** Answers the next request with the named error of the simulator's catalogue. */
  failNext(error: string): void;
  /**
   * Applies a fault to the next request: `reset`, `hang`, or `status` (with `body` and
   * `contentType`), an answer without the provider's usual body.
   */
  faultNext(settings: FaultSettings): void;
  clearFaults(): void;
}

/**
 * Where our message id (`message.id`) travels in the request to the provider, so that receipts
 * can be matched: `read` finds it in a recorded request (a form field, a JSON key, the status
 * callback URL, a header). When the protocol has no field for it, `none` says why.
 */
export type MessageIdCarrier =
  | { read(request: SimulatorRecord): string | null | undefined }
  | { none: string };

/** A message the provider refuses, and what to call it in a failure. */
export interface RefusedMessage {
  label: string;
  /** The message, with `id` as its id. */
  message(id: string): Message;
}

/**
 * How the suite checks `validate`, for providers that declare `capabilities.validation`.
 * `validate` must resolve with the declared method for the harness's message, refuse what a send
 * would refuse (same kind, never `ambiguous`), and never make the simulator deliver anything.
 */
export interface ValidationHarness {
  /**
   * Messages the provider refuses (at the provider or before any request), beyond the suite's
   * own (a lone surrogate): a send must fail, and `validate` must fail with the same kind. Say
   * what the provider's own rules are (a body over 1600 characters, an unregistered sender id).
   */
  refused?: readonly RefusedMessage[];
  /**
   * `test-mode` only: whether a recorded request went through the provider's test mode
   * (SendGrid's `mail_settings.sandbox_mode`, Mailgun's `o:testmode`). Every request `validate`
   * makes must be one.
   */
  isTestRequest?(request: SimulatorRecord): boolean;
  /**
   * `test-mode` only: how many messages the simulator has taken for delivery (or posted receipts
   * for) so far; wait for its pending callbacks first. `validate` must leave it unchanged.
   */
  deliveries?(): number | Promise<number>;
}

export interface ConformanceSetup<Options> {
  /** Options for the first instance. */
  options: Options;
  /** Options for a second instance with other credentials, pointed at the same simulator. */
  otherOptions?: Options;
  /** The credential the simulator records for an instance made with these options. */
  credentialOf?(options: Options): string | undefined;
  /**
   * Option paths whose values are secrets (`apiKey`, `smpp.password`). Every provider the suite
   * makes logs through a logger that fails the test when one of these values appears in a log
   * line or its fields, or in the text of an error the plugin throws. `[]` when there are none.
   */
  secrets: readonly string[];
  simulator?: SimulatorControl;
  /** A message this provider can send; `id` is filled in by the suite. */
  message(id: string): Message;
  /** Where our message id travels to the provider; required with a simulator. */
  messageIdIn?: MessageIdCarrier;
  /**
   * SMS parts the provider bills for a text, when it counts otherwise than @msg/core's
   * `countSmsSegments` (the default expectation for a reported `segments`); say why in the test.
   */
  segments?(text: string): number;
  /** Every error the plugin maps, and how to make the simulator produce it. */
  errors?: ExpectedError[];
  webhooks?: WebhookHarness;
  /** How to check `validate`; required when the provider declares `capabilities.validation: 'test-mode'`. */
  validation?: ValidationHarness;
  /** The public URL the host would give the instance for webhooks. */
  webhookUrl?: string;
  teardown?(): Promise<void>;
}

export interface ConformanceTarget<Options> {
  plugin: Plugin<Options>;
  /** Options are the plugin's input: fields with defaults may be left out. */
  setup(): Promise<ConformanceSetup<Partial<Options>>>;
  /** How long an aborted send may take to reject. */
  abortDeadlineMs?: number;
  /** How long after `close()` the provider's connections may stay open (default 1000 ms). */
  closeDeadlineMs?: number;
}
