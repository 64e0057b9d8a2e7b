// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are asserted on, any keeps the tests short.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARTIFACTS,
  CHROMIUM,
  chromiumAvailable,
  expectAccessible,
  launchChromium,
  screenshot,
} from './browser.js';
import { ADMIN_KEY, API_KEY, eventually, startGateway, type TestGateway } from './helpers.js';

const MONITOR_KEY = 'monitor-key-0123456789abcdef';
const MIGRATION = 'mtn-to-africastalking';

if (!chromiumAvailable) {
  console.warn(
    `\n[msg] SKIPPED: the dashboard's browser tests need Chromium at ${CHROMIUM} (apt-get install chromium); .ci/run installs it.\n`,
  );
}

/**
 * The dashboard in a real browser against a real gateway: the sandbox's MTN and Africa's Talking
 * simulators behind a migration with a plan, real messages and receipts for the charts.
 */
describe.skipIf(!chromiumAvailable)('the dashboard in Chromium', () => {
  let gateway: TestGateway;
  let context: BrowserContext;
  let pageErrors: string[];
  let page: Page;
  const recipients = Array.from(
    { length: 40 },
    (_, index) => `+2609610${String(100 + index).padStart(5, '0')}`,
  );
  let firstMessage = '';

  beforeAll(async () => {
    gateway = await startGateway({
      sandbox: true,
      apiKeys: [
        { id: 'client', key: API_KEY, scopes: ['send', 'read'] },
        { id: 'operator', key: ADMIN_KEY, scopes: ['admin'] },
        { id: 'watcher', key: MONITOR_KEY, scopes: ['monitor'] },
      ],
      plugins: [
        { resolve: '@msg/plugin-mtn', id: 'mtn', options: {} },
        { resolve: '@msg/plugin-africastalking', id: 'africastalking', options: {} },
      ],
      routing: {
        routes: [
          {
            id: 'zm',
            match: { channel: 'sms' },
            providers: ['mtn', 'africastalking'],
            migration: {
              id: MIGRATION,
              from: ['mtn'],
              to: ['africastalking'],
              percentage: 50,
              plan: {
                steps: [{ percentage: 50, hold: '1h' }, { percentage: 100 }],
                analysis: {
                  interval: '1s',
                  receiptWindow: '1s',
                  minSample: 5,
                  failureLimit: 100,
                  checks: ['to.deliveredRate >= from.deliveredRate - 0.05', 'to.sendErrorRate <= 0.05'],
                },
              },
            },
          },
        ],
      },
      migrations: { tickMs: 200 },
    });
    // One at a time: a receipt the simulator sends before the gateway has stored the send's
    // outcome finds no message (the gateway answers 200 and drops it), which a burst can provoke.
    const sent = [];
    for (const to of recipients) {
      sent.push(await gateway.call('POST', '/v1/messages?wait=true', { body: { to, text: 'Muli bwanji' } }));
    }
    firstMessage = sent[0]?.body.id;
    let statuses: string[] = [];
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      statuses = await Promise.all(
        sent.map(
          async (message) => (await gateway.call('GET', `/v1/messages/${message.body.id}`)).body.status,
        ),
      );
      if (statuses.every((status) => status === 'delivered')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const stuck = sent.filter((_message, index) => statuses[index] !== 'delivered');
    const details = await Promise.all(
      stuck.map(async (message) => (await gateway.call('GET', `/v1/messages/${message.body.id}`)).body),
    );
    expect(details, 'messages still without their receipt').toEqual([]);
    // Receipt windows close after a second; then an analysis runs.
    await eventually(async () => {
      const view = await gateway.call('GET', `/v1/migrations/${MIGRATION}`, { key: ADMIN_KEY });
      return view.body.lastChecks ? true : undefined;
    }, 10_000);
    ({ context, pageErrors } = await launchChromium());
    page = context.pages()[0] ?? (await context.newPage());
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await gateway?.stop();
  });

  const open = (hash = '') => page.goto(`${gateway.url}/dashboard/${hash}`);
  const signIn = async (key: string) => {
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('refuses a wrong key with a clear message, then signs in with an admin key to a live overview', async () => {
    await open();
    await page.getByRole('heading', { name: /dashboard/ }).waitFor();
    await screenshot(page, 'sign-in');
    await expectAccessible(page, 'sign-in');
    await signIn('wrong-key-0123456789abcdef');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('That key was not accepted');
    expect(await page.getByLabel('API key').inputValue()).toBe('');

    await signIn(ADMIN_KEY);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.locator('tr[data-provider="africastalking"]').waitFor();
    await expect.poll(() => page.locator('.live-dot').textContent()).toBe('Live');
    const row = page.locator('tr[data-provider="mtn"]');
    expect(await row.locator('td').nth(1).textContent()).toBe('closed');
    // The last minute's sends, live: the 40 messages went to one side or the other.
    const sends = await Promise.all(
      ['mtn', 'africastalking'].map(async (id) =>
        Number(await page.locator(`tr[data-provider="${id}"] td`).nth(5).textContent()),
      ),
    );
    expect((sends[0] ?? 0) + (sends[1] ?? 0)).toBeGreaterThanOrEqual(40);
    expect(await page.content()).not.toContain(ADMIN_KEY);
    await screenshot(page, 'overview');
    await expectAccessible(page, 'overview');
  });

  it('shows a migration with its plan, checks and charts drawn from real data', async () => {
    await page.getByRole('link', { name: MIGRATION }).first().click();
    await page.getByRole('heading', { name: MIGRATION }).waitFor();
    await page.locator('[data-chart="volume"] canvas').first().waitFor();
    for (const chart of ['volume', 'deliveredRate', 'errorRate', 'p95DeliveryMs', 'costPerMessage']) {
      const label = await page.locator(`[data-chart="${chart}"]`).getAttribute('aria-label');
      expect(label, chart).toMatch(/Latest: from: mtn \S.*, to: africastalking \S/);
    }
    // Both sides delivered everything; AT reports its price, so its cost per message is known.
    expect(await page.locator('[data-chart="deliveredRate"]').getAttribute('aria-label')).toContain(
      'from: mtn 100 %, to: africastalking 100 %',
    );
    expect(await page.locator('[data-chart="costPerMessage"]').getAttribute('aria-label')).not.toContain(
      'africastalking no data',
    );
    expect(await page.locator('html').getAttribute('data-first-chart')).toMatch(/^\d+$/);
    expect(await page.getByText('step 1', { exact: false }).count()).toBeGreaterThan(0);
    await page.getByRole('heading', { name: 'Last analysis' }).waitFor();
    expect(await page.locator('section[aria-labelledby="checks-title"]').textContent()).toContain(
      'to.deliveredRate >= from.deliveredRate - 0.05',
    );
    await screenshot(page, 'migration');
    await page.locator('[data-chart="volume"]').screenshot({ path: join(ARTIFACTS, 'chart-volume.png') });
    await expectAccessible(page, 'migration');
  });

  it('changes the percentage with a reason and a confirmation: on the page at once and in the audit', async () => {
    await page.getByLabel('Percentage on africastalking').fill('70');
    await page.getByRole('button', { name: 'Set percentage…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.getByRole('button', { name: 'Set percentage' }).isDisabled()).toBe(true);
    await screenshot(page, 'confirm');
    await expectAccessible(page, 'confirmation dialog');
    await dialog.getByLabel(/Reason/).fill('AT delivers as well as MTN');
    await dialog.getByRole('button', { name: 'Set percentage' }).click();
    await page.locator('[data-percentage="70"]').waitFor();
    await page
      .locator('[data-audit-action="migration.percentage"]', { hasText: 'AT delivers as well as MTN' })
      .waitFor();
    expect(await page.locator('[data-result]').textContent()).toBe('Percentage set to 70 %.');
    const view = await gateway.call('GET', `/v1/migrations/${MIGRATION}`, { key: ADMIN_KEY });
    expect(view.body).toMatchObject({ percentage: 70, source: 'runtime', updatedBy: 'operator' });
    expect(view.body.plan.phase).toBe('paused');
  });

  it('emergency-stops the migration with a reason, then resumes it by keyboard alone', async () => {
    await page.getByRole('button', { name: 'Emergency stop…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/Reason/).fill('AT receipts look wrong');
    await dialog.getByRole('button', { name: 'Emergency stop' }).click();
    await page.locator('[data-mode="rolled-back"]').waitFor();
    await page.locator('[data-audit-action="migration.emergency-stop"]').waitFor();
    const audit = await gateway.call('GET', '/v1/admin/audit?actor=operator', { key: ADMIN_KEY });
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({
        action: 'migration.emergency-stop',
        subject: `migration:${MIGRATION}`,
        reason: 'AT receipts look wrong',
        after: expect.objectContaining({ mode: 'rolled-back' }),
      }),
    );
    await screenshot(page, 'migration-stopped');

    // Keyboard only: tab to Resume, open it, type the reason, tab to the confirmation and press it.
    await page.locator('h1').click();
    for (let presses = 0; presses < 40; presses++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate('document.activeElement?.textContent')) === 'Resume…') break;
    }
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    expect(await page.evaluate('document.activeElement?.tagName')).toBe('TEXTAREA');
    await page.keyboard.type('false alarm');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Resume');
    await page.keyboard.press('Enter');
    await page.locator('[data-mode="gradual"]').waitFor();
  });

  it('filters the audit log by subject and actor', async () => {
    await open(`#/audit?actor=operator&subject=${encodeURIComponent(`migration:${MIGRATION}`)}`);
    await page.locator('[data-audit-action="migration.resume"]').waitFor();
    const actions = await page
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-audit-action')));
    // Newest first; the emergency stop also aborted the plan (audited with the same actor).
    expect(actions).toContain('migration.emergency-stop');
    expect(actions[0]).toBe('migration.resume');
    expect(actions.at(-1)).toBe('migration.percentage');
    await page.getByLabel('Actor').fill('nobody');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No entries.').waitFor();
    await page.getByLabel('Actor').fill('operator');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('[data-audit-action="migration.resume"]').waitFor();
    await screenshot(page, 'audit');
    await expectAccessible(page, 'audit');
  });

  it("finds a recipient's messages and shows one's routing reason, attempts and receipts on a timeline", async () => {
    await open('#/messages');
    await page.getByLabel(/Message id, phone number/).fill(recipients[0] as string);
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByRole('link', { name: firstMessage }).waitFor();
    await screenshot(page, 'messages');
    await expectAccessible(page, 'messages by recipient');
    await page.getByRole('link', { name: firstMessage }).click();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    const kinds = await page
      .locator('.timeline li')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-kind')));
    expect(kinds[0]).toBe('accepted');
    expect(kinds).toContain('attempt');
    expect(kinds).toContain('outcome');
    expect(kinds).toContain('receipt');
    expect(await page.locator('.timeline').textContent()).toContain('delivered');
    expect(await page.getByText('Routing reason:').locator('..').textContent()).toContain('route "zm"');
    await screenshot(page, 'message');
    await expectAccessible(page, 'message');
  });

  it('fits a phone screen: nothing wider than the screen, the menu and the migration still usable', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, hash] of [
      ['phone-overview', '#/'],
      ['phone-migration', `#/migrations/${MIGRATION}`],
      ['phone-message', `#/messages/${firstMessage}`],
    ] as const) {
      await open(hash);
      await page.locator('main h1').waitFor();
      if (name === 'phone-migration') await page.locator('[data-chart="volume"] canvas').first().waitFor();
      await screenshot(page, name, false);
      // Elements reaching past the right edge, outside the tables that scroll on their own.
      const wide = await page.evaluate(`[...document.querySelectorAll('body *')]
        .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 1)
        .filter((element) => !element.closest('.table-scroll'))
        .map((element) => element.tagName.toLowerCase() + '.' + element.className)`);
      expect(wide, name).toEqual([]);
      const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow as number, name).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('lets a monitor key see everything and change nothing: no controls, and the server refuses', async () => {
    await open();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('Signed out.').waitFor();
    await signIn(MONITOR_KEY);
    await page.getByText('read-only').waitFor();
    await open(`#/migrations/${MIGRATION}`);
    await page.getByText('you can look, not change').waitFor();
    expect(await page.getByRole('button', { name: 'Emergency stop…' }).count()).toBe(0);
    await screenshot(page, 'monitor');
    // The page offers no button, and the server refuses the request itself, CSRF token and all.
    const refused = await page.evaluate(async (migration) => {
      const session = (await (await fetch('/dashboard/api/session')).json()) as { csrfToken: string };
      const response = await fetch(`/v1/admin/migrations/${migration}/emergency-stop`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ reason: 'a monitor tries' }),
      });
      return { status: response.status, body: await response.json() };
    }, MIGRATION);
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
  });

  it('refuses a change the admin session sends without its CSRF token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(ADMIN_KEY);
    await page.locator('.badge-admin').waitFor();
    const refused = await page.evaluate(async (migration) => {
      const response = await fetch(`/v1/admin/migrations/${migration}/emergency-stop`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'forged' }),
      });
      return { status: response.status, body: await response.json() };
    }, MIGRATION);
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'csrf_token_required' } } });
    const view = await gateway.call('GET', `/v1/migrations/${MIGRATION}`, { key: ADMIN_KEY });
    expect(view.body.mode).toBe('gradual');
    expect(pageErrors).toEqual([]);
  });
});
