// Soak benchmark: the real server rendering a 200-node patch in real time (audio `none`) while a client
// sends mixed reads and edits at a steady rate. Reports underruns (target 0), CPU load of the render
// worker, request latency percentiles and memory over time (target: flat).
//
// Under contention: `--examples` plays the example patches in turn instead (a new one every seconds ÷
// patches, as a performer switching patches), and `--hogs N` runs N CPU hogs (`yes > /dev/null`) beside it
// for the whole run. It reports the underruns after the first second (target ≤ 1 with two hogs on two
// cores) and the render-ahead the server's adaptive latency settled at.
//
//   tsx bench/soak.ts --seconds 60 [--rate 200] [--json]     (needs `npm run build`: the worker runs from dist/)
//   tsx bench/soak.ts --seconds 60 --examples --hogs 2       (npm run bench:contention)

import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { EngineStatus } from '../src/api/protocol.js';
import { createServer } from '../src/server/index.js';

export interface SoakOptions {
  seconds: number;
  /** Requests per second (default 200; 20 with `examples`). */
  rate?: number;
  /** Voices of 5 nodes each (default 40 → 200 nodes + 1 PlaybackNode). */
  voices?: number;
  /** Play the example patches in turn instead of the voices. */
  examples?: boolean;
  /** CPU hogs running beside the server for the whole run (default 0). */
  hogs?: number;
}

export interface SoakReport {
  seconds: number;
  /** 'voices' or the example patches played in turn. */
  patch: string;
  /** CPU hogs that ran beside the server. */
  hogs: number;
  /** 1-minute load average at the end (the machine may be shared with other work). */
  loadAverage: number;
  nodes: number;
  requests: number;
  requestsPerSecond: number;
  /** Answers that were not 2xx (should be 0: the mix only sends valid requests). */
  failedRequests: number;
  underruns: number;
  /** Underruns (blocks) after the first second (start-up, first compiles and the JIT excluded). */
  underrunsAfterFirstSecond: number;
  /** Separate dropouts after the first second: quarter-second windows in which underruns grew. */
  dropoutsAfterFirstSecond: number;
  /** The server's render-ahead (adaptive latency), ms: at the start, the most it reached, and at the end. */
  renderAheadMs: { start: number; max: number; end: number };
  /** What a watching editor gets, per second after the first (target ≥ 20 each): scopes, meters, spectra. */
  watchedPerSecond: { scope: number; meter: number; spectrum: number };
  /** Render time ÷ block time of the worker: mean and worst of the 4×/s reports. */
  cpuLoad: { mean: number; max: number };
  latencyMs: { p50: number; p99: number; max: number };
  memory: {
    /** Medians over the first and last 10% of the run (after a 5 s warm-up), in MB. */
    rssStartMB: number;
    rssEndMB: number;
    heapStartMB: number;
    heapEndMB: number;
    heapGrowthMB: number;
    rssGrowthMB: number;
  };
  /** CPU time of the whole process (server, worker and the load client) ÷ elapsed: 1 = one core. */
  processCpu: number;
  /** Event-loop delay of the main thread (HTTP, JSON, the load client). */
  mainLoopDelayMs: { p99: number; max: number };
  framesRendered: number;
  /** Frames rendered ÷ (seconds × sample rate): 1 means real time was kept. */
  realTimeRatio: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** 40 voices: DataNode → SineNode × DataNode gain → AddNode chain → one PlaybackNode. */
function patch(voices: number): string {
  const lines: string[] = [];
  for (let i = 0; i < voices; i++) {
    lines.push(
      `new ${110 + i * 11} f${i}`,
      `new SineNode s${i}`,
      `new 0.02 g${i}`,
      `new MultiplyNode m${i}`,
      `new AddNode a${i}`,
    );
    lines.push(`link f${i}.out -> s${i}.frequency`, `link s${i}.out -> m${i}.a`, `link g${i}.out -> m${i}.b`);
    lines.push(`link m${i}.out -> a${i}.a`);
    if (i > 0) lines.push(`link a${i - 1}.out -> a${i}.b`);
  }
  lines.push(
    'new PlaybackNode out',
    `link a${voices - 1}.out -> out.left`,
    `link a${voices - 1}.out -> out.right`,
  );
  return lines.join('\n');
}

const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));

/** The example patches (examples/*.syn and examples/midi/*.syn) as name → script. */
function examplePatches(): Array<{ name: string; script: string }> {
  const found: Array<{ name: string; script: string }> = [];
  for (const folder of ['', 'midi']) {
    for (const file of readdirSync(join(EXAMPLES, folder)).sort()) {
      if (!file.endsWith('.syn')) continue;
      found.push({ name: join(folder, file), script: readFileSync(join(EXAMPLES, folder, file), 'utf8') });
    }
  }
  return found;
}

/**
 * Processes that keep a core busy each (`yes > /dev/null`), ended by their ids at the end of the run. Each
 * in a session of its own, as a program started elsewhere (another terminal) is: where the kernel groups
 * scheduling by session (autogroup), hogs in the server's own session would compete inside its group.
 */
function startHogs(count: number): ChildProcess[] {
  return Array.from({ length: count }, () => spawn('yes', [], { stdio: 'ignore', detached: true }));
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const seconds = options.seconds;
  const examples = options.examples ? examplePatches() : [];
  const rate = options.rate ?? (options.examples ? 20 : 200);
  const voices = options.voices ?? 40;
  const hogs = startHogs(options.hogs ?? 0);
  const server = await createServer({ port: 0, audio: 'none', log: () => {} });
  const base = server.url;
  try {
    const load = async (script: string) => {
      const built = await fetch(`${base}/execute`, { method: 'POST', body: script });
      if (!built.ok) throw new Error(`could not build the soak patch: ${await built.text()}`);
    };
    await load(examples.length > 0 ? examples[0].script : patch(voices));
    const nodes = server.engine.graph.size;
    /** DataNodes holding numbers in the example playing now, for value edits. */
    let values: string[] = [];
    const findValues = () => {
      values = server.engine.graph
        .nodes()
        .filter((node) => typeof node.value === 'number')
        .map((node) => node.name);
    };
    findValues();

    const latencies: number[] = [];
    let failed = 0;
    let sent = 0;
    let temp = 0;
    const pick = (n: number) => Math.floor(Math.random() * n);
    const call = async (method: string, path: string, body?: unknown) => {
      const began = performance.now();
      try {
        const response = await fetch(base + path, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        await response.arrayBuffer();
        if (!response.ok) failed++;
      } catch {
        failed++;
      }
      latencies.push(performance.now() - began);
    };
    /** Mixed traffic: ≈ 70% reads, 30% edits (values, relinks, node add/remove). */
    const oneRequest = () => {
      sent++;
      if (examples.length > 0) {
        // A performer's traffic: mostly the editor's reads, some value changes.
        const roll = Math.random();
        if (roll < 0.6) return call('GET', '/status');
        if (roll < 0.8 || values.length === 0) return call('GET', '/nodes');
        const name = values[pick(values.length)];
        if (switching || !server.engine.graph.hasNode(name)) return call('GET', '/nodes');
        const value = server.engine.graph.node(name).value;
        return call('PUT', `/nodes/${encodeURIComponent(name)}/value`, typeof value === 'number' ? value : 0);
      }
      const roll = Math.random();
      const i = pick(voices);
      if (roll < 0.3) return call('GET', `/nodes/s${i}`);
      if (roll < 0.45) return call('GET', '/status');
      if (roll < 0.55) return call('GET', '/connections');
      if (roll < 0.6) return call('GET', '/nodes');
      if (roll < 0.7) return call('GET', '/export');
      if (roll < 0.85) return call('PUT', `/nodes/f${i}/value`, 110 + pick(880));
      if (roll < 0.93)
        return call('PATCH', '/connections', {
          source: { node_name: `g${pick(voices)}`, port_name: 'out' },
          sink: { node_name: `m${i}`, port_name: 'b' },
        });
      const name = `tmp${temp++}`;
      return call('POST', `/nodes/${name}?type=SineNode`).then(() => call('DELETE', `/nodes/${name}`));
    };

    // An editor watching a stream output (a scope and a meter) and the master spectrum, counting updates.
    const watched = { scope: 0, meter: 0, spectrum: 0 };
    const { WebSocket } = createRequire(import.meta.url)('ws') as {
      WebSocket: new (
        url: string,
      ) => {
        on(event: string, listener: (data: Buffer) => void): void;
        send(text: string): void;
        close(): void;
      };
    };
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`);
    let counting = false;
    const watchSomething = () => {
      const node = server.engine.graph
        .nodes()
        .find((n) => Object.values(n.definition.outputs).some((spec) => spec.kind === 'stream'));
      if (!node) return;
      const port = Object.entries(node.definition.outputs).find(([, spec]) => spec.kind === 'stream')?.[0];
      socket.send(
        JSON.stringify({ type: 'watch', ports: [{ node_name: node.name, port_name: port }], spectrum: true }),
      );
    };
    await new Promise<void>((resolve) =>
      socket.on('open', () => {
        watchSomething();
        resolve();
      }),
    );
    socket.on('message', (data) => {
      if (!counting) return;
      const type = /"type":"(\w+)"/.exec(data.toString().slice(0, 40))?.[1];
      if (type === 'scope' || type === 'meter' || type === 'spectrum') watched[type]++;
    });
    const statuses: Array<EngineStatus & { t: number }> = [];
    const memory: Array<{ t: number; rss: number; heap: number }> = [];
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const cpuBefore = process.cpuUsage();
    const began = performance.now();
    const startStatus = server.engine.status();
    const pending = new Set<Promise<void>>();
    const interval = 1000 / rate;
    let next = began;
    let playing = 0;
    let switching = false;
    let countingSince = 0;
    const sampler = setInterval(() => {
      statuses.push({ ...server.engine.status(), t: (performance.now() - began) / 1000 });
      if (!counting && performance.now() - began >= 1000) {
        counting = true;
        countingSince = performance.now();
      }
      // The next example when its share of the run is over.
      const due = Math.min(
        examples.length - 1,
        Math.floor(((performance.now() - began) / 1000 / seconds) * examples.length),
      );
      if (examples.length > 0 && due > playing) {
        playing = due;
        const next = examples[due];
        switching = true;
        void (async () => {
          await fetch(`${base}/clear`);
          await load(next.script);
          findValues();
          watchSomething();
          switching = false;
        })();
      }
      const usage = process.memoryUsage();
      memory.push({ t: (performance.now() - began) / 1000, rss: usage.rss, heap: usage.heapUsed });
    }, 250);
    // Open-loop load: requests leave on schedule whether or not earlier ones have answered.
    while (performance.now() - began < seconds * 1000) {
      const now = performance.now();
      while (next <= now) {
        const request = oneRequest();
        pending.add(request);
        void request.finally(() => pending.delete(request));
        next += interval;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
    }
    clearInterval(sampler);
    const watchedSeconds = (performance.now() - countingSince) / 1000;
    counting = false;
    socket.close();
    await Promise.all(pending);
    const elapsed = (performance.now() - began) / 1000;
    const endStatus = server.engine.status();
    loopDelay.disable();
    const cpu = process.cpuUsage(cpuBefore);

    const sorted = [...latencies].sort((a, b) => a - b);
    const loads = statuses.map((s) => s.cpuLoad).filter((x) => x > 0);
    const warm = memory.filter((m) => m.t >= Math.min(5, seconds / 4));
    const slice = Math.max(1, Math.floor(warm.length / 10));
    const first = warm.slice(0, slice);
    const last = warm.slice(-slice);
    const rssStart = median(first.map((m) => m.rss));
    const rssEnd = median(last.map((m) => m.rss));
    const heapStart = median(first.map((m) => m.heap));
    const heapEnd = median(last.map((m) => m.heap));
    const frames = endStatus.clock - startStatus.clock;
    const afterFirst = statuses.find((status) => status.t >= 1) ?? startStatus;
    const aheads = statuses.map((status) => (status.latency ?? 0) * 1000);
    return {
      seconds: round(elapsed, 1),
      patch: examples.length > 0 ? `examples (${examples.map((e) => e.name).join(', ')})` : 'voices',
      hogs: hogs.length,
      loadAverage: round(loadavg()[0], 2),
      nodes,
      requests: latencies.length,
      requestsPerSecond: round(sent / elapsed, 1),
      failedRequests: failed,
      underruns: endStatus.underruns,
      underrunsAfterFirstSecond: endStatus.underruns - afterFirst.underruns,
      dropoutsAfterFirstSecond: statuses.filter(
        (status, i) => status.t >= 1 && i > 0 && status.underruns > statuses[i - 1].underruns,
      ).length,
      renderAheadMs: {
        start: round(aheads[0] ?? 0, 1),
        max: round(Math.max(0, ...aheads), 1),
        end: round((endStatus.latency ?? 0) * 1000, 1),
      },
      watchedPerSecond: {
        scope: round(watched.scope / watchedSeconds, 1),
        meter: round(watched.meter / watchedSeconds, 1),
        spectrum: round(watched.spectrum / watchedSeconds, 1),
      },
      cpuLoad: {
        mean: round(loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length), 4),
        max: round(Math.max(0, ...loads), 4),
      },
      latencyMs: {
        p50: round(percentile(sorted, 50), 2),
        p99: round(percentile(sorted, 99), 2),
        max: round(sorted.at(-1) ?? 0, 2),
      },
      memory: {
        rssStartMB: mb(rssStart),
        rssEndMB: mb(rssEnd),
        heapStartMB: mb(heapStart),
        heapEndMB: mb(heapEnd),
        heapGrowthMB: mb(heapEnd - heapStart),
        rssGrowthMB: mb(rssEnd - rssStart),
      },
      processCpu: round((cpu.user + cpu.system) / 1e6 / elapsed, 3),
      mainLoopDelayMs: { p99: round(loopDelay.percentile(99) / 1e6, 1), max: round(loopDelay.max / 1e6, 1) },
      framesRendered: frames,
      realTimeRatio: round(frames / (elapsed * server.engine.sampleRate), 4),
    };
  } finally {
    await server.close();
    for (const hog of hogs) hog.kill();
  }
}

export function formatSoak(report: SoakReport): string {
  return [
    `soak: ${report.seconds} s real time, ${report.patch}, ${report.nodes} nodes at first, audio none`,
    `  contention    ${report.hogs} CPU hogs; load average ${report.loadAverage} at the end (the machine may be shared)`,
    `  requests      ${report.requests} (${report.requestsPerSecond}/s), failed ${report.failedRequests}`,
    `  underruns     ${report.underruns} blocks; after the first second ${report.underrunsAfterFirstSecond} blocks in ${report.dropoutsAfterFirstSecond} dropouts   (target 0; ≤ 1 with two hogs)`,
    `  render-ahead  ${report.renderAheadMs.start} ms at the start, at most ${report.renderAheadMs.max} ms, ${report.renderAheadMs.end} ms at the end`,
    `  watching      ${report.watchedPerSecond.scope} scopes, ${report.watchedPerSecond.meter} meters, ${report.watchedPerSecond.spectrum} spectra a second   (target ≥ 20 each)`,
    `  CPU load      mean ${(report.cpuLoad.mean * 100).toFixed(2)}%, max ${(report.cpuLoad.max * 100).toFixed(2)}% of real time`,
    `  latency       p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, max ${report.latencyMs.max} ms`,
    `  memory        rss ${report.memory.rssStartMB} → ${report.memory.rssEndMB} MB (${report.memory.rssGrowthMB >= 0 ? '+' : ''}${report.memory.rssGrowthMB}), heap ${report.memory.heapStartMB} → ${report.memory.heapEndMB} MB (${report.memory.heapGrowthMB >= 0 ? '+' : ''}${report.memory.heapGrowthMB})`,
    `  process CPU   ${(report.processCpu * 100).toFixed(0)}% of one core (server + worker + load client); main loop delay p99 ${report.mainLoopDelayMs.p99} ms, max ${report.mainLoopDelayMs.max} ms`,
    `  real time     ${report.realTimeRatio} (frames rendered ÷ elapsed × rate)`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      rate: { type: 'string' },
      examples: { type: 'boolean' },
      hogs: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const report = await runSoak({
    seconds: Number(values.seconds),
    rate: values.rate ? Number(values.rate) : undefined,
    examples: values.examples,
    hogs: values.hogs ? Number(values.hogs) : 0,
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatSoak(report)}\n`);
}
