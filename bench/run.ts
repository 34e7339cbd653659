// `npm run bench`: offline render speed of the patches in bench/patches.ts at 128 and 256 frames per block,
// with the WebAssembly SIMD kernels and with the plain-JS fallback. Each case runs in its own process (a
// fresh JIT), single-threaded, start-up excluded. Prints a table; writes bench/results/latest.json.
//
//   npm run bench                          all cases (about a minute)
//   npm run bench -- --only sines-1000     cases whose patch name contains the text
//   npm run bench -- --engine wasm         one engine only (wasm | js)
//   npm run bench -- --soak-seconds 10     shorter server soak (default 60 s; 0 skips it; --only skips it)
//   npm run bench -- --only reverb-tail    only the reverb's denormal check (also runs with --only reverb)
//   npm run bench -- --only scsynth        only the whole-process race against scsynth (bench/versus-scsynth.ts)
//   npm run bench -- --only osc            only OSC: decoding cost and /value → /done over loopback UDP
//   npm run bench -- --only build-3000     parse and build a 3,000-node patch, by stage (bench/build-edit.ts)
//   npm run bench -- --only edit-3000      the render thread's cost of one edit to a 3,000-node graph
//   npm run bench -- --only threads        multi-core: 1 thread vs 2 on independent chains (bench/threads.ts)
//   npm run bench -- --only poly-32-threads  a VoicesNode's voices on 1 thread vs 2 (bench/threads.ts)
//
// After the offline cases comes the server soak (bench/soak.ts): real time on the `none` output with a
// 200-node patch under 200 HTTP requests/s, reporting underruns, CPU load, p99 latency, memory growth.
//
// Realtime factor = audio seconds rendered / wall seconds spent (median and best of several rounds), and
// per CPU second of the process (RT× cpu, median round): on a shared machine other processes steal the core
// and inflate wall time, while CPU time counts only what this render used. ns per node-sample = the lesser
// of the median wall and CPU round times / (frames × nodes that render).
//
// Steady state (after a warm-up of at least 1 s and 3,000 blocks): GC events are counted with a
// PerformanceObserver over the timed rounds (the warm-up's garbage is collected before them). Heap growth is
// V8's bytes in use after exactly 1,000 blocks minus before (after a full GC; least of 5 trials, less the
// same over 0 blocks), by space: young growth is what the render allocates, growth only in the old and code
// spaces is V8 installing compiled code. V8's sampling heap profiler runs sparsely through the rounds, and
// densely over 1,000 more blocks when there was GC or growth: the case prints where they allocated.

import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg } from 'node:os';
import { PerformanceObserver, constants as perfConstants, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setWasmKernelsEnabled, wasmKernelsAvailable } from '../src/engine/wasm/kernels.js';
import {
  type BuildReport,
  buildBench,
  type EditReport,
  editBench,
  formatBuild,
  formatEdit,
} from './build-edit.js';
import { formatOscBench, type OscBenchReport, runOscBench } from './osc.js';
import { allPatches, benchRegistry } from './patches.js';
import { formatSoak, runSoak, type SoakReport } from './soak.js';
import { formatReverbTail, type ReverbTailReport, reverbTail } from './space-dynamics.js';
import {
  formatPolyThreads,
  formatThreads,
  polyThreadsBench,
  type ThreadsReport,
  threadsBench,
} from './threads.js';
import { formatVersus, type VersusReport, versusScsynth } from './versus-scsynth.js';

const SAMPLE_RATE = 44100;
const BLOCK_SIZES = [128, 256];
const ENGINES = ['wasm', 'js'] as const;
type Engine = (typeof ENGINES)[number];
const WARM_UP_SECONDS = 1; // long enough for concurrent TurboFan compiles on a busy machine
/**
 * And at least this many blocks: functions called once a block tier up by calls, not time, and a slow case
 * (the JS engine's big graphs) gives fewer in a second than V8 needs; until then they box numbers.
 */
const WARM_UP_BLOCKS = 3000;
const ROUND_SECONDS = 0.25;
const ROUNDS = 7;
/** Issue 14: sines-1000 rendered ≥ 25× realtime at 128 frames (the first target, from an earlier issue, was 8×). */
const TARGET_REALTIME = 25;
const HEAP_TRIALS = 5;
/** The rounds' allocation is sampled once per this many bytes on average. */
const ROUNDS_SAMPLING_BYTES = 16384;
/** The kinds of GC a PerformanceEntry's detail.kind names. */
const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
/**
 * Heap growth per 1,000 blocks below this is measurement noise, not per-block allocation (< 1 B/block): the
 * heap statistics' own objects vary by a few hundred bytes. The table shows whole KiB.
 */
const HEAP_NOISE_BYTES = 1024;

interface CaseResult {
  patch: string;
  blockSize: number;
  engine: Engine;
  renderingNodes: number;
  buildMs: number;
  blocksTimed: number;
  realtimeMedian: number;
  realtimeBest: number;
  /** Audio seconds per CPU second of this process (median round): what one core does when others contend. */
  realtimeCpu: number;
  nsPerNodeSample: number;
  gcPer1000Blocks: number;
  /** The kinds of the GCs counted (minor: a scavenge of the young generation, which allocation fills). */
  gcKinds: string[];
  /** When there was GC in the rounds: where the rounds allocated (sampled every ROUNDS_SAMPLING_BYTES). */
  roundsSites: string[];
  heapGrowthPer1000BlocksBytes: number;
  /** The part of it in the young generation, where the render's own allocations land. */
  youngGrowthPer1000BlocksBytes: number;
  /** Where 1,000 more blocks allocate, most first: sampled when there was GC or growth, else empty. */
  allocationSites: string[];
  peak: number;
}

interface Skipped {
  patch: string;
  skip: string;
}

// ------------------------------------------------------------------------------------------- one case

async function runCase(patchName: string, blockSize: number, engine: Engine): Promise<CaseResult> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setWasmKernelsEnabled(engine === 'wasm');
  if (engine === 'wasm' && !wasmKernelsAvailable()) throw new Error('WebAssembly SIMD is not available here');
  const registry = await benchRegistry();
  const spec = allPatches(registry.has('SquareNode')).find((p) => p.name === patchName);
  if (!spec) throw new Error(`no patch ${patchName}`);

  const buildStart = performance.now();
  const { synth, renderingNodes } = spec.build(blockSize, registry);
  await synth.ready(); // files that structural inputs name (samples) are read and decoded
  synth.renderBlock(); // applies the queued edits: compile happens here
  const buildMs = performance.now() - buildStart;

  const blockSeconds = blockSize / SAMPLE_RATE;
  let peak = 0;
  let lastCpuSeconds = 0;
  /** Renders `blocks` blocks; returns wall seconds and leaves this process's CPU seconds in lastCpuSeconds. */
  const render = (blocks: number): number => {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    for (let b = 0; b < blocks; b++) synth.renderBlock();
    const wall = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    lastCpuSeconds = (cpu.user + cpu.system) / 1e6;
    return wall;
  };

  /** Renders `blocks` blocks and nothing else: the timing above boxes its numbers (a few objects a call). */
  const renderOnly = (blocks: number): void => {
    for (let b = 0; b < blocks; b++) synth.renderBlock();
  };

  // Warm up (JIT tiers), then size a round to ROUND_SECONDS.
  let blocks = 16;
  let elapsed = render(blocks);
  let warmed = elapsed;
  let warmedBlocks = blocks;
  while (warmed < WARM_UP_SECONDS) {
    blocks = Math.min(blocks * 2, 1 << 20);
    elapsed = render(blocks);
    warmed += elapsed;
    warmedBlocks += blocks;
  }
  if (warmedBlocks < WARM_UP_BLOCKS) render(WARM_UP_BLOCKS - warmedBlocks);
  const blocksPerRound = Math.max(100, Math.round((blocks * ROUND_SECONDS) / elapsed));

  // GCs that start within the timed rounds. Only those: V8 also collects in tasks (its memory reducer, after
  // the heap grew in the build and warm-up), which run in the pause after the rounds, not because of them.
  const roundsWindow = { start: Number.POSITIVE_INFINITY, end: Number.POSITIVE_INFINITY };
  const gcKinds: string[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.startTime >= roundsWindow.start && entry.startTime < roundsWindow.end) {
        gcKinds.push(
          GC_KINDS[(entry as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other',
        );
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const flush = () => new Promise((resolve) => setTimeout(resolve, 20));
  // The warm-up's garbage (code still in V8's lower tiers boxes numbers, and compiling allocates) is
  // collected now, so that the rounds do not pay for it.
  gc();
  await flush();

  // Sampled sparsely through the rounds too (free while nothing allocates): an allocation that stops before
  // the heap trials below still says where it was.
  const roundsSampling = await sampleAllocations(ROUNDS_SAMPLING_BYTES);
  const rounds: number[] = [];
  const cpuRounds: number[] = [];
  roundsWindow.start = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    rounds.push(render(blocksPerRound));
    cpuRounds.push(lastCpuSeconds);
  }
  roundsWindow.end = performance.now();
  await flush();
  const gcCounted = gcKinds.length;
  const roundsSites = await roundsSampling.stop('runCase'); // async, never optimized
  const blocksTimed = blocksPerRound * ROUNDS;

  // Heap growth over exactly 1,000 steady-state blocks, less the growth over 0 blocks (gc() and the
  // statistics themselves leave ~10–150 KB behind); the least of a few trials of each. By space: what the
  // render allocates lands in the young generation; V8's compiler, finishing a job in a background thread,
  // installs code and its data in the old and code spaces.
  const least = { young: [Infinity, Infinity], old: [Infinity, Infinity] };
  for (let trial = 0; trial < HEAP_TRIALS; trial++) {
    for (const [i, blocks] of [0, 1000].entries()) {
      gc();
      const before = heapBySpace();
      renderOnly(blocks);
      const after = heapBySpace();
      least.young[i] = Math.min(least.young[i], after.young - before.young);
      least.old[i] = Math.min(least.old[i], after.old - before.old);
    }
  }
  observer.disconnect();
  const youngGrowth = Math.max(0, least.young[1] - least.young[0]);
  const oldGrowth = Math.max(0, least.old[1] - least.old[0]);
  // Where 1,000 more blocks allocate, so that a flag in a long run can be acted on even if it does not come
  // back alone.
  const allocationSites: string[] = [];
  if (gcCounted > 0 || youngGrowth + oldGrowth > HEAP_NOISE_BYTES) {
    const sampling = await sampleAllocations(256);
    // Called once, so never optimized: its frame stays on the sampled stacks (an inlined one would not).
    (function thousandBlocks() {
      for (let b = 0; b < 1000; b++) synth.renderBlock();
    })();
    allocationSites.push(...(await sampling.stop('thousandBlocks')));
  }

  const master = synth.renderBlock();
  for (let i = 0; i < blockSize; i++) peak = Math.max(peak, Math.abs(master.left[i]));
  synth.dispose();

  rounds.sort((a, b) => a - b);
  cpuRounds.sort((a, b) => a - b);
  const median = rounds[Math.floor(rounds.length / 2)];
  const best = rounds[0];
  const cpuMedian = cpuRounds[Math.floor(cpuRounds.length / 2)];
  const roundAudio = blocksPerRound * blockSeconds;
  return {
    patch: patchName,
    blockSize,
    engine,
    renderingNodes,
    buildMs: round(buildMs, 1),
    blocksTimed,
    realtimeMedian: round(roundAudio / median, 2),
    realtimeBest: round(roundAudio / best, 2),
    realtimeCpu: round(roundAudio / cpuMedian, 2),
    nsPerNodeSample: round(
      (Math.min(median, cpuMedian) * 1e9) / (blocksPerRound * blockSize * renderingNodes),
      3,
    ),
    gcPer1000Blocks: round((gcCounted * 1000) / blocksTimed, 3),
    gcKinds,
    roundsSites: gcCounted > 0 ? roundsSites : [],
    heapGrowthPer1000BlocksBytes: youngGrowth + oldGrowth,
    youngGrowthPer1000BlocksBytes: youngGrowth,
    allocationSites,
    peak: round(peak, 4),
  };
}

/**
 * Starts V8's sampling heap profiler, one sample per `interval` bytes allocated on average, counting objects
 * that were collected again too (young garbage is what per-block allocation makes). `stop(root)` returns the
 * sites where the callees of the function named `root` allocated, as "function file bytes", most first.
 * `root` must be a function V8 has not optimized (one called once): frames inlined into optimized code
 * were missing from the sampled stacks.
 */
async function sampleAllocations(interval: number): Promise<{ stop(root: string): Promise<string[]> }> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: interval,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as object);
  return {
    async stop(root) {
      const { profile } = (await session.post('HeapProfiler.stopSampling')) as {
        profile: { head: SamplingNode };
      };
      session.disconnect();
      const bytesBySite = new Map<string, number>();
      // Only what `root`'s callees allocate: the profiler's own messages and promises are not theirs, and
      // what `root` itself allocates is the harness (its feedback vector, made on its first call; its timing).
      const visit = (node: SamplingNode, inRoot: boolean): void => {
        const isRoot = !inRoot && node.callFrame.functionName === root;
        const within = inRoot || isRoot;
        if (within && !isRoot && node.selfSize > 0) {
          const { functionName, url } = node.callFrame;
          const site = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(src|bench)\//, '$1/')}`;
          bytesBySite.set(site, (bytesBySite.get(site) ?? 0) + node.selfSize);
        }
        for (const child of node.children) visit(child, within);
      };
      visit(profile.head, false);
      return [...bytesBySite]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([site, bytes]) => `${site} ${bytes} B`);
    },
  };
}

/** Bytes in use in V8's young generation and everywhere else (old, code, large-object and map spaces). */
function heapBySpace(): { young: number; old: number } {
  let young = 0;
  let old = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name.startsWith('new_')) young += space.space_used_size;
    else old += space.space_used_size;
  }
  return { young, old };
}

interface SamplingNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: SamplingNode[];
}

function round(x: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(x * scale) / scale;
}

// ------------------------------------------------------------------------------------------- driver

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function runInChild(patch: string, blockSize: number, engine: Engine): Promise<CaseResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--case', patch, String(blockSize), engine], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: CaseResult | undefined;
    child.on('message', (message) => {
      result = message as CaseResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`case ${patch} @${blockSize} ${engine} exited with ${code}`));
    });
  });
}

function runTailInChild(): Promise<ReverbTailReport> {
  return runInOwnProcess<ReverbTailReport>('--reverb-tail');
}

/** Runs this file with `flag` in a fresh process (a fresh JIT) and resolves with what it sends back. */
function runInOwnProcess<T>(flag: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [flag], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: T | undefined;
    child.on('message', (message) => {
      result = message as T;
    });
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${flag} exited with ${code}`))));
  });
}

/**
 * The render allocates: a GC during the timed rounds (the warm-up's garbage is collected before them), young
 * growth, or growth elsewhere with a site in the render (an allocation V8 pretenured).
 */
function allocates(r: CaseResult): boolean {
  return (
    r.gcPer1000Blocks > 0 ||
    r.youngGrowthPer1000BlocksBytes > HEAP_NOISE_BYTES ||
    (r.heapGrowthPer1000BlocksBytes > HEAP_NOISE_BYTES && r.allocationSites.length > 0)
  );
}

/** Old and code spaces grew but nothing in the render allocated: V8 installed code (a compile finished). */
function compiling(r: CaseResult): boolean {
  return !allocates(r) && r.heapGrowthPer1000BlocksBytes > HEAP_NOISE_BYTES;
}

function caseName(r: CaseResult): string {
  return `${r.patch}@${r.blockSize}/${r.engine}`;
}

function pad(text: string | number, width: number): string {
  const s = String(text);
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

/** The sections after the render cases, by the names `--only` matches (a part of one selects it). */
const SECTIONS = [
  'reverb-tail',
  'build-3000',
  'edit-3000',
  'threads',
  'poly-32-threads',
  'versus-scsynth',
  'osc',
] as const;

async function main(): Promise<void> {
  const only = argument('--only');
  const engineArg = argument('--engine');
  if (engineArg !== undefined && !ENGINES.some((e) => e === engineArg)) {
    console.error(`--engine ${engineArg}: no such engine (${ENGINES.join(' or ')})`);
    process.exitCode = 1;
    return;
  }
  const engines = ENGINES.filter((e) => !engineArg || e === engineArg);
  const registry = await benchRegistry();
  const every = allPatches(registry.has('SquareNode'));
  const patches = every.filter((p) => !only || p.name.includes(only));
  const runs = (section: (typeof SECTIONS)[number]) => !only || section.includes(only);
  if (patches.length === 0 && !SECTIONS.some(runs)) {
    console.error(
      `--only ${only}: no case or section has that in its name\n  cases: ${every.map((p) => p.name).join(' ')}\n  sections: ${SECTIONS.join(' ')}`,
    );
    process.exitCode = 1;
    return;
  }
  const skipped: Skipped[] = patches.filter((p) => p.skip).map((p) => ({ patch: p.name, skip: p.skip! }));
  const loadBefore = loadavg()[0];
  const results: CaseResult[] = [];

  // The render cases (none when --only names a section only).
  if (patches.length > 0) {
    const header = `${pad('patch', 16)} ${pad('frames', 6)} ${pad('engine', 6)} ${pad('nodes', 6)} ${pad('RT× med', 9)} ${pad('RT× best', 9)} ${pad('RT× cpu', 8)} ${pad('ns/node·smp', 11)} ${pad('GC/1k blk', 9)} ${pad('heap Δ/1k blk', 13)}`;
    console.log(header);
    console.log('-'.repeat(header.length));
    for (const patch of patches) {
      if (patch.skip) continue;
      for (const blockSize of BLOCK_SIZES) {
        for (const engine of engines) {
          const r = await runInChild(patch.name, blockSize, engine);
          results.push(r);
          console.log(
            `${pad(r.patch, 16)} ${pad(r.blockSize, 6)} ${pad(r.engine, 6)} ${pad(r.renderingNodes, 6)} ${pad(r.realtimeMedian.toFixed(2), 9)} ${pad(r.realtimeBest.toFixed(2), 9)} ${pad(r.realtimeCpu.toFixed(2), 8)} ${pad(r.nsPerNodeSample.toFixed(3), 11)} ${pad(r.gcPer1000Blocks, 9)} ${pad(`${Math.floor(r.heapGrowthPer1000BlocksBytes / 1024)} KiB${r.gcPer1000Blocks > 0 ? '*' : ''}`, 13)}`,
          );
          if (r.gcKinds.length > 0) console.log(`    GC in the timed rounds: ${r.gcKinds.join(', ')}`);
          for (const site of r.roundsSites) console.log(`    the rounds allocated in ${site}`);
          for (const site of r.allocationSites) console.log(`    allocates in ${site}`);
          if (compiling(r)) {
            const old = r.heapGrowthPer1000BlocksBytes - r.youngGrowthPer1000BlocksBytes;
            console.log(
              `    ${old} B in the old and code spaces, nothing allocated by the render: V8 installing code`,
            );
          }
        }
      }
    }
    if (results.some((r) => r.gcPer1000Blocks > 0)) {
      console.log('* garbage was collected during the measurement, so heap Δ understates the allocation');
    }
    for (const s of skipped) console.log(`skipped ${s.patch}: ${s.skip}`);

    const target = results.find(
      (r) => r.patch === 'sines-1000' && r.blockSize === 128 && r.engine === 'wasm',
    );
    if (target) {
      const fast = Math.max(target.realtimeBest, target.realtimeCpu) >= TARGET_REALTIME;
      console.log(
        `\ntarget sines-1000 @128 ≥ ${TARGET_REALTIME}× realtime: ${fast ? 'met' : 'NOT met'} ` +
          `(wall median ${target.realtimeMedian}×, best ${target.realtimeBest}×; per CPU second ${target.realtimeCpu}×)`,
      );
    }
    const allocating = results.filter(allocates);
    const compiled = results.filter(compiling);
    console.log(
      allocating.length === 0
        ? 'steady state: no GC and no allocation in any case'
        : `steady state: GC or allocation in ${allocating.map(caseName).join(', ')}`,
    );
    if (compiled.length > 0)
      console.log(`  (V8 compiled during the measurement of ${compiled.map(caseName).join(', ')})`);
  }

  // The reverb's denormal check (its own process: a fresh JIT, like the cases above).
  let tail: ReverbTailReport | null = null;
  if (runs('reverb-tail')) {
    tail = await runTailInChild();
    console.log(`\n${formatReverbTail(tail)}`);
  }

  // Building and editing a 3,000-node patch (each in its own process).
  let build: BuildReport | null = null;
  if (runs('build-3000')) {
    build = await runInOwnProcess<BuildReport>('--build-3000');
    console.log(`\n${formatBuild(build)}`);
  }
  let edit: EditReport | null = null;
  if (runs('edit-3000')) {
    edit = await runInOwnProcess<EditReport>('--edit-3000');
    console.log(`\n${formatEdit(edit)}`);
  }

  // Multi-core: one thread against two, alternating, in a process of its own.
  let threads: ThreadsReport | null = null;
  if (runs('threads')) {
    threads = await runInOwnProcess<ThreadsReport>('--threads');
    console.log(`\n${formatThreads(threads)}`);
  }
  let polyThreads: ThreadsReport | null = null;
  if (runs('poly-32-threads')) {
    polyThreads = await runInOwnProcess<ThreadsReport>('--poly-threads');
    console.log(`\n${formatPolyThreads(polyThreads)}`);
  }

  // The whole-process race against scsynth (skipped when it is not installed).
  let versus: VersusReport | null = null;
  if (runs('versus-scsynth')) {
    versus = versusScsynth();
    console.log(`\n${formatVersus(versus)}`);
  }

  // OSC: decoding in this process, round trips against a real server on loopback.
  let osc: OscBenchReport | null = null;
  if (runs('osc')) {
    osc = await runOscBench();
    console.log(`\n${formatOscBench(osc)}`);
  }

  const soakSeconds = Number(argument('--soak-seconds') ?? (only ? 0 : 60));
  let soak: SoakReport | null = null;
  if (soakSeconds > 0) {
    console.log(`\nserver soak, ${soakSeconds} s…`);
    soak = await runSoak({ seconds: soakSeconds });
    console.log(formatSoak(soak));
  }

  const outDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverage1mBefore: loadBefore,
    loadAverage1mAfter: loadavg()[0],
    sampleRate: SAMPLE_RATE,
    rounds: ROUNDS,
    roundSeconds: ROUND_SECONDS,
    targetRealtime: TARGET_REALTIME,
    results,
    skipped,
    reverbTail: tail,
    build3000: build,
    edit3000: edit,
    threads,
    polyThreads,
    versusScsynth: versus,
    osc,
    soak,
  };
  writeFileSync(`${outDir}latest.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote bench/results/latest.json (load average before ${loadBefore.toFixed(2)})`);
}

if (process.argv[2] === '--reverb-tail') {
  process.send?.(reverbTail(await benchRegistry()));
} else if (process.argv[2] === '--build-3000') {
  process.send?.(buildBench());
} else if (process.argv[2] === '--threads') {
  process.send?.(threadsBench());
} else if (process.argv[2] === '--poly-threads') {
  process.send?.(polyThreadsBench());
} else if (process.argv[2] === '--edit-3000') {
  process.send?.(editBench());
} else if (process.argv[2] === '--case') {
  const result = await runCase(process.argv[3], Number(process.argv[4]), process.argv[5] as Engine);
  process.send?.(result);
} else {
  await main();
}
