// `npm run bench -- --only threads`: multi-core rendering (issue 14 item 3). Each case renders the same patch
// on one thread (a plain Renderer) and on two (ThreadedRenderer, placement left to the engine), in
// alternating rounds in one process, so both see the same machine load; it reports the wall time of each,
// the range over rounds, and the load average. The patches are independent chains that meet only at the
// master (test/helpers/chains.ts): two heavy ones, a medium pair near the threshold, and a small graph.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeHost } from '../src/io/node-host.js';
import { ThreadedRenderer } from '../src/io/render-threads.js';
import { Synchrotron } from '../src/synchrotron.js';
import { chainsPatch } from '../test/helpers/chains.js';
import { heavyVoice, SUBTRACTIVE_VOICE, voicesPatch } from './instruments.js';

const BLOCK_SIZE = 128;
const SAMPLE_RATE = 44100;
const ROUNDS = 7;
const WARM_UP_BLOCKS = 400;

const CASES = [
  { name: 'chains-2x100', chains: 2, voices: 100, blocks: 300 }, // 2 × 200 saw→ladder, ~600 nodes
  { name: 'chains-2x40', chains: 2, voices: 40, blocks: 600 }, // ~160 nodes a chain, above MIN_PART_COST
  { name: 'chains-2x8', chains: 2, voices: 8, blocks: 2000 }, // ~34 nodes a chain: stays on one thread
  { name: 'chains-2x2', chains: 2, voices: 2, blocks: 4000 }, // small: stays on one thread
];

export interface ThreadsCase {
  name: string;
  nodes: number;
  /** Threads the engine chose to render on (1: the graph stayed on the main thread). */
  threadsUsed: number;
  /** Wall ms per round, one thread and two, in round order (alternating). */
  oneMs: number[];
  twoMs: number[];
  /** Median of one-thread time / two-thread time over the rounds (pairs in the same round). */
  speedupMedian: number;
  speedupMin: number;
  speedupMax: number;
  /** Median CPU ms per round of the whole process (all threads), one thread and two: the cost of threading. */
  oneCpuMs: number;
  twoCpuMs: number;
  /** Audio seconds per round. */
  seconds: number;
}

export interface ThreadsReport {
  loadAverageBefore: number;
  loadAverageAfter: number;
  cases: ThreadsCase[];
}

function build(script: string, threads: number): Synchrotron {
  const synth = new Synchrotron({
    sampleRate: SAMPLE_RATE,
    blockSize: BLOCK_SIZE,
    createRenderer: threads > 1 ? (options) => new ThreadedRenderer({ ...options, threads }) : undefined,
  });
  synth.execute(script);
  synth.start();
  return synth;
}

/** Renders `blocks` blocks; wall ms, and CPU ms of the whole process (every thread). */
function timeBlocks(synth: Synchrotron, blocks: number, cpu?: number[]): number {
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  for (let b = 0; b < blocks; b++) synth.renderBlock();
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpuStart);
  cpu?.push((used.user + used.system) / 1000);
  return wall;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export function threadsBench(): ThreadsReport {
  const loadAverageBefore = loadavg()[0];
  const cases: ThreadsCase[] = [];
  for (const spec of CASES) {
    const script = chainsPatch(spec.chains, spec.voices);
    const one = build(script, 1);
    const two = build(script, 2);
    timeBlocks(one, WARM_UP_BLOCKS);
    timeBlocks(two, WARM_UP_BLOCKS);
    const oneMs: number[] = [];
    const twoMs: number[] = [];
    const oneCpu: number[] = [];
    const twoCpu: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        oneMs.push(timeBlocks(one, spec.blocks, oneCpu));
        twoMs.push(timeBlocks(two, spec.blocks, twoCpu));
      } else {
        twoMs.push(timeBlocks(two, spec.blocks, twoCpu));
        oneMs.push(timeBlocks(one, spec.blocks, oneCpu));
      }
    }
    const speedups = oneMs.map((ms, i) => ms / twoMs[i]);
    const renderer = two.renderer as ThreadedRenderer;
    cases.push({
      name: spec.name,
      nodes: one.graph.nodes().length,
      threadsUsed: new Set([...renderer.placement().values()].filter((owner) => owner >= 0)).size || 1,
      oneMs,
      twoMs,
      speedupMedian: median(speedups),
      speedupMin: Math.min(...speedups),
      speedupMax: Math.max(...speedups),
      oneCpuMs: median(oneCpu),
      twoCpuMs: median(twoCpu),
      seconds: (spec.blocks * BLOCK_SIZE) / SAMPLE_RATE,
    });
    one.dispose();
    two.dispose();
  }
  return { loadAverageBefore, loadAverageAfter: loadavg()[0], cases };
}

export function formatThreads(report: ThreadsReport): string {
  const lines = [
    `multi-core, 1 thread vs 2 (alternating rounds, wall time; load average ${report.loadAverageBefore.toFixed(2)} → ${report.loadAverageAfter.toFixed(2)})`,
    'case            nodes  used  1 thread ms (med, range)   2 threads ms (med, range)   speed-up med (range)    CPU ms 1 → 2',
  ];
  const range = (values: number[]) =>
    `${median(values).toFixed(0)} (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`;
  for (const c of report.cases) {
    lines.push(
      `${c.name.padEnd(15)} ${String(c.nodes).padStart(5)} ${String(c.threadsUsed).padStart(5)}  ${range(c.oneMs).padEnd(26)} ${range(c.twoMs).padEnd(27)} ${`${c.speedupMedian.toFixed(2)}× (${c.speedupMin.toFixed(2)}–${c.speedupMax.toFixed(2)})`.padEnd(22)} ${c.oneCpuMs.toFixed(0)} → ${c.twoCpuMs.toFixed(0)}`,
    );
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------------------- voices on threads

/**
 * `npm run bench -- --only poly-32-threads`: a VoicesNode's voices on one thread and on two (the subtractive
 * voice of bench/instruments.ts, a note per voice; from 60 voices on, notes repeat, so about 60 sound). Two
 * threads with `splitVoices` on (off by default); `forced` splits below MIN_VOICES_COST too, to show what
 * the handoff alone costs.
 */
const POLY_CASES = [
  { name: 'poly-128', voices: 128, blocks: 150, forced: false },
  { name: 'poly-64', voices: 64, blocks: 300, forced: false },
  { name: 'poly-32', voices: 32, blocks: 600, forced: false },
  { name: 'poly-32-forced', voices: 32, blocks: 600, forced: true },
  { name: 'poly-16', voices: 16, blocks: 1000, forced: false },
  { name: 'poly-8', voices: 8, blocks: 2000, forced: false }, // 88 < MIN_VOICES_COST: stays on one thread
  { name: 'poly-8-forced', voices: 8, blocks: 2000, forced: true },
  { name: 'poly-4-forced', voices: 4, blocks: 3000, forced: true },
  { name: 'poly-2-forced', voices: 2, blocks: 4000, forced: true },
];

/** poly-N: the subtractive voice, a note per voice; `forced` splits whatever the cost (also voice-split-blocks.ts). */
export function buildPoly(
  voices: number,
  threads: number,
  forced: boolean,
  blockSize = BLOCK_SIZE,
  /** 0: the 11-node subtractive voice (notes repeat after 60: ~60 sound); n: heavyVoice(n), every voice sounding. */
  layers = 0,
): Synchrotron {
  const root = mkdtempSync(join(tmpdir(), 'synchrotron-bench-polythreads-'));
  writeFileSync(join(root, 'voice.syn'), layers > 0 ? heavyVoice(layers) : SUBTRACTIVE_VOICE);
  const host = createNodeHost({ root, midi: { hardware: false } });
  const synth = new Synchrotron({
    sampleRate: SAMPLE_RATE,
    blockSize,
    host,
    createRenderer:
      threads > 1
        ? (options) =>
            new ThreadedRenderer({
              ...options,
              threads,
              splitVoices: true,
              ...(forced ? { minVoicesCost: 0 } : {}),
            })
        : undefined,
  });
  synth.execute(voicesPatch('new MidiInputNode keys', voices));
  synth.start();
  synth.renderBlock(); // opens the virtual port
  const notes: number[] = [];
  for (let i = 0; i < voices; i++) notes.push(0x90, layers > 0 ? (i * 7) % 128 : 36 + ((i * 7) % 60), 100);
  host.virtualMidi.push(notes);
  synth.renderBlock();
  return synth;
}

export function polyThreadsBench(): ThreadsReport {
  const loadAverageBefore = loadavg()[0];
  const cases: ThreadsCase[] = [];
  // POLY_THREADS_CASES=poly-64,poly-128: only those (before/after runs alternate faster).
  const only = process.env.POLY_THREADS_CASES?.split(',');
  for (const spec of POLY_CASES.filter((c) => !only || only.includes(c.name))) {
    const one = buildPoly(spec.voices, 1, spec.forced);
    const two = buildPoly(spec.voices, 2, spec.forced);
    timeBlocks(one, WARM_UP_BLOCKS);
    timeBlocks(two, WARM_UP_BLOCKS);
    const oneMs: number[] = [];
    const twoMs: number[] = [];
    const oneCpu: number[] = [];
    const twoCpu: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        oneMs.push(timeBlocks(one, spec.blocks, oneCpu));
        twoMs.push(timeBlocks(two, spec.blocks, twoCpu));
      } else {
        twoMs.push(timeBlocks(two, spec.blocks, twoCpu));
        oneMs.push(timeBlocks(one, spec.blocks, oneCpu));
      }
    }
    const speedups = oneMs.map((ms, i) => ms / twoMs[i]);
    cases.push({
      name: spec.name,
      nodes: spec.voices * 11 + 4,
      threadsUsed: (two.renderer as ThreadedRenderer).voiceThreads('poly'),
      oneMs,
      twoMs,
      speedupMedian: median(speedups),
      speedupMin: Math.min(...speedups),
      speedupMax: Math.max(...speedups),
      oneCpuMs: median(oneCpu),
      twoCpuMs: median(twoCpu),
      seconds: (spec.blocks * BLOCK_SIZE) / SAMPLE_RATE,
    });
    one.dispose();
    two.dispose();
  }
  return { loadAverageBefore, loadAverageAfter: loadavg()[0], cases };
}

/** The voices' table: as formatThreads, with realtime factors (audio s per wall s, and per CPU s). */
export function formatPolyThreads(report: ThreadsReport): string {
  const lines = [formatThreads(report).replace('multi-core, 1 thread vs 2', 'voices on threads, 1 vs 2')];
  lines.push('case            RT× wall 1 → 2 (median rounds)   RT× cpu 1 → 2');
  const rt = (ms: number, seconds: number) => (seconds / (ms / 1000)).toFixed(1);
  for (const c of report.cases) {
    const wall = `${rt(median(c.oneMs), c.seconds)} → ${rt(median(c.twoMs), c.seconds)}`;
    lines.push(
      `${c.name.padEnd(15)} ${wall.padEnd(32)} ${rt(c.oneCpuMs, c.seconds)} → ${rt(c.twoCpuMs, c.seconds)}`,
    );
  }
  return lines.join('\n');
}
