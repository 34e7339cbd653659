// Live audio input for the Node render host (AudioInputNode in the server): a capture device opened through
// node-web-audio-api (the optional package the server already plays through): getUserMedia gives a
// MediaStream, a MediaStreamAudioSourceNode plays it into a ScriptProcessorNode on a context with no output
// ('none' sink), whose callback — on this same thread, between render ticks — writes an AudioInputRing. The
// render loop reads the ring block by block and never waits. One capture per device, shared by every
// AudioInputNode that asks for it; closed when the last one goes.
//
// Where there is no device (machines without a sound system, as CI) or no package, opening answers why, so
// the node warns once and plays silence. Thread: render side (the render worker), except the async setup.

import type { AudioInputSource } from '../engine/definition.js';
import type { DataValue } from '../engine/types.js';
import { AudioInputRing } from './audio-input-ring.js';
import { probablyHasAudioDevice } from './audio-output.js';

/** Frames per capture callback (ScriptProcessorNode buffer). */
const CAPTURE_CHUNK = 1024;
/** Most delay a reader keeps before skipping ahead (s). */
const MAX_LATENCY_SECONDS = 0.1;

// The slice of node-web-audio-api used here (it mirrors the Web Audio API).
interface CaptureContext {
  readonly destination: unknown;
  createScriptProcessor(
    bufferSize: number,
    inputs: number,
    outputs: number,
  ): {
    onaudioprocess:
      | ((event: {
          inputBuffer: { numberOfChannels: number; getChannelData(channel: number): Float32Array };
        }) => void)
      | null;
    connect(destination: unknown): void;
    disconnect(): void;
  };
  close(): Promise<void>;
}
interface CaptureModule {
  AudioContext: new (options?: Record<string, unknown>) => CaptureContext;
  MediaStreamAudioSourceNode: new (
    context: CaptureContext,
    options: { mediaStream: unknown },
  ) => { connect(destination: unknown): void; disconnect(): void };
  mediaDevices: {
    getUserMedia(constraints: { audio: boolean | { deviceId: string } }): Promise<unknown>;
    enumerateDevices(): Promise<Array<{ kind: string; label: string; deviceId: string }>>;
  };
}

interface Capture {
  ring: AudioInputRing;
  close(): void;
}

export interface AudioInputHost {
  openAudioInput(
    device: DataValue,
    options: { sampleRate: number; blockSize: number },
  ): AudioInputSource | string;
}

/** The capture service of a Node host: `enabled` false answers every request with `disabledReason`. */
export function audioInputHost(options: { enabled: boolean; disabledReason?: string }): AudioInputHost {
  const captures = new Map<string, Capture>();
  return {
    openAudioInput(device, { sampleRate, blockSize }) {
      if (!options.enabled) {
        return options.disabledReason ?? 'this engine has no live audio input (an offline render): silence';
      }
      if (device !== null && typeof device !== 'string' && typeof device !== 'number') {
        return `\`device\` must be a device name or number, or null for the default input; got ${JSON.stringify(device)}`;
      }
      if (!probablyHasAudioDevice()) {
        return 'no audio input device on this machine (no sound system: /proc/asound, PulseAudio or PipeWire)';
      }
      const key = `${sampleRate}:${device === null ? '' : String(device)}`;
      let capture = captures.get(key);
      if (!capture) {
        capture = openCapture(device, sampleRate);
        captures.set(key, capture);
      }
      const opened = capture;
      return opened.ring.reader(
        blockSize + CAPTURE_CHUNK,
        Math.round(MAX_LATENCY_SECONDS * sampleRate),
        () => {
          opened.close();
          captures.delete(key);
        },
      );
    },
  };
}

/** Starts capturing (async); the ring is silent until the device delivers, and says why if it never does. */
function openCapture(device: string | number | null, sampleRate: number): Capture {
  const ring = new AudioInputRing(sampleRate);
  let closed = false;
  let release: (() => void) | undefined;
  (async () => {
    const specifier = 'node-web-audio-api';
    let webAudio: CaptureModule;
    try {
      webAudio = (await import(specifier)) as CaptureModule;
    } catch (error) {
      throw new Error(`the optional package node-web-audio-api does not load here (${messageOf(error)})`);
    }
    let deviceId: string | undefined;
    if (device !== null) {
      const inputs = (await webAudio.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'audioinput');
      const wanted = String(device).toLowerCase();
      const found =
        typeof device === 'number'
          ? inputs[device]
          : (inputs.find((d) => d.deviceId === device || d.label.toLowerCase() === wanted) ??
            inputs.find((d) => d.label.toLowerCase().includes(wanted)));
      if (!found) {
        const names = inputs.map((d, i) => `${i} "${d.label}"`).join(', ') || 'none';
        throw new Error(`no audio input ${JSON.stringify(device)} (inputs: ${names})`);
      }
      deviceId = found.deviceId;
    }
    const stream = await webAudio.mediaDevices.getUserMedia({ audio: deviceId ? { deviceId } : true });
    if (closed) return;
    const context = new webAudio.AudioContext({ sampleRate, sinkId: 'none', latencyHint: 'interactive' });
    const source = new webAudio.MediaStreamAudioSourceNode(context, { mediaStream: stream });
    const processor = context.createScriptProcessor(CAPTURE_CHUNK, 2, 2);
    processor.onaudioprocess = (event) => {
      const input = event.inputBuffer;
      const left = input.getChannelData(0);
      ring.write(left, input.numberOfChannels > 1 ? input.getChannelData(1) : null, left.length);
    };
    source.connect(processor);
    processor.connect(context.destination);
    release = () => {
      processor.onaudioprocess = null;
      source.disconnect();
      processor.disconnect();
      void context.close().catch(() => {});
    };
  })().catch((error: unknown) => ring.fail(`the audio input could not be opened: ${messageOf(error)}`));
  return {
    ring,
    close() {
      closed = true;
      release?.();
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
