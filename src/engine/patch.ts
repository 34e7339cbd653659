// Patches as nodes (SPEC §7), the engine's half: what a loaded patch file is (plain data, made by the
// PatchLoader in src/lang on the control side), how its inner nodes are prepared (control side, off the
// render thread), and how a nested plan is brought from one version of a patch to the next (render side,
// at a block boundary) so that unchanged inner nodes keep their state when a file is reloaded.
// Plain data throughout: a description crosses to the render worker, and issue 14 may run it elsewhere.

import type { NodeDefinition, PortSpecs, PrepareContext, RenderHost } from './definition.js';
import type { RenderOp } from './prepare.js';
import { type ConnectionRef, type DataValue, dataEquals, type PortKind, portKey } from './types.js';

/** One node inside a patch file, as the file builds it. */
export interface InnerNode {
  name: string;
  type: string;
  /** Held value (DataNode), else null. */
  value: DataValue;
  /** Literal input values written in the file (`new DelayNode(maxTime: 5) d`). */
  args?: Record<string, DataValue>;
  /** Its own ports, when they differ from its type's (a nested PatchNode, an inlet of kind `midi`). */
  inputs?: PortSpecs;
  outputs?: PortSpecs;
  /** Its structural values (what its `prepare` builds from). */
  structural: Record<string, DataValue>;
  /** For nodes that hold patches: the revision of what they hold (a new one re-prepares them). */
  revision?: string;
}

/** An `InletNode` of a patch: a port of every node made from it. */
export interface InletInfo {
  name: string;
  kind: PortKind;
  /** What the port reads while nothing is linked to it (the inlet's `default`). */
  default: DataValue;
}

/** An `OutletNode` of a patch: an output of every node made from it. */
export interface OutletInfo {
  name: string;
  kind: PortKind;
}

/** A patch file, read, parsed and validated (control side; cached per file by the loader). */
export interface PatchDescription {
  /** The file as the root sees it (`voices/pad.syn`). */
  path: string;
  /** Its folder: paths inside the patch resolve against it. */
  dir: string;
  nodes: InnerNode[];
  links: ConnectionRef[];
  inlets: InletInfo[];
  outlets: OutletInfo[];
  /** Nodes it expands to (inner nodes, nested patches and voices included), for the node limit. */
  weight: number;
  /** Every file it was built from, itself first. */
  files: string[];
  /** Changes when the text of any of those files changes. */
  revision: string;
}

/** What a node holding a patch receives through `configure`: the patch and its inner nodes' preparations. */
export interface PatchPlan {
  patch: PatchDescription;
  /** Aligned with `patch.nodes`: what each inner node's `prepare` made (null: it has none, or it failed). */
  prepared: Array<{ value: unknown } | null>;
}

// ---------------------------------------------------------------------------------------------- paths

/** `dir` joined with `path`, with `.` and `..` resolved (`/`-separated; the host confines the result). */
export function joinPath(dir: string, path: string): string {
  if (path.startsWith('/') || dir === '' || dir === '.') return normalizePath(path);
  return normalizePath(`${dir}/${path}`);
}

export function normalizePath(path: string): string {
  const absolute = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split(/[/\\]+/)) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else parts.push(part);
  }
  const joined = parts.join('/');
  return absolute ? `/${joined}` : joined;
}

/** The folder of a path (`a/b.syn` → `a`; `b.syn` → ``). */
export function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/**
 * The host as seen from inside a patch in `dir`: every path a node names (files it reads or records,
 * patches it includes) resolves against the patch's folder. The real host still confines every path to
 * the root.
 */
export function scopeHost(host: RenderHost, dir: string): RenderHost {
  if (dir === '') return host;
  const scoped: RenderHost = Object.create(host) as RenderHost;
  if (host.readFile) scoped.readFile = (path, options) => host.readFile!(joinPath(dir, path), options);
  if (host.readFileSync)
    scoped.readFileSync = (path, options) => host.readFileSync!(joinPath(dir, path), options);
  if (host.loadPatch) scoped.loadPatch = (path) => host.loadPatch!(joinPath(dir, path));
  if (host.openWav) scoped.openWav = (path, rate) => host.openWav!(joinPath(dir, path), rate);
  return scoped;
}

// ------------------------------------------------------------------------------------- preparation

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Control side: runs `prepare` for every inner node that has one (delay lines, files, nested patches),
 * each with a host scoped to the patch's folder. Synchronous when every inner prepare is; a promise
 * otherwise. An inner prepare that fails is a warning naming the inner node; that node renders unconfigured.
 */
export function preparePatch(patch: PatchDescription, ctx: PrepareContext): PatchPlan | Promise<PatchPlan> {
  const registry = ctx.registry;
  const host = scopeHost(ctx.host, patch.dir);
  const prepared: PatchPlan['prepared'] = [];
  let pending: Array<Promise<void>> | undefined;
  patch.nodes.forEach((node, index) => {
    prepared.push(null);
    const definition: NodeDefinition | undefined = registry?.has(node.type)
      ? registry.get(node.type)
      : undefined;
    if (!definition?.prepare) return;
    const warn = (message: string) => ctx.warn(`${node.name}: ${message}`);
    const inner: PrepareContext = {
      name: `${ctx.name}/${node.name}`,
      type: node.type,
      sampleRate: ctx.sampleRate,
      blockSize: ctx.blockSize,
      host,
      registry,
      publish: () => {},
      warn,
    };
    let result: unknown;
    try {
      result = definition.prepare(node.structural, inner);
    } catch (error) {
      warn(`could not prepare: ${messageOf(error)}`);
      return;
    }
    if (!isThenable(result)) {
      prepared[index] = { value: result };
      return;
    }
    pending ??= [];
    pending.push(
      Promise.resolve(result).then(
        (value) => {
          prepared[index] = { value };
        },
        (error: unknown) => warn(`could not prepare: ${messageOf(error)}`),
      ),
    );
  });
  if (!pending) return { patch, prepared };
  return Promise.all(pending).then(() => ({ patch, prepared }));
}

// ------------------------------------------------------------------------------------------- diff

function sameSpecs(a: PortSpecs | undefined, b: PortSpecs | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function sameArgs(
  a: Record<string, DataValue> | undefined,
  b: Record<string, DataValue> | undefined,
): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  return keys.every((key) => Object.hasOwn(y, key) && dataEquals(x[key], y[key]));
}

function sameStructural(a: InnerNode, b: InnerNode): boolean {
  return sameArgs(a.structural, b.structural) && a.revision === b.revision;
}

/**
 * Render side (at a block boundary): the edits that turn a nested plan built from `before` into one built
 * from `plan.patch`. Inner nodes that kept their name and type keep their instance and state (phases,
 * envelopes, delay lines); their changed values glide as any edit does. A node is configured again only
 * when its structural values (or the patch it holds) changed. `before` null: everything is new.
 */
export function patchEdits(before: PatchDescription | null, plan: PatchPlan): RenderOp[] {
  const next = plan.patch;
  const old = new Map<string, InnerNode>();
  for (const node of before?.nodes ?? []) old.set(node.name, node);
  const fresh = new Set<string>();
  const kept = new Map<string, InnerNode>();
  for (const node of next.nodes) {
    const previous = old.get(node.name);
    if (previous && previous.type === node.type) kept.set(node.name, previous);
    else fresh.add(node.name);
  }
  const ops: RenderOp[] = [];
  // Links that go, or that touch a node made afresh, first (their nodes may be about to go).
  const nextLinks = new Map<string, ConnectionRef>();
  for (const link of next.links) nextLinks.set(portKey(link.sink), link);
  for (const link of before?.links ?? []) {
    const still = nextLinks.get(portKey(link.sink));
    const same = still && portKey(still.source) === portKey(link.source);
    if (!same || fresh.has(link.source.node) || fresh.has(link.sink.node))
      ops.push({ op: 'unlink', source: link.source, sink: link.sink });
  }
  for (const node of before?.nodes ?? [])
    if (!kept.has(node.name)) ops.push({ op: 'remove', name: node.name });
  next.nodes.forEach((node, index) => {
    const previous = kept.get(node.name);
    if (!previous) {
      ops.push({
        op: 'add',
        name: node.name,
        type: node.type,
        value: node.value,
        ...(node.args ? { args: node.args } : {}),
        ...(node.inputs ? { inputs: node.inputs } : {}),
        ...(node.outputs ? { outputs: node.outputs } : {}),
      });
    } else {
      if (
        !sameSpecs(previous.inputs, node.inputs) ||
        !sameSpecs(previous.outputs, node.outputs) ||
        !sameArgs(previous.args, node.args)
      ) {
        ops.push({
          op: 'ports',
          name: node.name,
          ...(node.inputs ? { inputs: node.inputs } : {}),
          ...(node.outputs ? { outputs: node.outputs } : {}),
          args: node.args ?? {},
        });
      }
      if (!dataEquals(previous.value, node.value))
        ops.push({ op: 'set', name: node.name, value: node.value });
    }
    const prepared = plan.prepared[index];
    if (prepared && (!previous || !sameStructural(previous, node)))
      ops.push({ op: 'configure', name: node.name, prepared: prepared.value });
  });
  const oldLinks = new Map<string, ConnectionRef>();
  for (const link of before?.links ?? []) oldLinks.set(portKey(link.sink), link);
  for (const link of next.links) {
    const was = oldLinks.get(portKey(link.sink));
    const same = was && portKey(was.source) === portKey(link.source);
    if (!same || fresh.has(link.source.node) || fresh.has(link.sink.node))
      ops.push({ op: 'link', source: link.source, sink: link.sink });
  }
  return ops;
}
