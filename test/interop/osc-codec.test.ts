// The OSC codec: strict decoding (a datagram is taken whole or refused with a reason), NTP time tags,
// and, on random bytes, never anything but a refusal.

import fc from 'fast-check';
import { toBuffer } from 'osc-min';
import { describe, expect, it } from 'vitest';
import {
  argsToData,
  decodeOscPacket,
  encodeOscBundle,
  encodeOscMessage,
  isImmediate,
  OscPacketError,
  timeTagToUnixMs,
  unixMsToTimeTag,
} from '../../src/io/osc-codec.js';

const LIMITS = { maxBytes: 16 * 1024, maxDepth: 4, maxMessages: 128 };

function refusal(bytes: Uint8Array): string {
  try {
    decodeOscPacket(bytes, LIMITS);
  } catch (error) {
    expect(error).toBeInstanceOf(OscPacketError);
    return (error as OscPacketError).reason;
  }
  return 'accepted';
}

describe('decoding', () => {
  it('reads messages and nested bundles with their arguments and time tags', () => {
    const message = encodeOscMessage('/value', ['freq', 440.5, { int: -3 }, true, false, null]);
    const packet = decodeOscPacket(message, LIMITS);
    expect(packet).toEqual({
      kind: 'message',
      address: '/value',
      args: [
        { type: 'string', value: 'freq' },
        { type: 'float', value: 440.5 },
        { type: 'integer', value: -3 },
        { type: 'true', value: true },
        { type: 'false', value: false },
        { type: 'null', value: null },
      ],
    });
    if (packet.kind === 'message')
      expect(argsToData(packet.args.slice(1))).toEqual([440.5, -3, true, false, null]);
    const bundle = decodeOscPacket(
      encodeOscBundle([3_900_000_000, 2 ** 31], [{ address: '/start', args: [] }]),
      LIMITS,
    );
    expect(bundle).toEqual({
      kind: 'bundle',
      timeTag: [3_900_000_000, 2 ** 31],
      elements: [{ kind: 'message', address: '/start', args: [] }],
    });
  });

  it('refuses, with a reason, what is cut short, mis-tagged, too large, too deep or too crowded', () => {
    const good = encodeOscMessage('/value', ['x', 1]);
    expect(refusal(good.subarray(0, good.length - 4))).toBe('truncated');
    expect(refusal(good.subarray(0, good.length - 1))).toBe('truncated'); // not a multiple of 4
    expect(refusal(Uint8Array.from([...good, 0, 0, 0, 0]))).toBe('tags'); // data the tags do not describe
    expect(refusal(Uint8Array.from(Buffer.from('/a\0\0,q\0\0')))).toBe('tags'); // unknown tag
    expect(refusal(Uint8Array.from(Buffer.from('/a\0\0,s\0\0\xff\xfe\0\0', 'latin1')))).toBe('tags'); // not UTF-8
    expect(refusal(Uint8Array.from(Buffer.from('abc\0')))).toBe('malformed'); // no leading /
    expect(refusal(new Uint8Array(LIMITS.maxBytes + 4))).toBe('huge');
    let deep = encodeOscMessage('/start', []);
    for (let i = 0; i < 5; i++) deep = wrap(deep);
    expect(refusal(deep)).toBe('nested');
    const crowded = encodeOscBundle(
      [0, 1],
      Array.from({ length: 129 }, () => ({ address: '/x', args: [] })),
    );
    expect(refusal(crowded)).toBe('crowded');
    // A bundle element whose size runs past the end, or is not a multiple of 4.
    const bundle = encodeOscBundle([0, 1], [{ address: '/start', args: [] }]);
    const view = new DataView(bundle.buffer);
    view.setInt32(16, 100, false);
    expect(refusal(bundle)).toBe('truncated');
    view.setInt32(16, 6, false);
    expect(refusal(bundle)).toBe('malformed');
  });

  it('on random bytes and on random damage to good packets, refuses with an OscPacketError or decodes', () => {
    const good = encodeOscBundle(unixMsToTimeTag(Date.now()), [
      { address: '/execute', args: ['new SineNode osc'] },
      { address: '/value', args: ['freq', 440, { int: 3 }, true, null] },
    ]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        refusal(bytes);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(good.length),
        (changes, cut) => {
          const damaged = good.slice(0, Math.max(4, cut));
          for (const [at, value] of changes) if (at < damaged.length) damaged[at] = value;
          refusal(damaged);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('strict length check', () => {
  // Every argument type OSC 1.0 and its common extensions know (colour aside: osc-min writes it as 16
  // bytes), written by osc-min itself: each is accepted as it is, and refused with one word too many.
  const text = fc.string({ unit: 'binary', maxLength: 9 }).filter((t) => !t.includes('\0'));
  const scalar = fc.oneof(
    text.map((value) => ({ type: 'string' as const, value })),
    text.map((value) => ({ type: 'symbol' as const, value })),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((value) => ({ type: 'integer' as const, value })),
    fc.float({ noNaN: true }).map((value) => ({ type: 'float' as const, value })),
    fc.double({ noNaN: true }).map((value) => ({ type: 'double' as const, value })),
    fc
      .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
      .map((value) => ({ type: 'bigint' as const, value })),
    fc
      .tuple(fc.nat(), fc.nat())
      .map(([a, b]) => ({ type: 'timetag' as const, value: [a, b] as [number, number] })),
    fc
      .uint8Array({ maxLength: 11 })
      .map((bytes) => ({ type: 'blob' as const, value: new DataView(bytes.buffer) })),
    fc
      .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
      .map((m) => ({ type: 'midi' as const, value: m })),
    fc.constantFrom(
      { type: 'true' as const },
      { type: 'false' as const },
      { type: 'null' as const },
      { type: 'bang' as const },
      { type: 'character' as const, value: 'é' },
    ),
  );
  const args = fc.array(
    fc.oneof(
      scalar,
      fc.array(scalar, { maxLength: 3 }).map((value) => ({ type: 'array' as const, value })),
    ),
    {
      maxLength: 6,
    },
  );

  it('accepts every message osc-min writes, whatever its arguments, and nothing more', () => {
    fc.assert(
      fc.property(text, args, (tail, list) => {
        const bytes = new Uint8Array(toBuffer({ address: `/a${tail}`, args: list as never }).buffer);
        expect(refusal(bytes)).toBe('accepted');
        expect(refusal(Uint8Array.from([...bytes, 0, 0, 0, 0]))).toBe('tags');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('time tags', () => {
  it('convert between NTP and Unix time to well under a millisecond, both NTP eras', () => {
    const now = Date.UTC(2026, 11, 1, 12, 0, 0, 250);
    const tag = unixMsToTimeTag(now);
    expect(tag[0]).toBe(Math.floor(now / 1000) + 2208988800);
    expect(Math.abs(timeTagToUnixMs(tag) - now)).toBeLessThan(1e-3);
    // After February 2036 the seconds wrap; tags below 2^31 are read as that era.
    const later = Date.UTC(2040, 0, 1);
    const wrapped = unixMsToTimeTag(later);
    expect(wrapped[0]).toBeLessThan(2 ** 31);
    expect(Math.abs(timeTagToUnixMs(wrapped) - later)).toBeLessThan(1e-3);
    expect(isImmediate([0, 1])).toBe(true);
    expect(isImmediate(tag)).toBe(false);
  });
});

function wrap(element: Uint8Array): Uint8Array {
  const header = encodeOscBundle([0, 1], []);
  const out = new Uint8Array(header.length + 4 + element.length);
  out.set(header, 0);
  new DataView(out.buffer).setInt32(header.length, element.length, false);
  out.set(element, header.length + 4);
  return out;
}
