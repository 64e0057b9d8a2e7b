import { formatMicros } from '../costs/money.js';
import type {
  CampaignProgress,
  CampaignRecord,
  CampaignResult,
  ValidationReport,
} from '../store/campaign-store.js';

const iso = (time: number | undefined) => (time === undefined ? undefined : new Date(time).toISOString());

export function reportView(report: ValidationReport | undefined): Record<string, unknown> | undefined {
  if (!report) return undefined;
  const { estimatedMicros, ...rest } = report;
  return { ...rest, estimatedCost: formatMicros(estimatedMicros) };
}

/** A campaign as the API shows it; with its progress while it runs or once it ran. */
export function campaignView(
  campaign: CampaignRecord,
  extra: { bulk: boolean; progress?: CampaignProgress; unfinished?: number; now: number },
): Record<string, unknown> {
  const { definition } = campaign;
  const view: Record<string, unknown> = {
    id: campaign.id,
    name: definition.name,
    state: campaign.state,
    channel: definition.template.channel,
    template: definition.template,
    from: definition.from,
    provider: definition.provider,
    route: definition.route,
    ratePerSecond: definition.ratePerSecond,
    scheduledAt: iso(definition.scheduledAt),
    callbackUrl: definition.callbackUrl,
    tags: definition.tags,
    bulkPath: extra.bulk,
    report: reportView(campaign.report),
    reserved: campaign.account === undefined ? undefined : formatMicros(campaign.reservedMicros),
    account: campaign.account,
    createdAt: iso(campaign.createdAt),
    startedAt: iso(campaign.startedAt),
    finishedAt: iso(campaign.finishedAt),
  };
  const { progress } = extra;
  if (progress) {
    // Since the start: finished messages over the time it has run (pauses included).
    const finished = progress.messages - (extra.unfinished ?? 0);
    const elapsed = ((campaign.finishedAt ?? extra.now) - (campaign.startedAt ?? extra.now)) / 1000;
    const perSecond = elapsed > 0 ? finished / elapsed : 0;
    const remaining = progress.pending + (extra.unfinished ?? 0);
    const running = campaign.state === 'running';
    view.progress = {
      pending: progress.pending,
      messages: progress.messages,
      unfinished: extra.unfinished,
      cancelled: progress.cancelled,
      byStatus: progress.byStatus,
      ratePerSecond: Math.round(perSecond * 100) / 100,
      estimatedEnd:
        running && perSecond > 0 ? iso(extra.now + Math.ceil((remaining / perSecond) * 1000)) : undefined,
      cost: formatMicros(progress.costMicros),
    };
  }
  return view;
}

export function resultView(result: CampaignResult): Record<string, unknown> {
  return {
    sequence: result.sequence,
    to: result.recipient,
    state: result.state,
    messageId: result.messageId,
    status: result.status ?? (result.state === 'cancelled' ? 'cancelled' : 'pending'),
    provider: result.providerId,
    providerMessageId: result.providerMessageId,
    bulkId: result.bulkId,
    cost: result.costMicros === undefined ? undefined : formatMicros(result.costMicros),
    error: result.errorMessage
      ? { kind: result.errorKind, code: result.errorCode, message: result.errorMessage }
      : undefined,
  };
}

export const RESULT_CSV_HEADER =
  'sequence,to,status,message_id,provider,provider_message_id,bulk_id,cost,error_kind,error_code,error_message\n';

function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  // A leading =, +, - or @ would be a formula in a spreadsheet.
  const safe = /^[=+\-@]/.test(text) && !/^[+-]?\d/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function resultCsvLine(result: CampaignResult): string {
  const view = resultView(result);
  return `${[
    result.sequence,
    result.recipient,
    view.status,
    result.messageId,
    result.providerId,
    result.providerMessageId,
    result.bulkId,
    view.cost,
    result.errorKind,
    result.errorCode,
    result.errorMessage,
  ]
    .map(csvField)
    .join(',')}\n`;
}
