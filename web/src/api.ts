// The editor's one door to the engine: the server's public HTTP API (SPEC §4 plus /types, /status,
// value and rename routes), its event socket (opened by store.ts through `wsUrl`) and its audio stream
// (`openAudioStream`). The UI does nothing another client could not do, and nothing else in web/src
// calls fetch or opens a socket — so a backend running the engine inside the page can be put in here.

import {
  type ApiConnection,
  type ApiNode,
  type ApiPort,
  AUDIO_HEADER_BYTES,
  type EngineStatus,
} from '../../src/api/protocol.js';
import type { NodeTypeInfo } from '../../src/engine/registry.js';

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

/** Base URL of the server: the page's own origin (the server serves the UI), overridable by ?server=. */
export function serverBase(): string {
  const param = new URLSearchParams(location.search).get('server');
  return (param ?? location.origin).replace(/\/$/, '');
}

/** The token a server bound beyond loopback asks for, given to the page as ?token=. */
export function serverToken(): string | null {
  return new URLSearchParams(location.search).get('token');
}

export function wsUrl(path: string): string {
  const token = serverToken();
  return `${serverBase().replace(/^http/, 'ws')}${path}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

async function request<T>(method: string, path: string, body?: unknown, raw = false): Promise<T> {
  const token = serverToken();
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
    response = await fetch(`${serverBase()}${path}`, init);
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

/** GET /nodes/{name}/patch: where a sub-patch node's patch is and its text (a .syn or .sui). */
export interface InnerPatch {
  path: string;
  text: string;
}

export interface ScriptResult {
  results: ScriptCommandResult[];
  text: string;
}

export const api = {
  types: async (): Promise<NodeTypeInfo[]> => {
    const answer = await request<NodeTypeInfo[] | { types: NodeTypeInfo[] }>('GET', '/types');
    return Array.isArray(answer) ? answer : answer.types;
  },
  status: () => request<EngineStatus>('GET', '/status'),
  nodes: () => request<ApiNode[]>('GET', '/nodes'),
  connections: () => request<ApiConnection[]>('GET', '/connections'),
  addNode: (type: string, name?: string) =>
    request<ApiNode>('POST', name ? `/nodes/${enc(name)}?type=${enc(type)}` : `/nodes?type=${enc(type)}`),
  removeNode: (name: string) => request<ApiNode>('DELETE', `/nodes/${enc(name)}`),
  renameNode: (name: string, to: string) => request<ApiNode>('PATCH', `/nodes/${enc(name)}`, { name: to }),
  /** Body: the value itself as JSON (`440`, `"x"`, `[1, 2]`). */
  setValue: (name: string, value: unknown) => request<ApiNode>('PUT', `/nodes/${enc(name)}/value`, value),
  link: (connection: ApiConnection) => request<ApiConnection>('PATCH', '/connections', connection),
  unlink: (connection: ApiConnection) => request<ApiConnection | null>('DELETE', '/connections', connection),
  start: () => request<null>('GET', '/start'),
  stop: () => request<null>('GET', '/stop'),
  exportScript: () => request<string>('GET', '/export'),
  /** The patch a sub-patch node is made of (the instruments issue's route; 404 until it lands). */
  innerPatch: (name: string) => request<InnerPatch>('GET', `/nodes/${enc(name)}/patch`),
  /** Runs a script; answers each command's result, or throws an ApiError with line/column. */
  execute: async (script: string): Promise<ScriptResult> => {
    const answer = await request<ScriptResult | string>('POST', '/execute?format=json', script, true);
    if (typeof answer === 'string') return { results: [], text: answer };
    return answer;
  },
};

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
  onFrame: (frame: AudioFrame) => void,
  onClose: (reason: string) => void,
): () => void {
  const socket = new WebSocket(wsUrl('/ws/audio'));
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
