// OSC benchmark: what a datagram costs the server's main thread, and how soon a controller's message is
// answered. (1) Decoding, in-process: µs per packet for a fader message, a `/value`, and a bundle of 16
// MIDI messages, with the server's bounds. (2) Round trip over real UDP on loopback: a client sends
// `/value` and waits for `/done`, one at a time, against a real server (audio `none`); p50/p99/max in ms.
//
//   npm run bench -- --only osc          (also runs with the whole bench)
//   tsx bench/osc.ts [--json]            on its own (needs `npm run build`: the worker runs from dist/)

import { createSocket } from 'node:dgram';
import { pathToFileURL } from 'node:url';
import { decodeOscPacket, encodeOscBundle, encodeOscMessage } from '../src/io/osc-codec.js';
import { OSC_LIMITS } from '../src/io/security.js';
import { createServer } from '../src/server/index.js';

export interface OscBenchReport {
  /** µs per packet decoded (median of 5 rounds of 20,000). */
  decodeMicroseconds: { fader: number; value: number; bundle16: number };
  /** /value → /done over loopback UDP, one at a time. */
  roundTripMs: { count: number; p50: number; p99: number; max: number };
}

const ROUNDS = 5;
const PER_ROUND = 20_000;
const ROUND_TRIPS = 2000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function decodeCost(packet: Uint8Array): number {
  for (let i = 0; i < PER_ROUND; i++) decodeOscPacket(packet, OSC_LIMITS); // warm-up
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    for (let i = 0; i < PER_ROUND; i++) decodeOscPacket(packet, OSC_LIMITS);
    rounds.push(((performance.now() - start) * 1000) / PER_ROUND);
  }
  return Math.round(median(rounds) * 100) / 100;
}

async function roundTrips(): Promise<OscBenchReport['roundTripMs']> {
  // Budgets wide enough for the whole run: this measures the path, not the limiter (whose default lets
  // one sender have 200 replies at once, then 100 a second).
  const wide = { burst: 10 * ROUND_TRIPS, perSecond: 10 * ROUND_TRIPS };
  const server = await createServer({
    port: 0,
    osc: 0,
    audio: 'none',
    log: () => {},
    oscRates: { message: wide, total: wide, reply: wide, replyTotal: wide },
  });
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    server.engine.graph.addNode('DataNode', 'level', 0);
    let answered: (() => void) | undefined;
    socket.on('message', () => answered?.());
    const times: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const packet = encodeOscMessage('/value', ['level', i / ROUND_TRIPS]);
      const start = performance.now();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no /done for /value ${i} within 10 s`)), 10_000);
        answered = () => {
          clearTimeout(timer);
          resolve();
        };
        socket.send(packet, server.osc!.port, '127.0.0.1');
      });
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const at = (p: number) =>
      Math.round(times[Math.min(times.length - 1, Math.floor(p * times.length))] * 1000) / 1000;
    return { count: times.length, p50: at(0.5), p99: at(0.99), max: at(1) };
  } finally {
    socket.close();
    await server.close();
  }
}

export async function runOscBench(): Promise<OscBenchReport> {
  const midi = { address: '/midi', args: [{ int: 0x90 }, { int: 60 }, { int: 100 }] };
  return {
    decodeMicroseconds: {
      fader: decodeCost(encodeOscMessage('/1/fader1', [0.5])),
      value: decodeCost(encodeOscMessage('/value', ['freq', 440])),
      bundle16: decodeCost(
        encodeOscBundle(
          [0, 1],
          Array.from({ length: 16 }, () => midi),
        ),
      ),
    },
    roundTripMs: await roundTrips(),
  };
}

export function formatOscBench(report: OscBenchReport): string {
  const d = report.decodeMicroseconds;
  const r = report.roundTripMs;
  return [
    `OSC decode: fader ${d.fader} µs, /value ${d.value} µs, bundle of 16 MIDI ${d.bundle16} µs per packet`,
    `OSC /value → /done over loopback (${r.count}, one at a time): p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = await runOscBench();
  console.log(process.argv.includes('--json') ? JSON.stringify(report, null, 2) : formatOscBench(report));
}
