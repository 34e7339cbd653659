// The HTTP API of SPEC §4 on a real server on loopback: every route, every JSON shape, letter for letter.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SynchrotronServer } from '../../src/server/index.js';
import { request, startServer, waitUntil } from './helpers.js';

let server: SynchrotronServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  await request(server, 'GET', '/clear');
});

const port = (node_name: string, port_name: string) => ({ node_name, port_name });

async function patch(): Promise<void> {
  const { status } = await request(
    server,
    'POST',
    '/execute',
    'new 440 freq\nnew SineNode sine\nnew PlaybackNode out\nlink freq.out -> sine.frequency\nlink sine.out -> out.left',
  );
  expect(status).toBe(200);
}

describe('SPEC §4 routes', () => {
  it('GET / is the JSON string health check', async () => {
    const answer = await request(server, 'GET', '/');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/application\/json/);
    expect(answer.body).toBe('Synchrotron server running');
  });

  it('GET / with Accept: text/html serves a page for browsers', async () => {
    const answer = await request(server, 'GET', '/', undefined, {
      accept: 'text/html,application/xhtml+xml',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/text\/html/);
    expect(String(answer.body)).toMatch(/<html/i);
  });

  it('POST /execute runs a script and answers the readable results as a JSON string', async () => {
    const answer = await request(server, 'POST', '/execute', 'new SineNode s\nnew 3 three');
    expect(answer.status).toBe(200);
    expect(typeof answer.body).toBe('string');
    expect(answer.body as string).toContain('s');
    expect((await request(server, 'GET', '/nodes/three')).body).toMatchObject({ exports: { Value: 3 } });
  });

  it('POST /execute accepts the script as text/plain, form data or a JSON string', async () => {
    for (const [body, type] of [
      ['new SineNode a1', 'text/plain'],
      ['new SineNode a2', 'application/x-www-form-urlencoded'],
      [JSON.stringify('new SineNode a3'), 'application/json'],
    ]) {
      const answer = await request(server, 'POST', '/execute', body, { 'content-type': type });
      expect(answer.status).toBe(200);
    }
    const names = ((await request(server, 'GET', '/nodes')).body as Array<{ name: string }>).map(
      (n) => n.name,
    );
    expect(names).toEqual(['a1', 'a2', 'a3']);
  });

  it('GET /nodes and GET /nodes/{name} answer Node shapes exactly', async () => {
    await patch();
    const sine = await request(server, 'GET', '/nodes/sine');
    expect(sine.status).toBe(200);
    expect(sine.body).toStrictEqual({
      name: 'sine',
      type: 'SineNode',
      inputs: [
        { node_name: 'sine', port_name: 'frequency', type: 'StreamInput', source: port('freq', 'out') },
      ],
      outputs: [{ node_name: 'sine', port_name: 'out', type: 'StreamOutput', sinks: [port('out', 'left')] }],
      exports: {},
    });
    const all = (await request(server, 'GET', '/nodes')).body as Array<Record<string, unknown>>;
    expect(all.map((n) => n.name)).toEqual(['freq', 'sine', 'out']);
    expect(all[0]).toStrictEqual({
      name: 'freq',
      type: 'DataNode',
      inputs: [],
      outputs: [
        { node_name: 'freq', port_name: 'out', type: 'DataOutput', sinks: [port('sine', 'frequency')] },
      ],
      exports: { Value: 440 },
    });
    expect(all[2]).toMatchObject({ type: 'PlaybackNode', exports: { Device: 'none' } });
    expect(Object.keys(all[2]).sort()).toEqual(['exports', 'inputs', 'name', 'outputs', 'type']);
  });

  it('POST /nodes?type=T invents a name; POST /nodes/{name}?type=T uses the given one', async () => {
    const invented = await request(server, 'POST', '/nodes?type=SineNode');
    expect(invented.status).toBe(200);
    expect((invented.body as { name: string }).name).toMatch(/^_[a-z]{5}$/);
    const named = await request(server, 'POST', '/nodes/osc?type=SineNode');
    expect(named.status).toBe(200);
    expect(named.body).toMatchObject({ name: 'osc', type: 'SineNode', exports: {} });
  });

  it('DELETE /nodes/{name} answers the removed node', async () => {
    await patch();
    const removed = await request(server, 'DELETE', '/nodes/sine');
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ name: 'sine', type: 'SineNode' });
    expect((await request(server, 'GET', '/nodes/sine')).status).toBe(404);
    expect((await request(server, 'GET', '/connections')).body).toEqual([]);
  });

  it('GET/PATCH/DELETE /connections', async () => {
    await patch();
    expect((await request(server, 'GET', '/connections')).body).toStrictEqual([
      { source: port('freq', 'out'), sink: port('sine', 'frequency') },
      { source: port('sine', 'out'), sink: port('out', 'left') },
    ]);
    const connection = { source: port('sine', 'out'), sink: port('out', 'right') };
    const linked = await request(server, 'PATCH', '/connections', connection);
    expect(linked.status).toBe(200);
    expect(linked.body).toStrictEqual(connection);
    const unlinked = await request(server, 'DELETE', '/connections', connection);
    expect(unlinked.body).toStrictEqual(connection);
    const again = await request(server, 'DELETE', '/connections', connection);
    expect(again.status).toBe(200);
    expect(again.body).toBeNull();
  });

  it('reads a JSON body whatever its content type says (curl -d sends form-encoded)', async () => {
    await patch();
    const connection = { source: port('sine', 'out'), sink: port('out', 'right') };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const linked = await request(server, 'PATCH', '/connections', JSON.stringify(connection), form);
    expect(linked.status).toBe(200);
    expect(linked.body).toStrictEqual(connection);
    const broken = await request(server, 'PATCH', '/connections', '{bad', form);
    expect(broken.status).toBe(400);
    expect((broken.body as { detail: string }).detail).toMatch(/not valid JSON/);
  });

  it('GET /start, /stop, /clear answer null; /export answers the script as a JSON string', async () => {
    await patch();
    const exported = await request(server, 'GET', '/export');
    expect(typeof exported.body).toBe('string');
    expect(exported.body as string).toContain('link sine.out -> out.left;');
    for (const path of ['/stop', '/start', '/clear']) {
      const answer = await request(server, 'GET', path);
      expect(answer.status).toBe(200);
      expect(answer.body).toBeNull();
    }
    expect((await request(server, 'GET', '/nodes')).body).toEqual([]);
    await request(server, 'POST', '/execute', exported.body as string);
    expect(((await request(server, 'GET', '/nodes')).body as unknown[]).length).toBe(3);
  });

  it('CORS: loopback origins (the original client on localhost:5173) are allowed, with preflight; others refused', async () => {
    const original = { origin: 'http://localhost:5173' };
    const answer = await request(server, 'GET', '/nodes', undefined, original);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const preflight = await request(server, 'OPTIONS', '/connections', undefined, {
      ...original,
      'access-control-request-method': 'PATCH',
      'access-control-request-headers': 'content-type',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
    const foreign = await request(server, 'GET', '/nodes', undefined, { origin: 'http://example.com' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('errors are 4xx with {detail}, and change nothing', () => {
  it('maps each kind of mistake to its status', async () => {
    await patch();
    const before = JSON.stringify([
      (await request(server, 'GET', '/nodes')).body,
      (await request(server, 'GET', '/connections')).body,
    ]);
    const cases: Array<[string, string, unknown, number, Record<string, string>?]> = [
      ['GET', '/nodes/nope', undefined, 404],
      ['DELETE', '/nodes/nope', undefined, 404],
      ['POST', '/nodes?type=SineNod', undefined, 404],
      ['POST', '/nodes', undefined, 422],
      ['POST', '/nodes/sine?type=SineNode', undefined, 409],
      ['POST', '/nodes/Bad-Name?type=SineNode', undefined, 422],
      ['PATCH', '/connections', '{not json', 400, { 'content-type': 'application/json' }],
      ['PATCH', '/connections', { source: port('sine', 'out') }, 422],
      ['PATCH', '/connections', { source: port('sine', 'nope'), sink: port('out', 'left') }, 404],
      ['PATCH', '/connections', { source: port('ghost', 'out'), sink: port('out', 'left') }, 404],
      ['PATCH', '/connections', { source: port('out', 'left'), sink: port('sine', 'frequency') }, 422],
      ['POST', '/execute', 'new SineNode a\nlink a.out -> nope.in', 400],
      ['POST', '/execute', 'new new new', 400],
      ['POST', '/execute', 'x'.repeat(2 * 1024 * 1024), 413],
      ['GET', '/no/such/route', undefined, 404],
    ];
    for (const [method, path, body, status, headers] of cases) {
      const answer = await request(server, method, path, body, headers);
      expect(answer.status, `${method} ${path}`).toBe(status);
      expect(typeof (answer.body as { detail?: unknown }).detail, `${method} ${path}`).toBe('string');
    }
    const after = JSON.stringify([
      (await request(server, 'GET', '/nodes')).body,
      (await request(server, 'GET', '/connections')).body,
    ]);
    expect(after).toBe(before);
  });

  it('a Synchrolang error says line and column, and the script changes nothing', async () => {
    const answer = await request(server, 'POST', '/execute', 'new SineNode a\n\nnew SineNod b');
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ line: 3, column: 5, suggestion: 'SineNode' });
    expect((answer.body as { detail: string }).detail).toContain('SineNod');
    expect((await request(server, 'GET', '/nodes')).body).toEqual([]);
  });
});

describe('newer routes', () => {
  it('POST /api/execute and /execute?format=json answer structured results', async () => {
    const answer = await request(server, 'POST', '/api/execute', 'new SineNode s\n  new 2 two');
    expect(answer.status).toBe(200);
    const { results } = answer.body as { results: Array<Record<string, unknown>> };
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ command: 'new', kind: 'node', line: 1, column: 1 });
    expect(results[1]).toMatchObject({ command: 'new', line: 2, column: 3 });
    const json = await request(server, 'POST', '/execute?format=json', 'eval two');
    expect((json.body as { results: unknown[] }).results).toHaveLength(1);
  });

  it('GET /types lists the node types from their definitions', async () => {
    const types = (await request(server, 'GET', '/types')).body as Array<Record<string, unknown>>;
    const sine = types.find((t) => t.type === 'SineNode');
    expect(sine).toMatchObject({ category: 'oscillators', inputs: [{ name: 'frequency', kind: 'stream' }] });
    expect(types.map((t) => t.type)).toContain('PlaybackNode');
    expect((await request(server, 'GET', '/types/SineNode')).body).toMatchObject({ type: 'SineNode' });
    expect((await request(server, 'GET', '/types/SinNode')).status).toBe(404);
  });

  it('PUT /nodes/{name}/value sets a DataNode; PATCH /nodes/{name} renames', async () => {
    await patch();
    const set = await request(server, 'PUT', '/nodes/freq/value', '220', {
      'content-type': 'application/json',
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ name: 'freq', exports: { Value: 220 } });
    const array = await request(server, 'PUT', '/nodes/freq/value', [1, 'two', null]);
    expect(array.body).toMatchObject({ exports: { Value: [1, 'two', null] } });
    expect((await request(server, 'PUT', '/nodes/sine/value', 3)).status).toBe(422);
    expect(
      (await request(server, 'PUT', '/nodes/freq/value', '{oops', { 'content-type': 'application/json' }))
        .status,
    ).toBe(400);
    expect((await request(server, 'PUT', '/nodes/ghost/value', 3)).status).toBe(404);

    const renamed = await request(server, 'PATCH', '/nodes/sine', { name: 'osc' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'osc', inputs: [{ source: port('freq', 'out') }] });
    expect((await request(server, 'GET', '/connections')).body).toContainEqual({
      source: port('osc', 'out'),
      sink: port('out', 'left'),
    });
    expect((await request(server, 'PATCH', '/nodes/osc', { name: 'out' })).status).toBe(409);
    expect((await request(server, 'PATCH', '/nodes/osc', {})).status).toBe(422);
  });

  it('GET /status shows the engine rendering in real time, with load, underruns and render-ahead', async () => {
    const began = performance.now();
    const first = (await request(server, 'GET', '/status')).body as Record<string, number | string | boolean>;
    expect(Object.keys(first).sort()).toEqual(
      [
        'audio',
        'blockSize',
        'clock',
        'cpuLoad',
        'latency',
        'running',
        'sampleRate',
        'tempo',
        'underruns',
      ].sort(),
    );
    expect(first).toMatchObject({ running: true, sampleRate: 44100, blockSize: 128, audio: 'none' });
    expect(first.latency).toBeGreaterThanOrEqual(0.05); // the least render-ahead, or more after underruns
    expect(first.latency).toBeLessThanOrEqual(0.5);
    // The clock moves on (a loaded machine may be slow to show it)…
    const second = await waitUntil(async () => {
      const status = (await request(server, 'GET', '/status')).body as { clock: number; cpuLoad: number };
      return status.clock - (first.clock as number) >= 0.3 * 44100 ? status : undefined;
    }, 'the clock to advance 0.3 s');
    const wall = (performance.now() - began) / 1000;
    // …and never runs ahead of real time by more than the render-ahead can grow to.
    expect((second.clock - (first.clock as number)) / 44100).toBeLessThanOrEqual(wall + 0.5);
    expect(second.cpuLoad).toBeGreaterThanOrEqual(0);
  });

  it('POST /midi accepts one message or a list, and refuses bad bytes', async () => {
    expect((await request(server, 'POST', '/midi', { data: [0x90, 60, 100] })).body).toEqual({ sent: 1 });
    expect(
      (await request(server, 'POST', '/midi', [{ data: [0x80, 60, 0], time: 5 }, { data: [0xb0, 1, 2] }]))
        .body,
    ).toEqual({
      sent: 2,
    });
    expect((await request(server, 'POST', '/midi', { data: [300] })).status).toBe(422);
    expect((await request(server, 'POST', '/midi', { nodata: 1 })).status).toBe(422);
  });

  it('serves OpenAPI docs at /docs', async () => {
    const spec = (await request(server, 'GET', '/docs/json')).body as { paths: Record<string, unknown> };
    for (const path of [
      '/execute',
      '/nodes',
      '/nodes/{name}',
      '/connections',
      '/status',
      '/types',
      '/midi',
    ]) {
      expect(spec.paths).toHaveProperty([path]);
    }
    const page = await request(server, 'GET', '/docs');
    expect(page.status).toBe(200);
  });
});
