// The tempo and the virtual MIDI output over HTTP and /ws, with a real server.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MidiOutMessage } from '../../src/api/protocol.js';
import type { SynchrotronServer } from '../../src/server/index.js';
import { EventClient, request, startServer } from '../server/helpers.js';
import { until } from './osc-client.js';

// Real servers on a machine that may be busy: generous limits; every wait is for a condition.
vi.setConfig({ testTimeout: 90_000 });

let server: SynchrotronServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

describe('the engine tempo over HTTP', () => {
  it('GET and PUT /tempo; out of range is a 422 that changes nothing; clients hear of changes', async () => {
    const events = await EventClient.open(`${server.url}/ws`);
    try {
      expect((await request(server, 'GET', '/tempo')).body).toEqual({ bpm: 120 });
      expect((await request(server, 'PUT', '/tempo', { bpm: 98.5 })).body).toEqual({ bpm: 98.5 });
      await events.next('tempo', (m) => m.bpm === 98.5, 20_000);
      const refused = await request(server, 'PUT', '/tempo', { bpm: 1000 });
      expect(refused.status).toBe(422);
      expect((refused.body as { detail: string }).detail).toMatch(
        /tempo 1000 bpm is out of range: 20…999 bpm/,
      );
      expect((await request(server, 'PUT', '/tempo', { bpm: 'fast' })).status).toBe(422);
      expect((await request(server, 'GET', '/status')).body).toMatchObject({ tempo: 98.5 });
      const script = (await request(server, 'POST', '/execute', 'tempo')).body;
      expect(script).toBe('tempo 98.5 bpm');
      expect((await request(server, 'GET', '/export')).body).toBe('tempo 98.5;\n');
    } finally {
      events.close();
      await request(server, 'PUT', '/tempo', { bpm: 120 });
    }
  });
});

describe('the virtual MIDI output', () => {
  it('MIDI clock out from the engine tempo reaches /ws `midiOut` and GET /midi/out, numbered and timed', async () => {
    const events = await EventClient.open(`${server.url}/ws`);
    try {
      await request(
        server,
        'POST',
        '/execute',
        'new MidiClockOutNode clock\nnew MidiOutputNode out\nlink clock.midi -> out.midi',
      );
      const live = await events.next('midiOut', (m) => m.messages.some((x) => x.data[0] === 0xfa), 20_000);
      expect(live.port).toBe(0);
      const start = live.messages.find((m) => m.data[0] === 0xfa)!;
      // Start comes on a beat, with that beat's first clock, in the same frame.
      expect(live.messages[live.messages.indexOf(start) + 1]).toMatchObject({
        frame: start.frame,
        data: [0xf8],
      });
      expect(start.frame % 1).toBe(0);
      expect(start.time).toBeGreaterThan(Date.now() - 60_000);
      // Clocks keep coming, each numbered one after the other, 918 or 919 frames apart at 120 bpm.
      const polled = await until(async () => {
        const body = (await request(server, 'GET', `/midi/out?since=${start.seq}`)).body as {
          messages: MidiOutMessage[];
        };
        return body.messages.length >= 30 ? body.messages : undefined;
      });
      polled.forEach((m, i) => {
        expect(m.seq).toBe(start.seq + 1 + i);
      });
      const clocks = polled.filter((m) => m.data[0] === 0xf8).map((m) => m.frame);
      const gaps = clocks.slice(1).map((frame, i) => frame - clocks[i]);
      expect(gaps.every((gap) => gap === 918 || gap === 919)).toBe(true);
      await request(server, 'POST', '/execute', 'new 0 off\nlink off.out -> clock.run');
      await events.next('midiOut', (m) => m.messages.some((x) => x.data[0] === 0xfc), 20_000);
    } finally {
      events.close();
      await request(server, 'GET', '/clear');
    }
  });
});
