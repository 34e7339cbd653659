// The OSC server (`synchrotron serve --osc PORT`): OSC 1.0 over UDP, for TouchOSC, Open Stage Control,
// SuperCollider, Max, Pure Data and scripts. Commands:
//
//   /execute s          run Synchrolang                         → /done "/execute" TEXT  (or /error)
//   /value s ANY…       set the DataNode named s (several → array) → /done "/value"
//   /start, /stop       the transport                            → /done "/start" | "/stop"
//   /tempo f            the engine tempo (bpm)                   → /done "/tempo" BPM
//   /midi b | i… | m    MIDI bytes to the virtual port 0         → /done "/midi"
//
// Any other address goes to the OscReceiveNodes listening at it, without a reply (a fader sends many).
// Errors answer `/error "ADDRESS: what was wrong"`. Bundles: an immediate one runs at once; one with a time
// tag runs for the frame that plays at that (wall-clock, NTP) time — edits at that frame's block, MIDI and
// node values at the frame — and one whose frame is already rendered runs at once and is reported
// (a `warning` to clients and the log; `late` in GET /status).
//
// Security (the rules are src/io/security.ts's, asked through an OscGate): the socket binds where the HTTP
// server does (loopback by default). With a token in force (--token, or --host beyond loopback) every
// message must carry it as its first argument; a datagram that does not is dropped without any reply, so
// a forged sender address cannot make us send anything anywhere. Datagrams from elsewhere than this machine
// are dropped unless a token is in force. Datagrams, messages and replies are rate-limited per sender, and
// malformed or oversized ones are refused and counted, never acted on.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { OscStatus } from '../api/protocol.js';
import { SynchrotronError } from '../engine/errors.js';
import type { DataValue } from '../engine/types.js';
import { parseMidiBytes } from '../io/midi-host.js';
import {
  argBlob,
  argNumber,
  argString,
  argsToData,
  argTag,
  decodeOscPacket,
  encodeOscMessage,
  isImmediate,
  type OscArg,
  type OscMessage,
  type OscPacket,
  OscPacketError,
  type OutgoingArg,
  timeTagToUnixMs,
} from '../io/osc-codec.js';
import { type Access, OSC_LIMITS, OscGate, type OscRates } from '../io/security.js';
import type { LiveEngine } from './engine.js';
import { runScript } from './script.js';

/** Refused datagrams are logged at most once per this many ms (they are counted always). */
const LOG_INTERVAL_MS = 5000;

export interface OscServerOptions {
  engine: LiveEngine;
  /** UDP port; 0 picks a free one (tests). */
  port: number;
  /** Address to bind: the HTTP server's --host. */
  host: string;
  /** Token rules: with a token in force, every message carries it first. */
  access: Access;
  /** Budgets for messages and replies (default: the security module's OSC_RATES). */
  rates?: Partial<OscRates>;
  log: (line: string) => void;
}

/** Wall-clock time in ms (sub-millisecond), comparable with OSC time tags. */
function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

const OVER_A_BOUND: ReadonlySet<string> = new Set(['huge', 'crowded', 'nested']);

interface Timed {
  /** Unix ms, or undefined to run at once. */
  at: number | undefined;
  messages: OscMessage[];
}

export class OscServer {
  /** Where the socket listens: the HTTP server's --host (127.0.0.1 by default). */
  readonly address: string;
  readonly port: number;
  private readonly socket: Socket;
  private readonly options: OscServerOptions;
  private readonly gate: OscGate;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly counts: Omit<OscStatus, 'port' | 'scheduled' | 'late'> = {
    packets: 0,
    messages: 0,
    refused: { malformed: 0, huge: 0, unauthenticated: 0, peer: 0, rateLimited: 0 },
    replies: 0,
    repliesDropped: 0,
  };
  private lastLog = -Infinity;
  private closed = false;

  private constructor(socket: Socket, options: OscServerOptions) {
    this.socket = socket;
    const bound = socket.address();
    this.address = bound.address;
    this.port = bound.port;
    this.options = options;
    this.gate = new OscGate(options.access, { rates: options.rates });
    socket.on('message', (data, peer) => {
      try {
        this.receive(data, peer);
      } catch (error) {
        // Nothing a datagram holds may take the server down.
        this.note(`osc: internal error on a datagram from ${peer.address}: ${(error as Error).message}`);
      }
    });
    // ICMP "port unreachable" after a reply to a closed port, and the like: never fatal.
    socket.on('error', (error) => this.note(`osc: ${error.message}`));
  }

  /** Binds the UDP socket; rejects with a message naming --osc when it cannot. */
  static async listen(options: OscServerOptions): Promise<OscServer> {
    const socket = createSocket({ type: isIP(options.host) === 6 ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        socket.close();
        const reason: Record<string, string> = {
          EADDRINUSE: `OSC port ${options.port} on ${options.host} is already in use: choose another with --osc`,
          EACCES: `not allowed to listen on OSC port ${options.port} (ports below 1024 need privileges): choose another with --osc`,
          EADDRNOTAVAIL: `cannot listen for OSC on ${options.host}: this machine has no such address (--host)`,
        };
        reject(
          Object.assign(new Error(reason[error.code ?? ''] ?? `OSC: ${error.message}`), { code: error.code }),
        );
      };
      socket.once('error', onError);
      socket.bind(options.port, options.host, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    return new OscServer(socket, options);
  }

  status(): OscStatus {
    return {
      port: this.port,
      ...this.counts,
      refused: { ...this.counts.refused },
      scheduled: this.timers.size,
      late: this.options.engine.lateCount,
    };
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  // ------------------------------------------------------------------------------------- receiving

  private receive(data: Buffer, peer: RemoteInfo): void {
    this.counts.packets++;
    const { gate } = this;
    const refused = this.counts.refused;
    const refusal = gate.admit(peer.address);
    if (refusal !== null) {
      refused[refusal]++;
      return;
    }
    let packet: OscPacket;
    try {
      packet = decodeOscPacket(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), OSC_LIMITS);
    } catch (error) {
      // Over a bound (bytes, messages, nesting) is `huge`; anything else that is not OSC, `malformed`.
      if (error instanceof OscPacketError && OVER_A_BOUND.has(error.reason)) refused.huge++;
      else refused.malformed++;
      this.note(`osc: refused a datagram from ${peer.address}:${peer.port}: ${(error as Error).message}`);
      return;
    }
    const groups: Timed[] = [];
    collect(packet, undefined, groups);
    const all = groups.flatMap((group) => group.messages);
    // Every message costs from the sender's budget (the first was paid above).
    if (!gate.takeMessages(peer.address, all.length - 1)) {
      refused.rateLimited++;
      return;
    }
    // The token first in every message, or nothing at all happens — and nothing is answered.
    if (
      !gate.authenticate(
        peer.address,
        all.map((message) => argString(message.args[0])),
      )
    ) {
      refused.unauthenticated++;
      return;
    }
    if (gate.tokenRequired) for (const message of all) message.args = message.args.slice(1);
    for (const group of groups) this.schedule(group, peer);
  }

  /** Runs a group now, or when its time comes (handed to the engine one render-ahead early). */
  private schedule(group: Timed, peer: RemoteInfo): void {
    const { at } = group;
    if (at === undefined) {
      for (const message of group.messages) this.run(message, peer);
      return;
    }
    const ahead = at - wallNow();
    if (ahead > OSC_LIMITS.maxAheadMs) {
      for (const message of group.messages)
        this.fail(
          peer,
          message.address,
          `the bundle's time tag is ${Math.round(ahead / 1000)} s ahead; at most ${OSC_LIMITS.maxAheadMs / 1000} s (is the sender's clock right?)`,
        );
      return;
    }
    const run = () =>
      this.options.engine.scheduled(at, () => {
        for (const message of group.messages) this.run(message, peer);
      });
    // The worker renders ahead of the output: hand the bundle over a little before it renders that frame.
    const wait = ahead - this.options.engine.renderAhead * 1000 - 50;
    if (wait <= 0) {
      run();
      return;
    }
    if (this.timers.size >= OSC_LIMITS.maxScheduled) {
      for (const message of group.messages)
        this.fail(
          peer,
          message.address,
          `${OSC_LIMITS.maxScheduled} bundles are already waiting for their time`,
        );
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) run();
    }, wait);
    this.timers.add(timer);
  }

  /** Carries out one message and answers it (node addresses are not answered). */
  private run(message: OscMessage, peer: RemoteInfo): void {
    const { engine } = this.options;
    const { address, args } = message;
    this.counts.messages++;
    try {
      switch (address) {
        case '/execute': {
          const script = argString(args[0]);
          if (script === undefined || args.length !== 1)
            throw usage('/execute takes one string: the script', args);
          const result = runScript(engine.scriptHost(), script);
          this.reply(peer, '/done', ['/execute', cut(result.text)]);
          return;
        }
        case '/value': {
          const name = argString(args[0]);
          const value = argsToData(args.slice(1));
          if (name === undefined || value === undefined)
            throw usage('/value takes the node name and its value (numbers, strings, true/false/nil)', args);
          engine.graph.setValue(name, value);
          this.reply(peer, '/done', ['/value']);
          return;
        }
        case '/start':
        case '/stop':
          if (args.length > 0) throw usage(`${address} takes no arguments`, args);
          if (address === '/start') engine.start();
          else engine.stop();
          this.reply(peer, '/done', [address]);
          return;
        case '/tempo': {
          const bpm = argNumber(args[0]);
          if (bpm === undefined || args.length !== 1)
            throw usage('/tempo takes one number: beats per minute', args);
          engine.graph.setTempo(bpm);
          this.reply(peer, '/done', ['/tempo', engine.graph.tempo]);
          return;
        }
        case '/midi': {
          const bytes = midiBytes(args);
          parseMidiBytes(bytes); // refuse what is not MIDI here, with the reason, before it reaches the worker
          engine.midi(bytes);
          this.reply(peer, '/done', ['/midi']);
          return;
        }
        default: {
          const value: DataValue = argsToData(args) ?? null;
          let number = Number.NaN;
          for (const arg of args) {
            const n = argNumber(arg);
            if (n !== undefined) {
              number = n;
              break;
            }
          }
          engine.osc(address, value, number);
        }
      }
    } catch (error) {
      this.fail(peer, address, error instanceof Error ? error.message : String(error));
    }
  }

  private fail(peer: RemoteInfo, address: string, text: string): void {
    this.reply(peer, '/error', [cut(`${address}: ${text}`)]);
  }

  private reply(peer: RemoteInfo, address: string, args: OutgoingArg[]): void {
    if (this.closed) return;
    if (!this.gate.mayReply(peer.address)) {
      this.counts.repliesDropped++;
      return;
    }
    let packet: Uint8Array;
    try {
      packet = encodeOscMessage(address, args);
    } catch {
      return;
    }
    this.counts.replies++;
    this.socket.send(packet, peer.port, peer.address);
  }

  private note(line: string): void {
    const now = performance.now();
    if (now - this.lastLog < LOG_INTERVAL_MS) return;
    this.lastLog = now;
    this.options.log(line);
  }
}

/** Flattens a packet into groups of messages sharing a time (a nested bundle keeps its own tag). */
function collect(packet: OscPacket, at: number | undefined, into: Timed[]): void {
  if (packet.kind === 'message') {
    const last = into[into.length - 1];
    if (last && last.at === at) last.messages.push(packet);
    else into.push({ at, messages: [packet] });
    return;
  }
  const own = isImmediate(packet.timeTag) ? at : timeTagToUnixMs(packet.timeTag);
  for (const element of packet.elements) collect(element, own, into);
}

/** MIDI bytes from /midi's arguments: one blob, OSC MIDI arguments (port, status, data1, data2), or ints. */
function midiBytes(args: readonly OscArg[]): number[] {
  if (args.length === 1 && args[0].type === 'blob') return [...(argBlob(args[0]) ?? [])];
  const bytes: number[] = [];
  for (const arg of args) {
    if (arg.type === 'midi') bytes.push(arg.value[1], arg.value[2], arg.value[3]);
    else if (arg.type === 'integer' || arg.type === 'float' || arg.type === 'double') bytes.push(arg.value);
    else throw usage('/midi takes a blob of MIDI bytes, OSC MIDI arguments (m) or integers', args);
  }
  if (bytes.length === 0)
    throw usage('/midi takes a blob of MIDI bytes, OSC MIDI arguments (m) or integers', args);
  return bytes;
}

/** The error for arguments that do not fit, naming the type tags received. */
function usage(text: string, args: readonly OscArg[]): SynchrotronError {
  const tags = args.map(argTag).join('');
  return new SynchrotronError('invalid', `${text} (got ${tags ? `,${tags}` : 'no arguments'})`);
}

function cut(text: string): string {
  return text.length > OSC_LIMITS.maxReplyChars
    ? `${text.slice(0, OSC_LIMITS.maxReplyChars)}… (cut; GET /export has it all)`
    : text;
}
