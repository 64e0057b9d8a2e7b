import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { dashboardAssets } from '../src/http/dashboard-routes.js';
import { ADMIN_KEY, gatewayPerTest } from './helpers.js';

const plugins = [{ resolve: '@msg/plugin-console', id: 'console', options: { silent: true } }];

describe('the dashboard served by the gateway', () => {
  const start = gatewayPerTest();

  it('serves the built pages from the gateway alone, under a strict policy, compressed and cached by fingerprint', async () => {
    const gateway = await start({ plugins });
    const redirect = await request(`${gateway.url}/dashboard`);
    expect(redirect.statusCode).toBe(308);
    expect(redirect.headers.location).toBe('dashboard/');
    await redirect.body.dump();

    const page = await request(`${gateway.url}/dashboard/`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const policy = String(page.headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
    ]) {
      expect(policy).toContain(directive);
    }
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');
    const html = await page.body.text();
    // Nothing from elsewhere: every script and stylesheet is a relative URL of the gateway's own.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);

    const assets = join(dashboardAssets() as string, 'assets');
    const script = readdirSync(assets).find((file) => file.endsWith('.js')) as string;
    const asset = await request(`${gateway.url}/dashboard/assets/${script}`, {
      headers: { 'accept-encoding': 'br' },
    });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-encoding']).toBe('br');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    await asset.body.dump();
  });

  it('leaves out the pages, the sign-in and cookie authentication when disabled', async () => {
    const gateway = await start({ plugins, dashboard: { enabled: false } });
    expect((await gateway.call('GET', '/dashboard/', { key: null })).status).toBe(404);
    const signIn = await gateway.call('POST', '/dashboard/api/session', {
      key: null,
      body: { key: ADMIN_KEY },
    });
    expect(signIn.status).toBe(404);
    expect(
      (await gateway.call('GET', '/v1/migrations', { key: null, headers: { cookie: 'msg_session=x' } }))
        .status,
    ).toBe(401);
  });
});
