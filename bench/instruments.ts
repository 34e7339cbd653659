// Instruments (issue 13): a subtractive voice (saw → ladder → ADSR → VCA) played by a VoicesNode.
//   poly-32        32 voices, all sounding: the cost of a sounding voice
//   poly-4-of-4    4 voices, all sounding; poly-4-of-128: 128 voices, 4 sounding (the other 124 idle)
//   poly-idle-128  128 voices, none sounding
// An idle voice costs (poly-4-of-128 − poly-4-of-4) / 124; a sounding voice poly-32 / 32.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeHost } from '../src/io/node-host.js';
import { Synchrotron } from '../src/synchrotron.js';
import type { PatchSpec } from './patches.js';

/** The subtractive voice of examples/instruments/subtractive.syn, shared cutoff and resonance inlets. */
export const SUBTRACTIVE_VOICE = `new InletNode frequency
new InletNode gate
new InletNode velocity
new InletNode(default: 1800) cutoff
new InletNode(default: 0.3) resonance
new SawtoothNode osc
new LadderFilterNode filter
new ADSRNode(attack: 0.005, decay: 0.2, sustain: 0.6, release: 0.4) env
new MultiplyNode vca
new MultiplyNode amp
new OutletNode out
link frequency.out -> osc.frequency
link osc.out -> filter.input
link cutoff.out -> filter.cutoff
link resonance.out -> filter.resonance
link gate.out -> env.gate
link filter.out -> vca.a
link env.envelope -> vca.b
link vca.out -> amp.a
link velocity.out -> amp.b
link amp.out -> out.input
`;
/**
 * A heavy voice for the voices-on-threads benches (issue 14 item 3, branch vlive): `layers` layers, each a
 * detune (MultiplyNode), an oscillator (saw, square, triangle, sine in turn), a filter (ladder or
 * state-variable in turn), an ADSR and a VCA, summed by AddNodes: 6·layers + 5 nodes with the inlets and
 * outlet (8 layers: 53). Only built-in, non-pinned node types, so its voices may split.
 */
export function heavyVoice(layers: number): string {
  const lines = [
    'new InletNode frequency',
    'new InletNode gate',
    'new InletNode velocity',
    'new MultiplyNode amp',
    'new OutletNode out',
  ];
  const oscillators = ['SawtoothNode', 'SquareNode', 'TriangleNode', 'SineNode'];
  for (let k = 0; k < layers; k++) {
    const ratio = 1 + 0.0031 * (k + 1) * (k % 2 === 0 ? 1 : -1);
    lines.push(`new MultiplyNode(b: ${ratio.toFixed(4)}) detune${k}`);
    lines.push(`new ${oscillators[k % 4]} osc${k}`);
    lines.push(
      k % 2 === 0
        ? `new LadderFilterNode(cutoff: ${900 + 300 * k}, resonance: 0.2) filter${k}`
        : `new StateVariableFilterNode(cutoff: ${1200 + 250 * k}, resonance: 0.3) filter${k}`,
    );
    lines.push(`new ADSRNode(attack: ${0.002 * (k + 1)}, decay: 0.3, sustain: 0.5, release: 0.4) env${k}`);
    lines.push(`new MultiplyNode vca${k}`);
    lines.push(`link frequency.out -> detune${k}.a`);
    lines.push(`link detune${k}.out -> osc${k}.frequency`);
    lines.push(`link osc${k}.out -> filter${k}.input`);
    lines.push(`link filter${k}.${k % 2 === 0 ? 'out' : 'lowpass'} -> vca${k}.a`);
    lines.push(`link gate.out -> env${k}.gate`);
    lines.push(`link env${k}.envelope -> vca${k}.b`);
    if (k > 0) {
      lines.push(`new AddNode sum${k}`);
      lines.push(`link ${k === 1 ? 'vca0' : `sum${k - 1}`}.out -> sum${k}.a`);
      lines.push(`link vca${k}.out -> sum${k}.b`);
    }
  }
  lines.push(`link ${layers > 1 ? `sum${layers - 1}` : 'vca0'}.out -> amp.a`);
  lines.push('link velocity.out -> amp.b');
  lines.push('link amp.out -> out.input');
  return `${lines.join('\n')}\n`;
}

/**
 * The benches' voices patch: `keys` (the source line names it so) into a VoicesNode `poly` of `voices` voices
 * playing voice.syn, its left output 30 dB down to both sides of a PlaybackNode.
 */
export function voicesPatch(keys: string, voices: number): string {
  return `${keys}
new VoicesNode(patch: "voice.syn", voices: ${voices}) poly
new GainNode(gain: -30) level
new PlaybackNode play
link keys.out -> poly.midi
link poly.left -> level.input
link level.out -> play.left
link level.out -> play.right
`;
}

/** Nodes of the voice that render every block (the inlets included). */
const VOICE_NODES = 11;

/** `voices` voices, `sounding` of them held (notes from C2 up, a fifth apart mod the octave). */
function poly(name: string, voices: number, sounding: number): PatchSpec {
  return {
    name,
    build(blockSize, registry) {
      const root = mkdtempSync(join(tmpdir(), 'synchrotron-bench-poly-'));
      writeFileSync(join(root, 'voice.syn'), SUBTRACTIVE_VOICE);
      const host = createNodeHost({ root, midi: { hardware: false } });
      const synth = new Synchrotron({ sampleRate: 44100, blockSize, registry, host });
      synth.execute(voicesPatch('new MidiInputNode keys', voices));
      synth.renderBlock(); // opens the virtual port
      const notes: number[] = [];
      for (let i = 0; i < sounding; i++) notes.push(0x90, 36 + ((i * 7) % 60), 100);
      if (notes.length > 0) host.virtualMidi.push(notes);
      synth.renderBlock();
      // The voices sound (and the idle ones are skipped): the voices' nodes, plus keys, poly, level, play.
      return { synth: synth as Synchrotron, renderingNodes: sounding * VOICE_NODES + 4 };
    },
  };
}

export function instrumentPatches(): PatchSpec[] {
  return [
    poly('poly-32', 32, 32),
    poly('poly-4-of-4', 4, 4),
    poly('poly-4-of-128', 128, 4),
    poly('poly-idle-128', 128, 0),
  ];
}
