// The live graph as this browser sees it: filled by the engine's `hello` and kept current by its pushes
// (the server's /ws, or the engine in this page; backend.ts) so edits by any client appear here within a
// block or two. HTTP answers are applied too, with
// the same idempotent updates, so the UI never waits on the push that follows its own edit.

import { useSyncExternalStore } from 'react';
import type { ClientMessage, ServerMessage } from '../../src/api/protocol.js';
import {
  type ApiConnection,
  ApiError,
  type ApiNode,
  type ApiPort,
  type EngineStatus,
  type NodeTypeInfo,
  type ScriptResult,
} from './api';
import { listening } from './audio';
import { api, backend } from './backend';
import { toPosition } from './files';
import { followNode, handleMidi } from './midimap';

export type Position = { x: number; y: number };
export type LinkState = 'connecting' | 'open' | 'closed';

export interface LogEntry {
  id: number;
  kind: 'debug' | 'fault' | 'warning' | 'info';
  node?: string;
  text: string;
}

export interface UiState {
  link: LinkState;
  status: EngineStatus | null;
  nodes: Map<string, ApiNode>;
  connections: ApiConnection[];
  types: NodeTypeInfo[];
  positions: Record<string, Position>;
  /** Stream outputs shown in the Looking panel. */
  watched: ApiPort[];
  log: LogEntry[];
  toast: { id: number; text: string; kind: 'error' | 'info' } | null;
  /** Bumped to ask the editor to fit the view (after loading a patch). */
  fitRequest: number;
  /**
   * This page's scripts sent and not yet answered. Their graph changes arrive before their answer, so the
   * editor lays new nodes out only when this is 0: a busy page may take longer than the layout's pause
   * between two of one script's changes, and a layout of half a script stacks its nodes in a column.
   */
  scriptsRunning: number;
  /** Timebase and trigger of each scope, by `node.port`. */
  scopes: Record<string, ScopeSettings>;
  /** The file the graph was opened from or last saved to. */
  fileName: string | null;
}

export type ScopeMode = 'auto' | 'rising' | 'free' | 'roll';

export interface ScopeSettings {
  /** Window length, seconds (0.001…10). */
  seconds: number;
  mode: ScopeMode;
}

export const DEFAULT_SCOPE: ScopeSettings = { seconds: 0.02, mode: 'auto' };

/** Fast-changing signal data for the canvases: read in requestAnimationFrame, never through React. */
export interface ScopeData {
  samples: Float32Array;
  /** For a long window: each point's extremes (samples are their midpoints). */
  min?: Float32Array;
  max?: Float32Array;
  /** Signal samples per point. */
  step: number;
  sampleRate: number;
  /** Window the points cover, seconds. */
  seconds: number;
  triggered: boolean;
  /** Index of the trigger point. */
  trigger?: number;
  /** A rising-edge scope is waiting for an edge (the trace is the last one found). */
  waiting: boolean;
  /** Measured by the server, Hz (null: not periodic). */
  frequency: number | null;
  peak: number;
  rms: number;
  /** performance.now() of the newest samples. */
  updated: number;
}

export const portKey = (port: ApiPort) => `${port.node_name}.${port.port_name}`;
export const connectionKey = (c: ApiConnection) => `${portKey(c.source)}->${portKey(c.sink)}`;
const samePort = (a: ApiPort, b: ApiPort) => a.node_name === b.node_name && a.port_name === b.port_name;

const POSITIONS_KEY = 'synchrotron.positions';
const WATCH_KEY = 'synchrotron.watched';
const SCOPES_KEY = 'synchrotron.scopes';
/** This page's name as a MIDI sender, so the server's echo of its own controllers is not applied twice. */
export const MIDI_SOURCE = `editor-${Math.random().toString(36).slice(2, 10)}`;

function loadJson<T>(key: string, fallback: T): T {
  try {
    const text = localStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

/** Only the entries that are finite positions. */
function validPositions(raw: Record<string, unknown>): Record<string, Position> {
  const positions: Record<string, Position> = {};
  if (!raw || typeof raw !== 'object') return positions;
  for (const [name, p] of Object.entries(raw)) {
    const position = toPosition(p);
    if (position) positions[name] = position;
  }
  return positions;
}

class Store {
  state: UiState = {
    link: 'connecting',
    status: null,
    nodes: new Map(),
    connections: [],
    types: [],
    positions: validPositions(loadJson<Record<string, unknown>>(POSITIONS_KEY, {})),
    watched: loadJson<ApiPort[]>(WATCH_KEY, []),
    log: [],
    toast: null,
    fitRequest: 1,
    scriptsRunning: 0,
    scopes: loadJson<Record<string, ScopeSettings>>(SCOPES_KEY, {}),
    fileName: null,
  };
  /** Scope/meter data per watched port key, plus 'master'. */
  readonly signals = new Map<string, ScopeData>();
  spectrum: { bins: Float32Array; sampleRate: number; updated: number } | null = null;
  /** Drawn size of a node in flow units, when the editor has drawn it (for auto-layout). */
  measure: ((name: string) => { width: number; height: number } | undefined) | null = null;
  /** Count of pushes received (for tests and the status bar). */
  pushes = 0;

  private listeners = new Set<() => void>();
  private pendingScripts = new Map<number, { resolve(r: ScriptResult): void; reject(e: Error): void }>();
  private scriptId = 0;
  private connected = false;
  private logId = 0;
  private toastTimer: ReturnType<typeof setTimeout> | undefined;
  private positionsTimer: ReturnType<typeof setTimeout> | undefined;

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(patch: Partial<UiState>) {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  // ---------------------------------------------------------------- WebSocket

  connect() {
    if (this.connected) return;
    this.connected = true;
    this.set({ link: 'connecting' });
    backend().connect({
      open: () => {
        this.set({ link: 'open' });
        this.sendWatch();
      },
      message: (message) => {
        this.pushes++;
        this.receive(message);
      },
      notice: (text) => {
        this.addLog('info', text);
        this.showToast(text, 'info');
      },
      close: () => {
        for (const pending of this.pendingScripts.values())
          pending.reject(new ApiError(0, 'connection lost', null));
        this.pendingScripts.clear();
        this.set({ link: 'closed', scriptsRunning: 0 });
      },
    });
  }

  socketOpen(): boolean {
    return backend().isOpen();
  }

  send(message: ClientMessage): boolean {
    return backend().send(message);
  }

  /**
   * Runs a script over the socket (ClientMessage 'execute'), or over HTTP when it is closed. Errors come
   * back as an ApiError with the line and column.
   */
  execute(script: string): Promise<ScriptResult> {
    const id = ++this.scriptId;
    if (!backend().isOpen()) return api.execute(script);
    return new Promise((resolve, reject) => {
      this.pendingScripts.set(id, { resolve, reject });
      this.set({ scriptsRunning: this.pendingScripts.size });
      this.send({ type: 'execute', id, script });
    });
  }

  private receive(message: ServerMessage) {
    switch (message.type) {
      case 'result': {
        const pending = this.pendingScripts.get(Number(message.id));
        if (!pending) break;
        this.pendingScripts.delete(Number(message.id));
        this.set({ scriptsRunning: this.pendingScripts.size });
        if (message.ok) {
          const text = (message as { text?: string }).text ?? '';
          pending.resolve({ results: (message.results ?? []) as ScriptResult['results'], text });
        } else {
          const error = (message.error ?? {}) as { detail?: string };
          pending.reject(new ApiError(400, error.detail ?? 'script failed', error));
        }
        break;
      }
      case 'hello': {
        const nodes = new Map(message.nodes.map((node) => [node.name, node]));
        this.set({ status: message.status, nodes, connections: message.connections });
        this.pruneWatched();
        break;
      }
      case 'nodeAdded':
        this.applyNode(message.node);
        break;
      case 'nodeChanged':
        // Its ports changed (a PatchNode/VoicesNode whose file was reloaded): drawn with the new ones.
        this.applyNode(message.node);
        this.pruneWatched();
        break;
      case 'nodeRemoved':
        this.applyRemoved(message.name);
        break;
      case 'nodeRenamed':
        this.applyRenamed(message.from, message.to);
        break;
      case 'linked':
        this.applyLinked(message.connection);
        break;
      case 'unlinked':
        this.applyUnlinked(message.connection);
        break;
      case 'exports': {
        const node = this.state.nodes.get(message.name);
        if (node) this.applyNode({ ...node, exports: message.exports });
        break;
      }
      case 'transport':
        if (this.state.status) this.set({ status: { ...this.state.status, running: message.running } });
        break;
      case 'status':
        this.set({ status: message.status });
        break;
      case 'debug':
        this.addLog('debug', formatValue(message.value), message.node);
        break;
      case 'fault':
        this.addLog('fault', message.message, message.node);
        this.showToast(`${message.node}: ${message.message}`);
        break;
      case 'warning':
        this.addLog('warning', message.message, message.node);
        break;
      case 'scope': {
        const key = portKey(message.port);
        const previous = this.signals.get(key);
        const frequency = message.frequency === undefined ? (previous?.frequency ?? null) : message.frequency;
        if (message.waiting && previous) {
          // No edge yet: keep the last trace, with the newest frequency.
          this.signals.set(key, { ...previous, waiting: true, frequency });
          break;
        }
        this.signals.set(key, {
          // Each message is a whole window (the server triggers and decimates), not a continuation.
          samples: Float32Array.from(message.samples),
          min: message.min ? Float32Array.from(message.min) : undefined,
          max: message.max ? Float32Array.from(message.max) : undefined,
          step: message.step ?? 1,
          sampleRate: message.sampleRate,
          seconds: message.seconds ?? ((message.step ?? 1) * message.samples.length) / message.sampleRate,
          triggered: !!message.triggered,
          trigger: message.trigger,
          waiting: !!message.waiting,
          frequency,
          peak: previous?.peak ?? 0,
          rms: previous?.rms ?? 0,
          updated: performance.now(),
        });
        break;
      }
      case 'midi':
        if (message.source !== MIDI_SOURCE) handleMidi(message.data);
        break;
      case 'meter': {
        const key = message.port === 'master' ? 'master' : portKey(message.port);
        const previous = this.signals.get(key);
        this.signals.set(key, {
          samples: new Float32Array(0),
          step: 1,
          seconds: 0,
          triggered: false,
          waiting: false,
          frequency: null,
          sampleRate: 44100,
          ...previous,
          peak: message.peak,
          rms: message.rms,
          updated: performance.now(),
        });
        break;
      }
      case 'spectrum':
        this.spectrum = {
          bins: Float32Array.from(message.bins),
          sampleRate: message.sampleRate,
          updated: performance.now(),
        };
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- idempotent graph updates

  applyNode(node: ApiNode) {
    const nodes = new Map(this.state.nodes);
    nodes.set(node.name, node);
    this.set({ nodes });
  }

  applyRemoved(name: string) {
    if (!this.state.nodes.has(name)) return;
    followNode(name, null);
    const nodes = new Map(this.state.nodes);
    nodes.delete(name);
    const connections = this.state.connections.filter(
      (c) => c.source.node_name !== name && c.sink.node_name !== name,
    );
    this.set({ nodes, connections });
    // An emptied graph (`clear`) forgets where its nodes were: a new graph's `osc` is not the old one's.
    // (A node removed on its own keeps its place, for undo; a patch being loaded keeps the positions
    // it brought.)
    if (nodes.size === 0 && this.loading === 0) {
      this.set({ positions: {} });
      this.savePositions();
    }
    this.pruneWatched();
  }

  /** While > 0 a patch is being loaded: positions it brought are not forgotten as the old graph clears. */
  loading = 0;

  applyRenamed(from: string, to: string) {
    const node = this.state.nodes.get(from);
    if (!node) return;
    followNode(from, to);
    const rename = (port: ApiPort): ApiPort => (port.node_name === from ? { ...port, node_name: to } : port);
    const nodes = new Map<string, ApiNode>();
    for (const [name, n] of this.state.nodes) {
      const renamed: ApiNode = {
        ...n,
        name: name === from ? to : name,
        inputs: n.inputs.map((i) => ({ ...rename(i), type: i.type, source: i.source && rename(i.source) })),
        outputs: n.outputs.map((o) => ({ ...rename(o), type: o.type, sinks: o.sinks.map(rename) })),
      };
      nodes.set(renamed.name, renamed);
    }
    const connections = this.state.connections.map((c) => ({
      source: rename(c.source),
      sink: rename(c.sink),
    }));
    const positions = { ...this.state.positions };
    if (positions[from]) {
      positions[to] = positions[from];
      delete positions[from];
    }
    const watched = this.state.watched.map(rename);
    const scopes: Record<string, ScopeSettings> = {};
    for (const [key, settings] of Object.entries(this.state.scopes))
      scopes[key.startsWith(`${from}.`) ? `${to}${key.slice(from.length)}` : key] = settings;
    this.set({ nodes, connections, positions, watched, scopes });
    this.savePositions();
    this.saveWatched();
  }

  applyLinked(connection: ApiConnection) {
    const existing = this.state.connections;
    if (existing.some((c) => connectionKey(c) === connectionKey(connection))) return;
    // An input holds one connection: a new source replaces the old one.
    const connections = existing.filter((c) => !samePort(c.sink, connection.sink));
    connections.push(connection);
    this.set({ connections });
  }

  applyUnlinked(connection: ApiConnection) {
    const key = connectionKey(connection);
    if (!this.state.connections.some((c) => connectionKey(c) === key)) return;
    this.set({ connections: this.state.connections.filter((c) => connectionKey(c) !== key) });
  }

  /** Re-reads the whole graph over HTTP (after a reconnect or a script whose pushes may lag). */
  replaceGraph(nodes: ApiNode[], connections: ApiConnection[]) {
    this.set({ nodes: new Map(nodes.map((n) => [n.name, n])), connections });
  }

  setTypes(types: NodeTypeInfo[]) {
    this.set({ types });
  }

  setStatus(status: EngineStatus) {
    this.set({ status });
  }

  setRunning(running: boolean) {
    if (this.state.status) this.set({ status: { ...this.state.status, running } });
    if (running && backend().mode === 'local') listening.startedLocally();
  }

  // ---------------------------------------------------------------- positions (client-side only)

  /** Nodes this page is about to make where the user put them (paste, quick-add, a drop): the view
   * need not move to show them. */
  readonly placedHere = new Set<string>();

  setPositions(patch: Record<string, Position>, replace = false) {
    // A NaN or infinite position would break the whole canvas (SVG paths of NaN), and stay in storage.
    const valid = validPositions(patch);
    this.set({ positions: replace ? valid : { ...this.state.positions, ...valid } });
    this.savePositions();
  }

  private savePositions() {
    clearTimeout(this.positionsTimer);
    this.positionsTimer = setTimeout(() => {
      try {
        localStorage.setItem(POSITIONS_KEY, JSON.stringify(this.state.positions));
      } catch {
        // Storage full or disabled: positions live for this page only.
      }
    }, 100);
  }

  // ---------------------------------------------------------------- watching

  toggleWatch(port: ApiPort) {
    const on = this.state.watched.some((p) => samePort(p, port));
    const watched = on ? this.state.watched.filter((p) => !samePort(p, port)) : [...this.state.watched, port];
    if (on) this.signals.delete(portKey(port));
    this.set({ watched });
    this.saveWatched();
    this.sendWatch();
  }

  isWatched(port: ApiPort) {
    return this.state.watched.some((p) => samePort(p, port));
  }

  private pruneWatched() {
    const watched = this.state.watched.filter((p) => this.state.nodes.has(p.node_name));
    // What a removed node's scopes last showed goes with it: a new node of the same name starts blank
    // (its scope showed the old node's frequency until its first frame).
    for (const p of this.state.watched)
      if (!this.state.nodes.has(p.node_name)) this.signals.delete(portKey(p));
    if (watched.length !== this.state.watched.length) {
      this.set({ watched });
      this.saveWatched();
      this.sendWatch();
    }
  }

  private saveWatched() {
    try {
      localStorage.setItem(WATCH_KEY, JSON.stringify(this.state.watched));
    } catch {
      // ignore
    }
  }

  /** Each scope with its timebase and trigger (roll is drawn from untriggered frames). */
  sendWatch() {
    const ports = this.state.watched.map((port) => {
      const { seconds, mode } = this.scopeSettings(port);
      return { ...port, seconds, trigger: mode === 'roll' ? ('free' as const) : mode };
    });
    this.send({ type: 'watch', ports, spectrum: true });
  }

  scopeSettings(port: ApiPort): ScopeSettings {
    return this.state.scopes[portKey(port)] ?? DEFAULT_SCOPE;
  }

  setScope(port: ApiPort, patch: Partial<ScopeSettings>) {
    const key = portKey(port);
    const scopes = { ...this.state.scopes, [key]: { ...this.scopeSettings(port), ...patch } };
    this.set({ scopes });
    try {
      localStorage.setItem(SCOPES_KEY, JSON.stringify(scopes));
    } catch {
      // ignore
    }
    this.sendWatch();
  }

  setFileName(fileName: string | null) {
    this.set({ fileName });
  }

  // ---------------------------------------------------------------- messages

  addLog(kind: LogEntry['kind'], text: string, node?: string) {
    const log = [...this.state.log.slice(-199), { id: ++this.logId, kind, node, text }];
    this.set({ log });
  }

  requestFit() {
    this.set({ fitRequest: this.state.fitRequest + 1 });
  }

  showToast(text: string, kind: 'error' | 'info' = 'error') {
    clearTimeout(this.toastTimer);
    this.set({ toast: { id: ++this.logId, text, kind } });
    this.toastTimer = setTimeout(() => this.set({ toast: null }), 4000);
  }
}

export function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    const text = JSON.stringify(value);
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(value);
  }
}

export const store = new Store();

export function useStore<T>(select: (state: UiState) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.state));
}
