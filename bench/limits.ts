// `npm run bench:limits`: a server filled to its limits (DEFAULT_LIMITS: 10,000 nodes, 4 MiB of values,
// a quarter of them escape-heavy strings) answers GET /export, GET /nodes and the /ws hello — how fast,
// and how much memory the server process holds; then the recipes of issue 9 are replayed against it and
// the peak memory is reported. The server runs as `synchrotron serve` in its own process, so the client's
// work is not counted with it. Not a test: timings on a shared machine are noisy (run twice, report ranges).
//
//   npm run bench:limits                    fill, time 5 rounds of each answer, replay the recipes
//   npm run bench:limits -- --clients 16    also keep 16 WebSocket clients that never read

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LIMITS } from '../src/io/security.js';
import { EventClient, request } from '../test/server/helpers.js';

const MAIN = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const { values } = parseArgs({ options: { clients: { type: 'string' }, rounds: { type: 'string' } } });
const ROUNDS = Number(values.rounds ?? 5);
const STALLED = Number(values.clients ?? 0);

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The server process's resident memory now and at its peak (Linux: /proc/PID/status). */
function memory(child: ChildProcess): string {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return `server rss ${mib(kib('VmRSS'))}, peak ${mib(kib('VmHWM'))}`;
  } catch {
    return 'server memory unknown (no /proc)';
  }
}

/** CPU time the server process has used, in ms (Linux: /proc/PID/stat utime + stime), or NaN. */
function cpuMs(child: ChildProcess): number {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
  } catch {
    return Number.NaN;
  }
}

/** `synchrotron serve` in its own process, stopped and without a device. */
async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', '--audio', 'none', '--stopped'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk) => {
      log += chunk;
      const found = /listening on (http:\/\/\S+?) /.exec(log);
      if (found) resolve(found[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${log}`)));
  });
  return { url, child };
}

interface Timing {
  size: number;
  /** When the answer's first byte arrived (0: unknown). */
  firstByte: number;
}

/**
 * Runs `fn` ROUNDS times and prints the range and median of its complete and first-byte times, and of the
 * server's CPU time for it (what it costs, whatever else the machine is doing).
 */
async function timed(
  label: string,
  child: ChildProcess,
  fn: () => Promise<Timing>,
  before?: () => Promise<unknown>,
): Promise<void> {
  const complete: number[] = [];
  const first: number[] = [];
  const cpu: number[] = [];
  let size = 0;
  for (let i = 0; i < ROUNDS; i++) {
    await before?.();
    const cpuStart = cpuMs(child);
    const start = performance.now();
    const answer = await fn();
    complete.push(performance.now() - start);
    cpu.push(cpuMs(child) - cpuStart);
    first.push(answer.firstByte > 0 ? answer.firstByte - start : 0);
    size = answer.size;
  }
  const range = (list: number[]) => {
    const sorted = [...list].sort((a, b) => a - b);
    const ms = (t: number) => t.toFixed(0);
    return `${ms(sorted[0])}…${ms(sorted[sorted.length - 1])} ms (median ${ms(sorted[sorted.length >> 1])})`;
  };
  const firstByte = first.every((t) => t > 0) ? `; first byte ${range(first)}` : '';
  const server = cpu.every(Number.isFinite) ? `; server CPU ${range(cpu)}` : '';
  console.log(`${label.padEnd(22)} ${range(complete)}${firstByte}${server}; ${(size / 1e6).toFixed(1)} MB`);
}

async function get(url: string): Promise<Timing> {
  const response = await fetch(url);
  const firstByte = performance.now();
  return { size: (await response.text()).length, firstByte };
}

async function fill(server: { url: string }): Promise<void> {
  // 10,000 nodes: 5,000 DataNodes feeding 4,996 SineNodes (4,996 links), 1,000 of each kind per request.
  for (let chunk = 0; chunk < 5; chunk++) {
    const lines: string[] = [];
    for (let i = chunk * 1000; i < (chunk + 1) * 1000; i++) {
      lines.push(`new ${440 + i} f${i}`);
      if (i >= 4) lines.push(`new SineNode s${i}`, `link f${i}.out -> s${i}.frequency`);
    }
    const answer = await request(server, 'POST', '/execute', lines.join('\n'));
    if (answer.status !== 200) throw new Error(JSON.stringify(answer.body).slice(0, 300));
  }
  // The rest of the 4 MiB as strings of up to 150,000 characters (each request under the 1 MiB body
  // limit): plain, accented, all escapes (each 2–6 characters in a literal), words.
  let room = DEFAULT_LIMITS.maxValueBytes - 5000 * 24;
  const kinds = ['x', 'é', '"\n\\\u0001', 'voice '];
  for (let i = 0; room > 1000; i++) {
    const length = Math.min(150_000, room - 100);
    const unit = kinds[i % kinds.length];
    const text = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
    const answer = await request(server, 'PUT', `/nodes/f${i}/value`, JSON.stringify(text), {
      'content-type': 'application/json',
    });
    if (answer.status !== 200) throw new Error(JSON.stringify(answer.body).slice(0, 300));
    room -= length - 24;
  }
}

async function main(): Promise<void> {
  const { url, child } = await startServer();
  const server = { url };
  const stalled: ReturnType<typeof connect>[] = [];
  try {
    const started = performance.now();
    await fill(server);
    const nodes = ((await request(server, 'GET', '/nodes')).body as unknown[]).length;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`filled: ${nodes} nodes and 4 MiB of values in ${seconds} s; ${memory(child)}`);
    for (let i = 0; i < STALLED; i++) {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      socket.write(
        'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      socket.pause();
      socket.on('error', () => {});
      stalled.push(socket);
    }

    // Each round edits first (a `set`), so every answer is built afresh, not the one reused while the
    // graph is unchanged; the last line shows that reused one.
    let round = 0;
    const edit = () => request(server, 'PUT', '/nodes/f4999/value', String(round++));
    await timed('GET /export', child, () => get(`${url}/export`), edit);
    await timed('GET /nodes', child, () => get(`${url}/nodes`), edit);
    await timed(
      '/ws hello',
      child,
      async () => {
        const client = await EventClient.open(`${url}/ws`);
        const hello = await client.next('hello', () => true, 60_000);
        client.close();
        return { size: JSON.stringify(hello).length, firstByte: 0 };
      },
      edit,
    );
    await timed('GET /nodes (unchanged)', child, () => get(`${url}/nodes`));
    console.log(`after the answers: ${memory(child)}`);

    // The recipes of issue 9 against the full server: each a 4xx, the graph unchanged.
    const recipes: Array<[string, string]> = [
      ['20k SineNodes', Array.from({ length: 20_000 }, (_, i) => `new SineNode x${i}`).join('\n')],
      ['$nodes ×100', `remove s4\nnew [${Array(100).fill('$nodes').join(', ')}] big`],
      ['$nodes ×1000', `eval [${Array(1000).fill('$nodes').join(', ')}]`],
      ['1000 exports', Array(1000).fill('export').join('\n')],
      [
        '600 WavFileNodes',
        `clear\n${Array.from({ length: 600 }, (_, i) => `new WavFileNode w${i}`).join('\n')}`,
      ],
    ];
    for (const [name, script] of recipes) {
      const start = performance.now();
      const answer = await request(server, 'POST', '/execute', script);
      const limit = (answer.body as { limit?: string }).limit ?? '';
      console.log(
        `${name.padEnd(18)} → ${answer.status} ${limit} in ${(performance.now() - start).toFixed(0)} ms`,
      );
    }
    const after = ((await request(server, 'GET', '/nodes')).body as unknown[]).length;
    console.log(`graph after the recipes: ${after} nodes; ${memory(child)}`);
  } finally {
    for (const socket of stalled) socket.destroy();
    child.kill('SIGTERM');
  }
}

await main();
