// `npx tsx bench/voice-split-blocks.ts VOICES THREADS [FRAMES]`: where a block goes when a VoicesNode's
// voices are split (always, whatever the cost): µs a block wall and CPU, `begin` (copies, waking the worker:
// on an oversubscribed machine the woken worker may take the main thread's core right here), the main
// thread's own voices (between `begin` and `end` of its VoiceSplit) and its wait for the workers after them.
// The bench's subtractive voice, a note per voice as in bench/threads.ts (poly-N), FRAMES a block (default
// 128); warm-up then 5.8 s of audio (2,000 blocks of 128), timed in five chunks (their range shows drift).
// THREADS 1: no split. `… FRAMES live`: paced as the server's render worker is (it wakes every 10 ms and
// renders the blocks due, 3–4 of 128 frames, then sleeps): µs a block within those bursts, median and mean
// over 600 wake-ups, where the voices' worker (and both cores) went idle between bursts. CPU: the whole
// process's (every thread) per block. Live also times each burst against its real-time budget (the audio
// it renders: blocks × frames / rate) and reports p99, max and the bursts that missed it (a server behind
// by that much more than its render-ahead would glitch). VOICE_LAYERS=n: the heavy voice. NO_PROBE=1:
// without the `performance.now()` wrappers around `begin` and `end` (they cost a split block 5–15 µs; the
// phase figures then read 0): for speed-ups.
import { loadavg } from 'node:os';
import { VoiceSplit } from '../src/io/voice-threads.js';
import { buildPoly } from './threads.js';

const voices = Number(process.argv[2] ?? 64);
const threads = Number(process.argv[3] ?? 2);
const frames = Number(process.argv[4] ?? 128);
// VOICE_LAYERS=n: the heavy voice (bench/instruments.ts heavyVoice, 6n + 5 nodes, every voice sounding).
const layers = Number(process.env.VOICE_LAYERS ?? 0);
const synth = buildPoly(voices, threads, true, frames, layers);
let t0 = 0;
let t1 = 0;
let own = 0;
let waited = 0;
let begun = 0;
const begin = VoiceSplit.prototype.begin;
const end = VoiceSplit.prototype.end;
if (process.env.NO_PROBE !== '1')
  VoiceSplit.prototype.begin = function (...a: Parameters<typeof begin>) {
    const b0 = performance.now();
    begin.apply(this, a);
    t0 = performance.now();
    begun += t0 - b0;
  };
if (process.env.NO_PROBE !== '1')
  VoiceSplit.prototype.end = function () {
    t1 = performance.now();
    own += t1 - t0;
    end.apply(this);
    waited += performance.now() - t1;
  };
const perChunk = Math.max(1, Math.round((400 * 128) / frames));
if (process.argv[5] === 'live') {
  live();
  process.exit(0);
}
for (let b = 0; b < perChunk; b++) synth.renderBlock();
own = 0;
waited = 0;
begun = 0;
const chunks: number[] = [];
const c = process.cpuUsage();
const s = performance.now();
for (let k = 0; k < 5; k++) {
  const cs = performance.now();
  for (let b = 0; b < perChunk; b++) synth.renderBlock();
  chunks.push((1000 * (performance.now() - cs)) / perChunk);
}
const blocks = 5 * perChunk;
const wall = performance.now() - s;
const cpu = process.cpuUsage(c);
const us = (ms: number) => ((1000 * ms) / blocks).toFixed(1);
console.log(
  `voices ${voices} threads ${threads} frames ${frames} load ${loadavg()[0].toFixed(2)}: ${us(wall)} µs/block (chunks ${Math.min(...chunks).toFixed(0)}–${Math.max(...chunks).toFixed(0)}), cpu ${((cpu.user + cpu.system) / blocks).toFixed(1)} µs/block, begin (copies, wake) ${us(begun)} µs, main own voices ${us(own)} µs, waiting ${us(waited)} µs`,
);
synth.dispose();

/** The server's cadence (render-worker.ts `tick`): every 10 ms, the blocks that came due since. */
function live(): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let b = 0; b < perChunk; b++) synth.renderBlock();
  const perBlock: number[] = [];
  /** Each burst's wall time over its real-time budget. */
  const share: number[] = [];
  let due = 0;
  let blocks = 0;
  let missed = 0;
  const ticks = Number(process.env.TICKS ?? 600);
  const c = process.cpuUsage();
  for (let tick = 0; tick < ticks; tick++) {
    Atomics.wait(sleeper, 0, 0, 10);
    due += (44100 * 10) / 1000 / frames;
    const n = Math.floor(due);
    if (n === 0) continue; // 512 frames: a block comes due every 11.6 ms
    due -= n;
    const s = performance.now();
    for (let b = 0; b < n; b++) synth.renderBlock();
    const ms = performance.now() - s;
    perBlock.push((1000 * ms) / n);
    const budget = (1000 * n * frames) / 44100;
    share.push(ms / budget);
    if (ms > budget) missed++;
    blocks += n;
  }
  const cpu = process.cpuUsage(c);
  perBlock.sort((a, b) => a - b);
  share.sort((a, b) => a - b);
  const mean = perBlock.reduce((a, b) => a + b, 0) / perBlock.length;
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const at = (list: number[], q: number) => list[Math.min(list.length - 1, Math.floor(list.length * q))];
  console.log(
    `live voices ${voices} layers ${layers} threads ${threads} frames ${frames} load ${loadavg()[0].toFixed(2)}: median ${perBlock[perBlock.length >> 1].toFixed(1)} µs/block, mean ${mean.toFixed(1)}, p90 ${at(perBlock, 0.9).toFixed(1)}, cpu ${((cpu.user + cpu.system) / blocks).toFixed(1)} µs/block; burst/budget median ${pct(at(share, 0.5))} p99 ${pct(at(share, 0.99))} max ${pct(share[share.length - 1])}, missed ${missed}/${share.length}`,
  );
  synth.dispose();
}
