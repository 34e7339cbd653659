// Local mode: the engine runs in this page (src/browser: the control side here, the render loop in an
// AudioWorklet), with no server. Its HTTP routes are answered by `localApi` (the same JSON shapes, errors
// turned into ApiErrors with the HTTP status the server would give) and its events arrive as the server's
// /ws messages, so the rest of the editor cannot tell the difference. Files nodes read (MidiFileNode …)
// live in the browser's IndexedDB; recordings and offline renders come back as WAV files.
//
// No cross-origin isolation is needed (no SharedArrayBuffer): the page and the worklet talk by messages.

import type { ClientMessage, ScopeWatch, ServerMessage } from '../../src/api/protocol.js';
import {
  type BrowserEngine,
  createBrowserEngine,
  type FileStore,
  IndexedDbFileStore,
  type LocalApi,
  localApi,
  type OfflineProgress,
  STATUS_OF_CODE,
  SynchrotronError,
} from '../../src/browser/index.js';
// Each built by Vite into one file of its own (see vite.config.ts, `worker.format`).
import offlineWorkerUrl from '../../src/browser/offline-worker.ts?worker&url';
import workletUrl from '../../src/browser/worklet.ts?worker&url';
import { ApiError, type ScriptResult } from './api';
import type { Backend, EngineApi, EventHandlers, ListenSource, Take } from './backend';
import { filesChanged } from './components/Files';
import { encodeWav } from './recorder';

/** An error of the engine as the server would have answered it. */
function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof SynchrotronError) {
    const body = { detail: error.message, code: error.code, ...error.details };
    return new ApiError(STATUS_OF_CODE[error.code] ?? 500, error.message, body);
  }
  return new ApiError(500, (error as Error)?.message ?? String(error), null);
}

export class LocalBackend implements Backend {
  readonly mode = 'local';
  readonly where = 'this page';
  readonly api: EngineApi;
  /** Files nodes read, and recordings (IndexedDB, kept across visits). */
  readonly files: FileStore = new IndexedDbFileStore();
  /** The engine, once made (for the devtools console and tests: also `window.synchrotron.engine`). */
  engine: BrowserEngine | null = null;
  private readonly ready: Promise<{ engine: BrowserEngine; routes: LocalApi }>;
  private resolveReady!: (value: { engine: BrowserEngine; routes: LocalApi }) => void;
  private rejectReady!: (error: Error) => void;
  private started = false;
  private handlers: EventHandlers | null = null;
  /** The engine's output as Listen takes it (the engine also feeds a silent path that keeps it running). */
  private tap: GainNode | null = null;

  constructor() {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    // Every route waits for the engine and answers as the server would (errors as ApiErrors).
    const route =
      <A extends unknown[], T>(call: (routes: LocalApi, ...args: A) => Promise<T>) =>
      async (...args: A): Promise<T> => {
        const { routes } = await this.ready.catch((error: Error) => {
          throw new ApiError(0, `the engine in this page did not start (${error.message})`, null);
        });
        try {
          return await call(routes, ...args);
        } catch (error) {
          throw asApiError(error);
        }
      };
    this.api = {
      types: route((r) => r.types()),
      status: route((r) => r.status()),
      nodes: route((r) => r.nodes()),
      connections: route((r) => r.connections()),
      addNode: route((r, type: string, name?: string) => r.addNode(type, name)),
      removeNode: route((r, name: string) => r.removeNode(name)),
      renameNode: route((r, name: string, to: string) => r.renameNode(name, to)),
      setValue: route((r, name: string, value: unknown) => r.setValue(name, value)),
      link: route((r, c) => r.link(c)),
      unlink: route((r, c) => r.unlink(c)),
      start: route((r) => r.start()),
      stop: route((r) => r.stop()),
      exportScript: route((r) => r.exportScript()),
      execute: route((r, script: string) => r.execute(script) as Promise<ScriptResult>),
      innerPatch: route(async (_r, name: string) => {
        throw new ApiError(
          404,
          `the engine in this page plays no patch files, so \`${name}\` has no inside to show here (PatchNode and VoicesNode play on a server)`,
          null,
        );
      }),
      patchFile: route(async (_r, path: string) => {
        throw new ApiError(
          404,
          `the engine in this page plays no patch files, so \`${path}\` cannot be opened here (PatchNode and VoicesNode play on a server)`,
          null,
        );
      }),
    };
  }

  connect(handlers: EventHandlers) {
    if (this.started) return;
    this.started = true;
    void this.start(handlers);
  }

  private async start(handlers: EventHandlers) {
    this.handlers = handlers;
    let engine: BrowserEngine;
    try {
      // Made now, suspended until a click (Start, Listen, a key) resumes it: browsers require a gesture.
      const context = new AudioContext({ latencyHint: 'interactive' });
      engine = await createBrowserEngine(context, {
        files: this.files,
        connect: false,
        saveRecordings: false, // kept below, then the Files list is told
        workletUrl,
        offlineWorkerUrl,
      });
      // A silent path to the speakers keeps the worklet pulled (scopes and meters run while not listening).
      const silent = new GainNode(context, { gain: 0 });
      engine.node.connect(silent).connect(context.destination);
      this.tap = new GainNode(context, { gain: 1 });
      engine.node.connect(this.tap);
    } catch (error) {
      this.rejectReady(error as Error);
      handlers.message({
        type: 'fault',
        node: '',
        message: `the engine cannot run in this page: ${(error as Error).message}`,
      });
      handlers.close(false);
      return;
    }
    this.engine = engine;
    (window as unknown as { synchrotron?: unknown }).synchrotron = { engine, backend: this };
    engine.onMessage((message: ServerMessage) => {
      handlers.message(message);
      if (message.type === 'nodeAdded' || message.type === 'nodeRemoved') this.followMicrophone();
    });
    // A WavFileNode's finished recording is kept with the other files, to download from the Files list.
    engine.onRecording((recording) => {
      this.files
        .put(recording.path, recording.blob, 'audio/wav')
        .then(() => {
          filesChanged();
          handlers.notice(
            `Recording ${recording.path} finished (${(recording.frames / recording.sampleRate).toFixed(1)} s): download it from Files.`,
          );
        })
        .catch((error: Error) =>
          handlers.message({
            type: 'warning',
            node: '',
            message: `recording \`${recording.path}\` could not be kept in this browser: ${error.message}`,
          }),
        );
    });
    this.resolveReady({ engine, routes: localApi(engine) });
    handlers.open();
    handlers.message(engine.hello());
  }

  isOpen() {
    return this.engine !== null;
  }

  /** Releases the microphone; set while it is connected. */
  private microphone: Promise<(() => void) | null> | null = null;

  /**
   * AudioInputNode hears the page's microphone: asked for when the first one appears (the browser asks
   * the user), released when the last one goes.
   */
  private followMicrophone() {
    const engine = this.engine;
    if (!engine) return;
    const inputs = engine.graph.nodes().filter((node) => node.type === 'AudioInputNode');
    if (inputs.length > 0 && !this.microphone) {
      const name = inputs[0].name;
      // An instrument, not a call: no echo cancellation, noise suppression or automatic gain.
      // biome-ignore lint/correctness/useHookAtTopLevel: a method of the browser engine, not a React hook
      this.microphone = engine
        .useMicrophone({ echoCancellation: false, noiseSuppression: false, autoGainControl: false })
        .then(
          (release) => {
            this.handlers?.notice(`${name}: the microphone is connected`);
            return release;
          },
          (error: Error) => {
            this.handlers?.message({ type: 'fault', node: name, message: error.message });
            this.microphone = null;
            return null;
          },
        );
    } else if (inputs.length === 0 && this.microphone) {
      const releasing = this.microphone;
      this.microphone = null;
      void releasing.then((release) => release?.());
    }
  }

  /** The ClientMessages of /ws, answered by the engine in the page. */
  send(message: ClientMessage): boolean {
    const engine = this.engine;
    if (!engine) return false;
    switch (message.type) {
      case 'watch': {
        const ports: ScopeWatch[] = Array.isArray(message.ports) ? message.ports : [];
        const views = ports.map((p) => ({
          port: { node: p.node_name, port: p.port_name },
          ...(p.seconds === undefined ? {} : { seconds: p.seconds }),
          ...(p.trigger ? { trigger: p.trigger } : {}),
        }));
        // Ports that are not (or no longer) stream outputs are left out, as the server leaves them.
        const valid = views.filter((v) => {
          try {
            return engine.graph.port(v.port, 'output').kind === 'stream';
          } catch {
            return false;
          }
        });
        engine.watch([], { spectrum: message.spectrum === true, master: true, views: valid.slice(0, 64) });
        return true;
      }
      case 'execute': {
        const answer = (): ServerMessage => {
          try {
            const result = engine.execute(message.script);
            return { type: 'result', id: message.id, ok: true, results: result.results, text: result.text };
          } catch (error) {
            const e = asApiError(error);
            return { type: 'result', id: message.id, ok: false, error: e.body ?? { detail: e.message } };
          }
        };
        // Answered after the script's own change messages, as the server's socket does.
        const result = answer();
        queueMicrotask(() => this.handlers?.message(result));
        return true;
      }
      case 'midi':
        try {
          engine.midi(message.data, message.time);
        } catch {
          // not MIDI: the server drops it too (and says so only to a console)
        }
        return true;
      default:
        return false;
    }
  }

  async listen(): Promise<ListenSource> {
    const { engine } = await this.ready;
    const context = engine.context as AudioContext;
    await context.resume().catch(() => undefined);
    const tap = this.tap!;
    const output = new GainNode(context, { gain: 1 });
    tap.connect(output);
    return {
      context,
      output,
      stop: async () => {
        tap.disconnect(output);
        output.disconnect();
      },
    };
  }

  record(onEnd: (reason: string) => void): Take {
    const engine = this.engine;
    if (!engine) throw new Error('the engine in this page has not started');
    const context = engine.context as AudioContext;
    const begun = context.currentTime;
    const recorder = engine.record();
    // The page's recorder ends only when stopped (its length limit is MAX_RECORDING_SECONDS).
    void onEnd;
    return {
      seconds: () => context.currentTime - begun,
      stop: async () => {
        const { left, right } = await recorder.stopSamples();
        const seconds = left.length / engine.sampleRate;
        if (!left.length) return { wav: null, seconds: 0 };
        const interleaved = new Float32Array(left.length * 2);
        for (let i = 0; i < left.length; i++) {
          interleaved[2 * i] = left[i];
          interleaved[2 * i + 1] = right[i];
        }
        return { wav: encodeWav(interleaved, engine.sampleRate), seconds };
      },
    };
  }

  /** Renders the current graph offline in a worker, faster than real time, into a stereo WAV. */
  async renderOffline(
    seconds: number,
    onProgress: (progress: OfflineProgress) => void,
    signal: AbortSignal,
  ): Promise<{ wav: Blob; elapsedMs: number }> {
    const { engine } = await this.ready;
    const result = await engine.renderOffline({ seconds, onProgress, signal });
    return { wav: result.wav, elapsedMs: result.elapsedMs };
  }
}
