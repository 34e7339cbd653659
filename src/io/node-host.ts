// The RenderHost for Node.js: the services nodes may use outside the pure DSP core — WAV files under a
// root directory (and, added beside them, MIDI ports). The server, the render CLI and tests create one.

import { resolve } from 'node:path';
import { decodeCompressedAudio } from '../dsp/audio-decoders.js';
import type { RenderHost, WavWriter } from '../engine/definition.js';
import type { Limits } from '../engine/limits.js';
import { audioInputHost } from './audio-input.js';
import { type MidiHostOptions, type MidiHostServices, midiHostServices } from './midi-host.js';
import { type OscHostOptions, type OscHostServices, oscHostServices } from './osc-host.js';
import { FileGuard, type FileRecord, readFileInside, readFileInsideSync } from './secure-files.js';
import { DEFAULT_LIMITS } from './security.js';
import { wavWriterForFile } from './wav-writer.js';

// Where other modules used to find these (the rules themselves live in src/io/security.ts).
export { readFileInside, readFileInsideSync } from './secure-files.js';
export { resolveInside } from './security.js';

export interface NodeHostOptions {
  /** Directory that WavFileNode paths are resolved against and may not leave (default: process.cwd()). */
  root?: string;
  /** Name of the audio device PlaybackNodes reach ('none' by default). */
  deviceName?: string;
  /** MIDI inputs: virtual port 0 plus hardware (`{hardware: false}` skips the native library). */
  midi?: MidiHostOptions;
  /** Files open at once, bytes per recording and per sample file (default: the server's DEFAULT_LIMITS). */
  limits?: Partial<Pick<Limits, 'maxOpenFiles' | 'maxRecordBytes' | 'maxSampleBytes'>>;
  /** OSC: OscReceiveNodes always listen; OscSendNodes send only with a `destination` rule (the server). */
  osc?: OscHostOptions;
  /** Paths nodes may never write (the --session file). */
  reserved?: readonly string[];
  /** The server's records of files it wrote, from a previous render worker (see FileRecord). */
  knownFiles?: ReadonlyArray<readonly [string, FileRecord]>;
  /** Told of every change to those records, to hand them to a later render worker. */
  onFileRecord?: (target: string, record: FileRecord) => void;
  /**
   * Live audio input (AudioInputNode) from the machine's capture device: the server's render worker turns
   * it on; offline renders and library engines leave it off, and AudioInputNode plays silence there.
   */
  audioInput?: boolean;
}

export type NodeRenderHost = RenderHost &
  MidiHostServices &
  OscHostServices & {
    /** Takes a previous render worker was writing and no node continued become ordinary files of ours. */
    settleResumedFiles(): void;
  };

export function createNodeHost(options: NodeHostOptions = {}): NodeRenderHost {
  const root = resolve(options.root ?? process.cwd());
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const files = new FileGuard({
    root,
    maxOpenFiles: limits.maxOpenFiles,
    reserved: options.reserved,
    known: options.knownFiles,
    onRecord: options.onFileRecord,
  });
  const host: NodeRenderHost = {
    settleResumedFiles: () => files.settleResumable(),
    deviceName: options.deviceName ?? 'none',
    // Render side (WavFileNode opens on its first block): the guard's checks, then a streaming writer.
    openWav(path: string, sampleRate: number): WavWriter {
      return wavWriterForFile(files.openForWriting(path), sampleRate, 1, {
        maxDataBytes: limits.maxRecordBytes,
      });
    },
    readFile: (path, readOptions) => readFileInside(root, path, readOptions),
    maxSampleBytes: limits.maxSampleBytes,
    decodeAudio: decodeCompressedAudio,
    ...audioInputHost({
      enabled: options.audioInput ?? false,
      disabledReason: 'live input is not available in an offline render or a library engine: silence',
    }),
    // Control side: patch files (PatchNode, VoicesNode), read while the script naming them runs.
    readFileSync: (path, readOptions) => readFileInsideSync(root, path, readOptions),
    // MIDI: virtualMidi, midiPorts(), openMidiInput(), closeMidi() (src/io/midi-host.ts).
    ...midiHostServices(options.midi),
    // OSC: oscIn, openOscInput(), openOscOutput(), flushOsc(), closeOsc() (src/io/osc-host.ts).
    ...oscHostServices(options.osc),
  };
  return host;
}
