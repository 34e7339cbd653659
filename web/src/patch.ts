// Loading and saving whole patches (.syn / .sui, the console's `demo`).

import { api } from './api';
import { executeScript } from './edits';
import { download, formatSui, parsePatch } from './files';
import { estimateSize, layeredLayout, type Measure } from './layout';
import { store } from './store';

/** Replaces the graph by a patch (one all-or-nothing script); positions from the file, else auto-layout. */
export async function loadPatch(text: string) {
  const { script, positions } = parsePatch(text);
  if (positions) store.setPositions(positions);
  const result = await executeScript(`clear\n${script}`);
  if (!positions) autoLayout();
  store.requestFit();
  return result;
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
