// Benchmark patches for the space and dynamics nodes (ReverbNode, CompressorNode, DistortionNode), and the
// reverb's denormal check: a dying tail must cost no more CPU at its end than at its start.

import type { NodeRegistry } from '../src/engine/registry.js';
import { Synchrotron } from '../src/synchrotron.js';
import type { PatchSpec } from './patches.js';

const SAMPLE_RATE = 44100;

/**
 * `reverb`: noise through four ReverbNodes in series (stereo), played. Six nodes render; the four reverbs
 * take nearly all the time, so one reverb costs about 1.5 × the ns per node-sample shown.
 */
export function reverbChain(): PatchSpec {
  return {
    name: 'reverb',
    build(blockSize, registry) {
      const synth = new Synchrotron({ sampleRate: SAMPLE_RATE, blockSize, registry });
      synth.transaction(() => {
        synth.addValue(-0.5, 'lo');
        synth.addValue(0.5, 'hi');
        synth.add('UniformRandomNode', 'noise');
        synth.link('lo.out', 'noise.min');
        synth.link('hi.out', 'noise.max');
        let left = 'noise.out';
        let right = 'noise.out';
        for (let k = 0; k < 4; k++) {
          const verb = synth.add('ReverbNode', `verb${k}`).name;
          synth.addValue(1 + k, `decay${k}`);
          synth.link(`decay${k}.out`, `${verb}.decay`);
          synth.link(left, `${verb}.inputLeft`);
          synth.link(right, `${verb}.inputRight`);
          left = `${verb}.left`;
          right = `${verb}.right`;
        }
        synth.add('PlaybackNode', 'play');
        synth.link(left, 'play.left');
        synth.link(right, 'play.right');
      });
      return { synth, renderingNodes: 6 };
    },
  };
}

/**
 * `dynamics`: a sine through DistortionNode (tanh, +12 dB, mix 0.7) and CompressorNode (−20 dB, 4:1),
 * played. The level is steady, so Gain Reduction is published once and then never (each publish is one
 * small object on the heap, at most five a second).
 */
export function dynamicsChain(): PatchSpec {
  return {
    name: 'dynamics',
    build(blockSize, registry) {
      const synth = new Synchrotron({ sampleRate: SAMPLE_RATE, blockSize, registry });
      synth.transaction(() => {
        synth.addValue(220, 'freq');
        synth.add('SineNode', 'osc');
        synth.link('freq.out', 'osc.frequency');
        synth.add('DistortionNode', 'dist');
        synth.addValue(12, 'drive');
        synth.addValue(0.7, 'wet');
        synth.link('drive.out', 'dist.drive');
        synth.link('wet.out', 'dist.mix');
        synth.link('osc.out', 'dist.input');
        synth.add('CompressorNode', 'comp');
        synth.link('dist.out', 'comp.input');
        synth.add('PlaybackNode', 'play');
        synth.link('comp.out', 'play.left');
        synth.link('comp.out', 'play.right');
      });
      return { synth, renderingNodes: 4 };
    },
  };
}

export interface ReverbTailReport {
  decaySeconds: number;
  tailSeconds: number;
  /** Process CPU seconds spent rendering the first and the last 10 s of the tail (median of rounds). */
  firstTenCpuSeconds: number;
  lastTenCpuSeconds: number;
  ratio: number;
  target: number;
  met: boolean;
}

/**
 * The denormal check: 5 s of noise (fading out) into a ReverbNode (decay 0.5 s), then 60 s of its dying
 * tail; CPU time of the tail's last 10 s must stay within 1.5× its first 10 s. The noise also warms the JIT
 * up, so the first 10 s are not inflated by compiling. Repeated with fresh engines; medians compared (the
 * machine may be shared). Note what this criterion cannot see: without the flush, float32 lines slow down
 * (about 2×) from about 7 s into the tail and stay slow — inside the first 10 s, so the ratio stays near 1;
 * docs/decisions.md ("ReverbNode") has the per-second profile that shows it.
 */
export function reverbTail(registry: NodeRegistry, blockSize = 128, rounds = 3): ReverbTailReport {
  const decaySeconds = 0.5;
  const noiseSeconds = 5;
  const tailSeconds = 60;
  const blocksOf = (seconds: number) => Math.round((seconds * SAMPLE_RATE) / blockSize);
  const first: number[] = [];
  const last: number[] = [];
  const cpuOf = (synth: Synchrotron, blocks: number) => {
    const start = process.cpuUsage();
    for (let b = 0; b < blocks; b++) synth.renderBlock();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1e6;
  };
  for (let round = 0; round < rounds; round++) {
    const synth = new Synchrotron({ sampleRate: SAMPLE_RATE, blockSize, registry });
    synth.transaction(() => {
      // Noise × an envelope that falls from 1 to 0 over 5 s, once (the clock ticks at its first frame).
      synth.addValue(0.001, 'once');
      synth.add('ClockNode', 'pulse');
      synth.link('once.out', 'pulse.frequency');
      synth.add('TriggerEnvelopeNode', 'fade');
      synth.addValue(0.001, 'attack');
      synth.addValue(noiseSeconds, 'fadeTime');
      synth.link('pulse.out', 'fade.trigger');
      synth.link('attack.out', 'fade.attack');
      synth.link('fadeTime.out', 'fade.decay');
      synth.addValue(-0.5, 'lo');
      synth.addValue(0.5, 'hi');
      synth.add('UniformRandomNode', 'noise');
      synth.link('lo.out', 'noise.min');
      synth.link('hi.out', 'noise.max');
      synth.add('MultiplyNode', 'burst');
      synth.link('noise.out', 'burst.a');
      synth.link('fade.envelope', 'burst.b');
      synth.add('ReverbNode', 'verb');
      synth.addValue(decaySeconds, 'decay');
      synth.addValue(1, 'wet');
      synth.link('decay.out', 'verb.decay');
      synth.link('wet.out', 'verb.mix');
      synth.link('burst.out', 'verb.inputLeft');
      synth.link('burst.out', 'verb.inputRight');
      synth.add('PlaybackNode', 'play');
      synth.link('verb.left', 'play.left');
      synth.link('verb.right', 'play.right');
    });
    cpuOf(synth, blocksOf(noiseSeconds + 0.01));
    first.push(cpuOf(synth, blocksOf(10)));
    cpuOf(synth, blocksOf(tailSeconds - 20));
    last.push(cpuOf(synth, blocksOf(10)));
    synth.dispose();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const firstTen = median(first);
  const lastTen = median(last);
  const ratio = lastTen / firstTen;
  return {
    decaySeconds,
    tailSeconds,
    firstTenCpuSeconds: Math.round(firstTen * 1e4) / 1e4,
    lastTenCpuSeconds: Math.round(lastTen * 1e4) / 1e4,
    ratio: Math.round(ratio * 1000) / 1000,
    target: 1.5,
    met: ratio <= 1.5,
  };
}

export function formatReverbTail(report: ReverbTailReport): string {
  return (
    `reverb tail (decay ${report.decaySeconds} s, ${report.tailSeconds} s after 5 s of noise): CPU first 10 s ` +
    `${(report.firstTenCpuSeconds * 1000).toFixed(1)} ms, last 10 s ${(report.lastTenCpuSeconds * 1000).toFixed(1)} ms, ` +
    `ratio ${report.ratio} — target ≤ ${report.target}: ${report.met ? 'met' : 'NOT met'}`
  );
}
