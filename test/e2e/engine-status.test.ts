/// <reference lib="dom" />
// The editor and the server's own state: a banner says why the engine is not running (here a session
// restored stopped after an unclean exit) until Start clears it, and node positions are kept with the
// server — the editor takes the server's when it connects and sends the ones it made.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EngineStatus } from '../../src/api/protocol.js';
import {
  http,
  launchBrowser,
  missingPrerequisite,
  openEditor,
  ROOT,
  type RunningServer,
  screenshot,
} from './harness.js';

const missing = missingPrerequisite();

describe.skipIf(!!missing)('editor: why nothing plays, and positions kept by the server', () => {
  let browser: Browser;
  let server: RunningServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'synchrotron-e2e-session-'));
    const file = join(dir, 'live.sui');
    // What a server killed with -9 leaves: `open: true` (no pid alive has it), a graph, one position.
    writeFileSync(
      file,
      '/*** {"positions": {"freq": {"x": 123, "y": 45}}, "session": {"version": 1, "running": true, ' +
        '"open": true, "pid": 999999999, "savedAt": "2020-01-01T00:00:00.000Z"}} ***/\n' +
        'new 440 freq;\nnew SineNode sine;\nlink freq.out -> sine.frequency;\n',
    );
    const { createServer } = (await import(pathToFileURL(join(ROOT, 'dist', 'server', 'index.js')).href)) as {
      createServer(options: Record<string, unknown>): Promise<RunningServer>;
    };
    server = await createServer({ port: 0, audio: 'none', log: () => {}, session: file, root: dir });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a banner says why the engine is stopped until Start; positions come from and go to the server', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = await openEditor(page, server.url);
    const notice = page.getByTestId('engine-notice');
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/restored stopped: the last server .* did not exit cleanly/);
    expect(await page.getByTestId('render-state').textContent()).toBe('stopped');
    await screenshot(page, 'engine-notice');

    // The server's position of `freq` reached this editor (which keeps positions in its storage too)…
    const stored = () =>
      page.evaluate(() => JSON.parse(localStorage.getItem('synchrotron.positions') ?? '{}').freq);
    await expect.poll(stored).toEqual({ x: 123, y: 45 });
    // …and the place it gave `sine` (laid out here: the server had none) reached the server.
    await expect
      .poll(async () => Object.keys(await http<Record<string, unknown>>(server.url, 'GET', '/positions')))
      .toContain('sine');
    expect((await http<Record<string, unknown>>(server.url, 'GET', '/positions')).freq).toEqual({
      x: 123,
      y: 45,
    });

    await page.getByTestId('start').click();
    await notice.waitFor({ state: 'detached' });
    const status = await http<EngineStatus>(server.url, 'GET', '/status');
    expect(status.running).toBe(true);
    expect(status.reason).toBeUndefined();
    expect(errors).toEqual([]);
    await page.close();
  });
});
