// `npx tsx bench/voice-split-blocks.ts VOICES THREADS`: where a block goes when a VoicesNode's voices are
// split (always, whatever the cost): µs a block wall and CPU, `begin` (copies, waking the worker: on an
// oversubscribed machine the woken worker may take the main thread's core right here), the main thread's
// own voices (between `begin` and `end` of its VoiceSplit) and its wait for the workers after them. The
// bench's subtractive voice, a note per voice as in bench/threads.ts (poly-N), 400 warm-up blocks then
// 2,000. THREADS 1: no split.
import { loadavg } from 'node:os';
import { VoiceSplit } from '../src/io/voice-threads.js';
import { buildPoly } from './threads.js';

const voices = Number(process.argv[2] ?? 64);
const threads = Number(process.argv[3] ?? 2);
const synth = buildPoly(voices, threads, true);
let t0 = 0;
let t1 = 0;
let own = 0;
let waited = 0;
let begun = 0;
const begin = VoiceSplit.prototype.begin;
const end = VoiceSplit.prototype.end;
VoiceSplit.prototype.begin = function (...a: Parameters<typeof begin>) {
  const b0 = performance.now();
  begin.apply(this, a);
  t0 = performance.now();
  begun += t0 - b0;
};
VoiceSplit.prototype.end = function () {
  t1 = performance.now();
  own += t1 - t0;
  end.apply(this);
  waited += performance.now() - t1;
};
for (let b = 0; b < 400; b++) synth.renderBlock();
own = 0;
waited = 0;
begun = 0;
const blocks = 2000;
const c = process.cpuUsage();
const s = performance.now();
for (let b = 0; b < blocks; b++) synth.renderBlock();
const wall = performance.now() - s;
const cpu = process.cpuUsage(c);
console.log(
  `voices ${voices} threads ${threads} load ${loadavg()[0].toFixed(2)}: ${((1000 * wall) / blocks).toFixed(1)} µs/block, cpu ${((cpu.user + cpu.system) / blocks).toFixed(1)} µs/block, begin (copies, wake) ${((1000 * begun) / blocks).toFixed(1)} µs, main own voices ${((1000 * own) / blocks).toFixed(1)} µs, waiting ${((1000 * waited) / blocks).toFixed(1)} µs`,
);
synth.dispose();
