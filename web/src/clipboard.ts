// Copy, paste and duplicate of nodes with the links among them. The system clipboard gets the copy as a
// .sui fragment (positions header + Synchrolang), so a copy pastes into another tab, another editor, the
// console or a text file; pasted text is read back with the language's own parser.

import type { DataValue } from '../../src/engine/types.js';
import { parse } from '../../src/lang/parser.js';
import { parseSui } from '../../src/lang/sui.js';
import { type Clip, clipOf, clipText, pasteClip } from './edits';
import type { Position } from './store';

let internal: Clip | null = null;

/** Copies these nodes; answers the text put on the clipboard (null when nothing was chosen). */
export function copyNodes(names: string[]): string | null {
  const clip = clipOf(names);
  if (!clip) return null;
  internal = clip;
  return clipText(clip);
}

export function hasClip(): boolean {
  return internal !== null;
}

/**
 * A clip from pasted text: a script of `new` and `link` commands (other commands are ignored), with
 * positions from a .sui header when it has one. Null when the text is not such a script.
 */
export function clipFromText(text: string): Clip | null {
  const { positions } = parseSui(text);
  let commands: ReturnType<typeof parse>;
  try {
    commands = parse(text);
  } catch {
    return null;
  }
  const nodes: Clip['nodes'] = [];
  const links: Clip['links'] = [];
  for (const command of commands) {
    if (command.command === 'new' && command.name) {
      const value = command.value;
      if (value && value.kind !== 'literal' && value.kind !== 'array') continue;
      nodes.push(
        command.type
          ? { name: command.name.text, type: command.type.text }
          : { name: command.name.text, type: 'DataNode', value: literalOf(value!) },
      );
    } else if (command.command === 'link' && command.source.port && command.sink.port) {
      links.push({
        source: { node_name: command.source.node.text, port_name: command.source.port.text },
        sink: { node_name: command.sink.node.text, port_name: command.sink.port.text },
      });
    }
  }
  if (!nodes.length) return null;
  const names = new Set(nodes.map((n) => n.name));
  return {
    nodes,
    links: links.filter((l) => names.has(l.source.node_name) && names.has(l.sink.node_name)),
    positions: positions ?? {},
  };
}

type ValueAst = NonNullable<Extract<ReturnType<typeof parse>[number], { command: 'new' }>['value']>;
function literalOf(ast: ValueAst): DataValue {
  if (ast.kind === 'literal') return ast.value;
  if (ast.kind === 'array') return ast.items.map(literalOf);
  return null;
}

/** Pastes text from the clipboard if it is a patch fragment, else this page's last copy. */
export async function paste(text: string | null, at: Position): Promise<string[]> {
  const clip = (text ? clipFromText(text) : null) ?? internal;
  if (!clip) return [];
  return pasteClip(clip, at);
}

/** Duplicates nodes beside themselves (links among them included). */
export async function duplicate(names: string[], offset: Position = { x: 40, y: 40 }): Promise<string[]> {
  const clip = clipOf(names);
  if (!clip) return [];
  const xs = Object.values(clip.positions);
  const at = xs.length
    ? { x: Math.min(...xs.map((p) => p.x)) + offset.x, y: Math.min(...xs.map((p) => p.y)) + offset.y }
    : offset;
  return pasteClip(clip, at);
}
