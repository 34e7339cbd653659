/// <reference lib="dom" />
// Files as a musician keeps them: Save keeps the opened file's name and its text (a commented example
// saved unchanged comes back byte for byte; an edit changes only what it must), Open reports errors at
// the file's own lines, and Open and `demo` ask before replacing unsaved work.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Synchrotron } from '../../src/index.js';
import { parseSui } from '../../src/lang/index.js';
import {
  http,
  launchBrowser,
  missingPrerequisite,
  openEditor,
  ROOT,
  type RunningServer,
  runConsole,
  startServer,
} from './harness.js';

const missing = missingPrerequisite();
const KEYBOARD = readFileSync(join(ROOT, 'examples', 'midi', 'keyboard.syn'), 'utf8');

/** The graph a script builds, as sorted lines of its export (order-free comparison). */
function graphOf(script: string): string[] {
  const engine = new Synchrotron();
  engine.execute(parseSui(script).script);
  return engine
    .export()
    .split('\n')
    .filter((l) => l.trim())
    .sort();
}

describe.skipIf(!!missing)('files', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const exported = () => http<string>(server.url, 'GET', '/export');

  /** Clicks Open (answering a question about unsaved work with `answer`) and chooses a file. */
  async function open(name: string, text: string, answer?: 'confirm' | 'cancel') {
    const chooser = page.waitForEvent('filechooser');
    await page.getByTestId('open').click();
    if (answer) {
      await page.getByTestId('dialog').waitFor();
      await page.getByTestId(`dialog-${answer}`).click();
      if (answer === 'cancel') return;
    }
    await (await chooser).setFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });
    await page.getByTestId('toast').filter({ hasText: name }).waitFor();
  }

  async function save(): Promise<{ name: string; text: string }> {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save').click()]);
    return { name: download.suggestedFilename(), text: readFileSync((await download.path())!, 'utf8') };
  }

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
    errors = await openEditor(page, server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('a commented example saved unchanged comes back byte for byte, under its own name', async () => {
    await open('keyboard.syn', KEYBOARD);
    await page.getByTestId('node-speakers').waitFor();
    const saved = await save();
    expect(saved.name).toBe('keyboard.syn');
    expect(saved.text).toBe(KEYBOARD);
  });

  test('an edited file keeps its comments: a new value replaces the literal, removed lines go, new ones follow', async () => {
    await runConsole(
      page,
      'set attack 0.02; remove onset; new SineNode sub; link mono.frequency -> sub.frequency',
    );
    await page.getByTestId('node-sub').waitFor();
    const saved = await save();
    expect(saved.name).toBe('keyboard.syn');
    const before = KEYBOARD.split('\n');
    const after = saved.text.split('\n');
    // Every comment line of the file is still there, in order.
    const comments = (lines: string[]) => lines.filter((l) => l.trim().startsWith('//'));
    expect(comments(after)).toEqual(comments(before));
    expect(after).toContain('new 0.02 attack              // seconds');
    expect(saved.text).not.toMatch(/onset/);
    expect(after.slice(-3)).toEqual(['new SineNode sub;', 'link mono.frequency -> sub.frequency;', '']);
    // And it is the graph: run on an empty engine, it builds what the server has.
    expect(graphOf(saved.text)).toEqual(graphOf(await exported()));
  });

  test('a .sui keeps its header as written while positions are unchanged', async () => {
    const sui = `/*** {"positions": {"a": [0, 0], "b": [200, 0]}}  ***/\n// two sines\nnew SineNode a  // left\nnew SineNode b\n`;
    // Just saved: nothing unsaved, so no question.
    await open('two.sui', sui);
    await page.getByTestId('node-b').waitFor();
    const saved = await save();
    expect(saved).toEqual({ name: 'two.sui', text: sui });
  });

  test('Save as writes another name and format; .syn has no header', async () => {
    await page.getByTestId('save-as').click();
    await page.getByTestId('dialog-input').fill('mine');
    await page.getByLabel('.syn').check();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('dialog-confirm').click(),
    ]);
    expect(download.suggestedFilename()).toBe('mine.syn');
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text).toBe('// two sines\nnew SineNode a  // left\nnew SineNode b\n');
    // Save now keeps that name.
    expect((await save()).name).toBe('mine.syn');
  });

  test("errors from Open name the file's own lines", async () => {
    const before = await exported();
    await open('broken.syn', '// a comment\nnew SineNode a\nnew SineNod b\n');
    expect(await page.getByTestId('toast').textContent()).toMatch(
      /broken\.syn: line 3, column 5: unknown node type `SineNod`/,
    );
    await open('broken.sui', '/*** {"a": [0, 0]} ***/\n\nnew SineNode a\nlink a.out -> a.nothing\n');
    expect(await page.getByTestId('toast').textContent()).toMatch(/line 4/);
    // Nothing changed.
    expect(await exported()).toBe(before);
  });

  test('demo and Open ask before replacing unsaved work; declining keeps it', async () => {
    await runConsole(page, 'new 3 unsaved');
    await page.getByTestId('node-unsaved').waitFor();
    await runConsole(page, 'demo');
    await page.getByTestId('dialog').waitFor();
    expect(await page.getByTestId('dialog').textContent()).toMatch(/not saved/);
    await page.getByTestId('dialog-cancel').click();
    expect(await exported()).toContain('unsaved');
    await open('other.syn', 'new SineNode x', 'cancel');
    expect(await exported()).toContain('unsaved');
    await runConsole(page, 'demo');
    await page.getByTestId('dialog-confirm').click();
    await page.getByTestId('node-tempo').waitFor();
    expect(await exported()).not.toContain('unsaved');
    // Nothing unsaved now: Open goes straight to the file chooser.
    await open('other.syn', 'new SineNode x');
    await page.getByTestId('node-x').waitFor();
    expect(errors).toEqual([]);
  });
});
