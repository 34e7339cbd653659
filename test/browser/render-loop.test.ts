// The AudioWorklet's render loop (src/browser/render-loop.ts) driven in Node the way the worklet drives it:
// op batches as messages, 128-frame quanta. Its output must equal the library's offline render of the same
// patch sample for sample, for every engine block size (buffered against the quantum), and edits must land
// at the block boundary it reports.

import { describe, expect, it } from 'vitest';
import type { FromWorklet, WorkletConfig } from '../../src/browser/messages.js';
import { WorkletRenderLoop } from '../../src/browser/render-loop.js';
import { Graph } from '../../src/engine/graph.js';
import { Preparer } from '../../src/engine/prepare.js';
import { execute } from '../../src/lang/index.js';
import { createRegistry, Synchrotron } from '../../src/synchrotron.js';
import { peak, zeroCrossingFrequency } from '../helpers/analysis.js';

const RATE = 44100;
const QUANTUM = 128;

const PWM = `new 0.2 pwm_mod_freq; new 0.24 scale_val; new SineNode pwm_mod; new 0.75 offset_val
new MultiplyNode scale; new 220 freq; new AddNode offset; new SquareNode square; new PlaybackNode out
link square.out -> out.left; link pwm_mod.out -> out.right; link pwm_mod_freq.out -> pwm_mod.frequency
link pwm_mod.out -> scale.a; link scale_val.out -> scale.b; link scale.out -> offset.a
link offset_val.out -> offset.b; link freq.out -> square.frequency; link offset.out -> square.pwm`;

/** The worklet as the page would drive it: a Graph here, op batches posted, quanta rendered. */
function worklet(options: Partial<WorkletConfig> = {}) {
  const messages: FromWorklet[] = [];
  const config: WorkletConfig = {
    blockSize: 128,
    running: true,
    limiter: false,
    midiPorts: ['Synchrotron virtual'],
    maxRecordingFrames: RATE * 60,
    ...options,
  };
  const loop = new WorkletRenderLoop({ config, sampleRate: RATE, post: (message) => messages.push(message) });
  const graph = new Graph(createRegistry());
  let batch = 1;
  const preparer = new Preparer({
    graph,
    sampleRate: RATE,
    blockSize: config.blockSize,
    host: {},
    deliver: (ops) => loop.handle({ kind: 'ops', id: batch++, ops }),
  });
  graph.on({ batch: (ops) => loop.handle({ kind: 'ops', id: batch++, ops: preparer.process(ops) }) });
  let contextFrame = 0;
  return {
    loop,
    messages,
    run(script: string) {
      execute(
        { graph, sampleRate: RATE, blockSize: config.blockSize, clock: () => 0, start() {}, stop() {} },
        script,
      );
    },
    /** Renders `quanta` quanta; returns the left and right output. */
    quanta(quanta: number) {
      const left = new Float32Array(quanta * QUANTUM);
      const right = new Float32Array(quanta * QUANTUM);
      for (let q = 0; q < quanta; q++) {
        loop.process(
          left.subarray(q * QUANTUM, (q + 1) * QUANTUM),
          right.subarray(q * QUANTUM, (q + 1) * QUANTUM),
          QUANTUM,
          contextFrame,
        );
        contextFrame += QUANTUM;
      }
      return { left, right };
    },
    of<K extends FromWorklet['kind']>(kind: K) {
      return messages.filter((m): m is Extract<FromWorklet, { kind: K }> => m.kind === kind);
    },
  };
}

function reference(script: string, blockSize: number, frames: number) {
  const engine = new Synchrotron({ sampleRate: RATE, blockSize });
  engine.execute(script);
  engine.start();
  const out = engine.renderFrames(frames);
  engine.dispose();
  return out;
}

describe('the worklet render loop', () => {
  it('announces itself with its block size and whether the WebAssembly kernels run', () => {
    const w = worklet();
    expect(w.of('ready')).toEqual([{ kind: 'ready', sampleRate: RATE, blockSize: 128, wasm: true }]);
  });

  for (const blockSize of [16, 64, 128, 256, 1024]) {
    it(`plays exactly what the offline renderer renders with ${blockSize}-frame blocks in 128-frame quanta`, () => {
      const w = worklet({ blockSize });
      w.run(PWM);
      const quanta = 80; // 10240 frames: whole blocks for each size
      const { left, right } = w.quanta(quanta);
      const expected = reference(PWM, blockSize, quanta * QUANTUM);
      let difference = 0;
      for (let i = 0; i < left.length; i++) {
        difference = Math.max(
          difference,
          Math.abs(left[i] - expected.left[i]),
          Math.abs(right[i] - expected.right[i]),
        );
      }
      expect(difference).toBe(0);
      expect(peak(left)).toBeGreaterThan(0.9); // the square and the sine: not silence
      expect(peak(right)).toBeGreaterThan(0.2); // the slow sine rising
    });
  }

  it('applies an edit at the next block boundary and reports where (512-frame blocks, 128-frame quanta)', () => {
    const w = worklet({ blockSize: 512 });
    w.run('new 0 v; new PlaybackNode out; link v.out -> out.left');
    const before = w.quanta(3); // frames 0…383: one block rendered, 128 frames of it still to play
    w.messages.length = 0;
    w.run('set v 1');
    const after = w.quanta(5); // frames 384…1023
    const applied = w.of('applied');
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ frame: 512, contextFrame: 512, received: [384] });
    const output = new Float32Array([...before.left, ...after.left]);
    // Silence up to the boundary; from it the value glides over one block (no step), then holds.
    expect(peak(output.subarray(0, 512))).toBe(0);
    expect(output[512]).toBeCloseTo(1 / 512, 7);
    expect(output[1023]).toBe(1);
    expect(Math.max(...output.subarray(513, 1024).map((x, i) => x - output[512 + i]))).toBeLessThan(0.0021);
  });

  it('stopped, it plays silence and still applies edits at once', () => {
    const w = worklet({ running: false });
    w.run(
      'new 440 f; new SineNode s; new PlaybackNode out; link f.out -> s.frequency; link s.out -> out.left',
    );
    expect(w.loop.renderer.nodeCount).toBe(3);
    expect(peak(w.quanta(10).left)).toBe(0);
    // Acknowledged only once rendered: a MidiInputNode acknowledged has opened its port.
    expect(w.of('applied')).toEqual([]);
    w.loop.handle({ kind: 'transport', running: true });
    expect(zeroCrossingFrequency(w.quanta(100).left, RATE)).toBeCloseTo(440, 0);
    expect(w.of('status').at(-1)?.status.running).toBe(true);
    expect(w.of('applied')).toEqual([
      { kind: 'applied', ids: [1], received: [0], frame: 0, contextFrame: 10 * QUANTUM },
    ]);
  });

  it('reports taps about 25 times a second of audio, and status 4 times, counted in frames', () => {
    const w = worklet();
    w.run(
      'new 1000 f; new SineNode s; new 0.5 g; new MultiplyNode m; new PlaybackNode out\n' +
        'link f.out -> s.frequency; link s.out -> m.a; link g.out -> m.b; link m.out -> out.left; link m.out -> out.right',
    );
    w.loop.handle({ kind: 'watch', ports: [{ node: 's', port: 'out' }], spectrum: true, master: true });
    w.quanta(Math.ceil(RATE / QUANTUM)); // one second
    const taps = w.of('taps');
    expect(taps.length).toBeGreaterThanOrEqual(24);
    expect(taps.length).toBeLessThanOrEqual(25);
    expect(w.of('status').length).toBeGreaterThanOrEqual(3); // every 0.25 s, counted from the last report
    expect(w.of('status').length).toBeLessThanOrEqual(4);
    const report = taps.at(-1)!.report;
    expect(report.master?.peak).toBeCloseTo(0.5, 2);
    expect(report.scopes[0].samples).toHaveLength(512);
    const bins = report.spectrum!;
    const loudest = bins.indexOf(Math.max(...bins));
    expect(Math.abs((loudest * RATE) / (2 * bins.length) - 1000)).toBeLessThan(RATE / (2 * bins.length));
  });

  it('hands a WavFileNode recording to the main thread in chunks, complete when it stops', () => {
    const w = worklet();
    w.run(
      'new 440 f; new SineNode s; new "takes/take 1.wav" p; new WavFileNode rec\n' +
        'link f.out -> s.frequency; link s.out -> rec.signal; link p.out -> rec.path',
    );
    w.quanta(Math.ceil((1.5 * RATE) / QUANTUM)); // 1.5 s: one full chunk posted so far
    expect(w.of('wav').map((m) => m.done)).toEqual([false]);
    w.loop.handle({ kind: 'transport', running: false });
    const chunks = w.of('wav');
    expect(chunks.map((m) => m.done)).toEqual([false, true]);
    expect(chunks.every((m) => m.path === 'takes/take 1.wav' && m.sampleRate === RATE)).toBe(true);
    const samples = new Float32Array(chunks.flatMap((m) => [...(m.samples ?? [])]));
    expect(samples.length).toBe(Math.ceil((1.5 * RATE) / QUANTUM) * QUANTUM);
    expect(zeroCrossingFrequency(samples, RATE)).toBeCloseTo(440, 0);
  });

  it('refuses a recording path outside the file store, saying why, and renders on', () => {
    const w = worklet();
    w.run('new "../escape.wav" p; new WavFileNode rec; link p.out -> rec.path');
    w.quanta(2);
    const warnings = w.of('event').filter((m) => m.event.kind === 'warning');
    expect(warnings.map((m) => (m.event as { message: string }).message).join('\n')).toMatch(/uses `\.\.`/);
    expect(w.of('wav')).toEqual([]);
  });

  it('feeds virtual MIDI to MidiInputNode and says so when bytes are not MIDI', () => {
    const w = worklet();
    w.run('new MidiInputNode in; new MonophonicRenderNode mono; link in.out -> mono.midi');
    w.quanta(1);
    w.loop.handle({ kind: 'midi', port: 0, data: [0x90, 69, 100], sender: 'test' });
    w.quanta(1);
    expect(w.loop.renderer.streamOutput({ node: 'mono', port: 'frequency' })?.[0]).toBeCloseTo(440, 3);
    w.loop.handle({ kind: 'midi', port: 0, data: [69, 100], sender: 'test' });
    w.loop.handle({ kind: 'midi', port: 3, data: [0x80, 69, 0], sender: 'test' });
    const warnings = w.of('event').map((m) => (m.event as { message?: string }).message);
    expect(warnings).toContain('MIDI: MIDI byte 0 (69) is data where a status byte was expected');
    expect(warnings).toContain('MIDI: no MIDI input port 3');
  });

  it('records the output in contiguous chunks stamped with their context frames', () => {
    const w = worklet();
    w.run(
      'new 440 f; new SineNode s; new PlaybackNode out; link f.out -> s.frequency; link s.out -> out.left',
    );
    w.quanta(2);
    w.loop.handle({ kind: 'record', enabled: true });
    const played = w.quanta(200).left;
    w.loop.handle({ kind: 'record', enabled: false });
    const chunks = w.of('recorded');
    expect(chunks.at(-1)?.done).toBe(true);
    let expectedFrame = 256;
    for (const chunk of chunks) {
      expect(chunk.contextFrame).toBe(expectedFrame);
      expectedFrame += chunk.frames;
    }
    const recorded = new Float32Array(chunks.flatMap((m) => [...m.left]));
    expect(recorded).toEqual(played);
  });

  it('on dispose finishes recordings and says it is done', () => {
    const w = worklet();
    w.run('new WavFileNode rec');
    w.quanta(4);
    w.loop.handle({ kind: 'dispose' });
    expect(w.of('wav').at(-1)?.done).toBe(true);
    expect(w.of('disposed')).toHaveLength(1);
    expect(w.loop.isDisposed).toBe(true);
    expect(peak(w.quanta(1).left)).toBe(0);
  });
});
