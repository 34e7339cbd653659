// The test page for the browser engine: loads the built entry from the static host, and gives the tests a
// recorder that sits AFTER the engine's AudioWorkletNode — so what is measured is what the node outputs into
// the audio graph — plus the measurements, done in the page so that seconds of audio need not cross to Node.

/** Served as /test/helpers.js: plain browser JavaScript. */
export const HELPERS = `
// A processor that records its input (the engine node's output), stamping chunks with context frames.
const CAPTURE_SOURCE = ${'`'}
class SynchrotronTestCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.chunkFrames = sampleRate;
    this.recording = false;
    this.stopAt = Infinity;
    this.port.onmessage = (event) => {
      if (event.data.start) {
        this.recording = true; this.stopAt = Infinity; this.last = -1; this.gaps = 0; this.fresh();
      } else if (event.data.stopAt !== undefined) {
        this.stopAt = event.data.stopAt;
      }
    };
  }
  fresh() {
    this.left = new Float32Array(this.chunkFrames); this.right = new Float32Array(this.chunkFrames);
    this.used = 0; this.chunkStart = -1;
  }
  send(done) {
    const left = this.left.slice(0, this.used), right = this.right.slice(0, this.used);
    this.port.postMessage({ left, right, start: this.chunkStart, gaps: this.gaps, done },
      [left.buffer, right.buffer]);
  }
  process(inputs) {
    if (!this.recording) return true;
    const channels = inputs[0];
    const n = channels.length > 0 ? channels[0].length : 128;
    if (this.last >= 0 && currentFrame !== this.last + n) this.gaps++;
    this.last = currentFrame;
    for (let i = 0; i < n; i++) {
      if (this.used === this.chunkFrames) { this.send(false); this.fresh(); }
      if (this.chunkStart < 0) this.chunkStart = currentFrame + i;
      this.left[this.used] = channels.length > 0 ? channels[0][i] : 0;
      this.right[this.used] = channels.length > 1 ? channels[1][i] : this.left[this.used];
      this.used++;
    }
    if (currentFrame + n >= this.stopAt) { this.recording = false; this.send(true); }
    return true;
  }
}
registerProcessor('synchrotron-test-capture', SynchrotronTestCapture);
${'`'};

const captureModules = new WeakMap();

/** Starts recording what 'source' outputs; returns { stop(atFrame) → Promise<{left, right, start, gaps}> }. */
export async function capture(source) {
  const context = source.context;
  if (!captureModules.has(context)) {
    const url = URL.createObjectURL(new Blob([CAPTURE_SOURCE], { type: 'text/javascript' }));
    captureModules.set(context, context.audioWorklet.addModule(url));
  }
  await captureModules.get(context);
  const node = new AudioWorkletNode(context, 'synchrotron-test-capture', {
    numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1], channelCount: 2, channelCountMode: 'explicit',
  });
  source.connect(node);
  node.connect(context.destination); // silent output: keeps it pulled by the graph
  const chunks = [];
  let finished;
  const done = new Promise((resolve) => { finished = resolve; });
  let firstFrame;
  let started;
  const began = new Promise((resolve) => { started = resolve; });
  node.port.onmessage = (event) => {
    chunks.push(event.data);
    if (firstFrame === undefined) { firstFrame = event.data.start; }
    if (event.data.done) finished();
  };
  node.port.postMessage({ start: true });
  return {
    node,
    /** Stops at the first quantum ending at or after context frame 'atFrame'; resolves to the recording. */
    async stop(atFrame) {
      node.port.postMessage({ stopAt: atFrame ?? 0 });
      await done;
      source.disconnect(node);
      node.disconnect();
      const frames = chunks.reduce((n, c) => n + c.left.length, 0);
      const left = new Float32Array(frames), right = new Float32Array(frames);
      let at = 0;
      for (const c of chunks) { left.set(c.left, at); right.set(c.right, at); at += c.left.length; }
      return { left, right, start: chunks[0].start, gaps: chunks[chunks.length - 1].gaps };
    },
  };
}

/** Waits until the context's clock has passed 'seconds' more (polling: no timer races the audio). */
export async function audioTime(context, seconds) {
  const until = context.currentTime + seconds;
  while (context.currentTime < until) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Frequency by upward zero crossings, interpolated. */
export function frequency(signal, rate) {
  let first = -1, last = -1, count = 0;
  for (let i = 1; i < signal.length; i++) {
    const a = signal[i - 1], b = signal[i];
    if (a < 0 && b >= 0) {
      const at = i - 1 + a / (a - b);
      if (first < 0) first = at;
      last = at;
      count++;
    }
  }
  return count < 2 ? 0 : ((count - 1) * rate) / (last - first);
}

export function peak(signal) {
  let m = 0;
  for (let i = 0; i < signal.length; i++) m = Math.max(m, Math.abs(signal[i]));
  return m;
}

/**
 * The frequency of a sine in each window of 'size' frames, from the recurrence x[n-1] + x[n+1] = 2 cos(w) x[n]
 * (least squares over the window): exact for a steady sine whatever its phase, so a change shows in the first
 * window it touches.
 */
export function windowFrequencies(signal, rate, size) {
  const out = [];
  for (let start = 0; start + size <= signal.length; start += size) {
    let num = 0, den = 0;
    for (let n = Math.max(1, start); n < Math.min(signal.length - 1, start + size); n++) {
      num += signal[n] * (signal[n - 1] + signal[n + 1]);
      den += 2 * signal[n] * signal[n];
    }
    const c = Math.max(-1, Math.min(1, num / den));
    out.push((Math.acos(c) * rate) / (2 * Math.PI));
  }
  return out;
}

/** Largest |x[n-1] + x[n+1] - 2 cos(w) x[n]| over the signal: tiny for an unbroken sine, large at a glitch. */
export function worstResidual(signal, rate, hz) {
  const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let worst = 0, at = -1;
  for (let n = 1; n < signal.length - 1; n++) {
    const r = Math.abs(signal[n - 1] + signal[n + 1] - k * signal[n]);
    if (r > worst) { worst = r; at = n; }
  }
  return { worst, at };
}

export async function blobToBase64(blob) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}
`;

/** Served as /test/index.html: the library and the helpers on window. */
export const INDEX = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>browser engine test</title></head><body>
<script type="module">
import * as lib from '../browser/synchrotron-browser.js';
import * as helpers from './helpers.js';
window.lib = lib;
window.helpers = helpers;
window.ready = true;
</script></body></html>`;
