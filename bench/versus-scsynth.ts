// Whole-process race against SuperCollider's scsynth in non-realtime mode: the same work — 1,000 sines at
// spread frequencies, summed, scaled, 10 s at 44.1 kHz — rendered to a float WAV by `synchrotron render` and
// by `scsynth -N` from an OSC score. Runs alternate (ours, theirs, ours, …) so that load on a shared machine
// falls on both alike. Skipped, with a note, when scsynth is not installed
// (`apt-get install supercollider-server`).
//
// The score is written here: a SynthDef file (SCgf version 2, built by hand below: no SuperCollider
// language on the machine) with Control → SinOsc → × amp → Out, then one /s_new per sine at time 0 and an
// empty bundle at 10 s, which is where an NRT render ends. Both sides use 128-frame blocks.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type OscPacketInput, toBuffer } from 'osc-min';

const SINES = 1000;
const SECONDS = 10;
const SAMPLE_RATE = 44100;
const BLOCK_SIZE = 128;
// package.json's bin: the CommonJS entry (scripts/build-cli.mjs), as `synchrotron render` runs.
const MAIN = fileURLToPath(new URL('../dist/cli/main.cjs', import.meta.url));

/** The frequency of sine `i`, the same on both sides. */
const frequency = (i: number) => 110 + i * 1.37;
const amplitude = 1 / SINES;

export interface VersusReport {
  scsynth: string;
  rounds: number;
  synchrotronSeconds: number[];
  scsynthSeconds: number[];
  /** CPU seconds (user + sys) of the same runs, from GNU time; empty without /usr/bin/time. CPU is what
   * load on a shared machine disturbs least. */
  synchrotronCpuSeconds: number[];
  scsynthCpuSeconds: number[];
  /** Best of each, whole process (start-up, build, render, write). */
  synchrotronBest: number;
  scsynthBest: number;
  ratio: number;
  /** Medians of the wall times, and scsynth's over ours. */
  synchrotronMedian: number;
  scsynthMedian: number;
  medianRatio: number;
  /** Peak resident memory of one more run of each, MB (GNU time's maximum RSS); null without /usr/bin/time. */
  synchrotronPeakRssMB: number | null;
  scsynthPeakRssMB: number | null;
}

export function sinesPatch(): string {
  const lines = [
    '// sines-1000: 1,000 SineNodes summed by 999 AddNodes, scaled, played (bench/versus-scsynth.ts)',
  ];
  for (let i = 0; i < SINES; i++)
    lines.push(`new SineNode s${i}`, `new ${frequency(i)} f${i}`, `link f${i}.out -> s${i}.frequency`);
  lines.push('new AddNode a0', 'link s0.out -> a0.a', 'link s1.out -> a0.b');
  for (let i = 1; i < SINES - 1; i++)
    lines.push(`new AddNode a${i}`, `link a${i - 1}.out -> a${i}.a`, `link s${i + 1}.out -> a${i}.b`);
  lines.push(
    'new MultiplyNode gain',
    `new ${amplitude} level`,
    'link level.out -> gain.b',
    `link a${SINES - 2}.out -> gain.a`,
    'new PlaybackNode play',
    'link gain.out -> play.left',
    'link gain.out -> play.right',
  );
  return `${lines.join('\n')}\n`;
}

/** Big-endian byte writer for the SynthDef file. */
class Bytes {
  private readonly parts: number[] = [];
  int8(v: number) {
    this.parts.push(v & 0xff);
    return this;
  }
  int16(v: number) {
    return this.int8(v >> 8).int8(v);
  }
  int32(v: number) {
    return this.int16(v >> 16).int16(v);
  }
  float32(v: number) {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, v);
    for (let i = 0; i < 4; i++) this.int8(view.getUint8(i));
    return this;
  }
  pstring(s: string) {
    this.int8(s.length);
    for (const c of s) this.int8(c.charCodeAt(0));
    return this;
  }
  ascii(s: string) {
    for (const c of s) this.int8(c.charCodeAt(0));
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** SynthDef "sine": Control(freq, amp) → SinOsc.ar(freq, 0) → × amp → Out.ar(0, [x, x]). */
function sineSynthDef(): Uint8Array {
  const CONTROL = 1;
  const AUDIO = 2;
  const b = new Bytes().ascii('SCgf').int32(2).int16(1);
  b.pstring('sine');
  b.int32(1).float32(0); // constants: [0]
  b.int32(2).float32(440).float32(0.001); // parameters' initial values
  b.int32(2).pstring('freq').int32(0).pstring('amp').int32(1);
  b.int32(4); // UGens
  // 0: Control, control rate, two outputs.
  b.pstring('Control').int8(CONTROL).int32(0).int32(2).int16(0).int8(CONTROL).int8(CONTROL);
  // 1: SinOsc(freq, phase 0).
  b.pstring('SinOsc').int8(AUDIO).int32(2).int32(1).int16(0);
  b.int32(0).int32(0).int32(-1).int32(0).int8(AUDIO);
  // 2: BinaryOpUGen '*' (special index 2): SinOsc × amp.
  b.pstring('BinaryOpUGen').int8(AUDIO).int32(2).int32(1).int16(2);
  b.int32(1).int32(0).int32(0).int32(1).int8(AUDIO);
  // 3: Out(bus 0, left, right): Out sums into the bus, as our adders do.
  b.pstring('Out').int8(AUDIO).int32(3).int32(0).int16(0);
  b.int32(-1).int32(0).int32(2).int32(0).int32(2).int32(0);
  b.int16(0); // variants
  return b.done();
}

/** The NRT score: size-prefixed OSC bundles, time tags in seconds from the start. */
export function score(): Uint8Array {
  const bundles: OscPacketInput[] = [
    {
      timetag: [0, 0],
      elements: [{ address: '/d_recv', args: [{ type: 'blob', value: sineSynthDef() }] }],
    },
  ];
  // /s_new per sine, a hundred to a bundle (a bundle must stay within scsynth's packet size).
  for (let first = 0; first < SINES; first += 100) {
    const elements: OscPacketInput[] = [];
    for (let i = first; i < Math.min(SINES, first + 100); i++)
      elements.push({
        address: '/s_new',
        args: [
          { type: 'string', value: 'sine' },
          { type: 'integer', value: 1000 + i },
          { type: 'integer', value: 1 }, // add to tail
          { type: 'integer', value: 0 }, // of the root group
          { type: 'string', value: 'freq' },
          { type: 'float', value: frequency(i) },
          { type: 'string', value: 'amp' },
          { type: 'float', value: amplitude },
        ],
      });
    bundles.push({ timetag: [0, 0], elements });
  }
  bundles.push({
    timetag: [SECONDS, 0],
    elements: [
      {
        address: '/c_set',
        args: [
          { type: 'integer', value: 0 },
          { type: 'float', value: 0 },
        ],
      },
    ],
  });
  const parts: Uint8Array[] = [];
  for (const bundle of bundles) {
    const view = toBuffer(bundle);
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const size = new Uint8Array(4);
    new DataView(size.buffer).setInt32(0, bytes.length);
    parts.push(size, bytes);
  }
  return Buffer.concat(parts);
}

function scsynthPath(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v scsynth'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const GNU_TIME = '/usr/bin/time';

/** Wall seconds of one child process, which must succeed, and its CPU seconds (user + sys) when GNU time
 * is there to run it under (its own start-up is outside the wall time only in part: a few ms, alike for
 * both sides). */
function timed(command: string, args: string[]): { wall: number; cpu: number | null } {
  const gnuTime = existsSync(GNU_TIME);
  const start = process.hrtime.bigint();
  const result = gnuTime
    ? spawnSync(GNU_TIME, ['-f', 'cpu-seconds %U %S', command, ...args], {
        encoding: 'utf8',
        env: { ...process.env, SC_JACK_DEFAULT_INPUTS: '' },
      })
    : spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, SC_JACK_DEFAULT_INPUTS: '' } });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr}${result.stdout}`,
    );
  const match = /cpu-seconds ([\d.]+) ([\d.]+)/.exec(result.stderr);
  return { wall, cpu: match ? Number(match[1]) + Number(match[2]) : null };
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Peak RSS in MB of one run of a child process (GNU time's %M, KiB); null when GNU time is missing. */
function peakRssMB(command: string, args: string[]): number | null {
  if (!existsSync(GNU_TIME)) return null;
  const result = spawnSync(GNU_TIME, ['-f', 'peak-rss-kib %M', command, ...args], {
    encoding: 'utf8',
    env: { ...process.env, SC_JACK_DEFAULT_INPUTS: '' },
  });
  const match = /peak-rss-kib (\d+)/.exec(result.stderr);
  return result.status === 0 && match ? Number(match[1]) / 1024 : null;
}

/** Runs the race `rounds` times each, alternating; null when scsynth is missing. */
export function versusScsynth(rounds = 5): VersusReport | null {
  const scsynth = scsynthPath();
  if (!scsynth) return null;
  const dir = mkdtempSync(join(tmpdir(), 'synchrotron-versus-'));
  try {
    const patch = join(dir, 'sines-1000.syn');
    const osc = join(dir, 'sines-1000.osc');
    writeFileSync(patch, sinesPatch());
    writeFileSync(osc, score());
    const oursArgs = [
      MAIN,
      'render',
      patch,
      '--seconds',
      String(SECONDS),
      '--out',
      join(dir, 'ours.wav'),
      '--block-size',
      String(BLOCK_SIZE),
    ];
    const ours = () => timed(process.execPath, oursArgs);
    // -N score input output rate header format; -z block size; -o 2 output channels; no input.
    const theirsArgs = [
      '-z',
      String(BLOCK_SIZE),
      '-o',
      '2',
      '-i',
      '0',
      '-N',
      osc,
      '_',
      join(dir, 'theirs.wav'),
      String(SAMPLE_RATE),
      'WAV',
      'float',
    ];
    const theirs = () => timed(scsynth, theirsArgs);
    ours(); // warm the file cache for both, untimed
    theirs();
    const synchrotronSeconds: number[] = [];
    const scsynthSeconds: number[] = [];
    const synchrotronCpuSeconds: number[] = [];
    const scsynthCpuSeconds: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const a = ours();
      const b = theirs();
      synchrotronSeconds.push(a.wall);
      scsynthSeconds.push(b.wall);
      if (a.cpu !== null && b.cpu !== null) {
        synchrotronCpuSeconds.push(a.cpu);
        scsynthCpuSeconds.push(b.cpu);
      }
    }
    const synchrotronBest = Math.min(...synchrotronSeconds);
    const scsynthBest = Math.min(...scsynthSeconds);
    const synchrotronMedian = median(synchrotronSeconds);
    const scsynthMedian = median(scsynthSeconds);
    return {
      scsynth,
      rounds,
      synchrotronSeconds,
      scsynthSeconds,
      synchrotronCpuSeconds,
      scsynthCpuSeconds,
      synchrotronBest,
      scsynthBest,
      ratio: scsynthBest / synchrotronBest,
      synchrotronMedian,
      scsynthMedian,
      medianRatio: scsynthMedian / synchrotronMedian,
      synchrotronPeakRssMB: peakRssMB(process.execPath, oursArgs),
      scsynthPeakRssMB: peakRssMB(scsynth, theirsArgs),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (x: number | null) => (x === null ? 'n/a (no /usr/bin/time)' : `${x.toFixed(1)} MB`);

export function formatVersus(report: VersusReport | null): string {
  if (!report) return 'versus scsynth: skipped (scsynth not installed: apt-get install supercollider-server)';
  const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
  const sorted = (xs: number[]) => (xs.length ? `; CPU s sorted ${list([...xs].sort((a, b) => a - b))}` : '');
  const verdict = (ratio: number) => (ratio >= 1 ? 'faster' : 'SLOWER');
  return [
    `versus scsynth (sines-1000, ${SECONDS} s at ${SAMPLE_RATE} Hz, ${BLOCK_SIZE}-frame blocks, whole process, ${report.rounds} alternating rounds):`,
    `  synchrotron render  best ${report.synchrotronBest.toFixed(2)} s, median ${report.synchrotronMedian.toFixed(2)}  (${list(report.synchrotronSeconds)}${sorted(report.synchrotronCpuSeconds)})`,
    `  scsynth -N          best ${report.scsynthBest.toFixed(2)} s, median ${report.scsynthMedian.toFixed(2)}  (${list(report.scsynthSeconds)}${sorted(report.scsynthCpuSeconds)})`,
    `  ${verdict(report.ratio)} by the best: scsynth / synchrotron = ${report.ratio.toFixed(2)}; ${verdict(report.medianRatio)} by the median: ${report.medianRatio.toFixed(2)}`,
    `  peak RSS (one more run each): synchrotron ${mb(report.synchrotronPeakRssMB)}, scsynth ${mb(report.scsynthPeakRssMB)}`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  console.log(formatVersus(versusScsynth(Number(process.argv[2] ?? 5))));
