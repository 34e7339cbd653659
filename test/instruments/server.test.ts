// Patches as nodes through the server: nodes made with literal values over HTTP, each instance's real
// ports in /nodes, /types saying which types have ports of their own, the read-only inner graph for
// editors, reloads by hand (POST /patches/reload) and by watching the file.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiNode } from '../../src/api/protocol.js';
import type { SynchrotronServer } from '../../src/server/index.js';
import { EventClient, request, startServer } from '../server/helpers.js';

const VOICE = `new InletNode frequency
new SineNode osc
new OutletNode out
link frequency.out -> osc.frequency
link osc.out -> out.input
`;

const ports = (node: ApiNode) => ({
  inputs: node.inputs.map((p) => `${p.port_name}:${p.type}`),
  outputs: node.outputs.map((p) => `${p.port_name}:${p.type}`),
});

describe('patches over HTTP (hand reloads)', () => {
  let server: SynchrotronServer;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'synchrotron-patches-'));
    writeFileSync(join(root, 'voice.syn'), VOICE);
    server = await startServer({ root, watchPatches: false });
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('POST /nodes takes literal values as query parameters; the node shows its real ports and args', async () => {
    const made = await request(server, 'POST', '/nodes/v?type=PatchNode&path=voice.syn');
    expect(made.status).toBe(200);
    const node = made.body as ApiNode;
    expect(ports(node)).toEqual({
      inputs: ['path:DataInput', 'frequency:StreamInput'],
      outputs: ['out:StreamOutput'],
    });
    expect(node.args).toEqual({ path: 'voice.syn' });
    const listed = (await request(server, 'GET', '/nodes')).body as ApiNode[];
    expect(ports(listed.find((n) => n.name === 'v')!)).toEqual(ports(node));
    const delay = await request(server, 'POST', '/nodes?type=DelayNode&maxTime=5');
    expect((delay.body as ApiNode).args).toEqual({ maxTime: 5 });
    const wrong = await request(server, 'POST', '/nodes/w?type=PatchNode&path=nope.syn');
    expect(wrong.status).toBe(422);
    expect((wrong.body as { detail: string }).detail).toMatch(/cannot read `nope\.syn`: no such file/);
    const typo = await request(server, 'POST', '/nodes/x?type=DelayNode&maxTme=5');
    expect(typo.status).toBe(404);
    expect((typo.body as { detail: string }).detail).toMatch(/no input `maxTme`.*did you mean `maxTime`/);
  });

  it('GET /types says which types have ports of their own', async () => {
    const types = (await request(server, 'GET', '/types')).body as Array<{ type: string; dynamic?: boolean }>;
    const dynamic = types.filter((t) => t.dynamic).map((t) => t.type);
    expect(dynamic).toEqual(expect.arrayContaining(['InletNode', 'OutletNode', 'PatchNode']));
    expect(types.find((t) => t.type === 'SineNode')!.dynamic).toBeUndefined();
  });

  it('GET /patches?path= and GET /nodes/{name}/patch answer the inner graph, read-only', async () => {
    const view = (await request(server, 'GET', '/patches?path=voice.syn')).body as {
      path: string;
      nodes: ApiNode[];
      connections: unknown[];
      inlets: unknown[];
      outlets: unknown[];
      weight: number;
      script: string;
    };
    expect(view.path).toBe('voice.syn');
    expect(view.nodes.map((n) => n.name)).toEqual(['frequency', 'osc', 'out']);
    expect(view.connections).toHaveLength(2);
    expect(view.inlets).toEqual([{ name: 'frequency', kind: 'stream', default: 0 }]);
    expect(view.outlets).toEqual([{ name: 'out', kind: 'stream' }]);
    expect(view.weight).toBe(3);
    expect(view.script).toBe(VOICE);
    expect((await request(server, 'GET', '/nodes/v/patch')).body).toEqual(view);
    const outside = await request(server, 'GET', '/patches?path=../etc/passwd');
    expect(outside.status).toBe(422);
    expect((outside.body as { detail: string }).detail).toMatch(/leaves the allowed directory/);
  });

  it('POST /patches/reload updates every instance; clients see the ports change', async () => {
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      await client.next('hello');
      writeFileSync(join(root, 'voice.syn'), `${VOICE}new InletNode(kind: "midi") keys\n`);
      const answer = await request(server, 'POST', '/patches/reload');
      expect(answer.body).toEqual({ reloaded: ['v'], failed: [] });
      const changed = await client.next('nodeChanged', (m) => m.node.name === 'v');
      expect(ports(changed.node).inputs).toEqual([
        'path:DataInput',
        'frequency:StreamInput',
        'keys:MidiInput',
      ]);
      writeFileSync(join(root, 'voice.syn'), 'new OutletNod out\n');
      const failed = (await request(server, 'POST', '/patches/reload')).body as {
        failed: Array<{ node: string }>;
      };
      expect(failed.failed.map((f) => f.node)).toEqual(['v']);
      await client.next('warning', (m) => m.node === 'v' && /could not reload/.test(m.message));
      writeFileSync(join(root, 'voice.syn'), VOICE);
    } finally {
      client.close();
    }
  });

  it('Synchrolang `reload` through POST /execute', async () => {
    writeFileSync(join(root, 'voice.syn'), `${VOICE}new SineNode spare\n`);
    const answer = await request(server, 'POST', '/execute', 'reload');
    expect(answer.body).toBe('reloaded 1 node: v');
  });
});

describe('a start-up patch names files relative to its own folder', () => {
  it('serve sub/top.syn: `new patch "voice.syn"` in it is sub/voice.syn, kept relative to the root', async () => {
    const root = mkdtempSync(join(tmpdir(), 'synchrotron-startup-'));
    mkdirSync(join(root, 'sub'));
    writeFileSync(join(root, 'sub', 'voice.syn'), VOICE);
    const server = await startServer({
      root,
      patch: 'new patch "voice.syn" v\n',
      patchDir: 'sub',
      watchPatches: false,
    });
    try {
      expect(server.engine.graph.node('v').args).toEqual({ path: 'sub/voice.syn' });
      expect((await request(server, 'GET', '/export')).body).toBe('new patch "sub/voice.syn" v;\n');
    } finally {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('patches over HTTP (the server watches the files)', () => {
  it('editing a patch file updates every instance without being asked', async () => {
    const root = mkdtempSync(join(tmpdir(), 'synchrotron-watch-'));
    writeFileSync(join(root, 'voice.syn'), VOICE);
    const server = await startServer({ root });
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      await client.next('hello');
      await request(server, 'POST', '/execute', 'new patch "voice.syn" a\nnew patch "voice.syn" b');
      writeFileSync(join(root, 'voice.syn'), `${VOICE}new InletNode(default: 0.5) level\n`);
      for (const name of ['a', 'b']) {
        const changed = await client.next('nodeChanged', (m) => m.node.name === name, 10_000);
        expect(changed.node.inputs.map((p) => p.port_name)).toEqual(['path', 'frequency', 'level']);
      }
    } finally {
      client.close();
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
