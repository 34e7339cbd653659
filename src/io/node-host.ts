// The RenderHost for Node.js: the services nodes may use outside the pure DSP core — WAV files under a
// root directory (and, added beside them, MIDI ports). The server, the render CLI and tests create one.

import { constants, existsSync, lstatSync, realpathSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { RenderHost, WavWriter } from '../engine/definition.js';
import { SynchrotronError } from '../engine/errors.js';
import { type MidiHostOptions, type MidiHostServices, midiHostServices } from './midi-host.js';
import { createWavWriter } from './wav-writer.js';

export interface NodeHostOptions {
  /** Directory that WavFileNode paths are resolved against and may not leave (default: process.cwd()). */
  root?: string;
  /** Name of the audio device PlaybackNodes reach ('none' by default). */
  deviceName?: string;
  /** MIDI inputs: virtual port 0 plus hardware (`{hardware: false}` skips the native library). */
  midi?: MidiHostOptions;
}

export function createNodeHost(options: NodeHostOptions = {}): RenderHost & MidiHostServices {
  const root = resolve(options.root ?? process.cwd());
  const host: RenderHost & MidiHostServices = {
    deviceName: options.deviceName ?? 'none',
    openWav(path: string, sampleRate: number): WavWriter {
      return createWavWriter(resolveInside(root, path), sampleRate, 1);
    },
    readFile: (path, options) => readFileInside(root, path, options),
    // MIDI: virtualMidi, midiPorts(), openMidiInput(), closeMidi() (src/io/midi-host.ts).
    ...midiHostServices(options.midi),
  };
  return host;
}

/**
 * Reads a whole file inside `root` (control side: a node's `prepare`). Opened non-blocking, so a FIFO
 * cannot hang the read; refused unless a regular file; the size is checked before anything is read.
 */
export async function readFileInside(
  root: string,
  path: string,
  options: { maxBytes?: number } = {},
): Promise<Uint8Array> {
  const target = resolveInside(resolve(root), path);
  const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    file = await open(target, constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = await file.stat();
    if (!stats.isFile()) throw new Error('not a regular file');
    if (stats.size > maxBytes)
      throw new Error(`${stats.size} bytes is larger than the limit of ${maxBytes} bytes`);
    return await file.readFile();
  } catch (error) {
    throw new SynchrotronError('io', `cannot read \`${path}\`: ${(error as Error).message}`);
  } finally {
    await file?.close();
  }
}

/**
 * `path` resolved against `root`; refused with a clear error when it would leave root — through `..`,
 * an absolute path elsewhere, or a symbolic link (in the directories or the file itself) pointing out.
 */
export function resolveInside(root: string, path: string): string {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new SynchrotronError('invalid', 'a file path must be a non-empty string');
  }
  if (path.includes('\0'))
    throw new SynchrotronError('invalid', 'a file path may not contain NUL characters');
  const target = resolve(root, path);
  if (!inside(root, target)) {
    throw new SynchrotronError('invalid', `file path \`${path}\` leaves the allowed directory ${root}`, {
      root,
    });
  }
  // Follow links: the real directory must still be inside the real root.
  const realRoot = existsSync(root) ? realpathSync(root) : root;
  const parent = dirname(target);
  if (!existsSync(parent)) {
    throw new SynchrotronError('io', `cannot write \`${path}\`: the directory ${parent} does not exist`);
  }
  const realParent = realpathSync(parent);
  if (realParent !== realRoot && !inside(realRoot, realParent)) {
    throw new SynchrotronError(
      'invalid',
      `file path \`${path}\` leaves the allowed directory ${root} through a link`,
      { root },
    );
  }
  const realTarget = resolve(realParent, target.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
  let stats: ReturnType<typeof lstatSync> | undefined;
  try {
    stats = lstatSync(realTarget);
  } catch {
    stats = undefined; // a new file
  }
  if (stats?.isSymbolicLink()) {
    let linked: string | undefined;
    try {
      linked = realpathSync(realTarget);
    } catch {
      linked = undefined; // a dangling link: writing would create its target, wherever that is
    }
    if (linked === undefined || !inside(realRoot, linked)) {
      throw new SynchrotronError('invalid', `file path \`${path}\` is a link leading out of ${root}`, {
        root,
      });
    }
  }
  if (stats?.isDirectory()) throw new SynchrotronError('invalid', `file path \`${path}\` is a directory`);
  return realTarget;
}

function inside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
