// OSC 1.0 packets in and out, on top of osc-min (a small, dependency-free codec: see docs/decisions.md).
// We parse bundles ourselves, because osc-min silently drops a malformed element inside a bundle; every
// element is checked here, and a packet is taken whole or refused whole with a reason (counted by the
// server). Messages are checked strictly: a type tag string that does not describe the bytes that follow
// (too few, too many, unknown tags) is refused, as is text that is not UTF-8.

import { fromBuffer, type OscArgOutputOrArray, toBuffer } from 'osc-min';
import type { DataValue } from '../engine/types.js';

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2208988800;
const TWO_POW_32 = 4294967296;

export type OscArg = OscArgOutputOrArray;

export interface OscMessage {
  kind: 'message';
  address: string;
  args: OscArg[];
}

export interface OscBundle {
  kind: 'bundle';
  /** NTP time tag: [seconds since 1900, fraction of a second in 2^-32]. */
  timeTag: [number, number];
  elements: OscPacket[];
}

export type OscPacket = OscMessage | OscBundle;

/** Why a packet was refused, for the server's counters. */
export type OscRefusal = 'huge' | 'truncated' | 'tags' | 'malformed' | 'nested' | 'crowded';

export class OscPacketError extends Error {
  constructor(
    readonly reason: OscRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'OscPacketError';
  }
}

export interface OscLimits {
  /** Largest packet in bytes. */
  maxBytes: number;
  /** Deepest nesting of bundles (1: a bundle of messages). */
  maxDepth: number;
  /** Most messages in one packet, bundles included. */
  maxMessages: number;
}

const BUNDLE_HEADER = [0x23, 0x62, 0x75, 0x6e, 0x64, 0x6c, 0x65, 0x00]; // "#bundle\0"

function isBundle(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== BUNDLE_HEADER[i]) return false;
  return true;
}

/**
 * Decodes one UDP datagram. Throws an OscPacketError saying what was wrong (never anything else): too
 * large, cut short, type tags that do not match the data, bundles nested too deep or carrying too much.
 */
export function decodeOscPacket(bytes: Uint8Array, limits: OscLimits): OscPacket {
  if (bytes.length > limits.maxBytes) {
    throw new OscPacketError('huge', `packet of ${bytes.length} bytes is larger than ${limits.maxBytes}`);
  }
  const counter = { messages: 0 };
  return decodeElement(bytes, limits, 0, counter);
}

function decodeElement(
  bytes: Uint8Array,
  limits: OscLimits,
  depth: number,
  counter: { messages: number },
): OscPacket {
  if (bytes.length === 0 || bytes.length % 4 !== 0) {
    throw new OscPacketError(
      'truncated',
      `an OSC packet is a positive multiple of 4 bytes long, got ${bytes.length}`,
    );
  }
  if (isBundle(bytes)) return decodeBundle(bytes, limits, depth + 1, counter);
  if (++counter.messages > limits.maxMessages) {
    throw new OscPacketError('crowded', `more than ${limits.maxMessages} messages in one packet`);
  }
  return decodeMessage(bytes);
}

function decodeBundle(
  bytes: Uint8Array,
  limits: OscLimits,
  depth: number,
  counter: { messages: number },
): OscBundle {
  if (depth > limits.maxDepth) {
    throw new OscPacketError('nested', `bundles nested more than ${limits.maxDepth} deep`);
  }
  if (bytes.length < 16) throw new OscPacketError('truncated', 'a bundle ends before its time tag');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const timeTag: [number, number] = [view.getUint32(8, false), view.getUint32(12, false)];
  const elements: OscPacket[] = [];
  let at = 16;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw new OscPacketError('truncated', 'a bundle element lacks its size');
    const size = view.getInt32(at, false);
    at += 4;
    if (size <= 0 || size % 4 !== 0) {
      throw new OscPacketError(
        'malformed',
        `a bundle element size must be a positive multiple of 4, got ${size}`,
      );
    }
    if (at + size > bytes.length) {
      throw new OscPacketError(
        'truncated',
        `a bundle element of ${size} bytes runs past the end of the packet`,
      );
    }
    elements.push(decodeElement(bytes.subarray(at, at + size), limits, depth, counter));
    at += size;
  }
  return { kind: 'bundle', timeTag, elements };
}

function decodeMessage(bytes: Uint8Array): OscMessage {
  let decoded: ReturnType<typeof fromBuffer>;
  try {
    decoded = fromBuffer(bytes);
  } catch (error) {
    throw classify(error);
  }
  if (decoded.oscType !== 'message') throw new OscPacketError('malformed', 'expected a message');
  // osc-min reads what the tags ask for and ignores what follows: the encoded length of what was read must
  // be the whole message, or the tags did not describe the data (or the text was not UTF-8). Computed, not
  // re-encoded: re-encoding took three quarters of the time of a decode.
  const length = encodedLength(decoded.address, decoded.args);
  if (length !== bytes.length) {
    throw new OscPacketError(
      'tags',
      `message ${JSON.stringify(decoded.address.slice(0, 64))}: the type tags describe ${length} bytes, the message has ${bytes.length}`,
    );
  }
  return { kind: 'message', address: decoded.address, args: decoded.args };
}

/** Bytes of an OSC string: UTF-8, a NUL, padded to 4. */
function stringLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4; // a surrogate pair: one code point beyond the BMP
        i++;
      } else bytes += 3; // a lone surrogate is written as U+FFFD
    } else bytes += 3;
  }
  return (bytes + 4) & ~3;
}

/** Type tags and argument bytes of `args` (arrays add `[` and `]` tags, no bytes). */
function argsLength(args: readonly OscArg[], tags: { count: number }): number {
  let bytes = 0;
  for (const arg of args) {
    tags.count++;
    switch (arg.type) {
      case 'string':
      case 'symbol':
        bytes += stringLength(arg.value);
        break;
      case 'blob':
        bytes += 4 + ((arg.value.byteLength + 3) & ~3);
        break;
      case 'timetag':
      case 'double':
      case 'bigint':
        bytes += 8;
        break;
      case 'true':
      case 'false':
      case 'null':
      case 'bang':
        break;
      case 'array':
        tags.count++; // `[` counted above, `]` here
        bytes += argsLength(arg.value, tags);
        break;
      default:
        bytes += 4; // integer, float, character, color, midi
    }
  }
  return bytes;
}

/** The length of a message as OSC writes it: address, `,` and the type tags, arguments. */
function encodedLength(address: string, args: readonly OscArg[]): number {
  const tags = { count: 1 }; // the comma
  const argBytes = argsLength(args, tags);
  return stringLength(address) + ((tags.count + 4) & ~3) + argBytes;
}

function classify(error: unknown): OscPacketError {
  const text = error instanceof Error ? error.message : String(error);
  if (/not big enough|Not enough padding|null character|bigger than buffer|Offset is outside/i.test(text)) {
    return new OscPacketError('truncated', `cut short: ${text}`);
  }
  if (/argument code|Argument lists must begin|Mismatched/i.test(text)) {
    return new OscPacketError('tags', `bad type tags: ${text}`);
  }
  return new OscPacketError('malformed', text);
}

// ---------------------------------------------------------------------------------------------- time tags

/** True for the special time tag "immediately" (0 seconds, fraction 1), and for a zero tag. */
export function isImmediate(timeTag: [number, number]): boolean {
  return timeTag[0] === 0 && timeTag[1] <= 1;
}

/**
 * An NTP time tag as Unix time in ms (fractional). NTP seconds wrap in February 2036; a tag whose
 * seconds are below 2^31 is read as after that (NTP era 1), as RFC 5905 suggests.
 */
export function timeTagToUnixMs(timeTag: [number, number]): number {
  const seconds = timeTag[0] < 0x80000000 ? timeTag[0] + TWO_POW_32 : timeTag[0];
  return (seconds - NTP_UNIX_OFFSET) * 1000 + (timeTag[1] * 1000) / TWO_POW_32;
}

/** Unix time in ms → an NTP time tag (the inverse of timeTagToUnixMs). */
export function unixMsToTimeTag(ms: number): [number, number] {
  const total = ms / 1000 + NTP_UNIX_OFFSET;
  let seconds = Math.floor(total);
  let fraction = Math.round((total - seconds) * TWO_POW_32);
  if (fraction >= TWO_POW_32) {
    seconds += 1;
    fraction = 0;
  }
  return [seconds % TWO_POW_32, fraction];
}

// ---------------------------------------------------------------------------------------------- arguments

/** A number from a numeric argument (int, float, double, 64-bit int; true/false as 1/0), else undefined. */
export function argNumber(arg: OscArg | undefined): number | undefined {
  if (!arg) return undefined;
  switch (arg.type) {
    case 'integer':
    case 'float':
    case 'double':
      return Number.isFinite(arg.value) ? arg.value : undefined;
    case 'bigint': {
      const n = Number(arg.value);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'true':
      return 1;
    case 'false':
      return 0;
    default:
      return undefined;
  }
}

/** A string argument (string or symbol), else undefined. */
export function argString(arg: OscArg | undefined): string | undefined {
  return arg && (arg.type === 'string' || arg.type === 'symbol') ? arg.value : undefined;
}

/** An argument as a data value (what a DataNode can hold), or undefined for blobs and the exotic types. */
export function argToData(arg: OscArg): DataValue | undefined {
  switch (arg.type) {
    case 'string':
    case 'symbol':
    case 'character':
      return arg.value;
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
      return null;
    case 'array': {
      const items: DataValue[] = [];
      for (const item of arg.value) {
        const value = argToData(item);
        if (value === undefined) return undefined;
        items.push(value);
      }
      return items;
    }
    default:
      return argNumber(arg);
  }
}

/** Arguments as one data value: nothing → undefined, one → itself, several → an array. */
export function argsToData(args: readonly OscArg[]): DataValue | undefined {
  if (args.length === 0) return undefined;
  const values: DataValue[] = [];
  for (const arg of args) {
    const value = argToData(arg);
    if (value === undefined) return undefined;
    values.push(value);
  }
  return values.length === 1 ? values[0] : values;
}

/** The bytes of a blob argument, else undefined. */
export function argBlob(arg: OscArg | undefined): Uint8Array | undefined {
  if (arg?.type !== 'blob') return undefined;
  const view = arg.value;
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** The short OSC type tag of an argument, for error messages (`f`, `s`, `[`…). */
export function argTag(arg: OscArg): string {
  const tags: Record<string, string> = {
    string: 's',
    symbol: 'S',
    integer: 'i',
    bigint: 'h',
    timetag: 't',
    float: 'f',
    double: 'd',
    blob: 'b',
    midi: 'm',
    color: 'r',
    true: 'T',
    false: 'F',
    null: 'N',
    bang: 'I',
    character: 'c',
    array: '[',
  };
  return tags[arg.type] ?? '?';
}

// ---------------------------------------------------------------------------------------------- encoding

/** What we send: numbers go as float32 (what TouchOSC and most controllers read), or int32 when asked. */
export type OutgoingArg = number | string | boolean | null | { int: number };

/** Encodes one message. Throws on an address that is not OSC (must start with `/`, no NUL). */
export function encodeOscMessage(address: string, args: readonly OutgoingArg[]): Uint8Array {
  const view = toBuffer({
    address,
    args: args.map((arg) => {
      if (typeof arg === 'number') return { type: 'float' as const, value: arg };
      if (typeof arg === 'string') return { type: 'string' as const, value: arg };
      if (arg === true) return { type: 'true' as const };
      if (arg === false) return { type: 'false' as const };
      if (arg === null) return { type: 'null' as const };
      return { type: 'integer' as const, value: arg.int | 0 };
    }),
  });
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Encodes a bundle of messages with a time tag (tests and examples; the server sends no bundles). */
export function encodeOscBundle(
  timeTag: [number, number],
  messages: ReadonlyArray<{ address: string; args: readonly OutgoingArg[] }>,
): Uint8Array {
  const parts = messages.map((m) => encodeOscMessage(m.address, m.args));
  const size = 16 + parts.reduce((sum, part) => sum + 4 + part.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(BUNDLE_HEADER, 0);
  view.setUint32(8, timeTag[0], false);
  view.setUint32(12, timeTag[1], false);
  let at = 16;
  for (const part of parts) {
    view.setInt32(at, part.length, false);
    out.set(part, at + 4);
    at += 4 + part.length;
  }
  return out;
}

/** A data value as outgoing arguments: an array becomes one argument per element (flattened). */
export function dataToArgs(value: DataValue): OutgoingArg[] {
  if (!Array.isArray(value)) return [value];
  const out: OutgoingArg[] = [];
  const walk = (v: DataValue) => {
    if (Array.isArray(v)) for (const item of v) walk(item);
    else out.push(v);
  };
  walk(value);
  return out;
}
