// The subtractive voice of bench/instruments.ts in SuperCollider, for comparison (issue 13): 32 voices of
// Saw → MoogFF (ladder) → EnvGen (ADSR) → × velocity, rendered by `scsynth` in non-realtime mode (NRT, as
// fast as it goes) at 44.1 kHz with 128-frame blocks. The SynthDef is written here in SuperCollider's
// binary format (SCgf version 2), so sclang is not needed. Prints CPU seconds per audio second and the
// realtime factor, to set beside `npm run bench -- --only poly-32` (RT× cpu).
//
//   npx tsx bench/supercollider.ts [--voices 32] [--seconds 60]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { voices: { type: 'string' }, seconds: { type: 'string' } } });
const VOICES = Number(values.voices ?? 32);
const SECONDS = Number(values.seconds ?? 60);
const RATE = 44100;

class Writer {
  bytes: number[] = [];
  i8(v: number) {
    this.bytes.push(v & 0xff);
  }
  i16(v: number) {
    this.bytes.push((v >> 8) & 0xff, v & 0xff);
  }
  i32(v: number) {
    this.bytes.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  f32(v: number) {
    const b = Buffer.alloc(4);
    b.writeFloatBE(v);
    this.bytes.push(...b);
  }
  pstring(s: string) {
    this.i8(s.length);
    for (const c of s) this.bytes.push(c.charCodeAt(0));
  }
  oscString(s: string) {
    for (const c of s) this.bytes.push(c.charCodeAt(0));
    this.bytes.push(0);
    while (this.bytes.length % 4 !== 0) this.bytes.push(0);
  }
}

/** SCgf v2: one SynthDef `voice` with controls freq and gate. */
function synthDef(): Buffer {
  const constants: number[] = [];
  const k = (v: number) => {
    let i = constants.indexOf(v);
    if (i < 0) i = constants.push(v) - 1;
    return [-1, i] as const;
  };
  type Input = readonly [number, number];
  const ugens: Array<{ name: string; rate: number; inputs: Input[]; outputs: number[]; special: number }> =
    [];
  const ugen = (name: string, rate: number, inputs: Input[], outputs: number[], special = 0) =>
    ugens.push({ name, rate, inputs, outputs, special }) - 1;
  const control = ugen('Control', 1, [], [1, 1]);
  const saw = ugen('Saw', 2, [[control, 0]], [2]);
  const filter = ugen('MoogFF', 2, [[saw, 0], k(1800), k(1.2), k(0)], [2]);
  // Env.adsr(0.005, 0.2, 0.6, 0.4): levels 0 → 1 → 0.6 (held: release node 2) → 0, curve −4.
  const env = [0, 3, 2, -99, 1, 0.005, 5, -4, 0.6, 0.2, 5, -4, 0, 0.4, 5, -4].map(k);
  const envelope = ugen('EnvGen', 2, [[control, 1], k(1), k(0), k(1), k(0), ...env], [2]);
  const vca = ugen(
    'BinaryOpUGen',
    2,
    [
      [filter, 0],
      [envelope, 0],
    ],
    [2],
    2,
  );
  const amp = ugen('BinaryOpUGen', 2, [[vca, 0], k(100 / 127)], [2], 2);
  ugen('Out', 2, [k(0), [amp, 0], [amp, 0]], []);
  const w = new Writer();
  for (const c of 'SCgf') w.i8(c.charCodeAt(0));
  w.i32(2);
  w.i16(1);
  w.pstring('voice');
  w.i32(constants.length);
  for (const c of constants) w.f32(c);
  w.i32(2);
  w.f32(440);
  w.f32(1);
  w.i32(2);
  w.pstring('freq');
  w.i32(0);
  w.pstring('gate');
  w.i32(1);
  w.i32(ugens.length);
  for (const u of ugens) {
    w.pstring(u.name);
    w.i8(u.rate);
    w.i32(u.inputs.length);
    w.i32(u.outputs.length);
    w.i16(u.special);
    for (const [a, b] of u.inputs) {
      w.i32(a);
      w.i32(b);
    }
    for (const r of u.outputs) w.i8(r);
  }
  w.i16(0);
  return Buffer.from(w.bytes);
}

type Arg = string | number | { f: number } | Buffer;

function message(address: string, args: Arg[]): Buffer {
  const w = new Writer();
  w.oscString(address);
  let tags = ',';
  for (const a of args)
    tags += typeof a === 'string' ? 's' : typeof a === 'number' ? 'i' : Buffer.isBuffer(a) ? 'b' : 'f';
  w.oscString(tags);
  for (const a of args) {
    if (typeof a === 'string') w.oscString(a);
    else if (typeof a === 'number') w.i32(a);
    else if (Buffer.isBuffer(a)) {
      w.i32(a.length);
      w.bytes.push(...a);
      while (w.bytes.length % 4 !== 0) w.bytes.push(0);
    } else w.f32(a.f);
  }
  return Buffer.from(w.bytes);
}

/** An NRT score entry: a size-prefixed bundle at `seconds`. */
function bundle(seconds: number, messages: Buffer[]): Buffer {
  const w = new Writer();
  w.oscString('#bundle');
  w.i32(Math.floor(seconds));
  w.i32(Math.round((seconds % 1) * 2 ** 32) >>> 0);
  for (const m of messages) {
    w.i32(m.length);
    w.bytes.push(...m);
  }
  const body = Buffer.from(w.bytes);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

const dir = mkdtempSync(join(tmpdir(), 'synchrotron-scsynth-'));
const notes = Array.from({ length: VOICES }, (_, i) =>
  message('/s_new', [
    'voice',
    1000 + i,
    0,
    0,
    'freq',
    { f: 440 * 2 ** ((36 + ((i * 7) % 60) - 69) / 12) },
    'gate',
    1,
  ]),
);
const score = Buffer.concat([
  bundle(0, [message('/d_recv', [synthDef()])]),
  bundle(0, notes),
  bundle(SECONDS, [message('/c_set', [0, 0])]),
]);
writeFileSync(join(dir, 'score.osc'), score);
const version = spawnSync('scsynth', ['-v'], { encoding: 'utf8' });
if (version.error) {
  console.log('scsynth not found (apt: supercollider-server)');
  process.exit(0);
}
// CPU seconds of scsynth itself (user + system, from bash's `time`), beside the wall clock.
const command = [
  'scsynth',
  '-N',
  join(dir, 'score.osc'),
  '_',
  join(dir, 'out.wav'),
  String(RATE),
  'WAV',
  'float',
  '-o',
  '2',
  '-z',
  '128',
  '-D',
  '0',
]
  .map((part) => `'${part}'`)
  .join(' ');
const timed = spawnSync('bash', ['-c', `TIMEFORMAT='%U %S %R'; time ${command} > /dev/null`], {
  encoding: 'utf8',
});
const [user, system, wall] = timed.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
const peak = readPeak(join(dir, 'out.wav'));
console.log(
  `scsynth ${version.stdout.trim()}: ${VOICES} voices of saw → MoogFF → EnvGen, ${SECONDS} s at ${RATE} Hz, 128-frame blocks: ` +
    `${(SECONDS / (user + system)).toFixed(1)}× realtime per CPU second (${(SECONDS / wall).toFixed(1)}× wall clock), peak ${peak.toFixed(2)}`,
);

/** Largest |sample| of a float WAV (to see that the voices sounded). */
function readPeak(path: string): number {
  const bytes = readFileSync(path);
  const data = bytes.indexOf('data');
  let peak = 0;
  for (let i = data + 8; i + 4 <= bytes.length; i += 4) peak = Math.max(peak, Math.abs(bytes.readFloatLE(i)));
  return peak;
}
