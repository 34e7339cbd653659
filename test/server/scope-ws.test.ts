// /ws scopes with a timebase, per client, and controllers echoed to editors (for MIDI learn).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynchrotronServer } from '../../src/server/index.js';
import { EventClient, request, startServer } from './helpers.js';

describe('/ws scope timebases and controller echo', () => {
  let server: SynchrotronServer;
  beforeAll(async () => {
    server = await startServer();
    await request(
      server,
      'POST',
      '/execute',
      'new 41 f; new SineNode osc; link f.out -> osc.frequency; start',
    );
  });
  afterAll(() => server?.close());

  it('each client gets frames of its own timebase, with the measured frequency', async () => {
    const a = await EventClient.open(`${server.url}/ws`);
    const b = await EventClient.open(`${server.url}/ws`);
    try {
      a.send({
        type: 'watch',
        ports: [{ node_name: 'osc', port_name: 'out', seconds: 0.1, trigger: 'rising' }],
      });
      b.send({
        type: 'watch',
        ports: [{ node_name: 'osc', port_name: 'out', seconds: 99, trigger: 'sideways' }],
      });
      const short = await a.next('scope', (m) => m.frequency != null && m.triggered === true, 10000);
      expect(short.seconds).toBe(0.1);
      expect(short.samples.length * (short.step ?? 1)).toBeCloseTo(0.1 * short.sampleRate, -1);
      expect(Math.abs(short.frequency! / 41 - 1)).toBeLessThan(0.01);
      // Out-of-range timebase clamped to 10 s, unknown trigger read as auto; min/max columns.
      const long = await b.next('scope', (m) => m.seconds === 10, 10000);
      expect(long.min!.length).toBeLessThanOrEqual(512);
      // Neither client gets the other's frames.
      expect(a.messages.some((m) => m.type === 'scope' && m.seconds === 10)).toBe(false);
      expect(b.messages.some((m) => m.type === 'scope' && m.seconds === 0.1)).toBe(false);
    } finally {
      a.close();
      b.close();
    }
  });

  it('control changes reaching the virtual port are told to every editor, naming the sender', async () => {
    const a = await EventClient.open(`${server.url}/ws`);
    const b = await EventClient.open(`${server.url}/ws`);
    try {
      await a.next('hello');
      await b.next('hello');
      a.send({ type: 'midi', source: 'editor-a', data: [0x90, 60, 100, 0xb0, 74, 64] });
      const echoed = await b.next('midi');
      expect(echoed).toEqual({ type: 'midi', data: [0xb0, 74, 64], source: 'editor-a' });
      expect(await request(server, 'POST', '/midi', { data: [0xb3, 7, 127] })).toMatchObject({ status: 200 });
      expect((await a.next('midi', (m) => m.data[0] === 0xb3)).source).toBeUndefined();
      await b.next('midi', (m) => m.data[0] === 0xb3);
      // Notes alone are not echoed.
      const count = b.messages.filter((m) => m.type === 'midi').length;
      await request(server, 'POST', '/midi', { data: [0x90, 64, 100] });
      await request(server, 'POST', '/midi', { data: [0xb0, 1, 1] });
      await b.next('midi', (m) => m.data[1] === 1);
      expect(b.messages.filter((m) => m.type === 'midi').length).toBe(count + 1);
    } finally {
      a.close();
      b.close();
    }
  });
});
