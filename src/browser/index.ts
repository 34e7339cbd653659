// The browser entry of the package (`synchrotron/browser`, built to dist/browser/synchrotron-browser.js):
// the engine in a web page, on an AudioContext, with nothing installed and no server.
//
//   const engine = await createBrowserEngine(new AudioContext());
//   engine.execute('new 440 f; new SineNode s; new PlaybackNode out; link f.out -> s.frequency; …');
//   engine.start();
//
// See docs/browser.md.

export type { ApiConnection, ApiNode, ApiPort, EngineStatus, ServerMessage } from '../api/protocol.js';
export { SynchrotronError } from '../engine/errors.js';
export type { NodeTypeInfo } from '../engine/registry.js';
export type { RenderEvent } from '../engine/renderer.js';
export type { TapReport } from '../engine/taps.js';
export type { DataValue, PortRef } from '../engine/types.js';
export type { CommandResult, ExecuteResult } from '../lang/index.js';
export { formatError, parseSui, SynchrolangError } from '../lang/index.js';
export {
  type AppliedBatch,
  BrowserEngine,
  type BrowserEngineOptions,
  createBrowserEngine,
  MAX_WATCHED_PORTS,
  type MasterRecorder,
  type Recording,
} from './engine.js';
export { normalizeFileName } from './file-names.js';
export {
  type FileStore,
  IndexedDbFileStore,
  MAX_STORED_FILE_BYTES,
  MemoryFileStore,
  type StoredFileInfo,
} from './file-store.js';
export { type LocalApi, localApi, STATUS_OF_CODE } from './local-api.js';
export {
  type OfflineProgress,
  type OfflineRecording,
  type OfflineRenderResult,
  type RenderOfflineOptions,
  renderOffline,
} from './offline.js';
export { MAX_OFFLINE_BYTES, MAX_RECORDING_SECONDS } from './offline-limits.js';
export { decodeWav, WavAssembler } from './wav.js';
export type { WebMidiOptions } from './web-midi.js';
