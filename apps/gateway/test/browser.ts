import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { GATEWAY_DIRECTORY } from './helpers.js';

/** Debian's Chromium: browsers cannot be downloaded here, `.ci/run` installs the package. */
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);

/** Screenshots of each view, written for people to look at (git-ignored). */
export const ARTIFACTS = join(GATEWAY_DIRECTORY, '..', '..', 'test-artifacts', 'dashboard');

/** Headless Chromium with a profile of its own, nothing that phones home, and a record of page errors. */
export async function launchChromium(): Promise<{ context: BrowserContext; pageErrors: string[] }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'msg-chromium-')), {
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
  const pageErrors: string[] = [];
  const watch = (page: Page) => {
    page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // A refused script or style would show here: the content security policy must hold.
      if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) {
        pageErrors.push(`console: ${message.text()}`);
      }
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return { context, pageErrors };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown }>;
}

/**
 * axe-core on the page as it stands (WCAG 2.1 A and AA plus best practices): no serious or
 * critical violation. axe is evaluated through the DevTools protocol, so the page's content
 * security policy stays on.
 */
export async function expectAccessible(page: Page, view: string): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(`axe
    .run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    })
    .then((result) => result.violations)`)) as AxeViolation[];
  const serious = violations.filter(
    (violation) => violation.impact === 'serious' || violation.impact === 'critical',
  );
  const describe = (list: AxeViolation[]) =>
    list.map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.help} at ${JSON.stringify(violation.nodes.map((node) => node.target))}`,
    );
  expect(describe(serious), `accessibility of ${view}`).toEqual([]);
}

/** The whole page, or only what the screen shows (`fullPage: false`, for phones). */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}
