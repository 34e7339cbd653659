// The inside of a PatchNode or VoicesNode, opened in the canvas (issue 13 item 5): a stack of levels, the
// main graph below the first. Each level is a patch file's inner graph as the engine answers it — the
// main graph's node through `api.innerPatch` (GET /nodes/{name}/patch), a patch node inside a patch
// through `api.patchFile` (GET /patches?path=…) — shown read-only (docs/decisions.md "Editor: the inside
// of a patch is read-only"): edits belong in the file, which every instance follows when it is saved.
// The main graph is never touched: its canvas stays mounted underneath (view, selection, live meters),
// and the store keeps taking the server's edits to it while a level is open.
//
// Main thread only (UI state).

import { useSyncExternalStore } from 'react';
import type { ApiNode, InnerPatch } from './api';
import { api } from './backend';
import { dirOf, joinPatchPath, nestedPatchPath } from './node-hooks';
import { store } from './store';

export interface InnerLevel {
  /** The node this level is the inside of (in the main graph for the first level, else in the level above). */
  node: string;
  /** Its patch file, relative to the engine's root. */
  path: string;
  view: InnerPatch;
}

let levels: readonly InnerLevel[] = [];
/** Bumped by every open and close: an answer that arrives after the user moved on is dropped. */
let generation = 0;
const listeners = new Set<() => void>();

function set(next: readonly InnerLevel[]) {
  levels = next;
  generation++;
  for (const listener of listeners) listener();
}

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

/** The open levels, outermost first; empty while the main graph is shown. */
export function useInnerLevels(): readonly InnerLevel[] {
  return useSyncExternalStore(subscribe, () => levels);
}

export function innerLevels(): readonly InnerLevel[] {
  return levels;
}

/** True while a patch's inside covers the main graph (the main canvas's keys stand still meanwhile). */
export function insidePatch(): boolean {
  return levels.length > 0;
}

/** Opens the inside of the main graph's node `name` (a PatchNode or VoicesNode), replacing any level open. */
export async function openInnerPatch(name: string, path: string): Promise<void> {
  const asked = generation;
  let view: InnerPatch;
  try {
    view = await api.innerPatch(name);
  } catch (error) {
    store.showToast(`Cannot open ${path} inside ${name}: ${(error as Error).message}`);
    return;
  }
  if (asked !== generation) return;
  set([{ node: name, path: view.path, view }]);
}

/** Opens the inside of `node`, a patch node in the deepest open level, as one level further in. */
export async function openNestedPatch(node: ApiNode): Promise<void> {
  const parent = levels[levels.length - 1];
  if (!parent) return;
  const named = nestedPatchPath(node, parent.view.nodes);
  if (!named) {
    store.showToast(`${node.name} inside ${parent.path} plays no patch file.`);
    return;
  }
  const path = joinPatchPath(dirOf(parent.path), named);
  const asked = generation;
  let view: InnerPatch;
  try {
    view = await api.patchFile(path);
  } catch (error) {
    store.showToast(`Cannot open ${path} inside ${parent.path}: ${(error as Error).message}`);
    return;
  }
  if (asked !== generation) return;
  set([...levels, { node: node.name, path: view.path, view }]);
}

/** Keeps the first `depth` levels (0: back to the main graph). */
export function closeInnerLevels(depth = 0): void {
  if (depth >= levels.length) return;
  set(levels.slice(0, Math.max(0, depth)));
}

/**
 * Reads the first level again (the file was edited and reloaded): keeps deeper levels only when their
 * files are still included. A failure leaves the view as it was.
 */
export async function refreshInnerPatch(): Promise<void> {
  const first = levels[0];
  if (!first) return;
  const asked = generation;
  try {
    const view = await api.innerPatch(first.node);
    if (asked !== generation || view.revision === first.view.revision) return;
    const deeper = levels.slice(1).filter((level) => view.files.includes(level.path));
    set([{ ...first, path: view.path, view }, ...deeper]);
  } catch {
    // The node went away or its file no longer loads: what is shown stays, the main graph says why.
  }
}
