// Soak benchmark: the real server rendering a 200-node patch in real time (audio `none`) while a client
// sends mixed reads and edits at a steady rate. Reports underruns (target 0), CPU load of the render
// worker, request latency percentiles and memory over time (target: flat).
//
//   tsx bench/soak.ts --seconds 60 [--rate 200] [--json]     (needs `npm run build`: the worker runs from dist/)

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { EngineStatus } from '../src/api/protocol.js';
import { createServer } from '../src/server/index.js';

export interface SoakOptions {
  seconds: number;
  /** Requests per second (default 200). */
  rate?: number;
  /** Voices of 5 nodes each (default 40 → 200 nodes + 1 PlaybackNode). */
  voices?: number;
}

export interface SoakReport {
  seconds: number;
  nodes: number;
  requests: number;
  requestsPerSecond: number;
  /** Answers that were not 2xx (should be 0: the mix only sends valid requests). */
  failedRequests: number;
  underruns: number;
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

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const seconds = options.seconds;
  const rate = options.rate ?? 200;
  const voices = options.voices ?? 40;
  const server = await createServer({ port: 0, audio: 'none', log: () => {} });
  const base = server.url;
  try {
    const built = await fetch(`${base}/execute`, { method: 'POST', body: patch(voices) });
    if (!built.ok) throw new Error(`could not build the soak patch: ${await built.text()}`);
    const nodes = server.engine.graph.size;

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

    const statuses: EngineStatus[] = [];
    const memory: Array<{ t: number; rss: number; heap: number }> = [];
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const cpuBefore = process.cpuUsage();
    const began = performance.now();
    const startStatus = server.engine.status();
    const pending = new Set<Promise<void>>();
    const interval = 1000 / rate;
    let next = began;
    const sampler = setInterval(() => {
      statuses.push(server.engine.status());
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
    return {
      seconds: round(elapsed, 1),
      nodes,
      requests: latencies.length,
      requestsPerSecond: round(sent / elapsed, 1),
      failedRequests: failed,
      underruns: endStatus.underruns,
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
  }
}

export function formatSoak(report: SoakReport): string {
  return [
    `soak: ${report.seconds} s real time, ${report.nodes} nodes, audio none`,
    `  requests      ${report.requests} (${report.requestsPerSecond}/s), failed ${report.failedRequests}`,
    `  underruns     ${report.underruns}   (target 0)`,
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
      json: { type: 'boolean' },
    },
  });
  const report = await runSoak({
    seconds: Number(values.seconds),
    rate: values.rate ? Number(values.rate) : undefined,
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatSoak(report)}\n`);
}
