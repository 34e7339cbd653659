// SamplerNode and AudioInputNode in the real server: the sample is read and decoded on the main thread
// (control side), resampled to the server's rate, posted to the render worker and played there; a live
// input on a machine without a capture device warns once and is silent. A real server on loopback.

import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probablyHasAudioDevice } from '../../src/io/audio-output.js';
import type { SynchrotronServer } from '../../src/server/index.js';
import { EventClient, request, startServer } from './helpers.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'samples');
/** How long to wait for an event: generous, as a loaded machine can take seconds to start decoding. */
const EVENT_WAIT_MS = 20_000;
let server: SynchrotronServer;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'synchrotron-samples-'));
  copyFileSync(join(FIXTURES, 'tone.mp3'), join(root, 'tone.mp3')); // 6.5 KiB
  copyFileSync(join(FIXTURES, 'tone.flac'), join(root, 'tone.flac')); // 15 KiB (15309 bytes)
  // As `serve --max-sample-bytes 10000` would: the MP3 fits, the FLAC does not.
  server = await startServer({ root, sampleRate: 44100, limits: { maxSampleBytes: 10_000 } });
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('samples and live input in the server', () => {
  it('a looping MP3 sample plays in the render worker, with its exports', async () => {
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      const script = [
        'new "tone.mp3" file',
        'new true looping',
        'new SamplerNode s',
        'new 1 go',
        'link file.out -> s.path',
        'link looping.out -> s.loop',
        'link go.out -> s.trigger',
      ].join('\n');
      // The trigger is linked (high) before the file arrives: the sampler plays the file when it arrives.
      expect((await request(server, 'POST', '/execute', script)).status).toBe(200);
      await client.next(
        'exports',
        (m) => m.name === 's' && m.exports['Sample Rate'] === 48000,
        EVENT_WAIT_MS,
      );
      const node = (await request(server, 'GET', '/nodes/s')).body as { exports: Record<string, unknown> };
      expect(node.exports).toMatchObject({
        File: 'tone.mp3',
        Duration: 0.5,
        Channels: 1,
        'Sample Rate': 48000,
      });
      await request(server, 'POST', '/execute', 'set go 0');
      await request(server, 'POST', '/execute', 'set go 1');
      client.send({ type: 'watch', ports: [{ node_name: 's', port_name: 'left' }] });
      // A 440 Hz sine of amplitude 0.5, looping: the meter sees it. The rise restarts the sample with a 5 ms
      // crossfade, where old and new sum above 0.5 for a moment, so one meter period may read more; the loop
      // itself reads 0.5 (a wrong level, doubled or silent, never does).
      await client.next('meter', (m) => m.port !== 'master' && m.peak > 0.4 && m.peak < 0.6, EVENT_WAIT_MS);
    } finally {
      client.close();
    }
  });

  it('a missing sample is one warning naming the file; the server carries on', async () => {
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      await request(
        server,
        'POST',
        '/execute',
        'new "gone.flac" lost\nnew SamplerNode s2\nlink lost.out -> s2.path',
      );
      const warning = await client.next('warning', (m) => m.node === 's2', EVENT_WAIT_MS);
      expect(warning.message).toMatch(/could not load the sample `gone\.flac`/);
      expect((await request(server, 'GET', '/status')).status).toBe(200);
    } finally {
      client.close();
    }
  });

  it('a sample over --max-sample-bytes is one warning naming the flag; the sampler is silent', async () => {
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      await request(
        server,
        'POST',
        '/execute',
        'new "tone.flac" big\nnew SamplerNode s3\nlink big.out -> s3.path',
      );
      const warning = await client.next('warning', (m) => m.node === 's3', EVENT_WAIT_MS);
      expect(warning.message).toMatch(
        /could not load the sample `tone\.flac`: cannot read `tone\.flac`: it is 15 KiB, larger than the limit of 9\.8 KiB \(--max-sample-bytes\); the sampler is silent/,
      );
      const node = (await request(server, 'GET', '/nodes/s3')).body as { exports: Record<string, unknown> };
      expect(node.exports.Duration).toBeNull();
    } finally {
      client.close();
    }
  });

  it.skipIf(probablyHasAudioDevice())(
    'AudioInputNode without a capture device: one warning saying so',
    async () => {
      const client = await EventClient.open(`${server.url}/ws`);
      try {
        await request(server, 'POST', '/execute', 'new AudioInputNode mic');
        const warning = await client.next('warning', (m) => m.node === 'mic', EVENT_WAIT_MS);
        expect(warning.message).toBe(
          'no audio input: no audio input device on this machine (no sound system: /proc/asound, PulseAudio or PipeWire)',
        );
      } finally {
        client.close();
      }
    },
    60_000,
  );
});
