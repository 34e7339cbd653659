// `serve --session FILE`: graph, values, positions and transport restored at start and saved after every
// change (atomically); after an unclean exit (a real kill -9 of a real server process) the graph comes back
// stopped with the reason in /status; a PATCH or --fresh wins and keeps the old session beside it; a session
// that no longer loads is kept aside, never overwritten; nodes can never write the session file.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../src/api/protocol.js';
import type { SynchrotronServer } from '../../src/server/index.js';
import { parseSessionText } from '../../src/server/session.js';
import { EventClient, request, sleep, startServer } from './helpers.js';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
/** Generous: waits for conditions, not timings (a loaded machine may be slow). */
const WAIT = 30_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'synchrotron-session-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function server(options: Parameters<typeof startServer>[0]): Promise<SynchrotronServer> {
  const started = await startServer(options);
  cleanups.push(() => started.close());
  return started;
}

/** The session file as a reader finds it now (undefined while it does not exist). */
function readSession(path: string) {
  return existsSync(path) ? parseSessionText(readFileSync(path, 'utf8')) : undefined;
}

/** Waits until the session file satisfies `test` (it is saved a moment after each change). */
async function savedWhen(path: string, test: (session: ReturnType<typeof parseSessionText>) => boolean) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const session = readSession(path);
    if (session && test(session)) return session;
    if (Date.now() > deadline)
      throw new Error(`the session never showed the change: ${JSON.stringify(session)}`);
    await sleep(20);
  }
}

const PATCH =
  'new 440 freq\nnew SineNode sine\nnew PlaybackNode out\nlink freq.out -> sine.frequency\nlink sine.out -> out.left';

async function graphOf(s: { url: string }) {
  const exported = (await request(s, 'GET', '/export')).body as string;
  const positions = (await request(s, 'GET', '/positions')).body;
  const status = (await request(s, 'GET', '/status')).body as EngineStatus;
  return { exported, positions, status };
}

/** A real `synchrotron serve` process; resolves once it listens, with its URL and what it logged. */
async function serveProcess(
  args: string[],
  cwd: string,
): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--audio', 'none', '--port', '0', ...args], { cwd });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk) => {
      log += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(log);
      if (found) resolve(found[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before listening:\n${log}`)));
  });
  return { child, url, log: () => log };
}

describe('sessions', () => {
  it('restores graph, values, positions and transport after a clean shutdown', async () => {
    const dir = tempDir();
    const file = join(dir, 'live.sui');
    const first = await server({ root: dir, session: file });
    expect((await request(first, 'POST', '/execute', PATCH)).status).toBe(200);
    await request(first, 'PUT', '/nodes/freq/value', 330);
    const placed = { freq: { x: 10, y: 20 }, sine: { x: 200.5, y: -40 }, out: { x: 400, y: 0 } };
    expect((await request(first, 'PUT', '/positions', placed)).status).toBe(200);
    const before = await graphOf(first);
    expect(before.status.running).toBe(true);
    await savedWhen(file, (s) => s.script.includes('new 330 freq;') && s.positions.out?.x === 400);
    await first.close();
    const closed = readSession(file);
    expect(closed?.state).toMatchObject({ open: false, running: true, version: 1 });

    const second = await server({ root: dir, session: file });
    const after = await graphOf(second);
    expect(after.exported).toBe(before.exported);
    expect(after.positions).toEqual(placed);
    expect(after.status.running).toBe(true);
    expect(after.status.reason).toBeUndefined();
    // Stopped when closed: restored stopped, with nothing to explain.
    await request(second, 'GET', '/stop');
    await savedWhen(file, (s) => s.state?.running === false);
    await second.close();
    const third = await server({ root: dir, session: file });
    const stopped = (await request(third, 'GET', '/status')).body as EngineStatus;
    expect(stopped.running).toBe(false);
    expect(stopped.reason).toBeUndefined();
  });

  it('after kill -9 restores what was saved, stopped, and says why; a second server on the file is refused', async () => {
    const dir = tempDir();
    const file = join(dir, 'live.sui');
    const first = await serveProcess(['--session', file], dir);
    await request(first, 'POST', '/execute', PATCH);
    await request(first, 'PUT', '/positions', { sine: { x: 1, y: 2 } });
    for (const hz of [220, 230, 240]) await request(first, 'PUT', '/nodes/freq/value', hz);
    await request(first, 'PATCH', '/nodes/sine', { name: 'osc' });
    const saved = await savedWhen(file, (s) => s.script.includes('new 240 freq') && s.script.includes('osc'));
    expect(saved.positions).toEqual({ osc: { x: 1, y: 2 } }); // the position followed the rename
    expect(saved.state).toMatchObject({ open: true, running: true });
    const expected = (await request(first, 'GET', '/export')).body;

    // The file is in use: another server is refused, and says by whom.
    const second = spawn(
      process.execPath,
      [CLI, 'serve', '--audio', 'none', '--port', '0', '--session', file],
      {
        cwd: dir,
      },
    );
    let refused = '';
    second.stderr.on('data', (chunk) => {
      refused += chunk.toString();
    });
    const code = await new Promise((resolve) => second.on('close', resolve));
    expect(code).toBe(1);
    expect(refused).toContain(`is in use by another Synchrotron server (pid ${first.child.pid})`);

    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.on('exit', resolve));
    const again = await serveProcess(['--session', file], dir);
    expect(again.log()).toContain('did not exit cleanly');
    const status = (await request(again, 'GET', '/status')).body as EngineStatus;
    expect(status.running).toBe(false);
    expect(status.reason).toMatch(/restored stopped: the last server \(pid \d+\) did not exit cleanly/);
    expect((await request(again, 'GET', '/export')).body).toBe(expected);
    expect((await request(again, 'GET', '/positions')).body).toEqual({ osc: { x: 1, y: 2 } });
    // /ws says it too, and Start clears it.
    const client = await EventClient.open(`${again.url}/ws`);
    cleanups.push(() => client.close());
    expect((await client.next('hello')).status.reason).toBe(status.reason);
    await request(again, 'GET', '/start');
    const started = (await request(again, 'GET', '/status')).body as EngineStatus;
    expect(started.running).toBe(true);
    expect(started.reason).toBeUndefined();
    await client.next('status', (m) => m.status.running && m.status.reason === undefined, WAIT);
    again.child.kill('SIGTERM');
    await new Promise((resolve) => again.child.on('exit', resolve));
    expect(readSession(file)?.state).toMatchObject({ open: false, running: true });
  });

  it('a PATCH given too wins, and --fresh starts empty; the session they replace is kept beside it', async () => {
    const dir = tempDir();
    const file = join(dir, 'live.sui');
    const first = await server({ root: dir, session: file });
    await request(first, 'POST', '/execute', 'new 1 kept');
    await savedWhen(file, (s) => s.script.includes('kept'));
    await first.close();
    const original = readFileSync(file, 'utf8');

    const withPatch = await server({ root: dir, session: file, patch: '/*** {"p": [5, 6]} ***/\nnew 2 p' });
    expect((await request(withPatch, 'GET', '/export')).body).toBe('new 2 p;\n');
    expect((await request(withPatch, 'GET', '/positions')).body).toEqual({ p: { x: 5, y: 6 } });
    expect(readFileSync(join(dir, 'live.previous.sui'), 'utf8')).toBe(original);
    await savedWhen(file, (s) => s.script.includes('new 2 p'));
    await withPatch.close();

    const fresh = await server({ root: dir, session: file, fresh: true });
    expect((await request(fresh, 'GET', '/nodes')).body).toEqual([]);
    expect(readFileSync(join(dir, 'live.previous.sui'), 'utf8')).toContain('new 2 p');
  });

  it('keeps a session that no longer loads aside, never overwriting it, and starts empty saying where it is', async () => {
    const dir = tempDir();
    const file = join(dir, 'live.sui');
    const broken =
      '/*** {"positions": {}, "session": {"version": 1, "running": true, "open": false, "pid": 1, "savedAt": "x"}} ***/\nnew 1 a\nnew VanishedNode b\n';
    writeFileSync(file, broken);
    const s = await server({ root: dir, session: file });
    const status = (await request(s, 'GET', '/status')).body as EngineStatus;
    expect(status.running).toBe(false);
    expect(status.reason).toMatch(
      /could not be restored \(line 3, column 5: unknown node type `VanishedNode`/,
    );
    const aside = readdirSync(dir).find((name) => name.startsWith('live.unreadable-'));
    expect(aside).toBeDefined();
    expect(readFileSync(join(dir, aside as string), 'utf8')).toBe(broken);
    expect((await request(s, 'GET', '/nodes')).body).toEqual([]);
    // The session goes on from here.
    await request(s, 'POST', '/execute', 'new 3 c');
    await savedWhen(file, (session) => session.script.includes('new 3 c'));
  });

  it('does not restore a session again that killed the server while it was being restored', async () => {
    const dir = tempDir();
    const file = join(dir, 'live.sui');
    writeFileSync(
      file,
      '/*** {"positions": {}, "session": {"version": 1, "running": true, "open": true, "pid": 999999999, "savedAt": "x"}} ***/\nnew 1 a\n',
    );
    writeFileSync(`${file}.restoring`, '999999999\n'); // what a server killed while restoring leaves
    const s = await server({ root: dir, session: file });
    const status = (await request(s, 'GET', '/status')).body as EngineStatus;
    expect(status.running).toBe(false);
    expect(status.reason).toMatch(/stopped while restoring its session/);
    expect(readdirSync(dir).some((name) => name.startsWith('live.crashed-'))).toBe(true);
    expect(existsSync(`${file}.restoring`)).toBe(false);
    expect((await request(s, 'GET', '/nodes')).body).toEqual([]);
  });

  it('never lets a node write the session file', async () => {
    const dir = tempDir();
    const file = join(dir, 'live.sui');
    const s = await server({ root: dir, session: file });
    const client = await EventClient.open(`${s.url}/ws`);
    cleanups.push(() => client.close());
    await request(s, 'POST', '/execute', 'new "live.sui" p\nnew WavFileNode rec\nlink p.out -> rec.path');
    const warning = await client.next('warning', (m) => m.node === 'rec', WAIT);
    expect(warning.message).toContain('reserved');
    await savedWhen(file, (session) => session.script.includes('WavFileNode rec'));
    expect(readFileSync(file, 'utf8').startsWith('/***')).toBe(true);
  });
});

describe('node positions', () => {
  it('are kept for existing nodes, validated, follow renames and removals, and are pushed to clients', async () => {
    const s = await server({});
    await request(s, 'POST', '/execute', 'new 1 a\nnew 2 b');
    const client = await EventClient.open(`${s.url}/ws`);
    cleanups.push(() => client.close());
    const answer = await request(s, 'PUT', '/positions', {
      a: { x: 1, y: 2 },
      b: [3, 4],
      ghost: { x: 0, y: 0 },
    });
    expect(answer.status).toBe(422); // [3, 4] is not the API's shape: refused whole
    expect((await request(s, 'GET', '/positions')).body).toEqual({});
    const ok = await request(s, 'PUT', '/positions', {
      a: { x: 1, y: 2 },
      b: { x: 3, y: 4 },
      ghost: { x: 0, y: 0 },
    });
    expect(ok.body).toEqual({ changed: { a: { x: 1, y: 2 }, b: { x: 3, y: 4 } }, skipped: ['ghost'] });
    const bad = await request(s, 'PUT', '/positions', { a: { x: 1e300, y: 0 } });
    expect(bad.status).toBe(422);
    expect((bad.body as { detail: string }).detail).toContain('`a`');
    await request(s, 'PATCH', '/nodes/a', { name: 'alpha' });
    await request(s, 'DELETE', '/nodes/b');
    expect((await request(s, 'GET', '/positions')).body).toEqual({ alpha: { x: 1, y: 2 } });
    const pushed = await client.next('positions', (m) => 'alpha' in m.positions);
    expect(pushed.positions).toEqual({ a: null, alpha: { x: 1, y: 2 } });
    await client.next('positions', (m) => m.positions.b === null);
  });
});
