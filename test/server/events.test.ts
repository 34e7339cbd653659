// /ws pushes every change to every client; /ws/audio streams the master as PCM that measures as sent.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AUDIO_HEADER_BYTES, type ServerMessage } from '../../src/api/protocol.js';
import type { SynchrotronServer } from '../../src/server/index.js';
import { dominantFrequency, peak, zeroCrossingFrequency } from '../helpers/analysis.js';
import { EventClient, openSocket, request, startServer, waitUntil } from './helpers.js';

let server: SynchrotronServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  await request(server, 'GET', '/clear');
  await request(server, 'GET', '/start');
});

const SINE_PATCH =
  'new 440 freq\nnew SineNode sine\nnew 0.5 half\nnew MultiplyNode quiet\nnew PlaybackNode out\n' +
  'link freq.out -> sine.frequency\nlink sine.out -> quiet.a\nlink half.out -> quiet.b\n' +
  'link quiet.out -> out.left\nlink quiet.out -> out.right';

describe('/ws events', () => {
  it('greets with status and the whole graph, then pushes every change to every client', async () => {
    await request(server, 'POST', '/execute', 'new 440 freq\nnew SineNode sine');
    const a = await EventClient.open(`${server.url}/ws`);
    const b = await EventClient.open(`${server.url}/ws`);
    try {
      const hello = await a.next('hello');
      expect(hello.status).toMatchObject({ sampleRate: 44100, blockSize: 128, audio: 'none' });
      expect(hello.nodes.map((n) => n.name)).toEqual(['freq', 'sine']);
      expect(hello.connections).toEqual([]);

      await request(server, 'POST', '/execute', 'link freq.out -> sine.frequency');
      await request(server, 'POST', '/nodes/out?type=PlaybackNode');
      await request(server, 'PUT', '/nodes/freq/value', 220);
      await request(server, 'PATCH', '/nodes/sine', { name: 'osc' });
      await request(server, 'DELETE', '/connections', {
        source: { node_name: 'freq', port_name: 'out' },
        sink: { node_name: 'osc', port_name: 'frequency' },
      });
      await request(server, 'DELETE', '/nodes/out');
      await request(server, 'GET', '/stop');
      for (const client of [a, b]) {
        const linked = await client.next('linked');
        expect(linked.connection).toEqual({
          source: { node_name: 'freq', port_name: 'out' },
          sink: { node_name: 'sine', port_name: 'frequency' },
        });
        expect((await client.next('nodeAdded')).node).toMatchObject({ name: 'out', type: 'PlaybackNode' });
        expect(await client.next('exports', (m) => m.name === 'freq')).toMatchObject({
          exports: { Value: 220 },
        });
        expect(await client.next('nodeRenamed')).toMatchObject({ from: 'sine', to: 'osc' });
        expect((await client.next('unlinked')).connection.sink).toEqual({
          node_name: 'osc',
          port_name: 'frequency',
        });
        expect(await client.next('nodeRemoved')).toMatchObject({ name: 'out' });
        expect(await client.next('transport')).toMatchObject({ running: false });
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it('pushes status every quarter second of its clock, not more often', async () => {
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      await client.next('hello');
      const start = client.messages.length;
      const statuses = () =>
        client.messages.slice(start).flatMap((m) => (m.type === 'status' ? [m.status] : []));
      // Eight reports; then compare their count with how far the server's own clock moved meanwhile (a
      // loaded machine delays reports, and a stalled one delivers them in a burst: the client's clock
      // would say nothing about the server's pace).
      await waitUntil(() => statuses().length >= 8, 'eight status reports');
      const seen = statuses();
      const audioSeconds = (seen.at(-1)!.clock - seen[0].clock) / 44100;
      expect(audioSeconds).toBeGreaterThan(0);
      // At most one report per 250 ms: render-ahead may have grown by up to 0.5 s meanwhile.
      expect(seen.length - 1).toBeLessThanOrEqual(Math.ceil((audioSeconds + 0.5) * 4) + 1);
    } finally {
      client.close();
    }
  });

  it("runs 'execute' and answers 'result', with positions on error", async () => {
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      client.send({ type: 'execute', id: 7, script: 'new SineNode s' });
      const ok = await client.next('result', (m) => m.id === 7);
      expect(ok.ok).toBe(true);
      expect(ok.results?.[0]).toMatchObject({ command: 'new', kind: 'node' });
      client.send({ type: 'execute', id: 'x', script: 'new SineNode t\nlink t.out -> ghost.in' });
      const failed = await client.next('result', (m) => m.id === 'x');
      expect(failed.ok).toBe(false);
      expect(failed.error).toMatchObject({ line: 2 });
      expect((await request(server, 'GET', '/nodes/t')).status).toBe(404);
      client.send({ type: 'bogus' });
      expect((await client.next('warning')).message).toMatch(/unknown message type/);
    } finally {
      client.close();
    }
  });

  it('streams scope and meter of watched outputs, and the master spectrum, at ≥ 20 updates/s', async () => {
    await request(server, 'POST', '/execute', SINE_PATCH);
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      await client.next('hello');
      client.send({ type: 'watch', ports: [{ node_name: 'sine', port_name: 'out' }], spectrum: true });
      await client.next('scope');
      const start = client.messages.length;
      // They keep coming: twenty of each (the rate, ≥ 20 a second, is measured by bench/soak.ts).
      type Meter = Extract<ServerMessage, { type: 'meter' }>;
      const window = () => client.messages.slice(start);
      const scopes = () => window().filter((m) => m.type === 'scope');
      const spectra = () => window().filter((m) => m.type === 'spectrum');
      const meters = () =>
        window().filter((m): m is Meter => m.type === 'meter' && typeof m.port === 'object');
      const master = () => window().filter((m): m is Meter => m.type === 'meter' && m.port === 'master');
      await waitUntil(
        () => [scopes(), spectra(), meters(), master()].every((kind) => kind.length >= 20),
        'twenty scopes, spectra, meters and master meters',
      );

      const scope = scopes().at(-1)! as Extract<ServerMessage, { type: 'scope' }>;
      expect(scope.port).toEqual({ node_name: 'sine', port_name: 'out' });
      const samples = Float32Array.from(scope.samples);
      expect(peak(samples)).toBeGreaterThan(0.95);
      expect(zeroCrossingFrequency(samples, scope.sampleRate)).toBeGreaterThan(400);
      expect(zeroCrossingFrequency(samples, scope.sampleRate)).toBeLessThan(480);

      const meter = meters().at(-1)!;
      expect(meter.peak).toBeGreaterThan(0.95);
      expect(meter.rms).toBeCloseTo(Math.SQRT1_2, 1);
      expect(master().at(-1)!.peak).toBeCloseTo(0.5, 1);

      const spectrum = spectra().at(-1)! as Extract<ServerMessage, { type: 'spectrum' }>;
      const binHz = spectrum.sampleRate / (2 * spectrum.bins.length);
      const loudest = spectrum.bins.indexOf(Math.max(...spectrum.bins));
      expect(Math.abs(loudest * binHz - 440)).toBeLessThan(2 * binHz);
      // A 0.5 sine reads −6 dBFS, less up to 1.42 dB of Hann scalloping between bins.
      expect(Math.max(...spectrum.bins)).toBeLessThan(20 * Math.log10(0.5) + 0.2);
      expect(Math.max(...spectrum.bins)).toBeGreaterThan(20 * Math.log10(0.5) - 1.5);

      client.send({ type: 'watch', ports: [{ node_name: 'ghost', port_name: 'out' }] });
      expect((await client.next('warning', (m) => m.node === 'ghost')).message).toMatch(/cannot watch/);
    } finally {
      client.close();
    }
  });

  it('pushes DebugNode values and node render faults', async () => {
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      await request(server, 'POST', '/execute', 'new 5 five\nnew DebugNode dbg\nlink five.out -> dbg.input');
      expect(await client.next('debug', (m) => m.node === 'dbg')).toMatchObject({ value: 5 });
      // 3e38 squared overflows float32: the product is Infinity, so the node is muted and reported.
      // (Data values themselves clamp to the float32 range, so a StreamNode alone no longer faults.)
      await request(
        server,
        'POST',
        '/execute',
        'new 3e38 big\nnew StreamNode s\nnew MultiplyNode m\nnew PlaybackNode o\nlink big.out -> s.data\n' +
          'link s.out -> m.a\nlink s.out -> m.b\nlink m.out -> o.left',
      );
      const fault = await client.next('fault', (m) => m.node === 'm');
      expect(fault.message).toMatch(/NaN or Infinity/);
      const status = (await request(server, 'GET', '/status')).body as { running: boolean };
      expect(status.running).toBe(true);
    } finally {
      client.close();
    }
  });

  it('forwards MIDI from the socket without disturbing rendering', async () => {
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      client.send({ type: 'midi', data: [0x90, 69, 100], time: 1 });
      client.send({ type: 'midi', data: [999] });
      expect((await client.next('warning')).message).toMatch(/midi needs/);
    } finally {
      client.close();
    }
  });
});

describe('/ws/audio', () => {
  it('streams the master as header + interleaved stereo float32, continuous, at the patch frequency', async () => {
    await request(server, 'POST', '/execute', SINE_PATCH);
    const socket = await openSocket(`${server.url}/ws/audio`);
    const frames: Buffer[] = [];
    socket.on('message', (data, isBinary) => {
      if (isBinary) frames.push(data);
    });
    await waitUntil(() => frames.length > 30, 'thirty-one PCM messages');
    socket.close();
    let expected = frames[0].readUInt32LE(0);
    const left: number[] = [];
    const right: number[] = [];
    for (const frame of frames) {
      expect(frame.readUInt32LE(0)).toBe(expected++);
      expect(frame.readUInt32LE(4)).toBe(44100);
      const count = frame.readUInt32LE(8);
      expect(frame.length).toBe(AUDIO_HEADER_BYTES + count * 8);
      const pcm = new Float32Array(
        frame.buffer.slice(frame.byteOffset + AUDIO_HEADER_BYTES, frame.byteOffset + frame.length),
      );
      for (let i = 0; i < count; i++) {
        left.push(pcm[2 * i]);
        right.push(pcm[2 * i + 1]);
      }
    }
    const signal = Float32Array.from(left);
    expect(zeroCrossingFrequency(signal, 44100)).toBeCloseTo(440, 0);
    expect(dominantFrequency(signal.subarray(0, 32768), 44100)).toBeGreaterThan(430);
    expect(peak(signal)).toBeCloseTo(0.5, 2);
    expect(Float32Array.from(right)).toEqual(signal);
    // Continuity: no sample-to-sample jump beyond a 440 Hz sine's slope (a dropped block would show).
    let maxJump = 0;
    for (let i = 1; i < signal.length; i++) maxJump = Math.max(maxJump, Math.abs(signal[i] - signal[i - 1]));
    expect(maxJump).toBeLessThan(0.5 * 2 * Math.PI * (440 / 44100) * 1.05);
  });
});
