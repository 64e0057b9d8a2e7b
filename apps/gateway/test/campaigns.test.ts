// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are asserted on.
import { FormData, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Tokens } from '../src/container.js';
import { ADMIN_KEY, API_KEY, eventually, startGateway, type TestGateway } from './helpers.js';

const running: TestGateway[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()));
});

async function gateway(extra: Record<string, unknown> = {}): Promise<TestGateway> {
  const started = await startGateway({
    plugins: [
      { resolve: '@msg/plugin-console', id: 'console', options: { silent: true } },
      { resolve: '@msg/plugin-console', id: 'mail', options: { silent: true, channel: 'email' } },
    ],
    costs: {
      currency: 'USD',
      prices: [
        { provider: 'console', destination: '+260', amount: '0.0125' },
        { provider: 'console', destination: '*', amount: '0.05' },
        { provider: 'mail', amount: '0.001' },
      ],
    },
    ...extra,
  });
  running.push(started);
  return started;
}

/** Posts a multipart upload: the campaign as JSON, then the file. */
async function upload(
  target: TestGateway,
  campaign: unknown,
  file: { name: string; type: string; content: string },
): Promise<{ status: number; body: any }> {
  const form = new FormData();
  form.append('campaign', JSON.stringify(campaign));
  form.append('recipients', new Blob([file.content], { type: file.type }), file.name);
  const response = await request(`${target.url}/v1/campaigns`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}` },
    body: form,
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: JSON.parse(text) };
}

const numbers = (count: number, start = 0) =>
  Array.from({ length: count }, (_, index) => `+26097${String(1_000_000 + start + index).slice(-7)}`);

describe('campaigns', () => {
  it('validates inline recipients: invalid lines, duplicates, segments and estimated cost', async () => {
    const target = await gateway();
    const created = await target.call('POST', '/v1/campaigns', {
      body: {
        name: 'December promo',
        template: { text: 'Hello {{name}}, 20% off today' },
        recipients: [
          { to: '+260971234567', name: 'Ann' },
          { to: '+260971234567', name: 'Ann again' },
          { to: '12345', name: 'Bad' },
          { to: '+260971234568', variables: { name: 'Ben' } },
          { to: '+260971234569' },
        ],
      },
    });
    expect(created.status).toBe(201);
    const report = created.body.report;
    expect(report).toMatchObject({
      lines: 5,
      recipients: 2,
      invalid: 2,
      duplicates: 1,
      segments: 2,
      estimatedCost: '0.025000',
      currency: 'USD',
    });
    expect(report.invalidLines).toEqual([
      expect.objectContaining({ line: 3, value: '12345' }),
      expect.objectContaining({ line: 5, reason: "no value for the template's {{name}}" }),
    ]);
    expect(created.body.state).toBe('draft');
  });

  it('sends every recipient once through the bulk path and completes with aggregates and results', async () => {
    const target = await gateway();
    const recipients = numbers(450).map((to, index) => ({ to, name: `N${index}` }));
    const created = await target.call('POST', '/v1/campaigns', {
      body: { template: { text: 'Hi {{name}}' }, recipients },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body.bulkPath).toBe(true);
    const started = await target.call('POST', `/v1/campaigns/${id}/start`);
    expect(started.status).toBe(200);
    const done = await eventually(async () => {
      const view = await target.call('GET', `/v1/campaigns/${id}`);
      return view.body.state === 'completed' ? view.body : undefined;
    }, 15_000);
    expect(done.progress.byStatus).toEqual({ delivered: 450 });
    expect(done.progress.cost).toBe('5.625000');
    const aggregates = await target.call('GET', `/v1/campaigns/${id}/aggregates`);
    expect(aggregates.body.byProvider).toEqual({ console: 450 });
    const page = await target.call('GET', `/v1/campaigns/${id}/results?limit=200`);
    expect(page.body.results).toHaveLength(200);
    expect(page.body.results[0]).toMatchObject({
      sequence: 1,
      status: 'delivered',
      provider: 'console',
      cost: '0.012500',
    });
    expect(page.body.results[0].bulkId).toMatch(/^bulk_/);
    const ids = new Set<string>();
    let next: string | undefined = `/v1/campaigns/${id}/results?limit=200`;
    while (next) {
      const response: any = await target.call('GET', next);
      for (const result of response.body.results) ids.add(result.messageId);
      next = response.body.next;
    }
    expect(ids.size).toBe(450);
    const csv = await request(`${target.url}/v1/campaigns/${id}/results.csv`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    const lines = (await csv.body.text()).trim().split('\n');
    expect(lines).toHaveLength(451);
    expect(lines[0]).toBe(
      'sequence,to,status,message_id,provider,provider_message_id,bulk_id,cost,error_kind,error_code,error_message',
    );
  });

  it('uploads a CSV, streamed, and refuses a broken line with its line number, leaving no campaign', async () => {
    const target = await gateway();
    const good = await upload(
      target,
      { template: { text: 'Hi {{first}}' } },
      {
        name: 'list.csv',
        type: 'text/csv',
        content: 'to,first\n+260971234567,Ann\nnot-a-number,Bob\n+260971234568,"Cy, Jr"\n',
      },
    );
    expect(good.status).toBe(201);
    expect(good.body.report).toMatchObject({ lines: 3, recipients: 2, invalid: 1 });
    expect(good.body.report.invalidLines[0].line).toBe(3);

    const broken = await upload(
      target,
      { template: { text: 'Hi {{first}}' } },
      {
        name: 'list.csv',
        type: 'text/csv',
        content: 'to,first\n+260971234567,Ann\n+260971234568,Bob,extra\n',
      },
    );
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toMatch(/line 3/);

    const wrongColumn = await upload(
      target,
      { template: { text: 'Hi {{first}}' } },
      { name: 'list.csv', type: 'text/csv', content: 'phone,first\n+260971234567,Ann\n' },
    );
    expect(wrongColumn.status).toBe(400);
    expect(wrongColumn.body.error.message).toMatch(/no "to" column/);

    const unknownVariable = await upload(
      target,
      { template: { text: 'Hi {{nickname}}' } },
      { name: 'list.csv', type: 'text/csv', content: 'to,first\n+260971234567,Ann\n' },
    );
    expect(unknownVariable.status).toBe(400);
    expect(unknownVariable.body.error.message).toMatch(/\{\{nickname\}\}.*not a column/);

    const list = await target.call('GET', '/v1/campaigns');
    expect(list.body.campaigns.map((campaign: any) => campaign.id)).toEqual([good.body.id]);
  });

  it('takes NDJSON and refuses a campaign on a provider without the channel', async () => {
    const target = await gateway();
    const ndjson = await upload(
      target,
      { channel: 'email', from: 'news@example.com', template: { subject: 'Hi {{name}}', text: 'Deals' } },
      {
        name: 'list.ndjson',
        type: 'application/x-ndjson',
        content: '{"to":"a@example.com","name":"A"}\n{"to":"b@example.com","name":"B"}\n',
      },
    );
    expect(ndjson.status).toBe(201);
    expect(ndjson.body.report).toMatchObject({ recipients: 2, estimatedCost: '0.002000' });
    const wrongChannel = await target.call('POST', '/v1/campaigns', {
      body: { provider: 'mail', template: { text: 'Hi' }, recipients: ['+260971234567'] },
    });
    expect(wrongChannel.status).toBe(400);
    expect(wrongChannel.body.error.issues).toEqual([
      { path: 'provider', message: 'provider "mail" serves email, not sms' },
    ]);
  });

  it('pauses, resumes and cancels, releasing what the cancelled recipients held', async () => {
    const target = await gateway({ credits: { enabled: true } });
    const top = await target.call('POST', '/v1/credits/client/top-ups', {
      key: ADMIN_KEY,
      body: { amount: '100.00', reference: 'invoice 7' },
    });
    expect(top.status).toBe(201);
    const created = await target.call('POST', '/v1/campaigns', {
      body: { template: { text: 'Hi' }, ratePerSecond: 20, recipients: numbers(200) },
    });
    const id = created.body.id;
    await target.call('POST', `/v1/campaigns/${id}/start`);
    const paused = await target.call('POST', `/v1/campaigns/${id}/pause`);
    expect(paused.body.state).toBe('paused');
    const resumed = await target.call('POST', `/v1/campaigns/${id}/resume`);
    expect(resumed.body.state).toBe('running');
    await eventually(async () => {
      const view = await target.call('GET', `/v1/campaigns/${id}`);
      return (view.body.progress.byStatus.delivered ?? 0) >= 20 ? true : undefined;
    });
    const cancelled = await target.call('POST', `/v1/campaigns/${id}/cancel`);
    expect(cancelled.body.state).toBe('cancelled');
    const settled = await eventually(async () => {
      const view = await target.call('GET', `/v1/campaigns/${id}`);
      return view.body.progress.unfinished === 0 ? view.body : undefined;
    });
    const sent = settled.progress.byStatus.delivered;
    expect(sent).toBeGreaterThanOrEqual(20);
    expect(sent).toBeLessThan(200);
    const balance = await target.call('GET', '/v1/credits');
    // 0.0125 per accepted message, to the micro-unit; nothing held once the campaign is over.
    expect(balance.body).toMatchObject({ held: '0.000000' });
    expect(Number(balance.body.balance)).toBeCloseTo(100 - sent * 0.0125, 6);
    expect(balance.body.debited).toBe((sent * 0.0125).toFixed(6));
  });

  it('answers 402 with the shortfall before anything is queued', async () => {
    const target = await gateway({ credits: { enabled: true } });
    await target.call('POST', '/v1/credits/client/top-ups', { key: ADMIN_KEY, body: { amount: '0.02' } });
    const created = await target.call('POST', '/v1/campaigns', {
      body: { template: { text: 'Hi' }, recipients: numbers(3) },
    });
    const refused = await target.call('POST', `/v1/campaigns/${created.body.id}/start`);
    expect(refused.status).toBe(402);
    expect(refused.body.error).toMatchObject({
      code: 'insufficient_credit',
      detail: { balance: '0.020000', required: '0.037500', shortfall: '0.017500', currency: 'USD' },
    });
    const view = await target.call('GET', `/v1/campaigns/${created.body.id}`);
    expect(view.body.state).toBe('draft');
    const single = await target.call('POST', '/v1/messages', { body: { to: '+260971234567', text: 'x' } });
    expect(single.status).toBe(202);
    const second = await target.call('POST', '/v1/messages', { body: { to: '+260971234568', text: 'x' } });
    expect(second.status).toBe(402);
    expect(second.body.error.detail.shortfall).toBe('0.005000');
  });
});

describe('campaign uploads that fail', () => {
  it('keeps nothing of an upload cut off midway', async () => {
    const target = await gateway();
    const { connect } = await import('node:net');
    const url = new URL(target.url);
    const boundary = 'cutoffboundary';
    const head = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="campaign"',
      '',
      JSON.stringify({ template: { text: 'Hi' } }),
      `--${boundary}`,
      'Content-Disposition: form-data; name="recipients"; filename="list.csv"',
      'Content-Type: text/csv',
      '',
      `to\n${numbers(5000).join('\n')}\n`,
    ].join('\r\n');
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /v1/campaigns HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${API_KEY}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${head.length + 100_000}\r\n\r\n${head}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.destroy();
    const store = target.gateway.container.get(Tokens.MessageStore);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The request's own clean-up removed it: nothing is left for the next start to discard.
    expect(await store.campaigns.discardUnfinishedUploads()).toBe(0);
    const listed = await target.call('GET', '/v1/campaigns');
    expect(listed.body.campaigns).toEqual([]);
    expect(target.logger.lines.some((line) => line.level === 'error')).toBe(false);
  });

  it('reports a list of invalid numbers with their lines, and refuses one with no valid recipient', async () => {
    const target = await gateway();
    const lines = Array.from({ length: 3000 }, (_, index) => `0${index}`);
    const refused = await upload(
      target,
      { template: { text: 'Hi' } },
      { name: 'bad.csv', type: 'text/csv', content: `to\n${lines.join('\n')}\n` },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('no_valid_recipients');
    expect(refused.body.error.detail.report).toMatchObject({ lines: 3000, invalid: 3000, recipients: 0 });
    expect(refused.body.error.detail.report.invalidLines).toHaveLength(1000);
    expect(refused.body.error.detail.report.invalidLines[0]).toMatchObject({ line: 2, value: '00' });
    expect((await target.call('GET', '/v1/campaigns')).body.campaigns).toEqual([]);
  });
});
