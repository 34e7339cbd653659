// Every edit the editor makes, each through the public API and each undoable.

import type { ApiConnection, ApiNode, ApiPort, ScriptResult } from './api';
import { api } from './backend';
import { type Edit, history } from './history';
import { literal } from './lang';
import { type Position, portKey, store } from './store';

const samePort = (a: ApiPort, b: ApiPort) => a.node_name === b.node_name && a.port_name === b.port_name;

function report(error: unknown): never {
  store.showToast((error as Error).message);
  throw error;
}

/** Re-reads nodes and connections over HTTP: covers a push lost to a reconnect. */
export async function refreshGraph() {
  const [nodes, connections] = await Promise.all([api.nodes(), api.connections()]);
  store.replaceGraph(nodes, connections);
}

/** Names that creates still on their way to the server have claimed: two quick adds (Enter, Enter)
 * must not both pick `sine2` before the first one's node arrives. */
const claimed = new Set<string>();
const taken = (name: string) => store.state.nodes.has(name) || claimed.has(name);
/** The names of nodes being created that the server has not confirmed yet (their positions are set). */
export const claimedNames = (): ReadonlySet<string> => claimed;

/** Runs a create script with its new names claimed until the server has answered. */
async function createNamed(names: string[], script: string): Promise<void> {
  for (const name of names) claimed.add(name);
  try {
    await runScript(script);
  } finally {
    for (const name of names) claimed.delete(name);
  }
}

/** A fresh readable node name for a type: SineNode → sine1, MidiInputNode → midi_input1. */
export function inventName(type: string): string {
  const stem =
    type
      .replace(/Node$/, '')
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '') || 'node';
  const base = /^[a-z]/.test(stem) ? stem : `n${stem}`;
  for (let i = 1; ; i++) {
    const name = `${base}${i}`;
    if (!taken(name)) return name;
  }
}

export interface NodeSnapshot {
  name: string;
  type: string;
  value?: unknown;
}

function snapshot(node: ApiNode): NodeSnapshot {
  return node.type === 'DataNode'
    ? { name: node.name, type: node.type, value: node.exports.Value ?? null }
    : { name: node.name, type: node.type };
}

function newLine(s: NodeSnapshot) {
  return s.type === 'DataNode' ? `new ${literal(s.value)} ${s.name};` : `new ${s.type} ${s.name};`;
}

const linkLine = (c: ApiConnection) => `link ${portKey(c.source)} -> ${portKey(c.sink)};`;
const unlinkLine = (c: ApiConnection) => `unlink ${portKey(c.source)} -> ${portKey(c.sink)};`;

/** Edits go as scripts over the socket: all-or-nothing, refusals answered as messages (not HTTP errors),
 * and the graph's pushes arrive before the answer. Over HTTP (socket down) the graph is re-read after. */
async function runScript(script: string): Promise<ScriptResult> {
  const viaSocket = store.socketOpen();
  const result = await store.execute(script);
  if (!viaSocket) await refreshGraph();
  return result;
}

const NAME = /^_?[a-z][A-Za-z0-9_]*$/;

export async function addNode(type: string, position: Position, value?: unknown): Promise<string> {
  const name = inventName(type);
  const shot: NodeSnapshot = { name, type, value };
  const create = async () => {
    store.placedHere.add(name);
    store.setPositions({ [name]: position });
    await createNamed([name], type === 'DataNode' && value === undefined ? `new 0 ${name};` : newLine(shot));
  };
  await history
    .perform(
      { label: `add ${name}`, redo: create, undo: () => runScript(`remove ${name};`).then(() => undefined) },
      create(),
    )
    .catch(report);
  return name;
}

export async function removeNodes(names: string[]) {
  const nodes = names.map((n) => store.state.nodes.get(n)).filter((n): n is ApiNode => !!n);
  if (!nodes.length) return;
  const gone = new Set(nodes.map((n) => n.name));
  const shots = nodes.map(snapshot);
  const links = store.state.connections.filter(
    (c) => gone.has(c.source.node_name) || gone.has(c.sink.node_name),
  );
  const remove = () => runScript(shots.map((s) => `remove ${s.name};`).join('\n')).then(() => undefined);
  await history
    .perform(
      {
        label: nodes.length === 1 ? `delete ${nodes[0].name}` : `delete ${nodes.length} nodes`,
        redo: remove,
        undo: () =>
          runScript([...shots.map(newLine), ...links.map(linkLine)].join('\n')).then(() => undefined),
      },
      remove(),
    )
    .catch(report);
}

export async function link(connection: ApiConnection) {
  const replaced = store.state.connections.find((c) => samePort(c.sink, connection.sink));
  if (replaced && portKey(replaced.source) === portKey(connection.source)) return;
  const doLink = () => runScript(linkLine(connection)).then(() => undefined);
  await history
    .perform(
      {
        label: `link ${portKey(connection.source)} → ${portKey(connection.sink)}`,
        redo: doLink,
        undo: () =>
          runScript([unlinkLine(connection), ...(replaced ? [linkLine(replaced)] : [])].join('\n')).then(
            () => undefined,
          ),
      },
      doLink(),
    )
    .catch(report);
  // An input holds one cable: say which one the new one replaced (undo puts it back).
  if (replaced)
    store.showToast(
      `Replaced ${portKey(replaced.source)} → ${portKey(connection.sink)} by ${portKey(connection.source)} (undo brings it back)`,
      'info',
    );
}

export async function unlink(connections: ApiConnection[]) {
  if (!connections.length) return;
  const doUnlink = () => runScript(connections.map(unlinkLine).join('\n')).then(() => undefined);
  await history
    .perform(
      {
        label: connections.length === 1 ? 'unlink' : `unlink ${connections.length}`,
        redo: doUnlink,
        undo: () => runScript(connections.map(linkLine).join('\n')).then(() => undefined),
      },
      doUnlink(),
    )
    .catch(report);
}

/** Sets a DataNode's value; consecutive calls for one node (typing) merge into one undo step. */
export async function setValue(name: string, before: unknown, after: unknown) {
  const put = async (target: string, value: unknown) => {
    const node = await api.setValue(target, value);
    if (node && typeof node === 'object' && 'name' in node) store.applyNode(node);
  };
  const edit: Edit & { after: unknown } = {
    label: `set ${name}`,
    mergeKey: `value:${name}`,
    after,
    redo: () => put(name, edit.after),
    undo: () => put(name, before),
    merge(next: Edit) {
      edit.after = (next as typeof edit).after;
    },
  };
  await history.perform(edit, put(name, after)).catch(report);
}

export async function rename(from: string, to: string) {
  if (from === to) return;
  if (!NAME.test(to) || to.length > 64) {
    store.showToast(
      `\`${to}\` is not a node name: start with a lower-case letter (or _ and one), then letters, digits or _; at most 64 characters.`,
    );
    return;
  }
  if (store.state.nodes.has(to)) {
    store.showToast(`There is already a node named \`${to}\`.`);
    return;
  }
  const doRename = async (a: string, b: string) => {
    // Another client may have renamed or removed it since (undo/redo): say so without a failing request.
    if (!store.state.nodes.has(a)) throw new Error(`there is no node \`${a}\` any more`);
    if (store.state.nodes.has(b)) throw new Error(`there is already a node named \`${b}\``);
    await api.renameNode(a, b);
    store.applyRenamed(a, b);
  };
  await history
    .perform(
      { label: `rename ${from} → ${to}`, redo: () => doRename(from, to), undo: () => doRename(to, from) },
      doRename(from, to),
    )
    .catch(report);
}

export function recordMove(before: Record<string, Position>, after: Record<string, Position>) {
  history.record({
    label: 'move',
    redo: async () => store.setPositions(after),
    undo: async () => store.setPositions(before),
  });
}

/** Runs a console/file script; if it changed the graph, undo restores the graph as it was before. */
export async function executeScript(script: string): Promise<ScriptResult> {
  const before = await api.exportScript().catch(() => null);
  const result = await runScript(script);
  const after = await api.exportScript().catch(() => null);
  if (before !== null && after !== null && before !== after) {
    const restore = (text: string) => runScript(`clear\n${text}`).then(() => undefined);
    history.record({ label: 'script', redo: () => restore(after), undo: () => restore(before) });
  }
  return result;
}

/**
 * Sends a value node's changes while a control moves: at most one request in flight, the newest value
 * winning (a slow answer never queues a backlog of stale values), and the whole gesture one undo step.
 * The engine ramps each change across a block, so the sound glides between the values sent.
 */
export function valueSender(name: string) {
  let before: unknown;
  let started = false;
  let inFlight = false;
  let pending: { value: number } | null = null;
  let last: number | undefined;
  let ending = false;
  // Callers of send wait for the run of sets that carries their value, so a control can keep showing it
  // until the store has it (or the set failed) instead of flicking back to the value before.
  let waiting: (() => void)[] = [];
  const flush = async () => {
    if (inFlight) return;
    while (pending) {
      const { value } = pending;
      pending = null;
      if (value === last) continue;
      inFlight = true;
      try {
        await setValue(name, before, value);
        last = value;
      } catch {
        // reported by setValue
      } finally {
        inFlight = false;
      }
    }
    if (ending) {
      ending = false;
      started = false;
      history.seal();
    }
    const settled = waiting;
    waiting = [];
    for (const resolve of settled) resolve();
  };
  return {
    /** Sets the node to `value`; settles once the server has answered that set (or a later one). */
    send(value: number, done: boolean): Promise<void> {
      if (!started) {
        started = true;
        before = store.state.nodes.get(name)?.exports.Value ?? null;
        last = typeof before === 'number' ? before : undefined;
        history.seal();
      }
      pending = { value };
      if (done) ending = true;
      const sent = new Promise<void>((resolve) => waiting.push(resolve));
      void flush();
      return sent;
    },
  };
}

/** Name for a value node made to hold an input's setting: `square_pwm`, `square_pwm2` … */
function controlName(node: string, port: string): string {
  const base = `${node}_${port}`.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 60);
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base}${i}`)) return `${base}${i}`;
}

/**
 * An unlinked input has no value of its own on the server: the first time its control moves, a value node
 * is made beside it and linked in (one undo step), and the control goes on setting that node.
 */
export async function addInputValue(sink: ApiPort, value: number, near: Position): Promise<string> {
  const name = controlName(sink.node_name, sink.port_name);
  const script = `new ${literal(value)} ${name};\nlink ${name}.out -> ${portKey(sink)};`;
  const create = async () => {
    store.placedHere.add(name);
    store.setPositions({ [name]: near });
    await createNamed([name], script);
  };
  await history
    .perform(
      {
        label: `set ${portKey(sink)}`,
        redo: create,
        undo: () => runScript(`remove ${name};`).then(() => undefined),
      },
      create(),
    )
    .catch(report);
  return name;
}

/** Moves a cable's input end: to another input (relink) or, dropped anywhere else, off (unlink). */
export async function moveCableEnd(connection: ApiConnection, to: ApiPort | null) {
  if (to && samePort(to, connection.sink)) return;
  const replaced = to ? store.state.connections.find((c) => samePort(c.sink, to)) : undefined;
  const moved = to ? { source: connection.source, sink: to } : null;
  const forward = [unlinkLine(connection), ...(moved ? [linkLine(moved)] : [])].join('\n');
  const backward = [
    ...(moved ? [unlinkLine(moved)] : []),
    ...(replaced ? [linkLine(replaced)] : []),
    linkLine(connection),
  ].join('\n');
  const run = (script: string) => runScript(script).then(() => undefined);
  await history
    .perform(
      {
        label: moved ? `move cable to ${portKey(to!)}` : `unplug ${portKey(connection.sink)}`,
        redo: () => run(forward),
        undo: () => run(backward),
      },
      run(forward),
    )
    .catch(report);
  if (replaced && moved)
    store.showToast(`Replaced ${portKey(replaced.source)} → ${portKey(to!)} (undo brings it back)`, 'info');
}

/** A piece of a patch as copied: its nodes (values included), the links among them, and positions. */
export interface Clip {
  nodes: NodeSnapshot[];
  links: ApiConnection[];
  positions: Record<string, Position>;
}

export function clipOf(names: string[]): Clip | null {
  const chosen = new Set(names.filter((n) => store.state.nodes.has(n)));
  if (!chosen.size) return null;
  const nodes = [...chosen].map((n) => snapshot(store.state.nodes.get(n)!));
  const links = store.state.connections.filter(
    (c) => chosen.has(c.source.node_name) && chosen.has(c.sink.node_name),
  );
  const positions: Record<string, Position> = {};
  for (const n of chosen) if (store.state.positions[n]) positions[n] = store.state.positions[n];
  return { nodes, links, positions };
}

/** Clip → text for the system clipboard: a .sui fragment (positions header, then the script). */
export function clipText(clip: Clip): string {
  const header = JSON.stringify({ positions: clip.positions, synchrotronClip: 1 });
  return `/*** ${header} ***/\n${[...clip.nodes.map(newLine), ...clip.links.map(linkLine)].join('\n')}\n`;
}

/**
 * Adds a copy of `clip` with fresh names, shifted so its top-left lands at `at` (flow units), and answers
 * the new names. One script and one undo step.
 */
export async function pasteClip(clip: Clip, at: Position): Promise<string[]> {
  const rename = new Map<string, string>();
  const used = new Set([...store.state.nodes.keys(), ...claimed]);
  for (const node of clip.nodes) {
    // A name still free is kept (pasting into another graph); else the next free number after its stem.
    const stem = node.name.replace(/\d+$/, '');
    const base = NAME.test(stem) ? stem.slice(0, 58) : 'node';
    let fresh = NAME.test(node.name) ? node.name : `${base}1`;
    for (let i = 2; used.has(fresh); i++) fresh = `${base}${i}`;
    used.add(fresh);
    rename.set(node.name, fresh);
  }
  const origin = Object.values(clip.positions).reduce(
    (o, p) => ({ x: Math.min(o.x, p.x), y: Math.min(o.y, p.y) }),
    { x: Number.POSITIVE_INFINITY, y: Number.POSITIVE_INFINITY },
  );
  const positions: Record<string, Position> = {};
  clip.nodes.forEach((node, i) => {
    const p = clip.positions[node.name];
    positions[rename.get(node.name)!] =
      p && Number.isFinite(origin.x)
        ? { x: at.x + p.x - origin.x, y: at.y + p.y - origin.y }
        : { x: at.x + 24 * i, y: at.y + 24 * i };
  });
  const shots = clip.nodes.map((n) => ({ ...n, name: rename.get(n.name)! }));
  const links = clip.links.map((c) => ({
    source: { ...c.source, node_name: rename.get(c.source.node_name)! },
    sink: { ...c.sink, node_name: rename.get(c.sink.node_name)! },
  }));
  const script = [...shots.map(newLine), ...links.map(linkLine)].join('\n');
  const names = shots.map((s) => s.name);
  const create = async () => {
    for (const name of Object.keys(positions)) store.placedHere.add(name);
    store.setPositions(positions);
    await createNamed(names, script);
  };
  await history
    .perform(
      {
        label: names.length === 1 ? `paste ${names[0]}` : `paste ${names.length} nodes`,
        redo: create,
        undo: () => runScript(names.map((n) => `remove ${n};`).join('\n')).then(() => undefined),
      },
      create(),
    )
    .catch(report);
  return names;
}

/** Sets several value nodes at once (a snapshot recalled or morphed): one script, one undo step. */
export async function setValues(values: Record<string, unknown>, label: string, merge?: string) {
  const names = Object.keys(values).filter((n) => store.state.nodes.get(n)?.type === 'DataNode');
  if (!names.length) return;
  const before = Object.fromEntries(names.map((n) => [n, store.state.nodes.get(n)!.exports.Value ?? null]));
  const script = (v: Record<string, unknown>) => names.map((n) => `set ${n} ${literal(v[n])};`).join('\n');
  const run = (v: Record<string, unknown>) => runScript(script(v)).then(() => undefined);
  const edit: Edit & { after: Record<string, unknown> } = {
    label,
    after: values,
    mergeKey: merge,
    redo: () => run(edit.after),
    undo: () => run(before),
    merge(next) {
      edit.after = (next as typeof edit).after;
    },
  };
  await history.perform(edit, run(values)).catch(report);
}
