import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, API_KEY, startGateway, type TestGateway } from './helpers.js';

describe('recent messages by recipient (GET /v1/messages?to=)', () => {
  let gateway: TestGateway;
  // Each message a millisecond after the last, so "newest first" has one answer.
  let time = Date.parse('2030-01-01T00:00:00Z');

  beforeAll(async () => {
    gateway = await startGateway(
      {
        plugins: [
          { resolve: '@msg/plugin-console', id: 'console', options: { silent: true } },
          { resolve: '@msg/plugin-console', id: 'mail', options: { silent: true, channel: 'email' } },
        ],
      },
      { now: () => time++ },
    );
  });
  afterAll(() => gateway?.stop());

  it('lists the messages to a number, newest first, a page at a time, in any way of writing it', async () => {
    const ids: string[] = [];
    for (const text of ['one', 'two', 'three']) {
      ids.push((await gateway.call('POST', '/v1/messages', { body: { to: '+260971234567', text } })).body.id);
    }
    await gateway.call('POST', '/v1/messages', { body: { to: '+260961234567', text: 'elsewhere' } });
    const first = await gateway.call(
      'GET',
      `/v1/messages?to=${encodeURIComponent('+260 97 123 4567')}&limit=2`,
      {
        key: ADMIN_KEY,
      },
    );
    expect(first.status).toBe(200);
    expect(first.body.messages.map((message: { id: string }) => message.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.messages[0]).toMatchObject({
      channel: 'sms',
      to: '+260971234567',
      createdAt: expect.any(String),
    });
    const rest = await gateway.call(
      'GET',
      `/v1/messages?to=%2B260971234567&limit=2&before=${encodeURIComponent(first.body.next)}`,
      { key: ADMIN_KEY },
    );
    expect(rest.body.messages.map((message: { id: string }) => message.id)).toEqual([ids[0]]);
    expect(rest.body.next).toBeUndefined();
  });

  it('finds an email by any of its to addresses, whatever their case', async () => {
    const sent = await gateway.call('POST', '/v1/messages', {
      body: {
        channel: 'email',
        from: 'app@example.com',
        to: ['first@example.com', 'Ops@Example.com'],
        subject: 'hi',
        text: 'hello',
      },
    });
    expect(sent.status).toBe(202);
    const found = await gateway.call('GET', '/v1/messages?to=OPS@example.com', { key: ADMIN_KEY });
    expect(found.body.messages.map((message: { id: string }) => message.id)).toEqual([sent.body.id]);
  });

  it('names the field it refuses, and is for operators only', async () => {
    const bad = await gateway.call('GET', '/v1/messages?to=not-a-number', { key: ADMIN_KEY });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('query.to');
    const cursor = await gateway.call('GET', '/v1/messages?to=%2B260971234567&before=yesterday', {
      key: ADMIN_KEY,
    });
    expect(cursor.body.error.issues[0].path).toBe('query.before');
    expect((await gateway.call('GET', '/v1/messages?to=%2B260971234567', { key: API_KEY })).status).toBe(403);
  });
});
