// The server's public HTTP API as a client (SPEC §4 plus /types, /status, value and rename routes), and
// its audio stream (/ws/audio): the server mode's half of the editor's one interface (backend.ts). The UI
// does nothing another client could not do, and nothing else in web/src calls fetch.

import {
  type ApiConnection,
  type ApiNode,
  type ApiPort,
  AUDIO_HEADER_BYTES,
  type EngineStatus,
} from '../../src/api/protocol.js';
import type { NodeTypeInfo } from '../../src/engine/registry.js';
import type { EngineApi } from './backend';

export type { ApiConnection, ApiNode, ApiPort, EngineStatus, NodeTypeInfo };

/** An error answered by the server: its `detail`, and for Synchrolang errors the position. */
export class ApiError extends Error {
  readonly status: number;
  readonly line?: number;
  readonly column?: number;
  readonly length?: number;
  readonly body: unknown;
  constructor(status: number, message: string, body: unknown) {
    super(message);
    this.status = status;
    this.body = body;
    if (body && typeof body === 'object') {
      const b = body as Record<string, unknown>;
      if (typeof b.line === 'number') this.line = b.line;
      if (typeof b.column === 'number') this.column = b.column;
      if (typeof b.length === 'number') this.length = b.length;
    }
  }
}

/** Where a server is: its base URL (no trailing slash) and the token it asks for, if any. */
export interface ServerAddress {
  base: string;
  token: string | null;
}

/** The token a server bound beyond loopback asks for, given to the page as ?token=. */
export function serverToken(): string | null {
  return new URLSearchParams(location.search).get('token');
}

export function wsUrl(server: ServerAddress, path: string): string {
  const { base, token } = server;
  return `${base.replace(/^http/, 'ws')}${path}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

async function request<T>(
  server: ServerAddress,
  method: string,
  path: string,
  body?: unknown,
  raw = false,
): Promise<T> {
  const { token } = server;
  const init: RequestInit = {
    method,
    headers: { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
  };
  if (body !== undefined) {
    init.body = raw ? String(body) : JSON.stringify(body);
    init.headers = { ...init.headers, 'Content-Type': raw ? 'text/plain' : 'application/json' };
  }
  let response: Response;
  try {
    response = await fetch(`${server.base}${path}`, init);
  } catch (error) {
    throw new ApiError(0, `server unreachable (${(error as Error).message})`, null);
  }
  const text = await response.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok) {
    const detail =
      parsed && typeof parsed === 'object' && 'detail' in parsed
        ? String((parsed as { detail: unknown }).detail)
        : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, detail, parsed);
  }
  return parsed as T;
}

/** What a Synchrotron server answers for its page's address when asked for JSON (src/server/web.ts). */
const HEALTH_TEXT = 'Synchrotron server running';

/**
 * True when this page was served by a Synchrotron server: its own address, asked for JSON, answers the
 * server's health string (a static host answers the page again). Asking for the page itself never meets
 * a 404, so a static host's console stays clean.
 */
export async function servedByServer(token: string | null): Promise<boolean> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 4000);
  try {
    const response = await fetch(`${location.origin}${location.pathname}`, {
      headers: { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      signal: abort.signal,
    });
    if (!response.ok || !/json/.test(response.headers.get('content-type') ?? '')) return false;
    return (await response.json()) === HEALTH_TEXT;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const enc = encodeURIComponent;

/** One command's structured result from POST /execute?format=json. */
export interface ScriptCommandResult {
  command: string;
  kind: string;
  value: unknown;
  text: string;
  line: number;
  column: number;
}

/**
 * GET /nodes/{name}/patch and GET /patches?path=…: the inner graph of the patch a PatchNode or VoicesNode
 * plays, read-only.
 */
export type InnerPatch = import('../../src/lang/patch-loader.js').PatchView;

export interface ScriptResult {
  results: ScriptCommandResult[];
  text: string;
}

/** The routes of the server at `server`. */
export function serverApi(server: ServerAddress): EngineApi {
  const call = <T>(method: string, path: string, body?: unknown, raw = false) =>
    request<T>(server, method, path, body, raw);
  return {
    types: async (): Promise<NodeTypeInfo[]> => {
      const answer = await call<NodeTypeInfo[] | { types: NodeTypeInfo[] }>('GET', '/types');
      return Array.isArray(answer) ? answer : answer.types;
    },
    status: () => call<EngineStatus>('GET', '/status'),
    nodes: () => call<ApiNode[]>('GET', '/nodes'),
    connections: () => call<ApiConnection[]>('GET', '/connections'),
    addNode: (type, name) =>
      call<ApiNode>('POST', name ? `/nodes/${enc(name)}?type=${enc(type)}` : `/nodes?type=${enc(type)}`),
    removeNode: (name) => call<ApiNode>('DELETE', `/nodes/${enc(name)}`),
    renameNode: (name, to) => call<ApiNode>('PATCH', `/nodes/${enc(name)}`, { name: to }),
    /** Body: the value itself as JSON (`440`, `"x"`, `[1, 2]`). */
    setValue: (name, value) => call<ApiNode>('PUT', `/nodes/${enc(name)}/value`, value),
    link: (connection) => call<ApiConnection>('PATCH', '/connections', connection),
    unlink: (connection) => call<ApiConnection | null>('DELETE', '/connections', connection),
    start: () => call<null>('GET', '/start'),
    stop: () => call<null>('GET', '/stop'),
    exportScript: () => call<string>('GET', '/export'),
    execute: async (script) => {
      const answer = await call<ScriptResult | string>('POST', '/execute?format=json', script, true);
      if (typeof answer === 'string') return { results: [], text: answer };
      return answer;
    },
    innerPatch: (name) => call<InnerPatch>('GET', `/nodes/${enc(name)}/patch`),
    patchFile: (path) => call<InnerPatch>('GET', `/patches?path=${enc(path)}`),
    positions: () => call<Record<string, { x: number; y: number }>>('GET', '/positions'),
    setPositions: (positions) => call<unknown>('PUT', '/positions', positions),
  };
}

/** One block of the master output as /ws/audio sends it: interleaved stereo float32. */
export interface AudioFrame {
  sequence: number;
  sampleRate: number;
  frames: number;
  interleaved: Float32Array;
}

/**
 * Streams the master output (/ws/audio) to `onFrame` until the returned function is called. `onClose`
 * hears when the stream ends for another reason (the server went away).
 */
export function openAudioStream(
  server: ServerAddress,
  onFrame: (frame: AudioFrame) => void,
  onClose: (reason: string) => void,
): () => void {
  const socket = new WebSocket(wsUrl(server, '/ws/audio'));
  socket.binaryType = 'arraybuffer';
  let closedByUs = false;
  socket.onmessage = (event) => {
    if (!(event.data instanceof ArrayBuffer) || event.data.byteLength < AUDIO_HEADER_BYTES) return;
    const view = new DataView(event.data);
    const frames = view.getUint32(8, true);
    const samples = (event.data.byteLength - AUDIO_HEADER_BYTES) / 4;
    if (samples !== frames * 2) return;
    onFrame({
      sequence: view.getUint32(0, true),
      sampleRate: view.getUint32(4, true),
      frames,
      interleaved: new Float32Array(event.data, AUDIO_HEADER_BYTES, samples),
    });
  };
  socket.onclose = () => {
    if (!closedByUs) onClose('the audio stream closed');
  };
  return () => {
    closedByUs = true;
    socket.close();
  };
}
