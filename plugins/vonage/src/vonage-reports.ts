import { type DeliveryEvent, type DeliveryStatus, parseMoney } from '@msg/core';
import type { VonageReportRecord, VonageReportRecordsResponse } from './vonage-api-types.js';
import { reconcileParts, VONAGE_DLR_ERROR_CODES, vonageStatus } from './vonage-status.js';

/** The Reports API query for outbound SMS records by message id (one id per part). */
export function recordsQuery(apiKey: string, partIds: readonly string[]): URLSearchParams {
  return new URLSearchParams({
    account_id: apiKey,
    product: 'SMS',
    direction: 'outbound',
    id: partIds.join(','),
  });
}

function recordDate(record: VonageReportRecord): Date | undefined {
  const text = record.date_finalized ?? record.date_received;
  // Vonage writes offsets without a colon (`+0000`), which Date.parse reads on Node.
  const time = text ? Date.parse(text) : Number.NaN;
  return Number.isNaN(time) ? undefined : new Date(time);
}

/**
 * The records of a message's parts -> at most one event under the first part's id, with the
 * parts reconciled as receipts are (`reconcileParts`). Parts Vonage has no record of yet count as
 * not reported; no record at all is no event.
 */
export function eventsFromRecords(
  answer: VonageReportRecordsResponse,
  firstPartId: string,
  partIds: readonly string[],
  messageId: string,
  now: number,
): DeliveryEvent[] {
  const records = new Map((answer.records ?? []).map((record) => [record.message_id, record]));
  const reported = partIds.flatMap((partId) => {
    const record = records.get(partId);
    return record?.status ? [{ record, status: vonageStatus(record.status) }] : [];
  });
  const status: DeliveryStatus | undefined = reconcileParts(
    reported.map((part) => part.status),
    partIds.length,
  );
  if (status === undefined) return [];
  const deciding = reported.find((part) => part.status === status) ?? reported[0];
  const record = deciding?.record as VonageReportRecord;
  const errorCode = record.error_code;
  const details: Record<string, string> = { source: 'reports-api' };
  if (partIds.length > 1) details.parts = String(partIds.length);
  if (record.network) details.networkCode = record.network;
  const totalPrice = record.total_price === undefined ? undefined : String(record.total_price);
  return [
    {
      providerMessageId: firstPartId,
      messageId: record.client_ref || messageId,
      status,
      providerStatus: record.status as string,
      occurredAt: recordDate(record) ?? new Date(now),
      recipient: record.to,
      eventId: `${firstPartId}:${status}`,
      error:
        errorCode && errorCode !== '0'
          ? {
              code: errorCode,
              message: record.error_code_description ?? VONAGE_DLR_ERROR_CODES[errorCode]?.name ?? undefined,
            }
          : undefined,
      cost: partIds.length === 1 ? parseMoney(totalPrice, record.currency) : undefined,
      details,
    },
  ];
}
