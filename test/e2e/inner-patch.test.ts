/// <reference lib="dom" />
// Sub-patches in the editor (issue 15, item 8): a VoicesNode playing examples/instruments/subtractive.syn
// offers "Open inner patch" in its context menu, which shows what the file is made of — read-only, from
// the server's GET /nodes/{name}/patch — and copies its script.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  launchBrowser,
  missingPrerequisite,
  openEditor,
  ROOT,
  type RunningServer,
  runConsole,
  screenshot,
  startServer,
} from './harness.js';

const missing = missingPrerequisite();
const INSTRUMENTS = join(ROOT, 'examples', 'instruments');

describe.skipIf(!!missing)('the inside of a patch node', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    server = await startServer({ root: INSTRUMENTS });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    errors = await openEditor(page, server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('Open inner patch shows the file read-only: inlets, outlets, nodes; and copies its script', async () => {
    await runConsole(page, 'new VoicesNode(patch: "subtractive.syn", voices: 4) poly');
    await page.getByTestId('node-poly').waitFor();
    await page.getByTestId('node-poly').locator('.node-header').click({ button: 'right' });
    await page.getByRole('menuitem', { name: /Open inner patch/ }).click();
    const dialog = page.getByTestId('dialog');
    await dialog.filter({ hasText: 'Inside subtractive.syn (read-only)' }).waitFor();
    const text = (await dialog.textContent()) ?? '';
    expect(text).toMatch(/inlets frequency, gate, velocity, cutoff, resonance/);
    expect(text).toMatch(/outlets out/);
    expect(text).toMatch(/Edit subtractive\.syn in a text editor/);
    await screenshot(page, 'inner-patch');
    await page.getByTestId('dialog-confirm').click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(readFileSync(join(INSTRUMENTS, 'subtractive.syn'), 'utf8'));
    expect(errors).toEqual([]);
  });
});
