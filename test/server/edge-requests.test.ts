// Requests a demanding client sends by mistake (QA): each gets a 4xx with a `detail` that says what was
// wrong, never a 500 or a framework-shaped error, and the graph stays exactly as it was.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynchrotronServer } from '../../src/server/index.js';
import { EventClient, request, sleep, startServer, upgradeStatus } from './helpers.js';

describe('edge-case requests', () => {
  let server: SynchrotronServer;
  beforeAll(async () => {
    server = await startServer();
    await request(server, 'POST', '/execute', 'new 1 d\nnew SineNode sine\nnew PlaybackNode out');
  });
  afterAll(async () => {
    await server?.close();
  });

  const snapshot = async () =>
    JSON.stringify([
      (await request(server, 'GET', '/nodes')).body,
      (await request(server, 'GET', '/connections')).body,
    ]);
  const detail = (body: unknown) => (body as { detail?: unknown }).detail;

  /** Raw bytes to the server, the whole answer back (for requests fetch refuses to send). */
  const raw = (text: string) =>
    new Promise<string>((resolve, reject) => {
      const { port } = new URL(server.url);
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(text));
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString();
      });
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });

  it('malformed URLs and headers answer in the API error shape', async () => {
    const badEscape = await request(server, 'GET', '/nodes/%ZZ');
    expect(badEscape.status).toBe(400);
    expect(detail(badEscape.body)).toMatch(/bad request URL.*%ZZ/);

    const hugeUrl = await request(server, 'GET', `/nodes/${'x'.repeat(20000)}`);
    expect(hugeUrl.status).toBe(431);
    expect(detail(hugeUrl.body)).toMatch(/headers too large/);

    const garbage = await raw('GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);
    expect(garbage).toMatch(/"detail":"malformed HTTP request/);
  });

  it('names over 100 characters reach the graph, which says they are too long', async () => {
    const before = await snapshot();
    const name = 'a'.repeat(150);
    const created = await request(server, 'POST', `/nodes/${name}?type=SineNode`);
    expect(created.status).toBe(422);
    expect(detail(created.body)).toMatch(/too long: 150 characters \(at most 64\)/);
    const fetched = await request(server, 'GET', `/nodes/${name}`);
    expect(fetched.status).toBe(404);
    expect(await snapshot()).toBe(before);
  });

  it('does not coerce wrong JSON types into strings', async () => {
    const before = await snapshot();
    const link = await request(server, 'PATCH', '/connections', {
      source: { node_name: 1, port_name: 'out' },
      sink: { node_name: 'out', port_name: 'left' },
    });
    expect(link.status).toBe(422);
    expect(detail(link.body)).toMatch(/source\/node_name must be string/);
    const rename = await request(server, 'PATCH', '/nodes/sine', { name: null });
    expect(rename.status).toBe(422);
    expect(detail(rename.body)).toMatch(/name must be string/);
    const midi = await request(server, 'POST', '/midi', { data: ['144'] });
    expect(midi.status).toBe(422);
    expect(detail(midi.body)).toBe('body/data/0 must be integer');
    // One message or a list: the complaint is about the part that is wrong, not about every shape.
    const byte = await request(server, 'POST', '/midi', [{ data: [144, 999, 1] }]);
    expect(byte.status).toBe(422);
    expect(detail(byte.body)).toBe('body/0/data/1 must be <= 255');
    expect(await snapshot()).toBe(before);
  });

  it('reads JSON bodies sent as text/plain and says when a body is missing', async () => {
    const connection = {
      source: { node_name: 'sine', port_name: 'out' },
      sink: { node_name: 'out', port_name: 'right' },
    };
    const linked = await request(server, 'PATCH', '/connections', JSON.stringify(connection), {
      'content-type': 'text/plain',
    });
    expect(linked.status).toBe(200);
    expect(linked.body).toEqual(connection);
    await request(server, 'DELETE', '/connections', connection);

    for (const headers of [{}, { 'content-type': 'application/json' }] as Record<string, string>[]) {
      const missing = await request(server, 'PATCH', '/connections', undefined, headers);
      expect(missing.status).toBe(422);
      expect(detail(missing.body)).toBe('missing body: PATCH /connections takes a JSON body (see /docs)');
    }
    const broken = await request(server, 'PATCH', '/connections', '{"source":', {
      'content-type': 'application/json',
    });
    expect(broken.status).toBe(400);
    expect(detail(broken.body)).toBe('body is not valid JSON: Unexpected end of JSON input');
  });

  it('routes without a body ignore one sent along (as the original did)', async () => {
    const created = await request(server, 'POST', '/nodes/extra?type=SineNode', 'not json', {
      'content-type': 'text/plain',
    });
    expect(created.status).toBe(200);
    await request(server, 'DELETE', '/nodes/extra');
  });

  it('PUT /nodes/{name}/value says which part of a value is not allowed', async () => {
    const before = await snapshot();
    const cases: Array<[string, RegExp]> = [
      ['1e999', /the value is not a finite number/],
      ['{"a":1}', /the value is an object/],
      ['[1,[2,{"a":1}]]', /the value\[1\]\[1\] is an object/],
      [`${'['.repeat(100)}${']'.repeat(100)}`, /nests arrays more than 64 deep/],
      // 65 levels: one more than Synchrolang reads back, so it could not be exported.
      [`${'['.repeat(65)}${']'.repeat(65)}`, /nests arrays more than 64 deep/],
    ];
    for (const [body, reason] of cases) {
      const answer = await request(server, 'PUT', '/nodes/d/value', body, {
        'content-type': 'application/json',
      });
      expect(answer.status).toBe(422);
      expect(detail(answer.body)).toMatch(reason);
    }
    expect(await snapshot()).toBe(before);
  });

  it('a second server on a taken port fails with a message naming the port, not a system code', async () => {
    const port = Number(new URL(server.url).port);
    await expect(startServer({ port })).rejects.toThrow(
      `port ${port} on 127.0.0.1 is already in use (another Synchrotron server?)`,
    );
  });

  it('/ws warns about malformed watch entries and names the bad MIDI byte', async () => {
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      client.send({ type: 'watch', ports: 'sine.out' });
      expect((await client.next('warning', (m) => m.message.startsWith('watch needs'))).message).toMatch(
        /an array of/,
      );
      client.send({ type: 'watch', ports: [42, { node_name: 'sine', port_name: 'out' }] });
      expect((await client.next('warning', (m) => m.message.startsWith('cannot watch 42'))).message).toMatch(
        /a port is \{"node_name"/,
      );
      client.send({ type: 'midi', data: [144, 300, 1] });
      const midi = await client.next('warning', (m) => m.message.startsWith('midi needs'));
      expect(midi.message).toMatch(/data\[1\] is 300/);
    } finally {
      client.close();
    }
  });
});

describe('watches follow the graph', () => {
  let server: SynchrotronServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a renamed node keeps streaming under its new name; a removed one stops', async () => {
    await request(server, 'POST', '/execute', 'new 440 f\nnew SineNode osc\nlink f.out -> osc.frequency');
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      // With the spectrum on, reports keep coming after the watched node is gone.
      client.send({ type: 'watch', ports: [{ node_name: 'osc', port_name: 'out' }], spectrum: true });
      await client.next('scope', (m) => m.port.node_name === 'osc');
      await request(server, 'PATCH', '/nodes/osc', { name: 'tone' });
      const since = client.messages.length;
      const scope = await client.next('scope', (m) => m.port.node_name === 'tone', 5000, since);
      expect(Math.max(...scope.samples.map(Math.abs))).toBeGreaterThan(0.9);

      await request(server, 'DELETE', '/nodes/tone');
      await client.next('nodeRemoved');
      // The report in flight may still carry it; after that, two more reports must not.
      await client.next('spectrum', () => true, 5000, client.messages.length);
      const after = client.messages.length;
      await client.next('spectrum', () => true, 5000, after);
      await client.next('spectrum', () => true, 5000, client.messages.length);
      const late = client.messages.slice(after).filter((m) => m.type === 'scope');
      expect(late).toEqual([]);
    } finally {
      client.close();
    }
  });
});

describe('a /ws client that stops reading', () => {
  it('is disconnected once far behind, instead of queueing for it without limit', async () => {
    const server = await startServer();
    try {
      await request(server, 'POST', '/execute', 'new 0 d');
      const { port } = new URL(server.url);
      const stalled = connect(Number(port), '127.0.0.1');
      await new Promise<void>((resolve) => stalled.on('connect', () => resolve()));
      stalled.write(
        'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      stalled.pause();
      const closed = new Promise<void>((resolve) => stalled.on('close', () => resolve()));
      stalled.on('error', () => {});
      // Each value (≈ 0.7 MB of JSON) is pushed to every client as an `exports` message: 40 of them
      // overflow the socket buffers and the 16 MiB allowance.
      for (let i = 0; i < 40; i++) {
        const value = `[${Array.from({ length: 100_000 }, (_, j) => i + j).join(',')}]`;
        const answer = await request(server, 'PUT', '/nodes/d/value', value, {
          'content-type': 'application/json',
        });
        expect(answer.status).toBe(200);
      }
      stalled.resume();
      await closed;
      expect((await request(server, 'GET', '/')).body).toBe('Synchrotron server running');
    } finally {
      await server.close();
    }
  }, 180_000); // 28 MB of JSON through the server: minutes on a loaded machine, seconds on a quiet one
});

describe('start-up options', () => {
  it('a patch with start: false (serve --stopped PATCH) loads stopped', async () => {
    const server = await startServer({ start: false, patch: 'new 440 f\nnew SineNode s' });
    try {
      await sleep(300);
      const status = (await request(server, 'GET', '/status')).body as { running: boolean; clock: number };
      expect(status.running).toBe(false);
      // Not a single block rendered: a WavFileNode in such a patch records nothing before start.
      expect(status.clock).toBe(0);
      expect(((await request(server, 'GET', '/nodes')).body as unknown[]).length).toBe(2);
    } finally {
      await server.close();
    }
  });
});

describe('token checks', () => {
  let server: SynchrotronServer;
  beforeAll(async () => {
    server = await startServer({ token: 'sesame-123' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('accepts the Bearer scheme in any case and refuses near misses', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const ok = await request(server, 'GET', '/nodes', undefined, { authorization: `${scheme} sesame-123` });
      expect(ok.status).toBe(200);
    }
    for (const given of ['Bearer sesame-12', 'Bearer sesame-1234', 'Bearer', 'sesame-123']) {
      const refused = await request(server, 'GET', '/nodes', undefined, { authorization: given });
      expect(refused.status).toBe(401);
    }
    const cookie = await request(server, 'GET', '/nodes', undefined, {
      cookie: 'other=1; synchrotron_token=sesame-123',
    });
    expect(cookie.status).toBe(200);
    const badCookie = await request(server, 'GET', '/nodes', undefined, {
      cookie: 'synchrotron_token=sesame-123x',
    });
    expect(badCookie.status).toBe(401);
  });
});

describe('restricted CORS', () => {
  let server: SynchrotronServer;
  beforeAll(async () => {
    server = await startServer({ cors: ['http://good.example'] });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses requests and WebSockets from other origins, so they cannot act on the graph', async () => {
    const evil = { origin: 'http://evil.example' };
    const refused = await request(server, 'POST', '/execute', 'new SineNode intruder', evil);
    expect(refused.status).toBe(403);
    expect((refused.body as { detail: string }).detail).toMatch(
      /origin http:\/\/evil\.example is not allowed/,
    );
    expect((await request(server, 'GET', '/nodes')).body).toEqual([]);
    expect(await upgradeStatus(`${server.url}/ws`, evil)).toBe(403);

    expect(await upgradeStatus(`${server.url}/ws`, { origin: 'http://good.example' })).toBe(101);
    // The web UI served by this server sends its own origin.
    const own = { origin: server.url };
    expect(await upgradeStatus(`${server.url}/ws`, own)).toBe(101);
    expect((await request(server, 'POST', '/execute', 'new SineNode mine', own)).status).toBe(200);
  });
});
