// Choosing a MIDI port by its `port` input, shared by MidiInputNode and MidiOutputNode: an index (0 is the
// virtual port) or a name or part of one; what is open is published as `Available Ports` and
// `Selected Port`, and anything that cannot be opened is a warning, never a fault.

import type { NodeContext, RenderHost } from '../../engine/definition.js';
import type { DataSlotValue } from '../../engine/types.js';

/** The words a node uses for its kind of port in its warnings. */
export interface PortWords {
  /** Warned when the engine has no port of this kind at all. */
  none: string;
  /** `no MIDI port 5 is open`: no port matches the value (its JSON). */
  missing(value: string): string;
  /** `MIDI port 2 "USB Keyboard"`. */
  named(index: number, name: string): string;
}

/** The host's port names; none when it has no MIDI or listing them fails. */
export function safePorts(host: RenderHost): string[] {
  try {
    return host.midiPorts?.() ?? [];
  } catch {
    return [];
  }
}

/** How a port list reads in messages: `0 "Synchrotron virtual", 1 "USB Keyboard"`. */
function describePorts(ports: string[]): string {
  return ports.length === 0 ? 'none' : ports.map((name, index) => `${index} "${name}"`).join(', ');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The index `value` names among `ports` (exact name first, then a part of one); -1 when none. */
function indexOf(value: number | string, ports: string[]): number {
  if (typeof value === 'number') return Math.round(value);
  const wanted = value.toLowerCase();
  const exact = ports.findIndex((name) => name.toLowerCase() === wanted);
  return exact >= 0 ? exact : ports.findIndex((name) => name.toLowerCase().includes(wanted));
}

/**
 * Opens the port `value` names with `open` (undefined when the host cannot open this kind), publishing what
 * was chosen. Control rate: runs only when `port` changes, since it may enumerate and open devices.
 */
export function openChosenPort<T>(
  ctx: NodeContext,
  value: DataSlotValue,
  words: PortWords,
  open: ((index: number) => T | null) | undefined,
): T | null {
  const ports = safePorts(ctx.host);
  const report = (selected: string | null) =>
    ctx.publish({ 'Available Ports': ports, 'Selected Port': selected });
  if (ports.length === 0 || !open) {
    report(null);
    ctx.warn(words.none);
    return null;
  }
  if (value === null) {
    report(null);
    return null;
  }
  if (!(typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))) {
    report(null);
    ctx.warn(`\`port\` must be a port index or name, got ${JSON.stringify(value)}`);
    return null;
  }
  const index = indexOf(value, ports);
  if (index < 0 || index >= ports.length) {
    report(null);
    ctx.warn(`${words.missing(JSON.stringify(value))} (available: ${describePorts(ports)})`);
    return null;
  }
  let port: T | null = null;
  try {
    port = open(index);
  } catch (error) {
    report(null);
    ctx.warn(`${words.named(index, ports[index])} could not be opened: ${messageOf(error)}`);
    return null;
  }
  if (port) {
    report(ports[index]);
  } else {
    report(null);
    ctx.warn(`${words.named(index, ports[index])} is not available (available: ${describePorts(ports)})`);
  }
  return port;
}
