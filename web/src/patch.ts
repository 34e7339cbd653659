// Loading and saving whole patches (.syn / .sui, the console's `demo`).

import { api, type ScriptResult } from './api';
import { executeScript } from './edits';
import { download, formatSui, parsePatch } from './files';
import { estimateSize, layeredLayout, type Measure } from './layout';
import { store } from './store';

/**
 * Replaces the graph by a patch (one all-or-nothing script); positions from the file, else auto-layout.
 * Returns a note when the file's positions header could not be used. If the script fails, the graph and
 * the positions stay as they were.
 */
export async function loadPatch(text: string): Promise<{ result: ScriptResult; note?: string }> {
  const { script, positions, positionsProblem } = parsePatch(text);
  // The file's positions go in first, so its nodes appear where they belong as they are pushed.
  const previous = { ...store.state.positions };
  if (positions) store.setPositions(positions);
  let result: ScriptResult;
  try {
    result = await executeScript(`clear\n${script}`);
  } catch (error) {
    store.setPositions(previous, true);
    throw error;
  }
  if (!positions) autoLayout();
  store.requestFit();
  return { result, note: positionsProblem && `${positionsProblem} (placed automatically instead)` };
}

export function autoLayout() {
  const { nodes, connections } = store.state;
  store.setPositions(layeredLayout([...nodes.values()], connections, { x: 0, y: 0 }, measured));
  store.requestFit();
}

export async function savePatch(format: 'syn' | 'sui', basename = 'patch') {
  const script = await api.exportScript();
  const text =
    format === 'syn' ? script : formatSui(script, store.state.positions, [...store.state.nodes.keys()]);
  download(`${basename}.${format}`, text);
}

/** Drawn sizes where the editor has them, estimates elsewhere. */
export const measured: Measure = (node) => store.measure?.(node.name) ?? estimateSize(node);
