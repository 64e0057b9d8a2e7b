import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface FirstLoad {
  /** Bytes over the wire for the page and its assets (HTML, JS, CSS), compressed as served. */
  assetBytes: number;
  /** Everything the first view fetched: assets plus API answers (not the open live stream). */
  totalBytes: number;
  /** From navigation start to the first chart drawn. */
  firstChartMs: number;
}

/**
 * A cold first load of a migration's page in a fresh Chromium profile (empty cache), signed in:
 * what an operator opening a bookmarked migration waits for.
 */
export async function firstLoad(url: string, key: string, path: string): Promise<FirstLoad> {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'msg-bench-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const signIn = await context.request.post(`${url}/dashboard/api/session`, { data: { key } });
    if (signIn.status() !== 201) throw new Error(`sign-in answered ${signIn.status()}`);
    const page = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const kinds = new Map<string, string>();
    let assetBytes = 0;
    let totalBytes = 0;
    cdp.on('Network.responseReceived', (event) => kinds.set(event.requestId, event.type));
    cdp.on('Network.loadingFinished', (event) => {
      const kind = kinds.get(event.requestId);
      totalBytes += event.encodedDataLength;
      if (kind === 'Document' || kind === 'Script' || kind === 'Stylesheet')
        assetBytes += event.encodedDataLength;
    });
    await page.goto(`${url}/dashboard/${path}`);
    await page.locator('html[data-first-chart]').waitFor({ state: 'attached', timeout: 30_000 });
    const firstChartMs = Number(await page.evaluate('document.documentElement.dataset.firstChart'));
    // Let the series answer and the other charts land before counting the bytes.
    await page.waitForLoadState('networkidle').catch(() => undefined);
    return { assetBytes, totalBytes, firstChartMs };
  } finally {
    await context.close();
  }
}
