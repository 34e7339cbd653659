// OSC for the Node render host (the server's render worker). In: the OSC server on the main thread hands
// messages for node addresses to the worker, which `deliver`s them here to the OscReceiveNodes listening
// at that address — at the next block, or at the frame an OSC bundle's time tag maps to. Out: OscSendNode
// queues messages without allocating while it renders; the render loop `flush`es them after the block,
// encoding and sending from a UDP socket of its own. Where they may go is decided by the caller's
// `destination` rule (the security module): this file only applies it.
//
// Threads: everything here runs on the render thread, `send`/`drain` inside process(), the rest between
// blocks.

import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { type OscSink, type OscSource, OscValues } from '../engine/definition.js';
import type { DataValue } from '../engine/types.js';
import { dataToArgs, encodeOscMessage } from './osc-codec.js';

/** Values waiting for one listener before the oldest are dropped (nobody renders, or a flood). */
const MAX_PENDING_VALUES = 1024;
/** Messages OscSendNodes may queue between two flushes; more are dropped and counted. */
const OUTGOING_CAPACITY = 1024;

interface PendingValue {
  value: DataValue;
  number: number;
  /** Engine frame to land on (a bundle's time tag); undefined = the next block. */
  frame: number | undefined;
}

class OscListener implements OscSource {
  readonly queue: PendingValue[] = [];
  dropped = 0;
  constructor(
    readonly address: string,
    private readonly onClose: (listener: OscListener) => void,
  ) {}

  enqueue(value: PendingValue): void {
    if (this.queue.length >= MAX_PENDING_VALUES) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(value);
  }

  drain(into: OscValues, frames: number, blockStartFrame: number): void {
    into.count = 0;
    const queue = this.queue;
    if (queue.length === 0) return;
    let keep = 0;
    let last = 0;
    for (let i = 0; i < queue.length; i++) {
      const pending = queue[i];
      let frame = pending.frame === undefined ? 0 : pending.frame - blockStartFrame;
      if (frame >= frames || into.count >= OscValues.CAPACITY) {
        queue[keep++] = pending; // a later block
        continue;
      }
      if (frame < last) frame = last; // in arrival order; a late one as soon as possible
      last = frame;
      const n = into.count++;
      into.frame[n] = frame;
      into.number[n] = pending.number;
      into.latest = pending.value;
      into.version++;
    }
    queue.length = keep;
  }

  close(): void {
    this.queue.length = 0;
    this.onClose(this);
  }
}

/** Routes incoming OSC values to the listeners of each address. */
export class OscInputHub {
  private readonly listeners = new Map<string, Set<OscListener>>();

  /** Between blocks: a message for `address` (its arguments as one value, and the first number or NaN). */
  deliver(address: string, value: DataValue, number: number, frame?: number): number {
    const set = this.listeners.get(address);
    if (!set) return 0;
    for (const listener of set) listener.enqueue({ value, number, frame });
    return set.size;
  }

  open(address: string): OscSource {
    let set = this.listeners.get(address);
    if (!set) {
      set = new Set();
      this.listeners.set(address, set);
    }
    const listener = new OscListener(address, (closed) => {
      const current = this.listeners.get(closed.address);
      current?.delete(closed);
      if (current?.size === 0) this.listeners.delete(closed.address);
    });
    set.add(listener);
    return listener;
  }

  clear(): void {
    this.listeners.clear();
  }
}

/** One queued outgoing message; slots are reused, so queueing allocates nothing. */
interface OutgoingSlot {
  host: string;
  port: number;
  address: string;
  value: DataValue;
}

/** Outgoing OSC of every OscSendNode of one host, sent from this thread's own UDP sockets. */
export class OscOutput {
  private readonly slots: OutgoingSlot[] = [];
  private count = 0;
  /** Messages handed to the socket, confirmed sent, dropped because the queue was full, failed. */
  queued = 0;
  sent = 0;
  dropped = 0;
  failed = 0;
  private udp4: Socket | undefined;
  private udp6: Socket | undefined;
  private closed = false;
  /** The last destination checked, and the answer: nodes send to one place, so this is one compare. */
  private checkedHost: string | undefined;
  private checkedProblem: string | null = null;

  constructor(private readonly destination: (host: string) => string | null) {
    for (let i = 0; i < OUTGOING_CAPACITY; i++)
      this.slots.push({ host: '', port: 0, address: '', value: null });
  }

  /** Why `host` is refused, or null (the last answer is kept: nodes send to one place). */
  check(host: string): string | null {
    if (host !== this.checkedHost) {
      this.checkedHost = host;
      this.checkedProblem = this.destination(host);
    }
    return this.checkedProblem;
  }

  /** Render side. */
  send(host: string, port: number, address: string, value: DataValue): string | null {
    const problem = this.check(host);
    if (problem !== null) return problem;
    if (this.count >= OUTGOING_CAPACITY) {
      this.dropped++;
      return null;
    }
    const slot = this.slots[this.count++];
    slot.host = host;
    slot.port = port;
    slot.address = address;
    slot.value = value;
    return null;
  }

  /** Between blocks: encodes and sends what was queued. */
  flush(): void {
    const count = this.count;
    this.count = 0;
    if (this.closed) return;
    for (let i = 0; i < count; i++) {
      const slot = this.slots[i];
      let packet: Uint8Array;
      try {
        packet = encodeOscMessage(slot.address, dataToArgs(slot.value));
      } catch {
        this.failed++;
        continue;
      }
      const socket = this.socketFor(slot.host);
      this.queued++;
      socket.send(packet, slot.port, slot.host, (error) => {
        if (error) this.failed++;
        else this.sent++;
      });
      slot.value = null; // let go of arrays and strings
    }
  }

  close(): void {
    this.closed = true;
    this.udp4?.close();
    this.udp6?.close();
    this.udp4 = this.udp6 = undefined;
  }

  private socketFor(host: string): Socket {
    if (isIP(host) === 6) {
      this.udp6 ??= this.open('udp6');
      return this.udp6;
    }
    this.udp4 ??= this.open('udp4');
    return this.udp4;
  }

  private open(type: 'udp4' | 'udp6'): Socket {
    const socket = createSocket(type);
    // A destination that is gone (ICMP port unreachable) must never take the render thread down.
    socket.on('error', () => {
      this.failed++;
    });
    socket.unref();
    return socket;
  }
}

export interface OscHostOptions {
  /**
   * Where OscSendNodes may send: returns why a host is refused, or null. Without it this host sends no
   * OSC (offline renders run faster than real time and would flood the network).
   */
  destination?: (host: string) => string | null;
}

/** What a Node render host gains from OSC support (spread into createNodeHost's host). */
export interface OscHostServices {
  /** Incoming messages for node addresses: `host.oscIn.deliver(address, value, number, frame?)`. */
  readonly oscIn: OscInputHub;
  openOscInput(address: string): OscSource | null;
  openOscOutput(): OscSink | null;
  /** Render loop, after rendering: send what OscSendNodes queued. */
  flushOsc(): void;
  /** Outgoing counters since start: handed to the socket, confirmed sent, dropped (queue full), failed. */
  oscOutputStats(): { queued: number; sent: number; dropped: number; failed: number };
  closeOsc(): void;
}

export function oscHostServices(options: OscHostOptions = {}): OscHostServices {
  const hub = new OscInputHub();
  const output = options.destination ? new OscOutput(options.destination) : undefined;
  return {
    oscIn: hub,
    openOscInput: (address) => hub.open(address),
    openOscOutput: () =>
      output
        ? {
            send: (host, port, address, value) => output.send(host, port, address, value),
            check: (host) => output.check(host),
            close() {},
          }
        : null,
    flushOsc: () => output?.flush(),
    oscOutputStats: () => ({
      queued: output?.queued ?? 0,
      sent: output?.sent ?? 0,
      dropped: output?.dropped ?? 0,
      failed: output?.failed ?? 0,
    }),
    closeOsc: () => {
      output?.close();
      hub.clear();
    },
  };
}
