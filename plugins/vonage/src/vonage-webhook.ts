import { timingSafeEqual } from 'node:crypto';
import {
  type DeliveryEvent,
  IpAllowList,
  parseMoney,
  readWebhookFields,
  urlTokenGuard,
  ValidationError,
  type WebhookRequest,
  type WebhookResult,
  WebhookVerificationError,
} from '@msg/core';
import type { VonageDeliveryReceipt } from './vonage-api-types.js';
import type { PartLedger } from './vonage-parts.js';
import { type SignatureMethod, verifyVonageSignature } from './vonage-signature.js';
import { VONAGE_DLR_ERROR_CODES, vonageStatus } from './vonage-status.js';

/** The query parameter of the callback URL that carries the instance's secret token. */
export const WEBHOOK_TOKEN_PARAMETER = 'token';
/** How far a signed receipt's `timestamp` may be from our clock. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

export interface VonageWebhookSettings {
  provider: string;
  apiKey: string;
  /** The account's signature secret; receipts must carry a valid `sig` when set. */
  signatureSecret?: string | undefined;
  signatureMethod: SignatureMethod;
  signatureToleranceSeconds: number;
  /** Secret expected as `?token=` on the receipt URL, for accounts that do not sign. */
  webhookToken?: string | undefined;
  allowedIps?: readonly string[] | undefined;
  currency: string;
  ledger: PartLedger;
  now(): number;
}

const SUBJECT = 'Vonage delivery receipt';

function sameText(left: string, right: string): boolean {
  const a = Buffer.from(left);
  const b = Buffer.from(right);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `scts`: the carrier's `YYMMDDHHMM`, UTC. */
export function parseScts(text: string | undefined): Date | undefined {
  const match = text ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text) : null;
  if (!match) return undefined;
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(2000 + year, month - 1, day, hour, minute));
  return Number.isNaN(date.getTime()) || date.getUTCDate() !== day ? undefined : date;
}

/**
 * Verifies Vonage delivery receipts and turns them into events. With a signature secret, `sig`
 * must match under the configured method and the signed `timestamp` must be within the tolerance
 * of our clock (a captured receipt cannot be replayed later); with a webhook token, the URL must
 * carry it; with neither, every receipt is refused. A receipt for another API key is refused.
 */
export function createWebhookParser(settings: VonageWebhookSettings) {
  const refuse = (reason: string) => new WebhookVerificationError(settings.provider, reason);
  const tokenGuard =
    settings.webhookToken === undefined
      ? undefined
      : urlTokenGuard({
          provider: settings.provider,
          token: settings.webhookToken,
          parameter: WEBHOOK_TOKEN_PARAMETER,
        });
  const allowList = settings.allowedIps?.length ? new IpAllowList(settings.allowedIps) : undefined;

  const verify = (request: WebhookRequest, params: Record<string, string>) => {
    if (!settings.signatureSecret && !tokenGuard) {
      throw refuse('neither signatureSecret nor webhookToken is configured, so receipts cannot be verified');
    }
    if (allowList && !allowList.allows(request.remoteAddress)) {
      throw refuse(`receipt from an address outside allowedIps (${request.remoteAddress ?? 'unknown'})`);
    }
    tokenGuard?.(request);
    if (settings.signatureSecret) {
      if (!params.sig) throw refuse('receipt without "sig"; the account signs its receipts');
      if (!verifyVonageSignature(params, settings.signatureSecret, settings.signatureMethod)) {
        throw refuse(`receipt "sig" does not match (method ${settings.signatureMethod})`);
      }
      const timestamp = Number(params.timestamp);
      const skew = Math.abs(settings.now() / 1000 - timestamp);
      if (!params.timestamp || !Number.isFinite(timestamp) || skew > settings.signatureToleranceSeconds) {
        throw refuse(
          `receipt timestamp is missing or more than ${settings.signatureToleranceSeconds} s from now`,
        );
      }
    }
    const apiKey = params['api-key'];
    if (apiKey !== undefined && !sameText(apiKey, settings.apiKey)) {
      throw refuse('receipt is for another API key');
    }
  };

  return function parseWebhook(request: WebhookRequest): WebhookResult {
    // Our token parameter is not Vonage's: left out, it never enters the signed string.
    const params = readWebhookFields(request, { subject: SUBJECT, exclude: [WEBHOOK_TOKEN_PARAMETER] });
    verify(request, params);
    const receipt = params as unknown as Partial<VonageDeliveryReceipt>;
    // Inbound messages share the endpoint on some accounts: they carry no delivery status.
    if (!receipt.status && receipt.messageId && params.text !== undefined) return { events: [] };
    if (!receipt.messageId || !receipt.status) {
      throw new ValidationError(
        [{ path: receipt.messageId ? 'status' : 'messageId', message: 'is required' }],
        {
          subject: SUBJECT,
        },
      );
    }
    const status = vonageStatus(receipt.status);
    const errorCode = receipt['err-code'];
    const errorEntry = errorCode === undefined ? undefined : VONAGE_DLR_ERROR_CODES[errorCode];
    const details: Record<string, string> = {};
    if (receipt['network-code']) details.networkCode = receipt['network-code'];
    if (receipt.scts) details.scts = receipt.scts;
    if (errorEntry?.kind) details.errorKind = errorEntry.kind;
    const error =
      errorCode && errorCode !== '0'
        ? { code: errorCode, message: errorEntry?.name ?? 'undocumented err-code' }
        : undefined;
    const occurredAt = parseScts(receipt.scts) ?? new Date(settings.now());
    const messageId = receipt['client-ref'] || undefined;

    const reconciled = settings.ledger.record({ partId: receipt.messageId, status });
    if (reconciled === null) return { events: [] };
    if (reconciled) {
      details.parts = String(reconciled.parts);
      details.decidingPart = reconciled.decidingPartId;
      const event: DeliveryEvent = {
        providerMessageId: reconciled.firstPartId,
        messageId: reconciled.messageId ?? messageId,
        status: reconciled.status,
        providerStatus: receipt.status,
        occurredAt,
        recipient: receipt.msisdn,
        eventId: `${reconciled.firstPartId}:${reconciled.status}`,
        error: reconciled.status === status ? error : undefined,
        details,
      };
      return { events: [event] };
    }
    const event: DeliveryEvent = {
      providerMessageId: receipt.messageId,
      messageId,
      status,
      providerStatus: receipt.status,
      occurredAt,
      recipient: receipt.msisdn,
      eventId: `${receipt.messageId}:${receipt.status}:${errorCode ?? ''}`,
      error,
      cost: parseMoney(receipt.price, settings.currency),
      details,
    };
    return { events: [event] };
  };
}
