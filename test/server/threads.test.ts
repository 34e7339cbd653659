// The server's render worker renders independent chains, and with splitVoices a VoicesNode's voices, on
// several threads (src/io/render-threads.ts, voice-threads.ts): what it records is the same, sample for
// sample, as with one thread.

import { copyFileSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineStatus, VoiceThreadsStatus } from '../../src/api/protocol.js';
import { readWav } from '../../src/io/wav-writer.js';
import { chainsPatch } from '../helpers/chains.js';
import { request, startServer, waitUntil } from './helpers.js';

/** Records 0.3 s of each of two ~160-node chains (a WavFileNode per chain) on a server with `threads`. */
async function record(threads: number): Promise<Float64Array[]> {
  const root = mkdtempSync(join(tmpdir(), `synchrotron-threads-${threads}-`));
  const server = await startServer({ root, threads });
  const files = ['chain0.wav', 'chain1.wav'].map((name) => join(root, name));
  try {
    // The render worker starts its part workers at once and gives them parts once they run.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const script = `${chainsPatch(2, 40)}
new "chain0.wav" path0
new WavFileNode rec0
link path0.out -> rec0.path
link scale0.out -> rec0.signal
new "chain1.wav" path1
new WavFileNode rec1
link path1.out -> rec1.path
link scale1.out -> rec1.signal`;
    const answer = await request(server, 'POST', '/execute', script);
    expect(answer.status).toBe(200);
    const bytes = 58 + 4 * 0.3 * 44100;
    await waitUntil(
      () => files.every((file) => existsSync(file) && statSync(file).size > bytes),
      '0.3 s recorded',
      60_000,
    );
  } finally {
    await server.close(); // stops the transport: the files are closed whole
  }
  return files.map((file) => readWav(file).channels[0].subarray(0, Math.floor(0.3 * 44100)));
}

describe('server: rendering on several threads', () => {
  it('records the same samples from two chains with threads: 2 as with threads: 1', async () => {
    const one = await record(1);
    const two = await record(2);
    for (let chain = 0; chain < 2; chain++) {
      let peak = 0;
      for (const x of one[chain]) peak = Math.max(peak, Math.abs(x));
      expect(peak, `chain ${chain} sounds`).toBeGreaterThan(0.05);
      const differs = one[chain].findIndex((x, i) => !Object.is(x, two[chain][i]));
      expect(differs, `chain ${chain}: first differing sample`).toBe(-1);
    }
  }, 120_000);
});

const VOICE = `new InletNode frequency
new InletNode gate
new InletNode velocity
new SawtoothNode osc
new LadderFilterNode(cutoff: 1500) filter
new ADSRNode(attack: 0.005, decay: 0.1, sustain: 0.6, release: 0.1) env
new MultiplyNode vca
new MultiplyNode amp
new OutletNode out
link frequency.out -> osc.frequency
link osc.out -> filter.input
link gate.out -> env.gate
link filter.out -> vca.a
link env.envelope -> vca.b
link vca.out -> amp.a
link velocity.out -> amp.b
link amp.out -> out.input
`;

/** Seconds a poly run records: the tune's first 0.3 s after the MIDI file has loaded. */
const RECORDED = 1.5;

/** What GET /status says of the voice threads (absent with one thread). */
async function voiceThreads(server: { url: string }): Promise<VoiceThreadsStatus | undefined> {
  const answer = await request(server, 'GET', '/status');
  return (answer.body as EngineStatus).voiceThreads;
}

/**
 * Records the first 0.3 s of a 64-voice VoicesNode playing a MIDI file, on a server with `threads` (voices
 * split), and how many VoicesNodes were split while it recorded.
 */
async function recordVoices(threads: number): Promise<{ samples: Float64Array; split: number }> {
  const root = mkdtempSync(join(tmpdir(), `synchrotron-voices-${threads}-`));
  writeFileSync(join(root, 'voice.syn'), VOICE);
  copyFileSync(new URL('../../examples/instruments/tune.mid', import.meta.url), join(root, 'tune.mid'));
  const server = await startServer({ root, threads, splitVoices: true });
  const file = join(root, 'poly.wav');
  let split = 0;
  try {
    // A VoicesNode splits only at its first block: post it once the voice workers have started.
    if (threads > 1)
      await waitUntil(
        async () => (await voiceThreads(server))?.workersReady,
        'voice workers started',
        60_000,
      );
    const script = `new MidiFileNode(path: "tune.mid") tune
new VoicesNode(patch: "voice.syn", voices: 64) poly
new "poly.wav" path
new WavFileNode rec
link tune.out -> poly.midi
link path.out -> rec.path
link poly.left -> rec.signal`;
    const answer = await request(server, 'POST', '/execute', script);
    expect(answer.status).toBe(200);
    const bytes = 58 + 4 * RECORDED * 44100;
    await waitUntil(() => existsSync(file) && statSync(file).size > bytes, 'recorded', 60_000);
    // The status comes from the render worker every 250 ms: wait for one made since the node was added.
    if (threads > 1)
      split =
        (await waitUntil(async () => (await voiceThreads(server))?.split, 'the VoicesNode split', 5000)) ?? 0;
  } finally {
    await server.close();
  }
  // From the tune's first sound: the MIDI file loads asynchronously, so the tune starts a varying number
  // of blocks after the recording does (on one thread as on two).
  const samples = readWav(file).channels[0];
  const start = samples.findIndex((x) => x !== 0);
  expect(start, 'the tune starts in time').toBeGreaterThanOrEqual(0);
  expect(start + 0.3 * 44100, 'the tune starts in time').toBeLessThan(samples.length);
  return { samples: samples.subarray(start, start + Math.floor(0.3 * 44100)), split };
}

describe("server: a VoicesNode's voices on several threads", () => {
  it('records the same samples with threads: 2 and splitVoices as with one thread', async () => {
    const { samples: one } = await recordVoices(1);
    const { samples: two, split } = await recordVoices(2);
    expect(split, 'VoicesNodes split').toBe(1);
    let peak = 0;
    for (const x of one) peak = Math.max(peak, Math.abs(x));
    expect(peak).toBeGreaterThan(0.01);
    expect(one.findIndex((x, i) => !Object.is(x, two[i]))).toBe(-1);
  }, 120_000);
});
