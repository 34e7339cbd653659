// The server's render host: virtual MIDI from the API reaches MidiInputNode, WAV paths stay inside
// --root, and `synchrotron serve` shuts down on SIGTERM leaving valid WAV files.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaveFile } from 'wavefile';
import type { SynchrotronServer } from '../../src/server/index.js';
import { zeroCrossingFrequency } from '../helpers/analysis.js';
import { EventClient, request, startServer, waitUntil } from './helpers.js';

const MAIN = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

describe('render host in the server', () => {
  let server: SynchrotronServer;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'synchrotron-root-'));
    server = await startServer({ root });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('POST /midi plays a note through MidiInputNode (virtual port 0) at its frequency', async () => {
    await request(
      server,
      'POST',
      '/execute',
      'new 0 port\nnew MidiInputNode keys\nnew MonophonicRenderNode mono\nnew SineNode osc\n' +
        'link port.out -> keys.port\nlink keys.out -> mono.midi\nlink mono.frequency -> osc.frequency',
    );
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      client.send({ type: 'watch', ports: [{ node_name: 'osc', port_name: 'out' }] });
      await client.next('scope');
      expect((await request(server, 'POST', '/midi', { data: [0x90, 69, 100] })).status).toBe(200);
      // The note sounds from the block it lands in: A4 in the scope (it was silent before).
      const since = client.messages.length;
      const sounding = (samples: number[]) => new Set(samples.map((x) => Math.round(x * 1e4))).size > 1;
      const scope = await client.next('scope', (m) => sounding(m.samples), undefined, since);
      expect(zeroCrossingFrequency(Float32Array.from(scope.samples), scope.sampleRate)).toBeCloseTo(440, -1);
      // Note off: silence (MonophonicRenderNode → 0 Hz), the sine holding one value from then on.
      await request(server, 'POST', '/midi', { data: [0x80, 69, 0] });
      const after = await client.next(
        'scope',
        (m) => !sounding(m.samples),
        undefined,
        client.messages.length,
      );
      expect(new Set(after.samples.map((x) => Math.round(x * 1e4))).size).toBe(1);
    } finally {
      client.close();
    }
  });

  it('refuses WAV paths that leave --root, with a warning, and keeps rendering', async () => {
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      await request(
        server,
        'POST',
        '/execute',
        'new "../escape.wav" bad\nnew WavFileNode rec\nlink bad.out -> rec.path',
      );
      const warning = await client.next('warning', (m) => m.node === 'rec');
      expect(warning.message).toMatch(/leaves the allowed directory/);
      expect(existsSync(join(root, '..', 'escape.wav'))).toBe(false);
    } finally {
      client.close();
    }
  });
});

describe('audio outputs', () => {
  it.skipIf(existsSync('/proc/asound'))(
    '--audio device fails with a clear message on a machine without a sound card',
    async () => {
      await expect(startServer({ audio: 'device' })).rejects.toThrow(
        /no audio output device|node-web-audio-api/,
      );
    },
  );

  it('the device path (node-web-audio-api, its null sink) renders in real time and names the device', async () => {
    const server = await startServer({ audio: 'device', sinkId: 'none' });
    try {
      await request(server, 'POST', '/nodes/out?type=PlaybackNode');
      const out = (await request(server, 'GET', '/nodes/out')).body as { exports: { Device: string } };
      expect(out.exports.Device).toBe(server.engine.status().audio);
      expect(out.exports.Device).not.toBe('none');
      const before = server.engine.status().clock;
      await waitUntil(() => server.engine.status().clock - before > 0.3 * 44100, 'the device clock to move');
    } finally {
      await server.close();
    }
  });
});

describe('synchrotron serve', () => {
  it('loads PATCH, renders, and on SIGTERM closes its WAV file validly', async () => {
    const root = mkdtempSync(join(tmpdir(), 'synchrotron-serve-'));
    try {
      const patch = join(root, 'tone.syn');
      writeFileSync(
        patch,
        'new 440 freq\nnew SineNode sine\nnew "tone.wav" file\nnew WavFileNode rec\nnew PlaybackNode out\n' +
          'link freq.out -> sine.frequency\nlink sine.out -> rec.signal\nlink file.out -> rec.path\nlink sine.out -> out.left\n',
      );
      const child = spawn(
        process.execPath,
        [MAIN, 'serve', patch, '--port', '0', '--audio', 'none', '--root', root],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let log = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          log += chunk.toString();
          const match = /listening on (http:\/\/[\d.:]+)/.exec(log);
          if (match && /rendering\n/.test(log)) resolve(match[1]);
        });
        child.on('exit', (code) => reject(new Error(`serve exited (${code}): ${log}`)));
      });
      expect(log).toMatch(/loaded .*tone\.syn \(5 nodes\), rendering/);
      expect((await request({ url }, 'GET', '/nodes/out')).body).toMatchObject({
        exports: { Device: 'none' },
      });
      // Let it record 0.8 s (the file grows as it records), then stop it.
      const tone = join(root, 'tone.wav');
      await waitUntil(() => existsSync(tone) && statSync(tone).size > 58 + 4 * 0.8 * 44100, '0.8 s recorded');
      const code = await new Promise<number | null>((resolve) => {
        child.on('exit', resolve);
        child.kill('SIGTERM');
      });
      expect(code).toBe(0);
      const wav = new WaveFile(readFileSync(join(root, 'tone.wav')));
      const format = wav.fmt as { sampleRate: number; numChannels: number; bitsPerSample: number };
      expect(format).toMatchObject({ sampleRate: 44100, numChannels: 1, bitsPerSample: 32 });
      const samples = wav.getSamples(false, Float32Array) as unknown as Float32Array;
      expect(samples.length / 44100).toBeGreaterThan(0.8);
      expect(zeroCrossingFrequency(samples, 44100)).toBeCloseTo(440, 0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
