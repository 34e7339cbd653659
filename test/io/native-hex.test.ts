import { describe, expect, test } from 'vitest';
import { KERNELS_WASM_HEX } from '../../src/engine/wasm/kernels.generated.js';
import { decodeHex } from '../../src/engine/wasm/kernels.js';
import { nativeHexDecode } from '../../src/io/native-hex.js';

describe('the native hex decoder Node threads give the kernels', () => {
  test('decodes the embedded kernels exactly as the portable loop does', () => {
    const portable = decodeHex(KERNELS_WASM_HEX);
    const native = nativeHexDecode(KERNELS_WASM_HEX);
    expect(native.length).toBe(KERNELS_WASM_HEX.length / 2);
    expect(Buffer.from(native).equals(Buffer.from(portable))).toBe(true);
    // The WebAssembly magic: a decoder that shifted or dropped a byte would not start with it.
    expect([...native.subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]);
  });

  test("gives bytes in an array of their own, short or long (not a slice of Node's Buffer pool)", () => {
    const short = nativeHexDecode('00ff10');
    expect([...short]).toEqual([0, 255, 16]);
    for (const bytes of [short, nativeHexDecode(KERNELS_WASM_HEX)]) {
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.length);
    }
  });
});
