// docs/interop.md: every Synchrolang recipe (its unlabelled code blocks) runs as written.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createNodeHost } from '../../src/io/node-host.js';
import { Synchrotron } from '../../src/synchrotron.js';
import { request, startServer } from '../server/helpers.js';

const doc = readFileSync(new URL('../../docs/interop.md', import.meta.url), 'utf8');
/** The bodies of fenced blocks in `language` ('' for those without one: the Synchrolang recipes). */
function blocksIn(text: string, language: string): string[] {
  const blocks: string[] = [];
  let open: { language: string; lines: string[] } | null = null;
  for (const line of text.split('\n')) {
    const fence = /^```(\S*)\s*$/.exec(line);
    if (fence && !open) open = { language: fence[1], lines: [] };
    else if (fence && open) {
      if (open.language === language) blocks.push(open.lines.join('\n'));
      open = null;
    } else open?.lines.push(line);
  }
  return blocks;
}

const recipes = blocksIn(doc, '');
const hasPython = spawnSync('python3', ['--version']).status === 0;

/** Runs a Python script (on stdin), resolving with its output; rejects with its stderr on failure. */
function python(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`python3 exited ${code}: ${err}`)),
    );
    child.stdin.end(script);
  });
}

describe('docs/interop.md', () => {
  it('has Synchrolang recipes, and each builds its patch and renders', () => {
    expect(recipes.length).toBeGreaterThanOrEqual(5);
    for (const recipe of recipes) {
      const engine = new Synchrotron({ host: createNodeHost({ midi: { hardware: false } }) });
      const faults: string[] = [];
      engine.onEvent((event) => event.kind === 'fault' && faults.push(event.message));
      expect(() => engine.execute(recipe), recipe).not.toThrow();
      expect(engine.graph.size).toBeGreaterThan(0);
      engine.renderFrames(4096);
      expect(faults).toEqual([]);
      engine.dispose();
    }
  });
});

describe('docs/interop.md: the Python recipe', () => {
  it.runIf(hasPython)(
    'sends /execute and /value to a real server over UDP and prints its replies',
    async () => {
      const [script] = blocksIn(doc, 'python');
      expect(script).toMatch(/synchrotron = \("127\.0\.0\.1", 57130\)/);
      const server = await startServer({ osc: 0 });
      try {
        const out = await python(script.replace('57130', String(server.osc!.port)));
        expect(out.split('\n')).toEqual([
          "/done ['/execute', 'created freq (DataNode = 440)\\ncreated osc (SineNode)\\ncreated out (PlaybackNode)\\nlinked freq.out -> osc.frequency\\nlinked osc.out -> out.left']",
          "/done ['/value']",
          "/error ['/value: unknown node `fre` — did you mean `freq`?']",
          '',
        ]);
        const node = (await request(server, 'GET', '/nodes/freq')).body as { exports: { Value: number } };
        expect(node.exports.Value).toBe(220);
      } finally {
        await server.close();
      }
    },
    60_000,
  );
});

describe('examples/interop/beat.syn', () => {
  it('clicks on every beat of its tempo (128 bpm), at 880 Hz, and sends MIDI clock with them', () => {
    const host = createNodeHost({ midi: { hardware: false } });
    const engine = new Synchrotron({ sampleRate: 44100, blockSize: 128, host });
    engine.execute(readFileSync(new URL('../../examples/interop/beat.syn', import.meta.url), 'utf8'));
    const frames = 1034 * 128; // about 3 s
    const envelope = new Float32Array(frames);
    const left = new Float32Array(frames);
    for (let at = 0; at < frames; at += 128) {
      const master = engine.renderBlock();
      envelope.set(engine.renderer.streamOutput({ node: 'click', port: 'envelope' })!, at);
      left.set(master.left, at);
    }
    // Onsets: where the envelope leaves 0 — the frame after each beat (it rises from 0 at the beat's frame).
    // At 128 bpm a beat is 20671.875 frames.
    const onsets: number[] = [];
    for (let i = 0; i < frames; i++)
      if (envelope[i] > 0 && (i === 0 || envelope[i - 1] === 0)) onsets.push(i);
    expect(onsets).toEqual([0, 1, 2, 3, 4, 5, 6].map((k) => Math.ceil((k * 44100 * 60) / 128) + 1));
    // The click is an 880 Hz sine (the fader at 0): zero crossings in the first 40 ms of a click.
    const click = left.subarray(onsets[1], onsets[1] + 1764);
    let crossings = 0;
    for (let i = 1; i < click.length; i++) if (click[i - 1] < 0 && click[i] >= 0) crossings++;
    expect(Math.abs(crossings - 880 * 0.04)).toBeLessThanOrEqual(1);
    const sent = host.virtualMidiOut.drain().messages;
    expect(sent[0]).toEqual({ frame: 0, data: [0xfa] });
    expect(sent.filter((m) => m.data[0] === 0xf8)).toHaveLength(
      Math.ceil((frames / 44100) * (128 / 60) * 24),
    );
    engine.dispose();
  });
});
