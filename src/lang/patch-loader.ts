// Patch files as node types (SPEC §7), the control side: a `.syn` file is read (through the host's confined
// reader), parsed and run into a Graph of its own — which validates every node and link exactly as the
// main graph would — and described as plain data (src/engine/patch.ts): inner nodes, links, inlets, outlets,
// and how many nodes it expands to. Descriptions are cached per file and rebuilt when the file's text (or
// that of a file it includes) changes, so sixteen instances parse once and a reload sees every edit.

import type { ApiConnection, ApiNode } from '../api/protocol.js';
import { toApiConnection, toApiNodes } from '../api/shapes.js';
import type { RenderHost } from '../engine/definition.js';
import { SynchrotronError } from '../engine/errors.js';
import { Graph, type GraphLimits } from '../engine/graph.js';
import {
  dirOf,
  type InletInfo,
  type InnerNode,
  joinPath,
  normalizePath,
  type OutletInfo,
  type PatchDescription,
} from '../engine/patch.js';
import type { NodeRegistry } from '../engine/registry.js';
import { type DataValue, dataToNumber, type PortKind } from '../engine/types.js';
import { SynchrolangError } from './contract.js';
import { execute } from './evaluate.js';
import { errorMessage } from './format.js';
import { parseSui } from './sui.js';

/** Largest patch file read (a patch is a script; 1 MiB holds some 20,000 lines). */
export const MAX_PATCH_BYTES = 1024 * 1024;

export interface PatchLoaderOptions {
  registry: NodeRegistry;
  /** Reads a whole file, relative to the root, confined and size-checked (RenderHost.readFileSync). */
  readFile(path: string, options: { maxBytes: number }): Uint8Array;
  /** Limits for each file's own graph (the expanded count is checked again where the patch is used). */
  limits?: Partial<GraphLimits>;
  /** For `$rate` and `$buffer` inside patches. */
  sampleRate?: number;
  blockSize?: number;
  /** Told of every patch file read, e.g. to watch it. */
  onFile?(path: string): void;
}

/** A patch file's inner graph as GET /patches answers it (read-only). */
export interface PatchView {
  path: string;
  script: string;
  nodes: ApiNode[];
  connections: ApiConnection[];
  inlets: InletInfo[];
  outlets: OutletInfo[];
  /** Nodes it expands to (inner ones, nested patches and voices included). */
  weight: number;
  /** Every file it is built from, itself first. */
  files: string[];
  revision: string;
}

interface Entry {
  text: string;
  /** Every other file it was built from, with the text it had then. */
  dependencies: Map<string, string>;
  description: PatchDescription;
}

const KINDS: readonly PortKind[] = ['stream', 'data', 'midi'];

/** 32-bit FNV-1a of a text, as 8 hex digits: a patch's revision. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function decode(bytes: Uint8Array, path: string): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SynchrotronError(
      'invalid',
      `\`${path}\` is not a text file (not UTF-8): a patch is a Synchrolang script`,
    );
  }
}

export class PatchLoader {
  private readonly options: PatchLoaderOptions;
  private readonly cache = new Map<string, Entry>();
  /** Files being built now, outermost first: one that appears twice includes itself. */
  private readonly loading: string[] = [];

  constructor(options: PatchLoaderOptions) {
    this.options = options;
  }

  /** Files read so far (those a server watches). */
  files(): string[] {
    return [...this.cache.keys()];
  }

  /**
   * The patch at `path` (relative to the root), built afresh if its text or that of a file it includes
   * changed. Throws a SynchrotronError: a file that cannot be read, a mistake inside (`in \`voice.syn\`, line
   * 3, column 5: …`), or a recursion naming the chain (`a.syn → b.syn → a.syn`).
   */
  load(path: string): PatchDescription {
    if (typeof path !== 'string' || path.trim() === '')
      throw new SynchrotronError('invalid', 'a patch path must be a non-empty string, e.g. "voice.syn"');
    const file = normalizePath(path);
    const start = this.loading.indexOf(file);
    if (start >= 0) {
      const chain = [...this.loading.slice(start), file].join(' → ');
      throw new SynchrotronError('invalid', `a patch cannot include itself: ${chain}`, { chain });
    }
    const text = this.read(file);
    const cached = this.cache.get(file);
    if (cached && cached.text === text && this.unchanged(cached)) return cached.description;
    this.loading.push(file);
    try {
      const entry = this.build(file, text);
      this.cache.set(file, entry);
      return entry.description;
    } finally {
      this.loading.pop();
    }
  }

  /** A RenderHost service: `loadPatch` for a Graph (and the Preparer) over this loader. */
  host(): Pick<RenderHost, 'loadPatch'> {
    return { loadPatch: (path) => this.load(path) };
  }

  // ------------------------------------------------------------------------------- internals

  private read(file: string): string {
    const bytes = this.options.readFile(file, { maxBytes: MAX_PATCH_BYTES });
    this.options.onFile?.(file);
    return decode(bytes, file).replace(/^\uFEFF/, '');
  }

  private unchanged(entry: Entry): boolean {
    for (const [file, text] of entry.dependencies) {
      try {
        if (this.read(file) !== text) return false;
      } catch {
        return false; // gone or unreadable: rebuild, which says why
      }
    }
    return true;
  }

  /**
   * A patch's inner graph for a read-only view (GET /patches?path=…): its nodes and connections in the
   * API's shapes, its inlets and outlets, the files it includes and its text. Throws as `load` does.
   */
  view(path: string): PatchView {
    const description = this.load(path);
    const entry = this.cache.get(description.path)!;
    const graph = this.run(description.path, entry.text, []);
    return {
      path: description.path,
      script: entry.text,
      nodes: toApiNodes(graph),
      connections: graph.connections().map(toApiConnection),
      inlets: description.inlets,
      outlets: description.outlets,
      weight: description.weight,
      files: description.files,
      revision: description.revision,
    };
  }

  /** Runs a file's script into a Graph of its own; a mistake is reported in the file's terms. */
  private run(file: string, text: string, included: PatchDescription[]): Graph {
    const dir = dirOf(file);
    // Inside the file, paths resolve against its folder; included patches load through this loader.
    const host: RenderHost = {
      loadPatch: (path) => {
        const description = this.load(joinPath(dir, path));
        included.push(description);
        return description;
      },
    };
    const graph = new Graph(this.options.registry, { host, limits: this.options.limits });
    try {
      execute(
        {
          graph,
          sampleRate: this.options.sampleRate ?? 44100,
          blockSize: this.options.blockSize ?? 128,
          clock: () => 0,
          start: () => {},
          stop: () => {},
        },
        parseSui(text).script,
      );
    } catch (error) {
      if (error instanceof SynchrolangError) {
        throw new SynchrotronError(
          error.details.code === 'limit' ? 'limit' : 'invalid',
          `in \`${file}\`, line ${error.line}, column ${error.column}: ${errorMessage(error)}`,
          {
            file,
            fileLine: error.line,
            fileColumn: error.column,
            ...(error.details.chain ? { chain: error.details.chain } : {}),
          },
        );
      }
      throw error;
    }
    return graph;
  }

  private build(file: string, text: string): Entry {
    const dir = dirOf(file);
    const included: PatchDescription[] = [];
    const graph = this.run(file, text, included);
    const nodes: InnerNode[] = [];
    const inlets: InletInfo[] = [];
    const outlets: OutletInfo[] = [];
    for (const node of graph.nodes()) {
      const structural =
        node.definition.prepare || node.definition.ports ? graph.structuralValues(node.name) : {};
      nodes.push({
        name: node.name,
        type: node.type,
        value: node.value,
        ...(Object.keys(node.args).length > 0 ? { args: node.args } : {}),
        ...(node.definition.ports ? { inputs: node.inputs, outputs: node.outputs } : {}),
        structural,
        ...(node.revision !== undefined ? { revision: node.revision } : {}),
      });
      if (node.type === 'InletNode' || node.type === 'OutletNode') {
        const kind = structural.kind;
        const known =
          typeof kind === 'string' && (KINDS as string[]).includes(kind) ? (kind as PortKind) : 'stream';
        if (node.type === 'OutletNode') outlets.push({ name: node.name, kind: known });
        else
          inlets.push({
            name: node.name,
            kind: known,
            default: this.inletDefault(graph, node.name, node.args, known),
          });
      }
    }
    const dependencies = new Map<string, string>();
    const files = [file];
    for (const description of included) {
      for (const dependency of description.files) {
        if (dependencies.has(dependency)) continue;
        const entry = this.cache.get(dependency);
        if (entry) dependencies.set(dependency, entry.text);
        files.push(dependency);
      }
    }
    const revision = hash(`${file}\0${text}\0${included.map((d) => d.revision).join('\0')}`);
    return {
      text,
      dependencies,
      description: {
        path: file,
        dir,
        nodes,
        links: graph.connections().map((c) => ({ source: { ...c.source }, sink: { ...c.sink } })),
        inlets,
        outlets,
        weight: graph.expandedSize,
        files: [...new Set(files)],
        revision,
      },
    };
  }

  /** What an inlet's port reads while unlinked: its `default` (linked value, literal or 0). */
  private inletDefault(
    graph: Graph,
    name: string,
    args: Record<string, DataValue>,
    kind: PortKind,
  ): DataValue {
    const link = graph.sourceOf({ node: name, port: 'default' });
    const value = link
      ? graph.node(link.source.node).value
      : Object.hasOwn(args, 'default')
        ? args.default
        : 0;
    if (kind === 'stream') return dataToNumber(value);
    return kind === 'midi' ? null : value;
  }
}
