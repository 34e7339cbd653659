// Every recipe of issue 9 that blew the server up or took files from a user, replayed against a real
// server: each now gets a 4xx (or, for what happens later on the render side, a warning) that names the
// limit or the rule, the server keeps answering, and what was there before is still there.

import { execFileSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/io/security.js';
import type { SynchrotronServer } from '../../src/server/index.js';
import { EventClient, request, startServer, upgradeStatus, waitUntil } from './helpers.js';

type Detail = { detail: string; code?: string; limit?: string };

/** `new TYPE prefixN` for n in [from, to), one per line. */
function many(type: string, prefix: string, from: number, to: number): string {
  const lines: string[] = [];
  for (let i = from; i < to; i++) lines.push(`new ${type} ${prefix}${i}`);
  return lines.join('\n');
}

describe('limits on what requests may ask for (a stopped server: nothing renders)', () => {
  let server: SynchrotronServer;
  beforeAll(async () => {
    server = await startServer({ start: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('20,000 nodes in one request: refused whole, naming --max-nodes; the graph is as it was', async () => {
    await request(server, 'POST', '/execute', 'new 440 keep');
    const before = (await request(server, 'GET', '/export')).body;
    const answer = await request(server, 'POST', '/execute', many('SineNode', 's', 0, 20_000));
    expect(answer.status).toBe(400); // a Synchrolang error: 400, with where
    const body = answer.body as Detail & { line: number };
    expect(body.code).toBe('limit');
    expect(body.limit).toBe('maxNodes');
    expect(body.detail).toMatch(/too many nodes: a graph holds at most 10000 \(--max-nodes\)/);
    expect(body.line).toBe(DEFAULT_LIMITS.maxNodes); // the line of the first node too many
    expect((await request(server, 'GET', '/export')).body).toEqual(before);
  });

  it('a graph at the node limit refuses one more by every route, and answers /nodes, /export and hello', async () => {
    await request(server, 'GET', '/clear');
    // 10,000 data nodes in three requests (each under the 1 MiB body limit).
    for (const [from, to] of [
      [0, 4000],
      [4000, 8000],
      [8000, 10_000],
    ]) {
      const lines = Array.from({ length: to - from }, (_, i) => `new ${from + i} d${from + i}`).join('\n');
      expect((await request(server, 'POST', '/execute', lines)).status).toBe(200);
    }
    const refusedRest = await request(server, 'POST', '/nodes?type=SineNode');
    expect(refusedRest.status).toBe(413);
    expect((refusedRest.body as Detail).detail).toMatch(/--max-nodes/);
    expect((await request(server, 'POST', '/nodes/one_more?type=SineNode')).status).toBe(413);
    const nodes = await request(server, 'GET', '/nodes');
    expect(nodes.status).toBe(200);
    expect((nodes.body as unknown[]).length).toBe(10_000);
    const exported = await request(server, 'GET', '/export');
    expect(exported.status).toBe(200);
    expect((exported.body as string).split('\n').filter((l) => l.startsWith('new ')).length).toBe(10_000);
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      expect((await client.next('hello')).nodes.length).toBe(10_000);
    } finally {
      client.close();
    }

    // `new [$nodes …×100] big` (712 bytes of script): values past maxValueBytes; ×1000 past maxResultBytes.
    const hundred = `new [${Array(100).fill('$nodes').join(', ')}] big`;
    const refused = await request(server, 'POST', '/execute', `remove d0\n${hundred}`);
    expect(refused.status).toBe(400);
    expect((refused.body as Detail).limit).toBe('maxValueBytes');
    expect((refused.body as Detail).detail).toMatch(
      /values too large: .* at most 4 MiB together.*\(--max-value-bytes\)/,
    );
    const thousand = `eval [${Array(1000).fill('$nodes').join(', ')}]`;
    const tooMuch = await request(server, 'POST', '/execute', thousand);
    expect(tooMuch.status).toBe(400);
    expect((tooMuch.body as Detail).limit).toBe('maxResultBytes');
    expect((tooMuch.body as Detail).detail).toMatch(/results too large: .* 16 MiB \(--max-result-bytes\)/);
    // An export per line: each answer is large, all of them together past the budget.
    const exports = await request(server, 'POST', '/execute', Array(1000).fill('export').join('\n'));
    expect((exports.body as Detail).limit).toBe('maxResultBytes');
    expect(((await request(server, 'GET', '/nodes')).body as unknown[]).length).toBe(10_000); // nothing lost
    await request(server, 'GET', '/clear');
  });

  it('~130 MB of string values: each request past 1 MiB is a 413, and the values together stop at 4 MiB', async () => {
    const big = 'x'.repeat(1_000_000);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await request(server, 'POST', '/execute', `new "${big}" s${i}`);
      statuses.push(answer.status);
      if (answer.status !== 200) expect((answer.body as Detail).limit).toBe('maxValueBytes');
    }
    expect(statuses).toEqual([200, 200, 200, 200, 400, 400]);
    // The same through PUT: a 413 that names the limit.
    await request(server, 'POST', '/execute', 'new 0 small');
    const put = await request(server, 'PUT', '/nodes/small/value', JSON.stringify(big), {
      'content-type': 'application/json',
    });
    expect(put.status).toBe(413);
    expect((put.body as Detail).detail).toMatch(/--max-value-bytes/);
    const tooLarge = await request(server, 'POST', '/execute', `new "${'y'.repeat(2 * 1024 * 1024)}" huge`);
    expect(tooLarge.status).toBe(413); // the body limit
    // The export of all that answers (it used to stall a minute and die at the heap limit).
    const exported = await request(server, 'GET', '/export');
    expect(exported.status).toBe(200);
    expect((exported.body as string).length).toBeGreaterThan(4_000_000);
    const nodes = await request(server, 'GET', '/nodes');
    expect(nodes.status).toBe(200);
    await request(server, 'GET', '/clear');
  });

  it('600 WavFileNodes: refused past --max-open-files, and /clear still answers', async () => {
    const answer = await request(server, 'POST', '/execute', many('WavFileNode', 'w', 0, 600));
    expect(answer.status).toBe(400);
    expect((answer.body as Detail).limit).toBe('maxOpenFiles');
    expect((answer.body as Detail).detail).toMatch(
      /at most 64 nodes may hold a file open.*\(--max-open-files\)/,
    );
    const fine = await request(server, 'POST', '/execute', many('WavFileNode', 'w', 0, 64));
    expect(fine.status).toBe(200);
    expect((await request(server, 'POST', '/nodes?type=WavFileNode')).status).toBe(413);
    expect((await request(server, 'GET', '/clear')).status).toBe(200);
    expect((await request(server, 'POST', '/nodes?type=WavFileNode')).status).toBe(200); // room again
    await request(server, 'GET', '/clear');
  });

  it('WebSocket clients past --max-clients are refused with 429; closing one makes room', async () => {
    const small = await startServer({ limits: { maxClients: 2 } });
    try {
      const a = await EventClient.open(`${small.url}/ws`);
      const b = await EventClient.open(`${small.url}/ws`);
      expect(await upgradeStatus(`${small.url}/ws`)).toBe(429);
      expect(await upgradeStatus(`${small.url}/ws/audio`)).toBe(429);
      a.close();
      b.close();
      // The server notices the closes when their frames arrive: wait for it, however loaded the machine.
      await waitUntil(async () => (await upgradeStatus(`${small.url}/ws`)) === 101, 'room for a client');
    } finally {
      await small.close();
    }
  });
});

describe('files in --root are not taken from the user', () => {
  let server: SynchrotronServer;
  let root: string;
  let outside: string;
  let client: EventClient;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'synchrotron-files-'));
    outside = mkdtempSync(join(tmpdir(), 'synchrotron-outside-'));
    server = await startServer({ root, limits: { maxRecordBytes: 64 * 1024 } });
    client = await EventClient.open(`${server.url}/ws`);
  });
  beforeEach(async () => {
    await request(server, 'GET', '/clear');
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  /** Runs a script, waits until the warnings include one matching `pattern`. */
  async function runUntilWarning(script: string, pattern: RegExp): Promise<string> {
    expect((await request(server, 'POST', '/execute', script)).status).toBe(200);
    const message = await client.next('warning', (m) => pattern.test(m.message));
    return message.message;
  }

  it('an existing file is never overwritten: the recording goes to the next free name, with a warning', async () => {
    writeFileSync(join(root, 'victim.syn'), 'my patch');
    const warning = await runUntilWarning(
      'new SineNode osc\nnew WavFileNode w\nnew "victim.syn" p\nlink p.out -> w.path\nlink osc.out -> w.signal',
      /victim\.syn/,
    );
    expect(warning).toMatch(
      /`victim\.syn` exists and was not recorded here: recording to `victim-1\.syn` instead/,
    );
    expect(readFileSync(join(root, 'victim.syn'), 'utf8')).toBe('my patch');
    // The node shows where it records.
    await client.next('exports', (m) => m.name === 'w' && m.exports['File Path'] === 'victim-1.syn');
  });

  it('a hard link inside the root to a file outside it is never written through', async () => {
    writeFileSync(join(outside, 'secret.txt'), 'outside');
    linkSync(join(outside, 'secret.txt'), join(root, 'linked.wav'));
    await runUntilWarning('new WavFileNode w\nnew "linked.wav" p\nlink p.out -> w.path', /linked\.wav/);
    // The take went to the next name and is being written (its samples are on disk)…
    await waitUntil(
      () => existsSync(join(root, 'linked-1.wav')) && statSync(join(root, 'linked-1.wav')).size > 58 + 4096,
      'the take in linked-1.wav',
    );
    // …while the file outside, which the link shares, was never touched.
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('outside');
    await request(server, 'GET', '/clear');
  });

  it('two WavFileNodes on one path: the second is refused (a warning), the first records on', async () => {
    const warning = await runUntilWarning(
      'new "same.wav" p\nnew WavFileNode a\nnew WavFileNode b\nlink p.out -> a.path\nlink p.out -> b.path',
      /another node is writing it/,
    );
    expect(warning).toMatch(/cannot write `same\.wav`: another node is writing it/);
    await request(server, 'GET', '/clear');
  });

  it('a recording stops at --max-record-bytes with a warning, leaving a valid file of that size', async () => {
    const warning = await runUntilWarning(
      'new SineNode osc\nnew WavFileNode w\nnew "long.wav" p\nlink p.out -> w.path\nlink osc.out -> w.signal',
      /long\.wav.*most one recording may/,
    );
    expect(warning).toMatch(
      /holds 64 KiB, the most one recording may: recording stopped there \(--max-record-bytes\)/,
    );
    // The render thread closes the file just after it warns: wait until the header counts every byte.
    const file = join(root, 'long.wav');
    await waitUntil(
      () => readFileSync(file).readUInt32LE(4) === statSync(file).size - 8,
      'a finished header',
    );
    const size = statSync(file).size;
    expect(size).toBeLessThanOrEqual(64 * 1024 + 58);
    expect(size).toBeGreaterThan(60 * 1024);
    await request(server, 'GET', '/clear');
  });

  it('MidiFileNode: a 1 GiB file is refused before reading, a FIFO never blocks, the server answers', async () => {
    writeFileSync(join(root, 'giant.mid'), '');
    truncateSync(join(root, 'giant.mid'), 1024 ** 3);
    const rss = process.memoryUsage().rss;
    const warning = await runUntilWarning(
      'new "giant.mid" g\nnew MidiFileNode player\nlink g.out -> player.path',
      /giant\.mid/,
    );
    expect(warning).toMatch(/giant\.mid.*1 GiB, larger than the limit of 4 MiB/);
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 1024 * 1024);
    let fifo = true;
    try {
      execFileSync('mkfifo', [join(root, 'pipe.mid')]);
    } catch {
      fifo = false;
    }
    if (fifo) {
      const blocked = await runUntilWarning(
        'new "pipe.mid" f\nnew MidiFileNode piped\nlink f.out -> piped.path',
        /pipe\.mid/,
      );
      expect(blocked).toMatch(/pipe\.mid.*not a regular file/);
    }
    expect((await request(server, 'GET', '/status')).status).toBe(200);
    await request(server, 'GET', '/clear');
  });
});
