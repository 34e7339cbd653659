// The one interface the editor talks to: an engine, wherever it runs. Two implementations, chosen when the
// page opens:
//   - server mode (server-backend.ts): a Synchrotron server's HTTP API, its /ws events and /ws/audio;
//   - local mode (local-backend.ts): the engine running in this page (src/browser, an AudioWorklet), its
//     HTTP calls answered by `localApi` and its events delivered as the same ServerMessages.
// Everything else in web/src goes through `api`, `backend()` and the store, never to either directly.
//
// Which mode: `?local` → local; `?server=URL` → that server; otherwise the page's own origin if a server
// answers there (GET /status), else local — so the built editor on any static host plays by itself.

import type { ClientMessage, ServerMessage } from '../../src/api/protocol.js';
import type { FileStore, OfflineProgress } from '../../src/browser/index.js';
import type { ApiConnection, ApiNode, EngineStatus, InnerPatch, NodeTypeInfo, ScriptResult } from './api';

/** The engine's routes (SPEC §4 and the value/rename routes), as promises of the API's JSON shapes. */
export interface EngineApi {
  types(): Promise<NodeTypeInfo[]>;
  status(): Promise<EngineStatus>;
  nodes(): Promise<ApiNode[]>;
  connections(): Promise<ApiConnection[]>;
  addNode(type: string, name?: string): Promise<ApiNode>;
  removeNode(name: string): Promise<ApiNode>;
  renameNode(name: string, to: string): Promise<ApiNode>;
  setValue(name: string, value: unknown): Promise<ApiNode>;
  link(connection: ApiConnection): Promise<ApiConnection>;
  unlink(connection: ApiConnection): Promise<ApiConnection | null>;
  start(): Promise<null>;
  stop(): Promise<null>;
  exportScript(): Promise<string>;
  /** Runs a script: each command's result, or an ApiError with line/column. */
  execute(script: string): Promise<ScriptResult>;
  /** The inner graph of the patch file a PatchNode or VoicesNode plays (GET /nodes/{name}/patch). */
  innerPatch(name: string): Promise<InnerPatch>;
  /** A patch file's inner graph by its path relative to the root (GET /patches?path=…): nested patches. */
  patchFile(path: string): Promise<InnerPatch>;
  /** Node positions the server keeps with its session (GET/PUT /positions) — server mode only. */
  positions?(): Promise<Record<string, { x: number; y: number }>>;
  setPositions?(positions: Record<string, { x: number; y: number }>): Promise<unknown>;
}

export interface EventHandlers {
  open(): void;
  message(message: ServerMessage): void;
  /** The channel closed; `retrying` when it will reopen by itself. */
  close(retrying: boolean): void;
  /** Something the user should know that is not an engine message (the microphone connected …). */
  notice(text: string): void;
}

/** Where the master output can be heard: an AudioNode on a context of the page. */
export interface ListenSource {
  context: AudioContext;
  output: AudioNode;
  /** Disconnects (server mode: also closes its context). */
  stop(): Promise<void>;
  /** Network stream health (server mode only). */
  stats?(): { buffered: number; underflows: number } | null;
}

/** A recording of the master output in progress. */
export interface Take {
  /** Seconds recorded so far. */
  seconds(): number;
  /** Stops; resolves to a stereo float WAV (null: nothing recorded) and a note for the user. */
  stop(): Promise<{ wav: Blob | null; seconds: number; note?: string }>;
  /** Called if the take ends by itself (a server that went away), with why. */
  onEnd?: (reason: string) => void;
}

export interface Backend {
  readonly mode: 'server' | 'local';
  /** Shown in the top bar: the server's address, or "this page". */
  readonly where: string;
  readonly api: EngineApi;
  /** Opens the event channel (server: /ws, reopened when it drops; local: the engine's messages). */
  connect(handlers: EventHandlers): void;
  isOpen(): boolean;
  /** A ClientMessage (watch, execute, midi): false when the channel is not open. */
  send(message: ClientMessage): boolean;
  /** Makes the output audible in this page. Call from a user gesture. */
  listen(): Promise<ListenSource>;
  /** Starts recording the master output (whether or not this page is listening). */
  record(onEnd: (reason: string) => void): Take;
  /**
   * Files nodes read by name (MidiFileNode's path …) and WavFileNode recordings, kept in this browser —
   * local mode only (a server reads its own folder).
   */
  readonly files?: FileStore;
  /** Renders the graph offline, faster than real time, into a stereo WAV — local mode only. */
  renderOffline?(
    seconds: number,
    onProgress: (progress: OfflineProgress) => void,
    signal: AbortSignal,
  ): Promise<{ wav: Blob; elapsedMs: number }>;
}

let current: Backend | null = null;

export function setBackend(backend: Backend) {
  current = backend;
}

export function backend(): Backend {
  if (!current) throw new Error('the editor has no engine yet');
  return current;
}

/** The active engine's routes: `api.nodes()` etc., whichever mode is on. */
export const api: EngineApi = {
  types: () => backend().api.types(),
  status: () => backend().api.status(),
  nodes: () => backend().api.nodes(),
  connections: () => backend().api.connections(),
  addNode: (type, name) => backend().api.addNode(type, name),
  removeNode: (name) => backend().api.removeNode(name),
  renameNode: (name, to) => backend().api.renameNode(name, to),
  setValue: (name, value) => backend().api.setValue(name, value),
  link: (connection) => backend().api.link(connection),
  unlink: (connection) => backend().api.unlink(connection),
  start: () => backend().api.start(),
  stop: () => backend().api.stop(),
  exportScript: () => backend().api.exportScript(),
  execute: (script) => backend().api.execute(script),
  innerPatch: (name) => backend().api.innerPatch(name),
  patchFile: (path) => backend().api.patchFile(path),
};

/** What the address asks for: local mode, a server URL, or nothing said. */
export function requestedMode(
  search = location.search,
): { mode: 'local' } | { mode: 'server'; url: string } | null {
  const params = new URLSearchParams(search);
  if (params.has('local')) return { mode: 'local' };
  const server = params.get('server');
  if (server) return { mode: 'server', url: server.replace(/\/$/, '') };
  return null;
}

/** The address of this editor in another mode (the switch in the top bar navigates there). */
export function modeUrl(target: { mode: 'local' } | { mode: 'server'; url: string }): string {
  const url = new URL(location.href);
  url.searchParams.delete('local');
  url.searchParams.delete('server');
  url.searchParams.delete('token');
  if (target.mode === 'local') url.searchParams.set('local', '');
  else if (target.url.replace(/\/$/, '') !== location.origin) url.searchParams.set('server', target.url);
  return url.toString().replace(/([?&])local=(&|$)/, '$1local$2');
}
