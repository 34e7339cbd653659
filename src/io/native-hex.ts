// The kernels' embedded binary decoded natively in Node (src/engine/wasm/kernels.ts, setHexDecoder): the
// engine's portable loop runs cold, once per thread, ~7–10 ms of a start-up; Buffer's hex takes ~0.1 ms.
// Kept apart from node-host.ts so the render-thread workers load nothing else with it.

import { setHexDecoder } from '../engine/wasm/kernels.js';

/** Lower-case hex → bytes in an array of their own, as decodeHex gives them (a short Buffer is a slice of
 * Node's shared pool, so it is copied out: ~50 kB once a thread). */
export function nativeHexDecode(hex: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Every Node thread that makes a renderer calls this first. */
export function decodeKernelsNatively(): void {
  setHexDecoder(nativeHexDecode);
}
