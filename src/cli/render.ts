// `synchrotron render PATCH --seconds S --out OUT.wav`: offline render of the PlaybackNode mix as fast
// as the machine goes, plus every WavFileNode's own file.

import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeKernelsNatively } from '../io/native-hex.js';
import { createNodeHost } from '../io/node-host.js';
import { MAX_AUTO_THREADS, ThreadedRenderer, threadsOption } from '../io/render-threads.js';
import { DEFAULT_LIMITS } from '../io/security.js';
import { createWavWriter } from '../io/wav-writer.js';
import { formatError, parseSui, SynchrolangError } from '../lang/index.js';
import { Synchrotron } from '../synchrotron.js';
import { readPatchFile } from './patch-file.js';

const USAGE = `usage: synchrotron render PATCH --seconds S --out OUT.wav [--sample-rate 44100] [--block-size 128]
                          [--channels 2] [--root DIR] [--max-sample-bytes N] [--threads auto|N]
                          [--split-voices[=on|auto|off]]

  PATCH           a .syn or .sui script; its PlaybackNode mix is written to OUT.wav (32-bit float)
  --seconds       length to render, in seconds
  --out, -o       the WAV file to write (WavFileNodes in the patch also write their own files)
  --sample-rate   frames per second (default 44100)
  --block-size    frames per render block (default 128)
  --channels      2 (default) for stereo, 1 for mono (the average of left and right)
  --root          folder the patch's file paths (samples, MIDI files, WavFileNode recordings) are
                  relative to and confined to, included patches too (default: the patch's own folder)
  --max-sample-bytes
                  largest sample file a SamplerNode reads (default ${DEFAULT_LIMITS.maxSampleBytes});
                  a larger one is a warning and that sampler is silent
  --threads       threads to render on (default auto: the cores, at most ${MAX_AUTO_THREADS}). Chains that
                  meet only at PlaybackNodes render in parallel when they are large enough to gain;
                  the output is the same on any number of threads. 1 renders on this thread only
  --split-voices  render the voices of a VoicesNode on those threads too; the output is the same.
                  =auto (default): the engine decides, when the voices are heavy (voices x voice nodes
                  >= 1400, and x frames >= 64 x 11 x 256 a block) and a core is free (threads running on
                  the machine when the VoicesNode is built; none when threads waited for a CPU in the
                  last 10 s); it says so when it splits. =on (or bare): whenever it costs >= 512.
                  =off: never`;

/** Bytes a stereo 32-bit float WAV can hold after its header (RIFF sizes are 32-bit). */
const WAV_MAX_FRAMES = Math.floor((0xffffffff - 58) / 8);
/**
 * `--split-voices` when not given: on a quiet 2-core machine auto was never slower by median and gained
 * 1.07–1.22× with the heaviest voices; busy, it chose no split (docs/performance.md, branch vlive).
 */
const DEFAULT_SPLIT_VOICES = 'auto';
/** `--split-voices` values and the ThreadedRenderer `splitVoices` each means. */
const SPLIT_VOICES: Readonly<Record<string, boolean | 'auto'>> = { on: true, auto: 'auto', off: false };
const NUMBER_OPTIONS = new Set(['--seconds', '--sample-rate', '--block-size', '--max-sample-bytes']);

/** `--seconds -1` would read as a missing value followed by an option: join such pairs so the number
 * check below can say what is wrong with it. */
function joinNegativeNumbers(args: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    // A bare --split-voices is `on` (its meaning before it took a value); `--split-voices auto` is read
    // as `=auto`, and any other word after it stays an argument of its own.
    if (args[i] === '--split-voices') {
      const value = next !== undefined && Object.hasOwn(SPLIT_VOICES, next) ? next : 'on';
      joined.push(`--split-voices=${value}`);
      if (value === next) i++;
    } else if (NUMBER_OPTIONS.has(args[i]) && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${args[i]}=${next}`);
      i++;
    } else joined.push(args[i]);
  }
  return joined;
}

function fail(message: string): number {
  process.stderr.write(`synchrotron render: ${message}\n`);
  return 1;
}

function positiveNumber(text: string | undefined, name: string, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new Error(`--${name} is required\n${USAGE}`);
    return fallback;
  }
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--${name} must be a positive number, got \`${text}\``);
  return value;
}

/** Stderr progress bar, shown only once a render has taken more than a second. */
function progressReporter(totalFrames: number, started: number) {
  let lastDraw = 0;
  let shown = false;
  const tty = process.stderr.isTTY;
  return {
    update(frames: number) {
      const now = performance.now();
      if (now - started < 1000 || now - lastDraw < 100) return;
      lastDraw = now;
      shown = true;
      const fraction = frames / totalFrames;
      const width = 30;
      const filled = Math.round(fraction * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
      if (tty) process.stderr.write(`\r${bar}`);
      else if (Math.floor(fraction * 10) !== Math.floor(((frames - 1) / totalFrames) * 10))
        process.stderr.write(`${bar}\n`);
    },
    done() {
      if (shown && tty) process.stderr.write('\r\x1b[K');
    },
  };
}

export async function renderCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let options: ReturnType<typeof parse>;
  const parse = (argv: string[]) =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        seconds: { type: 'string' },
        out: { type: 'string', short: 'o' },
        'sample-rate': { type: 'string' },
        'block-size': { type: 'string' },
        root: { type: 'string' },
        channels: { type: 'string' },
        'max-sample-bytes': { type: 'string' },
        threads: { type: 'string' },
        'split-voices': { type: 'string' },
      },
    });
  try {
    options = parse(joinNegativeNumbers(args));
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
  const [patchPath, ...extra] = options.positionals;
  if (!patchPath) return fail(`a PATCH to render is required\n${USAGE}`);
  if (extra.length > 0)
    return fail(`one PATCH only: unexpected ${extra.map((a) => `\`${a}\``).join(', ')}\n${USAGE}`);
  let seconds: number;
  let sampleRate: number;
  let blockSize: number;
  try {
    seconds = positiveNumber(options.values.seconds, 'seconds');
    sampleRate = positiveNumber(options.values['sample-rate'], 'sample-rate', 44100);
    blockSize = positiveNumber(options.values['block-size'], 'block-size', 128);
  } catch (error) {
    return fail((error as Error).message);
  }
  const maxSampleText = options.values['max-sample-bytes'];
  const maxSampleBytes = maxSampleText === undefined ? DEFAULT_LIMITS.maxSampleBytes : Number(maxSampleText);
  if (!Number.isSafeInteger(maxSampleBytes) || maxSampleBytes < 1)
    return fail(`--max-sample-bytes must be a whole number of bytes, at least 1, got \`${maxSampleText}\``);
  const channelsText = options.values.channels ?? '2';
  if (channelsText !== '1' && channelsText !== '2')
    return fail(`--channels must be 1 (mono) or 2 (stereo), got \`${channelsText}\``);
  const channels = Number(channelsText);
  let threads: number;
  try {
    threads = threadsOption(options.values.threads);
  } catch (error) {
    return fail((error as Error).message);
  }
  const splitText = options.values['split-voices'] ?? DEFAULT_SPLIT_VOICES;
  if (!Object.hasOwn(SPLIT_VOICES, splitText))
    return fail(`--split-voices must be on, auto or off, got \`${splitText}\``);
  const splitVoices = SPLIT_VOICES[splitText];
  const outPath = options.values.out;
  if (!outPath) return fail(`--out is required\n${USAGE}`);
  const totalFrames = Math.round(seconds * sampleRate);
  if (totalFrames < 1) return fail(`--seconds ${seconds} is less than one frame at ${sampleRate} Hz`);
  if (totalFrames > WAV_MAX_FRAMES) {
    return fail(
      `--seconds ${seconds} is too long: a WAV file holds at most ${Math.floor(WAV_MAX_FRAMES / sampleRate)} s of stereo float audio at ${sampleRate} Hz (4 GiB)`,
    );
  }
  if (resolve(outPath) === resolve(patchPath))
    return fail(`--out ${outPath} would overwrite the patch itself`);
  const outFolder = dirname(resolve(outPath));
  if (!existsSync(outFolder)) return fail(`cannot write ${outPath}: the folder ${outFolder} does not exist`);
  if (existsSync(outPath) && statSync(outPath).isDirectory())
    return fail(`cannot write ${outPath}: it is a folder; give a file name, e.g. ${outPath}/out.wav`);

  const read = await readPatchFile(patchPath);
  if ('error' in read) return fail(`cannot read ${patchPath}: ${read.error}`);
  const { text } = read;

  // SPEC §5: paths a patch names are relative to its own folder (or --root) and never leave it.
  const root = resolve(options.values.root ?? dirname(resolve(patchPath)));
  if (!existsSync(root) || !statSync(root).isDirectory()) return fail(`--root ${root} is not a folder`);
  decodeKernelsNatively();
  let engine: Synchrotron;
  try {
    engine = new Synchrotron({
      sampleRate,
      blockSize,
      host: createNodeHost({ root, limits: { maxSampleBytes } }),
      createRenderer:
        threads > 1
          ? (rendererOptions) =>
              new ThreadedRenderer({
                ...rendererOptions,
                threads,
                splitVoices,
              })
          : undefined,
    });
  } catch (error) {
    return fail((error as Error).message);
  }
  engine.onEvent((event) => {
    if (event.kind === 'fault' || event.kind === 'warning')
      process.stderr.write(`${event.kind}: ${event.node}: ${event.message}\n`); // which node: a patch has many
    if (event.kind === 'debug') process.stderr.write(`debug ${event.node}: ${JSON.stringify(event.value)}\n`);
  });
  try {
    engine.execute(parseSui(text).script);
  } catch (error) {
    if (error instanceof SynchrolangError) {
      process.stderr.write(`${formatError(error, text, patchPath)}\n`);
      return 1;
    }
    return fail((error as Error).message);
  }
  // Files that structural inputs name (MIDI files, samples) are read before the first block, so a render
  // is the same every time.
  await engine.ready();
  if (!engine.graph.nodes().some((node) => node.type === 'PlaybackNode'))
    process.stderr.write(`warning: ${patchPath} has no PlaybackNode, so ${outPath} will be silent\n`);

  let writer: ReturnType<typeof createWavWriter>;
  try {
    writer = createWavWriter(resolve(outPath), sampleRate, channels);
  } catch (error) {
    return fail(`cannot write ${outPath}: ${(error as Error).message}`);
  }

  const mono = new Float32Array(blockSize);
  engine.start();
  const started = performance.now();
  const progress = progressReporter(totalFrames, started);
  let done = 0;
  try {
    while (done < totalFrames) {
      const { left, right } = engine.renderBlock();
      const frames = Math.min(blockSize, totalFrames - done);
      if (channels === 2) writer.writeChannels(left, right, frames);
      else {
        for (let i = 0; i < frames; i++) mono[i] = 0.5 * (left[i] + right[i]);
        writer.write(mono, frames);
      }
      done += frames;
      progress.update(done);
    }
  } finally {
    const elapsed = (performance.now() - started) / 1000;
    // Said, since with --split-voices=auto the engine decides by the machine.
    const split = engine.renderer instanceof ThreadedRenderer ? engine.renderer.splitVoicesNodes : 0;
    progress.done();
    engine.stop();
    engine.dispose();
    writer.close();
    const rendered = done / sampleRate;
    process.stderr.write(
      `rendered ${rendered.toFixed(2)} s in ${elapsed.toFixed(2)} s (${(rendered / Math.max(elapsed, 1e-9)).toFixed(1)}x realtime${split > 0 ? `; voices of ${split} VoicesNode${split > 1 ? 's' : ''} on worker threads too` : ''})\n`,
    );
  }
  return 0;
}
