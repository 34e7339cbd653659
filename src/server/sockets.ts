// WebSockets: /ws pushes every change to every client (ServerMessage) and takes ClientMessages;
// /ws/audio streams the master output as binary PCM frames to listening browsers.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ApiPort, AUDIO_HEADER_BYTES, type ClientMessage, type ServerMessage } from '../api/protocol.js';
import { fromApiPort, toApiPort } from '../api/shapes.js';
import { SynchrotronError } from '../engine/errors.js';
import {
  MAX_VIEW_SECONDS,
  MIN_VIEW_SECONDS,
  type ScopeView,
  type TriggerMode,
  viewKey,
} from '../engine/taps.js';
import type { PortRef } from '../engine/types.js';
import { parseMidiBytes } from '../io/midi-host.js';
import type { LiveEngine } from './engine.js';
import { refuse } from './http.js';
import type { NodePositions } from './positions.js';
import { runScript } from './script.js';

/** A client further behind than this (bytes queued) skips droppable messages (status, scopes, audio). */
const SLOW_CLIENT_BYTES = 1 << 20;
/**
 * A client further behind than this (a stalled tab, a peer that stopped reading) is disconnected rather
 * than queued for without limit: edits are never dropped, so its queue would grow with every change.
 * On reconnecting it gets a fresh `hello` with the whole graph. What is sent to everyone (the hello, the
 * changes) is one buffer shared by every queue, so many stalled clients cost little more than one.
 */
const MAX_BEHIND_BYTES = 16 << 20;
const OPEN = 1;
/** Most stream outputs one client may watch at once (scope + meter each). */
const MAX_WATCHED_PORTS = 64;
/** Most distinct scope views (port, timebase, trigger) the render worker computes for all clients. */
const MAX_VIEWS = 256;
const TRIGGERS = new Set<TriggerMode>(['rising', 'auto', 'free']);

/** The slice of a `ws` WebSocket used here (the package ships no types). */
interface WebSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  /** A Buffer goes as a binary frame unless `binary: false` (then as text, without a copy). */
  send(data: string | Buffer, options?: { binary: boolean }): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'close', listener: () => void): void;
}

interface Client {
  socket: WebSocket;
  /** Every watched port (meters), each with the scope view it asked for (`seconds` absent: default). */
  views: ScopeView[];
  /** Keys of those ports, and of those views (taps.viewKey). */
  keys: Set<string>;
  viewKeys: Set<string>;
  spectrum: boolean;
}

const setViews = (client: Client, views: ScopeView[]) => {
  client.views = views;
  client.keys = new Set(views.map((v) => keyOf(v.port)));
  client.viewKeys = new Set(views.map(viewKey));
};

const keyOf = (ref: PortRef) => `${ref.node}.${ref.port}`;

export function registerSockets(
  app: FastifyInstance,
  engine: LiveEngine,
  positions: NodePositions,
  options: { log: (line: string) => void; maxClients: number },
): void {
  const { log, maxClients } = options;
  const clients = new Set<Client>();
  const listeners = new Set<WebSocket>();

  /** Before an upgrade (the origin, host and token were checked by the guard): room for one more? */
  const roomForOne = async (request: FastifyRequest, reply: FastifyReply) => {
    if (clients.size + listeners.size < maxClients) return;
    const detail = `too many WebSocket clients: at most ${maxClients} at once (--max-clients)`;
    return refuse(request, reply, 429, detail, { code: 'limit', limit: 'maxClients' });
  };

  /** Sends text (a string, or UTF-8 in a Buffer shared with other clients) or, for `binary`, PCM. */
  const send = (socket: WebSocket, data: string | Buffer, droppable: boolean, binary = false) => {
    if (socket.readyState !== OPEN) return;
    if (socket.bufferedAmount > MAX_BEHIND_BYTES) {
      log(`ws: a client fell ${Math.round(socket.bufferedAmount / 2 ** 20)} MiB behind; disconnected it`);
      socket.terminate();
      return;
    }
    if (droppable && socket.bufferedAmount > SLOW_CLIENT_BYTES) return;
    socket.send(data, { binary });
  };
  const sendMessage = (client: Client, message: ServerMessage, droppable = false) =>
    send(client.socket, JSON.stringify(message), droppable);

  engine.onMessage((message) => {
    if (clients.size === 0) return;
    if (message.type === 'nodeRenamed' || message.type === 'nodeRemoved') followWatches(message);
    const text = Buffer.from(JSON.stringify(message)); // one copy for every client's queue
    const droppable = message.type === 'status';
    for (const client of clients) send(client.socket, text, droppable);
  });

  // Moves in one editor appear in the others (a removed or renamed node's come as graph changes too).
  positions.onChange((changed) => {
    if (clients.size === 0) return;
    const text = Buffer.from(JSON.stringify({ type: 'positions', positions: changed }));
    for (const client of clients) send(client.socket, text, false);
  });

  engine.onTaps((report) => {
    const byKey = new Map(report.scopes.map((scope) => [scope.view, scope]));
    const meters = new Map(report.meters.map((meter) => [keyOf(meter.port), meter]));
    const masterMeter = report.master
      ? JSON.stringify({ type: 'meter', port: 'master', ...report.master })
      : undefined;
    const spectrum = report.spectrum
      ? JSON.stringify({ type: 'spectrum', sampleRate: engine.sampleRate, bins: report.spectrum })
      : undefined;
    for (const client of clients) {
      if (client.views.length === 0 && !client.spectrum) continue;
      for (const key of client.viewKeys) {
        const scope = byKey.get(key);
        if (!scope) continue;
        const { port, view: _view, ...frame } = scope;
        sendMessage(
          client,
          { type: 'scope', port: toApiPort(port), sampleRate: engine.sampleRate, ...frame },
          true,
        );
      }
      for (const key of client.keys) {
        const meter = meters.get(key);
        if (meter)
          sendMessage(
            client,
            { type: 'meter', port: toApiPort(meter.port), peak: meter.peak, rms: meter.rms },
            true,
          );
      }
      if (masterMeter) send(client.socket, masterMeter, true);
      if (client.spectrum && spectrum) send(client.socket, spectrum, true);
    }
  });

  /**
   * Watches follow the graph: a renamed node's ports keep streaming under the new name, a removed node's
   * ports stop (else its last waveform stays frozen on screen, or a new node of that name is tapped).
   */
  const followWatches = (
    change: { type: 'nodeRenamed'; from: string; to: string } | { type: 'nodeRemoved'; name: string },
  ) => {
    let changed = false;
    for (const client of clients) {
      const views =
        change.type === 'nodeRenamed'
          ? client.views.map((v) =>
              v.port.node === change.from ? { ...v, port: { ...v.port, node: change.to } } : v,
            )
          : client.views.filter((v) => v.port.node !== change.name);
      if (views.some((v, i) => v !== client.views[i]) || views.length !== client.views.length) {
        setViews(client, views);
        changed = true;
      }
    }
    if (changed) updateWatch();
  };

  /** The worker taps the union of what every client watches. */
  const updateWatch = () => {
    const ports = new Map<string, PortRef>();
    const views = new Map<string, ScopeView>();
    let spectrum = false;
    for (const client of clients) {
      for (const view of client.views) {
        if (view.seconds === undefined) ports.set(keyOf(view.port), view.port);
        else if (views.size < MAX_VIEWS) views.set(viewKey(view), view);
      }
      spectrum ||= client.spectrum;
    }
    engine.watch([...ports.values()], spectrum, ports.size > 0 || views.size > 0 || spectrum, [
      ...views.values(),
    ]);
  };

  const handle = (client: Client, text: string) => {
    let message: ClientMessage;
    try {
      message = JSON.parse(text) as ClientMessage;
    } catch {
      sendMessage(client, { type: 'warning', node: '', message: 'message is not valid JSON' });
      return;
    }
    if (!message || typeof message !== 'object') {
      sendMessage(client, {
        type: 'warning',
        node: '',
        message: 'message must be a JSON object with a `type`',
      });
      return;
    }
    switch (message.type) {
      case 'watch': {
        const views: ScopeView[] = [];
        if (message.ports !== undefined && !Array.isArray(message.ports)) {
          sendMessage(client, {
            type: 'warning',
            node: '',
            message: 'watch needs `ports`: an array of {"node_name": …, "port_name": …}',
          });
        }
        for (const port of Array.isArray(message.ports) ? message.ports : []) {
          const ref = validPort(port);
          if (!ref) {
            sendMessage(client, {
              type: 'warning',
              node: '',
              message: `cannot watch ${String(JSON.stringify(port)).slice(0, 80)}: a port is {"node_name": …, "port_name": …}`,
            });
            continue;
          }
          try {
            const spec = engine.graph.port(ref, 'output');
            if (spec.kind !== 'stream')
              throw new SynchrotronError('invalid', `\`${keyOf(ref)}\` is not a stream output`);
            views.push(scopeView(ref, port));
          } catch (error) {
            sendMessage(client, {
              type: 'warning',
              node: ref.node,
              message: `cannot watch: ${(error as Error).message}`,
            });
          }
        }
        if (views.length > MAX_WATCHED_PORTS) {
          sendMessage(client, {
            type: 'warning',
            node: '',
            message: `watching the first ${MAX_WATCHED_PORTS} of ${views.length} ports only`,
          });
        }
        setViews(client, views.slice(0, MAX_WATCHED_PORTS));
        client.spectrum = message.spectrum === true;
        updateWatch();
        break;
      }
      case 'execute': {
        const id = typeof message.id === 'string' || typeof message.id === 'number' ? message.id : 0;
        if (typeof message.script !== 'string') {
          sendMessage(client, {
            type: 'result',
            id,
            ok: false,
            error: { detail: 'execute needs a `script` string' },
          });
          break;
        }
        try {
          const result = runScript(engine.scriptHost(), message.script);
          sendMessage(client, { type: 'result', id, ok: true, results: result.results, text: result.text });
        } catch (error) {
          if (!(error instanceof SynchrotronError)) throw error;
          const details = error.details as { line?: number; column?: number };
          sendMessage(client, {
            type: 'result',
            id,
            ok: false,
            error: {
              detail: error.message,
              code: error.code,
              ...error.details,
              line: details.line ?? 1,
              column: details.column ?? 1,
            },
          });
        }
        break;
      }
      case 'midi': {
        const data = message.data;
        const problem = midiDataProblem(data);
        if (problem) {
          sendMessage(client, {
            type: 'warning',
            node: '',
            message: `midi needs \`data\`: 1 to 1024 integers 0…255 (${problem})`,
          });
          break;
        }
        engine.midi(
          data,
          typeof message.time === 'number' && Number.isFinite(message.time) ? message.time : undefined,
          typeof message.source === 'string' ? message.source.slice(0, 64) : undefined,
        );
        break;
      }
      default:
        sendMessage(client, {
          type: 'warning',
          node: '',
          message: `unknown message type \`${String((message as { type?: unknown }).type)}\` (watch, execute, midi)`,
        });
    }
  };

  app.get('/ws', { websocket: true, schema: { hide: true }, onRequest: roomForOne }, (socket: WebSocket) => {
    const client: Client = { socket, views: [], keys: new Set(), viewKeys: new Set(), spectrum: false };
    clients.add(client);
    send(client.socket, engine.helloBuffer(), false);
    sendMessage(client, { type: 'status', status: engine.status() }, true); // the hello's may be older
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        handle(client, data.toString());
      } catch (error) {
        log(`ws: ${(error as Error).message}`);
        sendMessage(client, {
          type: 'warning',
          node: '',
          message: `internal error: ${(error as Error).message}`,
        });
      }
    });
    socket.on('close', () => {
      clients.delete(client);
      if (client.views.length > 0 || client.spectrum) updateWatch();
    });
  });

  let unsubscribe: (() => void) | undefined;
  const onAudio = (sequence: number, frames: number, pcm: Float32Array) => {
    const frame = Buffer.allocUnsafe(AUDIO_HEADER_BYTES + pcm.byteLength);
    frame.writeUInt32LE(sequence >>> 0, 0);
    frame.writeUInt32LE(engine.sampleRate, 4);
    frame.writeUInt32LE(frames, 8);
    Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).copy(frame, AUDIO_HEADER_BYTES);
    for (const socket of listeners) send(socket, frame, true, true);
  };
  app.get(
    '/ws/audio',
    { websocket: true, schema: { hide: true }, onRequest: roomForOne },
    (socket: WebSocket) => {
      listeners.add(socket);
      unsubscribe ??= engine.onAudio(onAudio);
      socket.on('close', () => {
        listeners.delete(socket);
        if (listeners.size === 0) {
          unsubscribe?.();
          unsubscribe = undefined;
        }
      });
    },
  );
}

function isByte(x: unknown): boolean {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 255;
}

/** What is wrong with a midi message's `data`, or undefined when it is fine. */
function midiDataProblem(data: unknown): string | undefined {
  if (!Array.isArray(data)) return data === undefined ? 'it is missing' : `got ${typeof data}`;
  if (data.length === 0) return 'it is empty';
  if (data.length > 1024) return `got ${data.length} bytes`;
  const bad = data.findIndex((x) => !isByte(x));
  if (bad >= 0) return `data[${bad}] is ${String(JSON.stringify(data[bad])).slice(0, 40)}`;
  try {
    parseMidiBytes(data); // bytes, but MIDI? (a data byte without a status, a cut-off message)
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The view a watch entry asks for: a timebase (clamped to what scopes show) and a trigger mode. */
function scopeView(port: PortRef, entry: unknown): ScopeView {
  const { seconds, trigger } = entry as { seconds?: unknown; trigger?: unknown };
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return { port };
  return {
    port,
    seconds: Math.min(MAX_VIEW_SECONDS, Math.max(MIN_VIEW_SECONDS, seconds)),
    trigger: TRIGGERS.has(trigger as TriggerMode) ? (trigger as TriggerMode) : 'auto',
  };
}

function validPort(port: unknown): PortRef | undefined {
  const p = port as ApiPort;
  if (!p || typeof p.node_name !== 'string' || typeof p.port_name !== 'string') return undefined;
  return fromApiPort(p);
}
