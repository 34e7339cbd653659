// A real OSC client for tests: a UDP socket on loopback that sends datagrams and records the replies.

import { createSocket, type Socket } from 'node:dgram';
import {
  decodeOscPacket,
  encodeOscMessage,
  type OscMessage,
  type OutgoingArg,
} from '../../src/io/osc-codec.js';

const READ_LIMITS = { maxBytes: 65536, maxDepth: 8, maxMessages: 1024 };

export class OscClient {
  readonly replies: OscMessage[] = [];
  private waiters: Array<{ match: (m: OscMessage) => boolean; resolve: (m: OscMessage) => void }> = [];

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {
    // An ICMP "unreachable" for a datagram that found no listener must not fail the test.
    socket.on('error', () => {});
    socket.on('message', (data) => {
      const packet = decodeOscPacket(new Uint8Array(data), READ_LIMITS);
      if (packet.kind !== 'message') return;
      this.replies.push(packet);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(packet)) return true;
        w.resolve(packet);
        return false;
      });
    });
  }

  /** A client bound to `address` (127.0.0.1 by default) on a free port, sending to `serverPort`. */
  static async open(serverPort: number, address = '127.0.0.1'): Promise<OscClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, address, () => resolve()));
    const client = new OscClient(socket, serverPort);
    return client;
  }

  /** Sends raw bytes (a packet made by hand, or a bad one). */
  sendBytes(bytes: Uint8Array, host = '127.0.0.1'): void {
    this.socket.send(bytes, this.port, host);
  }

  send(address: string, args: OutgoingArg[] = []): void {
    this.sendBytes(encodeOscMessage(address, args));
  }

  /** Sends a message and waits for the reply that answers it (/done or /error naming its address). */
  async ask(address: string, args: OutgoingArg[] = [], ms = 20_000): Promise<OscMessage> {
    const reply = this.next((m) => answers(m, address), ms, this.replies.length);
    this.send(address, args);
    return reply;
  }

  /** The first reply (already received or coming) that matches. */
  next(match: (m: OscMessage) => boolean, ms = 20_000, since = 0): Promise<OscMessage> {
    const seen = this.replies.slice(since).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching OSC reply within ${ms} ms`)), ms);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** True when `reply` is the /done or /error for a message sent to `address`. */
export function answers(reply: OscMessage, address: string): boolean {
  const first = reply.args[0];
  const text = first && first.type === 'string' ? first.value : '';
  return (
    (reply.address === '/done' && text === address) ||
    (reply.address === '/error' && text.startsWith(`${address}:`))
  );
}

/** The string arguments of a reply. */
export function texts(reply: OscMessage): string[] {
  return reply.args.map((arg) => (arg.type === 'string' ? arg.value : String(arg.value)));
}

/** Polls `check` until it returns a value that is not undefined (conditions, never sleeps that race). */
export async function until<T>(check: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
