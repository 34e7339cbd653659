// Every edit the editor makes, each through the public API and each undoable.

import { type ApiConnection, type ApiNode, type ApiPort, api, type ScriptResult } from './api';
import { type Edit, history } from './history';
import { type Position, portKey, store } from './store';
import { formatLiteral } from './values';

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
    if (!store.state.nodes.has(name)) return name;
  }
}

interface NodeSnapshot {
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
  return s.type === 'DataNode' ? `new ${formatLiteral(s.value)} ${s.name};` : `new ${s.type} ${s.name};`;
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
    store.setPositions({ [name]: position });
    await runScript(type === 'DataNode' && value === undefined ? `new 0 ${name};` : newLine(shot));
  };
  await create().catch(report);
  history.record({
    label: `add ${name}`,
    redo: create,
    undo: () => runScript(`remove ${name};`).then(() => undefined),
  });
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
  await remove().catch(report);
  history.record({
    label: nodes.length === 1 ? `delete ${nodes[0].name}` : `delete ${nodes.length} nodes`,
    redo: remove,
    undo: () => runScript([...shots.map(newLine), ...links.map(linkLine)].join('\n')).then(() => undefined),
  });
}

export async function link(connection: ApiConnection) {
  const replaced = store.state.connections.find((c) => samePort(c.sink, connection.sink));
  if (replaced && portKey(replaced.source) === portKey(connection.source)) return;
  const doLink = () => runScript(linkLine(connection)).then(() => undefined);
  await doLink().catch(report);
  history.record({
    label: `link ${portKey(connection.source)} → ${portKey(connection.sink)}`,
    redo: doLink,
    undo: () =>
      runScript([unlinkLine(connection), ...(replaced ? [linkLine(replaced)] : [])].join('\n')).then(
        () => undefined,
      ),
  });
}

export async function unlink(connections: ApiConnection[]) {
  if (!connections.length) return;
  const doUnlink = () => runScript(connections.map(unlinkLine).join('\n')).then(() => undefined);
  await doUnlink().catch(report);
  history.record({
    label: connections.length === 1 ? 'unlink' : `unlink ${connections.length}`,
    redo: doUnlink,
    undo: () => runScript(connections.map(linkLine).join('\n')).then(() => undefined),
  });
}

/** Sets a DataNode's value; consecutive calls for one node (typing) merge into one undo step. */
export async function setValue(name: string, before: unknown, after: unknown) {
  const put = async (target: string, value: unknown) => {
    const node = await api.setValue(target, value);
    if (node && typeof node === 'object' && 'name' in node) store.applyNode(node);
  };
  await put(name, after).catch(report);
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
  history.record(edit);
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
  await doRename(from, to).catch(report);
  history.record({
    label: `rename ${from} → ${to}`,
    redo: () => doRename(from, to),
    undo: () => doRename(to, from),
  });
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
