// The kernels' embedded binary decoded natively in Node (src/engine/wasm/kernels.ts, setHexDecoder): the
// engine's portable loop runs cold, once per thread, ~7–10 ms of a start-up; Buffer's hex takes ~0.1 ms.
// Kept apart from node-host.ts so the render-thread workers load nothing else with it.

import { setHexDecoder } from '../engine/wasm/kernels.js';

/** Lower-case hex → bytes, as decodeHex gives them. */
export function nativeHexDecode(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = Buffer.from(hex, 'hex');
  return new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length);
}

/** Every Node thread that makes a renderer calls this first. */
export function decodeKernelsNatively(): void {
  setHexDecoder(nativeHexDecode);
}
