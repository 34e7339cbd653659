// Supervision of the render worker with real faults (test/server/fixtures/fault-node.mjs): a node blocked in
// a system call or looping forever is replaced by the watchdog; the clock never goes backwards; a recording
// goes on in the same file, a valid WAV at every moment; and when the worker cannot be kept alive, /status
// and /ws say so instead of claiming to play.

import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../src/api/protocol.js';
import { readWav } from '../../src/io/wav-writer.js';
import type { SynchrotronServer } from '../../src/server/index.js';
import { peak, zeroCrossingFrequency } from '../helpers/analysis.js';
import { EventClient, request, sleep, startServer } from './helpers.js';

const FAULT_NODE = pathToFileURL(join(import.meta.dirname, 'fixtures', 'fault-node.mjs')).href;
const HEADER = 58;
/** Generous: these are waits for conditions, not timings (a loaded machine may be slow). */
const WAIT = 30_000;

const SINE =
  'new 440 freq\nnew SineNode sine\nnew 0.5 half\nnew MultiplyNode quiet\nnew PlaybackNode out\n' +
  'link freq.out -> sine.frequency\nlink sine.out -> quiet.a\nlink half.out -> quiet.b\n' +
  'link quiet.out -> out.left\nlink quiet.out -> out.right';

const faultNode = (mode: string, path: string) =>
  `new "${mode}" mode\nnew ${JSON.stringify(path)} where\nnew FaultNode fault\n` +
  'link mode.out -> fault.fault\nlink where.out -> fault.path';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(): Promise<{ root: string; server: SynchrotronServer; client: EventClient }> {
  const root = mkdtempSync(join(tmpdir(), 'synchrotron-supervision-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const server = await startServer({ root, nodeModules: [FAULT_NODE] });
  cleanups.push(() => server.close());
  const client = await EventClient.open(`${server.url}/ws`);
  cleanups.push(() => client.close());
  return { root, server, client };
}

/** Polls /status until stopped; returns every status seen. */
function pollStatus(server: SynchrotronServer): { seen: EngineStatus[]; stop(): Promise<void> } {
  const seen: EngineStatus[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      seen.push((await request(server, 'GET', '/status')).body as EngineStatus);
      await sleep(10);
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/**
 * What is wrong with a WAV file as a reader finds it now: it reads the header first, then looks how much
 * follows (the writer writes samples before the header that counts them, so this order never races).
 */
function wavProblem(path: string): string | undefined {
  const header = Buffer.alloc(HEADER);
  const fd = openSync(path, 'r');
  let read: number;
  let size: number;
  try {
    read = readSync(fd, header, 0, HEADER, 0);
    size = fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
  if (size === 0) return undefined; // created this instant: its header is being written
  if (read < HEADER) return `only ${read} bytes`;
  if (header.toString('latin1', 0, 4) !== 'RIFF' || header.toString('latin1', 50, 54) !== 'data')
    return 'not a RIFF/WAVE header';
  const dataBytes = header.readUInt32LE(54);
  if (header.readUInt32LE(4) !== HEADER - 8 + dataBytes) return 'RIFF size disagrees with the data size';
  if (dataBytes % 4 !== 0) return `data size ${dataBytes} is not whole samples`;
  if (dataBytes > size - HEADER) return `header promises ${dataBytes} bytes, ${size - HEADER} there`;
  return undefined;
}

describe('render worker supervision', () => {
  it('replaces a worker blocked in a system call, keeps the graph playing and the clock going forwards', async () => {
    const { root, server, client } = await setUp();
    const fifo = join(root, 'hang.fifo');
    expect((await request(server, 'POST', '/execute', `${SINE}\n${faultNode('fifo', fifo)}`)).status).toBe(
      200,
    );
    client.send({ type: 'watch', ports: [{ node_name: 'sine', port_name: 'out' }] });
    await client.next('meter', (m) => m.port !== 'master' && m.peak > 0.99, WAIT);
    const before = (await request(server, 'GET', '/nodes')).body;
    const statuses = pollStatus(server);
    try {
      execFileSync('mkfifo', [fifo]); // FaultNode opens it at its next block, and blocks there
      const warning = await client.next('warning', (m) => /did not finish a block/.test(m.message), WAIT);
      expect(warning.message).toMatch(/restarting it with the current graph/);
      const since = client.messages.indexOf(warning);
      // The replacement plays the same graph: the sine's meter comes back at full level.
      await client.next('meter', (m) => m.port !== 'master' && m.peak > 0.99, WAIT, since);
      expect((await request(server, 'GET', '/nodes')).body).toStrictEqual(before);
      // Two more reports from the new worker, to compare clocks across the restart.
      const back = client.messages.length;
      const reports = () => client.messages.slice(back).filter((m) => m.type === 'status').length;
      while (reports() < 2) await client.next('status', () => true, WAIT, client.messages.length);
    } finally {
      await statuses.stop();
      // Let the stuck thread's open() return, so it can end.
      const taken = `${fifo}.taken`;
      if (existsSync(taken)) {
        try {
          closeSync(openSync(taken, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          // nobody reading it: nothing to release
        }
      }
    }
    const status = (await request(server, 'GET', '/status')).body as EngineStatus;
    expect(status.running).toBe(true);
    expect(status.reason).toBeUndefined();
    // The silence while the worker was stuck is counted, not hidden.
    expect(status.underruns).toBeGreaterThan(0);
    // Polled and pushed, the clock never went backwards, across the restart too.
    const pushed = client.messages.flatMap((m) => (m.type === 'status' ? [m.status.clock] : []));
    for (const clocks of [statuses.seen.map((s) => s.clock), pushed]) {
      expect(clocks.length).toBeGreaterThan(2);
      for (let i = 1; i < clocks.length; i++) expect(clocks[i]).toBeGreaterThanOrEqual(clocks[i - 1]);
    }
  });

  it('goes on recording in the same file across a restart, a valid WAV at every moment', async () => {
    const { root, server, client } = await setUp();
    const marker = join(root, 'spin-now');
    const take = join(root, 'take.wav');
    const script = `${SINE}\nnew "take.wav" file\nnew WavFileNode rec\nlink file.out -> rec.path\nlink quiet.out -> rec.signal\n${faultNode('spin', marker)}`;
    expect((await request(server, 'POST', '/execute', script)).status).toBe(200);

    // A reader looking at the take all along finds a valid file every time.
    const problems: string[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) {
        if (existsSync(take)) {
          const problem = wavProblem(take);
          if (problem) problems.push(problem);
        }
        await sleep(5);
      }
    })();
    try {
      const oneSecond = HEADER + 4 * 44100;
      while (!existsSync(take) || statSync(take).size < oneSecond) await sleep(20);
      writeFileSync(marker, ''); // FaultNode loops forever at its next block
      const warning = await client.next('warning', (m) => /did not finish a block/.test(m.message), WAIT);
      const since = client.messages.indexOf(warning);
      const continuing = await client.next(
        'warning',
        (m) => m.node === 'rec' && /continuing `take\.wav`/.test(m.message),
        WAIT,
        since,
      );
      const kept = Number(/\((\d+\.\d) s kept\)/.exec(continuing.message)?.[1]);
      expect(kept).toBeGreaterThanOrEqual(1);
      // Another second after the restart, then a clean shutdown closes the take.
      const target = HEADER + 4 * Math.round((kept + 1) * 44100);
      while (statSync(take).size < target) await sleep(20);
    } finally {
      reading = false;
      await reader;
    }
    await server.close();
    expect(problems.join('; ')).toBe('');
    expect(wavProblem(take)).toBeUndefined();
    // One take: nothing went to take-1.wav.
    expect(readdirSync(root).filter((name) => name.endsWith('.wav'))).toEqual(['take.wav']);
    const wav = readWav(take);
    expect(wav.sampleRate).toBe(44100);
    const samples = Float32Array.from(wav.channels[0]);
    expect(samples.length).toBeGreaterThan(2 * 44100);
    // The 440 Hz tone at half level before and after the restart.
    for (const part of [samples.subarray(0, 44100), samples.subarray(samples.length - 44100)]) {
      expect(Math.abs(zeroCrossingFrequency(part, 44100) - 440)).toBeLessThan(2);
      expect(peak(part)).toBeGreaterThan(0.49);
      expect(peak(part)).toBeLessThanOrEqual(0.5);
    }
  });

  it('after the restart limit says it is not running, and why, until Start tries again', async () => {
    const { server, client } = await setUp();
    expect((await request(server, 'POST', '/execute', `${SINE}\n${faultNode('exit', '')}`)).status).toBe(200);
    const failed = await client.next(
      'status',
      (m) => /rendering stopped/.test(m.status.reason ?? ''),
      60_000,
    );
    expect(failed.status.running).toBe(false);
    expect(failed.status.reason).toMatch(/6 failures within a minute/);
    expect(failed.status.reason).toMatch(/press Start/);
    expect(await client.next('transport', (m) => !m.running)).toBeDefined();
    const status = (await request(server, 'GET', '/status')).body as EngineStatus;
    expect(status).toMatchObject({ running: false, reason: failed.status.reason });
    // Edits are still taken (the graph is kept); without the culprit, Start brings the sound back.
    expect((await request(server, 'DELETE', '/nodes/fault')).status).toBe(200);
    const since = client.messages.length;
    await request(server, 'GET', '/start');
    const again = (await request(server, 'GET', '/status')).body as EngineStatus;
    expect(again.running).toBe(true);
    expect(again.reason).toBeUndefined();
    client.send({ type: 'watch', ports: [{ node_name: 'sine', port_name: 'out' }] });
    await client.next('meter', (m) => m.port !== 'master' && m.peak > 0.99, WAIT, since);
  });
});
