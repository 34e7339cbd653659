// Build and edit costs of a 3,000-node patch (issue 14, item 2), two bench cases:
//
//   build-3000  sines-1000 as a Synchrolang script (3,002 nodes, 6,004 lines), built as a user does it:
//               `new Synchrotron()`, `execute(text)`, first `renderBlock()`. Stages timed separately:
//               engine creation, parse, execute (parse + evaluate + graph edits), first block (the renderer
//               makes the nodes, binds, compiles the plan), a later block. CPU ms (process.cpuUsage, less
//               disturbed by other processes than wall time), best and median over rounds in one process.
//   edit-3000   one edit to that graph at a time (add a node, link, set a value, unlink, a link back from a node
//               placed after its sink, rename, relink, remove): what the
//               render thread spends applying it at a block boundary (`renderer.applyPending()`, the call
//               the server's render worker makes inside its block loop), wall µs, median and worst.
//
// npm run bench -- --only build-3000   (or edit-3000; each runs in its own process)

import { performance } from 'node:perf_hooks';
import { parse } from '../src/lang/index.js';
import { Synchrotron } from '../src/synchrotron.js';
import { sinesPatch } from './versus-scsynth.js';

const BUILD_ROUNDS = 8;
const EDITS_PER_KIND = 40;
/** The render thread's budget for one edit (issue 14): ≤ 0.5 ms. */
export const EDIT_BUDGET_MS = 0.5;
/** The budget for parsing and building 3,000 nodes (issue 14): ≤ 0.1 s. */
export const BUILD_BUDGET_MS = 100;

export interface Stat {
  best: number;
  median: number;
  worst: number;
}

export interface BuildReport {
  nodes: number;
  lines: number;
  rounds: number;
  /** CPU ms per stage. */
  stages: Record<'create' | 'parse' | 'execute' | 'firstBlock' | 'laterBlock' | 'total', Stat>;
  /** The first round alone (a cold JIT, as `synchrotron render` meets it). */
  firstRound: Record<string, number>;
}

export interface EditReport {
  nodes: number;
  /** Render-thread µs per edit kind (applyPending after the edit was queued). */
  kinds: Record<string, Stat>;
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function stat(values: number[], digits: number): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x: number) => Number(x.toFixed(digits));
  return {
    best: round(sorted[0]),
    median: round(sorted[Math.floor(sorted.length / 2)]),
    worst: round(sorted[sorted.length - 1]),
  };
}

export function buildBench(rounds = BUILD_ROUNDS): BuildReport {
  const script = sinesPatch();
  const samples: Record<string, number[]> = {
    create: [],
    parse: [],
    execute: [],
    firstBlock: [],
    laterBlock: [],
    total: [],
  };
  let nodes = 0;
  for (let r = 0; r < rounds; r++) {
    let t = cpuMs();
    const start = t;
    const lap = (stage: string) => {
      const now = cpuMs();
      samples[stage].push(now - t);
      t = now;
    };
    parse(script);
    lap('parse');
    const synth = new Synchrotron({ sampleRate: 44100, blockSize: 128 });
    lap('create');
    synth.execute(script);
    lap('execute');
    synth.renderBlock();
    lap('firstBlock');
    samples.total.push(t - start - samples.parse[r]); // create + execute + first block: what a user waits for
    synth.renderBlock();
    lap('laterBlock');
    nodes = synth.graph.nodes().length;
    synth.dispose();
  }
  const stages = Object.fromEntries(
    Object.entries(samples).map(([stage, values]) => [stage, stat(values, 1)]),
  ) as BuildReport['stages'];
  const firstRound = Object.fromEntries(Object.entries(samples).map(([stage, values]) => [stage, values[0]]));
  return { nodes, lines: script.split('\n').length - 1, rounds, stages, firstRound };
}

export function editBench(edits = EDITS_PER_KIND): EditReport {
  const synth = new Synchrotron({ sampleRate: 44100, blockSize: 128 });
  synth.execute(sinesPatch());
  for (let b = 0; b < 8; b++) synth.renderBlock();
  const renderer = synth.renderer;
  // Sines 0…edits-1 lose their frequency link (untimed): each then has a free input early in the order, the
  // sink of a "link back" from a node placed at the end.
  for (let i = 0; i < edits; i++) synth.unlink(`f${i}.out`, `s${i}.frequency`);
  renderer.applyPending();
  synth.renderBlock();
  const times: Record<string, number[]> = {
    add: [],
    link: [],
    set: [],
    unlink: [],
    'link back': [],
    rename: [],
    relink: [],
    remove: [],
  };
  /** Queues one edit on the control side, then times the render thread applying it (µs). */
  const timed = (kind: string, edit: () => void) => {
    edit();
    const start = performance.now();
    renderer.applyPending();
    times[kind].push((performance.now() - start) * 1000);
    synth.renderBlock(); // the block that follows, untimed
  };
  for (let i = 0; i < edits; i++) {
    // A new sine fed by an existing frequency, added into the sum in place of sine i (relinks add i's input).
    timed('add', () => synth.add('SineNode', `extra${i}`));
    timed('link', () => synth.link(`f${i}.out`, `extra${i}.frequency`));
    timed('set', () => synth.setValue(`f${i}`, 220 + i));
    timed('unlink', () => synth.unlink(`f${i}.out`, `extra${i}.frequency`));
    // From the node placed last to a sine near the start of the order: the source moves before its sink.
    timed('link back', () => synth.link(`extra${i}.out`, `s${i}.frequency`));
    // A sine in the middle of the order, fed and feeding.
    timed('rename', () => synth.graph.renameNode(`s${500 + i}`, `renamed${i}`));
    // A relink: s${i}.frequency back to f${i} (the graph sends unlink + link). The unlink takes away the link
    // extra${i} was reached by, which still makes the order afresh.
    timed('relink', () => synth.link(`f${i}.out`, `s${i}.frequency`));
    // Untimed: s${i} is free again for the next round's link back.
    synth.unlink(`f${i}.out`, `s${i}.frequency`);
    renderer.applyPending();
    synth.renderBlock();
    timed('remove', () => synth.remove(`extra${i}`));
  }
  const nodes = synth.graph.nodes().length;
  synth.dispose();
  return {
    nodes,
    kinds: Object.fromEntries(Object.entries(times).map(([kind, values]) => [kind, stat(values, 1)])),
  };
}

export function formatBuild(report: BuildReport): string {
  const lines = [
    `build-3000: sines-1000 as a script (${report.nodes} nodes, ${report.lines} lines), CPU ms, best / median / worst of ${report.rounds} rounds (first round in brackets)`,
  ];
  for (const [stage, s] of Object.entries(report.stages)) {
    lines.push(
      `  ${stage.padEnd(11)} ${String(s.best).padStart(7)} / ${String(s.median).padStart(7)} / ${String(s.worst).padStart(7)}   (${report.firstRound[stage].toFixed(1)})`,
    );
  }
  // The issue asks for the median, not the best round (a best round says little on a shared machine).
  const met = report.stages.total.median <= BUILD_BUDGET_MS;
  lines.push(
    `  target create + execute + first block ≤ ${BUILD_BUDGET_MS} ms by the median: ${met ? 'met' : 'NOT met'} (best ${report.stages.total.best} ms, median ${report.stages.total.median} ms)`,
  );
  return lines.join('\n');
}

export function formatEdit(report: EditReport): string {
  const lines = [
    `edit-3000: one edit to a ${report.nodes}-node graph, render-thread µs to apply it at a block boundary, best / median / worst`,
  ];
  for (const [kind, s] of Object.entries(report.kinds)) {
    lines.push(
      `  ${kind.padEnd(9)} ${String(s.best).padStart(8)} / ${String(s.median).padStart(8)} / ${String(s.worst).padStart(8)}`,
    );
  }
  const worstMedian = Math.max(...Object.values(report.kinds).map((s) => s.median));
  lines.push(
    `  target ≤ ${EDIT_BUDGET_MS * 1000} µs per edit (median): ${worstMedian <= EDIT_BUDGET_MS * 1000 ? 'met' : 'NOT met'} (slowest kind ${worstMedian} µs)`,
  );
  return lines.join('\n');
}
