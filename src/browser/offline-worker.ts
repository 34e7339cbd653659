// The offline render worker (built to dist/browser/synchrotron-offline-worker.js, a module worker): renders
// a patch faster than real time off the page's thread and sends the audio back. Files come from the page's
// file store by message, so any FileStore the engine was given works here too.
// The same file is also imported as a module by the page for a render on its own thread (offline.ts,
// `worker: false`): it then only exports the renderer and listens to nothing.

import type { RenderEvent } from '../engine/renderer.js';
import { deserializeError, serializeError } from './errors.js';
import type { FromOfflineWorker, ToOfflineWorker } from './messages.js';
import { renderScriptOffline } from './offline-render.js';

export { renderScriptOffline };

interface WorkerScope {
  postMessage(message: FromOfflineWorker, transfer?: ArrayBuffer[]): void;
  onmessage: ((event: { data: ToOfflineWorker }) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
const pendingFiles = new Map<number, { resolve(bytes: Uint8Array): void; reject(error: Error): void }>();
let nextFileId = 1;
let busy = false;

function readFile(path: string, options: { maxBytes?: number } = {}): Promise<Uint8Array> {
  const id = nextFileId++;
  return new Promise((resolve, reject) => {
    pendingFiles.set(id, { resolve, reject });
    scope.postMessage({ kind: 'readFile', id, path, maxBytes: options.maxBytes });
  });
}

async function render(message: Extract<ToOfflineWorker, { kind: 'render' }>): Promise<void> {
  if (busy) {
    scope.postMessage({
      kind: 'failed',
      error: { code: 'invalid', message: 'this worker is already rendering', details: {} },
    });
    return;
  }
  busy = true;
  try {
    const result = await renderScriptOffline(
      message.script,
      { seconds: message.seconds, sampleRate: message.sampleRate, blockSize: message.blockSize },
      {
        readFile,
        onProgress: (frames, totalFrames) => scope.postMessage({ kind: 'progress', frames, totalFrames }),
        onEvent: (event) => scope.postMessage({ kind: 'event', event: plainEvent(event) }),
      },
    );
    const transfer = [
      ...result.chunks.map((chunk) => chunk.buffer as ArrayBuffer),
      ...result.recordings.flatMap((recording) => recording.chunks.map((c) => c.buffer as ArrayBuffer)),
    ];
    scope.postMessage({ kind: 'done', ...result }, transfer);
  } catch (error) {
    scope.postMessage({ kind: 'failed', error: serializeError(error) });
  } finally {
    busy = false;
  }
}

/** Debug values may hold a live Float32Array view of a block: send a copy as plain numbers. */
function plainEvent(event: RenderEvent): RenderEvent {
  if (event.kind === 'debug' && ArrayBuffer.isView(event.value))
    return { ...event, value: Array.from(event.value as Float32Array) };
  return event;
}

/** Loaded by `new Worker`, not imported by a page (whose `onmessage` is the window's). */
const inWorker =
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'function' &&
  globalThis instanceof (globalThis as unknown as { WorkerGlobalScope: new () => object }).WorkerGlobalScope;

if (inWorker)
  scope.onmessage = (event) => {
    const message = event.data;
    if (message.kind === 'render') void render(message);
    else if (message.kind === 'file') {
      const pending = pendingFiles.get(message.id);
      pendingFiles.delete(message.id);
      if (!pending) return;
      if (message.bytes) pending.resolve(message.bytes);
      else pending.reject(deserializeError(message.error ?? { code: 'io', message: 'no file', details: {} }));
    }
  };
