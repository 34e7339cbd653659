// A render worker that dies is replaced: the graph is rebuilt in the new worker and the sound comes back.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynchrotronServer } from '../../src/server/index.js';
import { writeSmf } from '../midi/smf-writer.js';
import { EventClient, request, startServer } from './helpers.js';

let server: SynchrotronServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

describe('render worker restart', () => {
  it('rebuilds the graph in a new worker after the old one dies, and plays again', async () => {
    await request(
      server,
      'POST',
      '/execute',
      'new 440 freq\nnew SineNode sine\nnew PlaybackNode out\nlink freq.out -> sine.frequency\nlink sine.out -> out.left',
    );
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      client.send({ type: 'watch', ports: [{ node_name: 'sine', port_name: 'out' }] });
      await client.next('meter', (m) => m.port !== 'master' && m.peak > 0.99);
      const before = (await request(server, 'GET', '/nodes')).body;

      await server.engine.killWorkerForTest();
      const warning = await client.next('warning', (m) => /restarting/.test(m.message));
      const since = client.messages.indexOf(warning);
      // The watch list is replayed: the scope and meter of the same port come back, at full level.
      const scope = await client.next('scope', (m) => m.samples.some((x) => x > 0.9), 10_000, since);
      expect(scope.port).toEqual({ node_name: 'sine', port_name: 'out' });
      expect((await request(server, 'GET', '/nodes')).body).toStrictEqual(before);
      const status = (await request(server, 'GET', '/status')).body as { running: boolean };
      expect(status.running).toBe(true);
    } finally {
      client.close();
    }
  });

  it('prepares structural inputs again for the new worker: a MIDI file read on the main thread plays on', async () => {
    const root = mkdtempSync(join(tmpdir(), 'synchrotron-restart-'));
    // One A4 held for 100 s (division 480 at 120 bpm: 96,000 ticks).
    writeFileSync(
      join(root, 'held.mid'),
      writeSmf(0, 480, [[{ tick: 0, bytes: [0x90, 69, 100] }]], [96_000]),
    );
    const own = await startServer({ root });
    const client = await EventClient.open(`${own.url}/ws`);
    try {
      const script = [
        'new "held.mid" file',
        'new MidiFileNode player',
        'new MonophonicRenderNode mono',
        'new SineNode sine',
        'link file.out -> player.path',
        'link player.out -> mono.midi',
        'link mono.frequency -> sine.frequency',
      ].join('\n');
      expect((await request(own, 'POST', '/execute', script)).status).toBe(200);
      client.send({ type: 'watch', ports: [{ node_name: 'sine', port_name: 'out' }] });
      await client.next('meter', (m) => m.port !== 'master' && m.peak > 0.9);
      await own.engine.killWorkerForTest();
      const warning = await client.next('warning', (m) => /restarting/.test(m.message));
      const since = client.messages.indexOf(warning);
      await client.next('meter', (m) => m.port !== 'master' && m.peak > 0.9, 10_000, since);
    } finally {
      client.close();
      await own.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
