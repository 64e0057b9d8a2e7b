import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import { ValidationError } from '@msg/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseCampaignDefinition } from '../campaigns/campaign-definition.js';
import { campaignProviders } from '../campaigns/campaign-providers.js';
import { type RecipientSink, readCsv, readInline, readNdjson } from '../campaigns/recipient-sources.js';
import { RecipientValidator, UploadError } from '../campaigns/recipient-validator.js';
import { recipientEstimate } from '../costs/price-table.js';
import { newMessageId } from '../message-id.js';
import type { CampaignDefinition, CampaignRecord, CampaignState } from '../store/campaign-store.js';
import { campaignView, RESULT_CSV_HEADER, reportView, resultCsvLine, resultView } from './campaign-view.js';
import { HttpError, invalidRequest } from './http-error.js';
import type { GatewayRuntime, ServerContext } from './server-context.js';

/** Largest upload: a CSV of millions of recipients, streamed (never held whole). */
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024 * 1024;
const MAX_PAGE = 1000;

type Source = (validator: RecipientValidator, sink: RecipientSink) => Promise<void>;

function newCampaignId(now: number): string {
  return newMessageId(now).replace(/^msg_/, 'cmp_');
}

function uploadFormat(part: { mimetype: string; filename: string }): 'csv' | 'ndjson' | undefined {
  const type = part.mimetype.toLowerCase();
  const name = part.filename.toLowerCase();
  if (type.includes('csv') || name.endsWith('.csv')) return 'csv';
  if (
    type.includes('ndjson') ||
    type.includes('jsonl') ||
    name.endsWith('.ndjson') ||
    name.endsWith('.jsonl')
  ) {
    return 'ndjson';
  }
  return undefined;
}

export async function registerCampaignRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  const { store, config, charges, now } = context;
  const campaigns = store.campaigns;
  await app.register(multipart, {
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 4, fieldSize: 1024 * 1024, parts: 5 },
  });

  const providersFor = (runtime: GatewayRuntime, definition: CampaignDefinition): string[] =>
    campaignProviders(definition, runtime.channels, runtime.routes);

  const owned = async (request: FastifyRequest<{ Params: { id: string } }>): Promise<CampaignRecord> => {
    const campaign = await campaigns.get(request.params.id);
    const principal = request.principal;
    if (
      !campaign ||
      campaign.state === 'uploading' ||
      (campaign.apiKeyId !== principal?.keyId && !principal?.scopes.has('monitor'))
    ) {
      throw new HttpError(404, 'not_found', `no campaign ${request.params.id}`);
    }
    return campaign;
  };

  const view = async (campaign: CampaignRecord, runtime: GatewayRuntime | undefined) => {
    const started = !['draft', 'uploading'].includes(campaign.state);
    return campaignView(campaign, {
      bulk: runtime ? runtime.bulkRollout.usesBulk(campaign.id) : false,
      now: now(),
      ...(started
        ? {
            progress: await campaigns.progress(campaign.id),
            unfinished: await campaigns.unfinished(campaign.id),
          }
        : {}),
    });
  };

  /**
   * Stores a campaign and its recipients as they stream in, validating each; the campaign stays
   * invisible (`uploading`) until the whole upload is read, and is deleted whole if it fails.
   */
  const create = async (
    runtime: GatewayRuntime,
    apiKeyId: string,
    definition: CampaignDefinition,
    source: Source,
  ): Promise<CampaignRecord> => {
    const time = now();
    const campaign: CampaignRecord = {
      id: newCampaignId(time),
      apiKeyId,
      account: charges.accountOf(apiKeyId),
      state: 'uploading',
      definition,
      reservedMicros: 0,
      materializedMicros: 0,
      createdAt: time,
      updatedAt: time,
    };
    const providers = providersFor(runtime, definition);
    const validator = new RecipientValidator({
      definition,
      estimate: (recipient, units) => recipientEstimate(charges.prices, providers, recipient, units),
      maxRecipients: config.campaigns.maxRecipients,
      maxReportedInvalid: config.campaigns.maxReportedInvalid,
      currency: charges.currency,
    });
    const sink: RecipientSink = async (checked) => {
      const recipients = checked.take();
      const duplicates = recipients.length > 0 ? await campaigns.addRecipients(campaign.id, recipients) : [];
      checked.stored(new Set(duplicates));
    };
    await campaigns.createCampaign(campaign);
    try {
      await source(validator, sink);
      const report = validator.report();
      if (report.recipients === 0) {
        throw new HttpError(
          400,
          'no_valid_recipients',
          `none of the ${report.lines} recipient line(s) is valid (${report.invalid} invalid, ${report.duplicates} duplicate)`,
          undefined,
          {},
          { report: reportView(report) },
        );
      }
      await campaigns.completeUpload(campaign.id, report, now());
      return { ...campaign, state: 'draft', report };
    } catch (error) {
      await campaigns.discardUpload(campaign.id);
      throw error;
    }
  };

  const definitionOf = (runtime: GatewayRuntime, raw: unknown, inline: boolean) => {
    try {
      return parseCampaignDefinition(raw, {
        providers: runtime.channels,
        routes: runtime.routes,
        callbackTargets: context.callbackTargets,
        now: now(),
        inline,
      });
    } catch (error) {
      if (ValidationError.isInstance(error)) throw invalidRequest([...error.issues]);
      throw error;
    }
  };

  const fromUpload = async (request: FastifyRequest, runtime: GatewayRuntime, keyId: string) => {
    let definition: CampaignDefinition | undefined;
    let created: CampaignRecord | undefined;
    try {
      for await (const part of request.parts()) {
        if (part.type === 'field') {
          if (part.fieldname !== 'campaign') {
            throw invalidRequest([{ path: part.fieldname, message: 'is not a field of a campaign upload' }]);
          }
          let raw: unknown;
          try {
            raw = JSON.parse(String(part.value));
          } catch (error) {
            throw invalidRequest([{ path: 'campaign', message: `is not JSON: ${(error as Error).message}` }]);
          }
          definition = definitionOf(runtime, raw, false);
          continue;
        }
        if (definition === undefined) {
          part.file.resume();
          throw invalidRequest([
            { path: 'campaign', message: 'the campaign field must come before the file' },
          ]);
        }
        const format = uploadFormat(part);
        if (!format) {
          part.file.resume();
          throw invalidRequest([
            {
              path: part.fieldname,
              message: `${part.filename || 'the file'} (${part.mimetype}) is neither CSV (.csv, text/csv) nor NDJSON (.ndjson, application/x-ndjson)`,
            },
          ]);
        }
        const file = part.file;
        created = await create(runtime, keyId, definition, (validator, sink) =>
          format === 'csv' ? readCsv(file, validator, sink) : readNdjson(file, validator, sink),
        );
        if ((file as { truncated?: boolean }).truncated) {
          throw new UploadError(undefined, `the file is larger than ${MAX_UPLOAD_BYTES} bytes`);
        }
      }
    } catch (error) {
      if (created) await campaigns.discardUpload(created.id);
      if (error instanceof HttpError || ValidationError.isInstance(error)) throw error;
      const code = (error as { code?: string }).code;
      if (code === 'FST_REQ_FILE_TOO_LARGE') {
        throw new HttpError(413, 'upload_too_large', `the file is larger than ${MAX_UPLOAD_BYTES} bytes`);
      }
      // The client went away or the body ended early: nothing of it is kept.
      throw new HttpError(400, 'upload_incomplete', `the upload was cut off: ${(error as Error).message}`);
    }
    if (!created) {
      throw invalidRequest([
        { path: 'recipients', message: 'no file: upload the recipients as a CSV or NDJSON file' },
      ]);
    }
    return created;
  };

  app.post('/v1/campaigns', { onRequest: context.apiKeys.require('send') }, async (request, reply) => {
    const keyId = request.principal?.keyId as string;
    const runtime = context.runtime();
    let campaign: CampaignRecord;
    if (request.isMultipart()) {
      campaign = await fromUpload(request, runtime, keyId);
    } else {
      const body = request.body as Record<string, unknown> | undefined;
      const definition = definitionOf(runtime, body, true);
      const recipients = body?.recipients;
      if (!Array.isArray(recipients) || recipients.length === 0) {
        throw invalidRequest([
          { path: 'recipients', message: 'must be a non-empty list (or upload a CSV or NDJSON file)' },
        ]);
      }
      if (recipients.length > config.campaigns.maxInlineRecipients) {
        throw invalidRequest([
          {
            path: 'recipients',
            message: `at most ${config.campaigns.maxInlineRecipients} inline; upload a CSV or NDJSON file for more`,
          },
        ]);
      }
      campaign = await create(runtime, keyId, definition, (validator, sink) =>
        readInline(recipients, validator, sink),
      );
    }
    return reply
      .code(201)
      .header('location', `/v1/campaigns/${campaign.id}`)
      .send(await view(campaign, runtime));
  });

  app.get<{ Querystring: { limit?: string } }>(
    '/v1/campaigns',
    { onRequest: context.apiKeys.require('read') },
    async (request) => {
      const principal = request.principal;
      const limit = Math.min(Math.max(Number(request.query.limit ?? 50) || 50, 1), 200);
      const list = await campaigns.list(
        principal?.scopes.has('monitor') ? undefined : principal?.keyId,
        limit,
      );
      const runtime = context.lifecycle.ready ? context.runtime() : undefined;
      return { campaigns: await Promise.all(list.map((campaign) => view(campaign, runtime))) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/campaigns/:id',
    { onRequest: context.apiKeys.require('read') },
    async (request) => view(await owned(request), context.runtime()),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/campaigns/:id/aggregates',
    { onRequest: context.apiKeys.require('read') },
    async (request) => {
      const campaign = await owned(request);
      return { id: campaign.id, state: campaign.state, ...(await campaigns.aggregates(campaign.id)) };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { after?: string; limit?: string } }>(
    '/v1/campaigns/:id/results',
    { onRequest: context.apiKeys.require('read') },
    async (request) => {
      const campaign = await owned(request);
      const after = Number(request.query.after ?? 0);
      const limit = Number(request.query.limit ?? 100);
      if (!Number.isInteger(after) || after < 0) {
        throw invalidRequest([
          { path: 'after', message: 'must be a non-negative integer (the last sequence seen)' },
        ]);
      }
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
        throw invalidRequest([{ path: 'limit', message: `must be an integer from 1 to ${MAX_PAGE}` }]);
      }
      const results = await campaigns.results(campaign.id, after, limit);
      const last = results.at(-1);
      return {
        results: results.map(resultView),
        next:
          results.length === limit && last
            ? `/v1/campaigns/${campaign.id}/results?after=${last.sequence}&limit=${limit}`
            : undefined,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/campaigns/:id/results.csv',
    { onRequest: context.apiKeys.require('read') },
    async (request, reply) => {
      const campaign = await owned(request);
      async function* lines(): AsyncGenerator<string> {
        yield RESULT_CSV_HEADER;
        let after = 0;
        for (;;) {
          const page = await campaigns.results(campaign.id, after, MAX_PAGE);
          if (page.length === 0) return;
          yield page.map(resultCsvLine).join('');
          after = (page.at(-1) as { sequence: number }).sequence;
        }
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${campaign.id}-results.csv"`)
        .send(Readable.from(lines()));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/campaigns/:id/start',
    { onRequest: context.apiKeys.require('send') },
    async (request) => {
      const campaign = await owned(request);
      const runtime = context.runtime();
      const scheduled = (campaign.definition.scheduledAt ?? 0) > now();
      const result = await campaigns.start(
        campaign.id,
        {
          state: scheduled ? 'scheduled' : 'running',
          bulk: runtime.bulkRollout.usesBulk(campaign.id),
          reserveMicros: campaign.report?.estimatedMicros ?? 0,
        },
        now(),
      );
      if (!result.started) {
        if (result.shortfall) throw charges.refusal(result.shortfall);
        throw new HttpError(409, 'invalid_state', `campaign ${campaign.id} is ${result.state}, not a draft`);
      }
      runtime.campaigns.wake();
      return view((await campaigns.get(campaign.id)) as CampaignRecord, runtime);
    },
  );

  const move = (action: string, from: readonly CampaignState[], to: CampaignState) =>
    app.post<{ Params: { id: string } }>(
      `/v1/campaigns/:id/${action}`,
      { onRequest: context.apiKeys.require('send') },
      async (request) => {
        const campaign = await owned(request);
        const runtime = context.runtime();
        if (!(await campaigns.transition(campaign.id, from, to, now()))) {
          throw new HttpError(
            409,
            'invalid_state',
            `campaign ${campaign.id} is ${campaign.state}: ${action} needs it ${from.join(' or ')}`,
          );
        }
        runtime.campaigns.wake();
        return view((await campaigns.get(campaign.id)) as CampaignRecord, runtime);
      },
    );
  move('pause', ['running', 'scheduled'], 'paused');
  move('resume', ['paused'], 'running');

  app.post<{ Params: { id: string } }>(
    '/v1/campaigns/:id/cancel',
    { onRequest: context.apiKeys.require('send') },
    async (request) => {
      const campaign = await owned(request);
      const runtime = context.runtime();
      if (!(await campaigns.cancel(campaign.id, now()))) {
        throw new HttpError(409, 'invalid_state', `campaign ${campaign.id} is already ${campaign.state}`);
      }
      // The cancelled messages' final callbacks are queued: out they go.
      runtime.callbacks.kick();
      return view((await campaigns.get(campaign.id)) as CampaignRecord, runtime);
    },
  );

  app.get('/v1/campaigns/bulk-rollout', { onRequest: context.apiKeys.require('monitor') }, async () => ({
    ...context.runtime().bulkRollout.current,
  }));

  app.put<{ Body: { enabled?: unknown; percentage?: unknown; reason?: unknown } }>(
    '/v1/campaigns/bulk-rollout',
    { onRequest: context.apiKeys.require('admin') },
    async (request) => {
      const runtime = context.runtime();
      const body = (request.body ?? {}) as Record<string, unknown>;
      const current = runtime.bulkRollout.current;
      const issues = [];
      for (const key of Object.keys(body)) {
        if (!['enabled', 'percentage', 'reason'].includes(key))
          issues.push({ path: key, message: 'is not a field' });
      }
      const enabled = body.enabled ?? current.enabled;
      const percentage = body.percentage ?? current.percentage;
      if (typeof enabled !== 'boolean') issues.push({ path: 'enabled', message: 'must be true or false' });
      if (
        typeof percentage !== 'number' ||
        !Number.isInteger(percentage) ||
        percentage < 0 ||
        percentage > 100
      ) {
        issues.push({ path: 'percentage', message: 'must be an integer from 0 to 100' });
      }
      if (body.reason !== undefined && typeof body.reason !== 'string') {
        issues.push({ path: 'reason', message: 'must be a string' });
      }
      if (issues.length > 0) throw invalidRequest(issues);
      await runtime.bulkRollout.set(
        { enabled: enabled as boolean, percentage: percentage as number },
        request.principal?.keyId as string,
        body.reason as string | undefined,
        now(),
      );
      return { ...runtime.bulkRollout.current };
    },
  );
}
