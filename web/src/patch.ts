// Whole patches: Open, Save, Save as, the console's `demo`, shared links. A file keeps its name, and its
// text: saving rewrites only what changed in the graph (a value literal, a removed line, new lines at the
// end), so comments and layout survive, and an unchanged file is saved back byte for byte. Replacing a
// graph that has unsaved changes asks first.

import { Graph } from '../../src/engine/graph.js';
import { execute } from '../../src/lang/evaluate.js';
import { exportScript } from '../../src/lang/export.js';
import { describedRegistry } from '../../src/lang/mirror.js';
import type { CommandAst } from '../../src/lang/parser.js';
import { parse } from '../../src/lang/parser.js';
import { parseSui, suiHeader, withSuiHeader } from '../../src/lang/sui.js';
import { ApiError, type ScriptResult } from './api';
import { api } from './backend';
import { ask } from './dialog';
import { executeScript } from './edits';
import { download } from './files';
import { literal, readValue } from './lang';
import { estimateSize, layeredLayout, type Measure } from './layout';
import { mappingsForFile, mappingsFromFile, replaceMappings } from './midimap';
import { snapshotsForFile, snapshotsFromFile } from './snapshots';
import { store } from './store';

export interface OpenedFile {
  name: string;
  /** The file's text as it was opened (or last saved). */
  text: string;
  /** The server's export right after it was loaded (or saved): what the text stands for. */
  exported: string;
}

let opened: OpenedFile | null = null;
/** The graph as last loaded or saved (null: as the page found it, known once read). */
let baseline: string | null = null;

export function openedFile(): OpenedFile | null {
  return opened;
}

/** Remembers the graph as it is now as "saved" (page load, after Open or Save). */
export async function markSaved() {
  baseline = await api.exportScript().catch(() => baseline);
}

/** True when the graph differs from what was last loaded or saved (and is not empty). */
export async function hasUnsavedWork(): Promise<boolean> {
  if (store.state.nodes.size === 0) return false;
  const now = await api.exportScript().catch(() => null);
  return now !== null && baseline !== null && now !== baseline;
}

/** Asks before `action` replaces a graph with unsaved changes; true to go ahead. */
export async function confirmReplace(action: string): Promise<boolean> {
  if (!(await hasUnsavedWork())) return true;
  return ask(
    'Replace the unsaved patch?',
    `The graph has changes that are not saved. ${action} replaces it, and they are lost (Save first to keep them; undo also brings them back).`,
    'Replace',
    'Keep editing',
  );
}

/** Errors of a patch carry its own line numbers: the `clear` line sent before it is not the file's. */
function fileLines(error: unknown, offset: number): unknown {
  if (!(error instanceof ApiError) || error.line === undefined) return error;
  const line = Math.max(1, error.line - offset);
  const message = error.message.replace(/^line \d+/, `line ${line}`);
  const body = { ...(error.body as object), line, detail: message };
  return new ApiError(error.status, message, body);
}

/**
 * Replaces the graph by a patch (one all-or-nothing script); positions from the file, else auto-layout.
 * Returns a note when the file's header could not be used. If the script fails, the graph and the
 * positions stay as they were, and the error names the file's own line.
 */
export async function loadPatch(
  text: string,
  name?: string,
): Promise<{ result: ScriptResult; note?: string }> {
  const { script, positions, extras, problem } = parseSui(text);
  // The file's positions go in first, so its nodes appear where they belong as they are pushed.
  const previous = { ...store.state.positions };
  if (positions) store.setPositions(positions);
  let result: ScriptResult;
  store.loading++;
  try {
    result = await executeScript(`clear\n${script}`);
  } catch (error) {
    store.setPositions(previous, true);
    throw fileLines(error, 1);
  } finally {
    store.loading--;
  }
  if (!positions) autoLayout();
  replaceMappings(mappingsFromFile(extras.midi));
  snapshotsFromFile(extras.snapshots);
  const exported = await api.exportScript().catch(() => '');
  baseline = exported;
  opened = name ? { name, text, exported } : null;
  store.requestFit();
  store.setFileName(opened?.name ?? null);
  return { result, note: problem && `${problem} (placed automatically instead)` };
}

export function autoLayout() {
  const { nodes, connections } = store.state;
  store.setPositions(layeredLayout([...nodes.values()], connections, { x: 0, y: 0 }, measured));
  store.requestFit();
}

/** Drawn sizes where the editor has them, estimates elsewhere. */
export const measured: Measure = (node) => store.measure?.(node.name) ?? estimateSize(node);

// ---------------------------------------------------------------------------------- saving

/** The editor state a .sui keeps beside positions (only entries that have something). */
function headerExtras(): Record<string, unknown> {
  const extras: Record<string, unknown> = {};
  const midi = mappingsForFile();
  if (midi.length) extras.midi = midi;
  const snapshots = snapshotsForFile();
  if (snapshots.length) extras.snapshots = snapshots;
  return extras;
}

function currentPositions() {
  const out: Record<string, { x: number; y: number }> = {};
  for (const name of store.state.nodes.keys()) {
    const p = store.state.positions[name];
    if (p) out[name] = { x: Math.round(p.x), y: Math.round(p.y) };
  }
  return out;
}

/** A script's graph as sorted lines (node and link lines), to compare two scripts for the same graph. */
function graphLines(script: string, registry: ReturnType<typeof describedRegistry>): string[] | null {
  try {
    const graph = new Graph(registry);
    execute({ graph, sampleRate: 44100, blockSize: 128, clock: () => 0, start() {}, stop() {} }, script);
    return exportScript(graph)
      .split('\n')
      .filter((l) => l.trim())
      .sort();
  } catch {
    return null;
  }
}

/** Removes a command's text; a line left with nothing but blanks (or its own trailing comment) goes too. */
function cut(text: string, start: number, end: number): string {
  let to = end;
  while (text[to] === ' ' || text[to] === '\t') to++;
  if (text[to] === ';') to++;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  let lineEnd = text.indexOf('\n', to);
  if (lineEnd < 0) lineEnd = text.length;
  const before = text.slice(lineStart, start);
  const after = text.slice(to, lineEnd);
  if (!before.trim() && (!after.trim() || after.trim().startsWith('//')))
    return text.slice(0, lineStart) + text.slice(Math.min(text.length, lineEnd + 1));
  return text.slice(0, start) + text.slice(to);
}

/**
 * The opened file's script brought up to date with the graph, keeping its comments, order and spacing:
 * each `new`/`link` line still true stays as written (a value node's new value replaces just its literal),
 * lines no longer true go, and what is new is appended. The result is checked by running it on a copy of
 * the graph; null when it does not rebuild the graph exactly (then the caller saves the plain export).
 */
export function mergeScript(original: string, exportedNow: string): string | null {
  const registry = describedRegistry(store.state.types);
  let commands: CommandAst[];
  try {
    commands = parse(original);
  } catch {
    return null;
  }
  const want = graphLines(exportedNow, registry);
  if (!want) return null;
  const nowNodes = new Map<string, { type: string; value: string | null }>();
  const nowLinks = new Set<string>();
  for (const command of parse(exportedNow)) {
    if (command.command === 'new' && command.name)
      nowNodes.set(command.name.text, {
        type: command.type?.text ?? 'DataNode',
        value: command.value ? exportedNow.slice(command.value.start, command.value.end) : null,
      });
    if (command.command === 'link' && command.source.port && command.sink.port)
      nowLinks.add(
        `${command.source.node.text}.${command.source.port.text}->${command.sink.node.text}.${command.sink.port.text}`,
      );
  }
  const edits: Array<{ start: number; end: number; text: string | null }> = [];
  const keptNodes = new Set<string>();
  const keptLinks = new Set<string>();
  for (const command of commands) {
    if (command.command === 'new') {
      if (!command.name) return null; // an invented name cannot be matched to the graph
      const now = nowNodes.get(command.name.text);
      const type = command.type?.text ?? 'DataNode';
      if (!now || now.type !== type || keptNodes.has(command.name.text)) {
        edits.push({ start: command.start, end: command.end, text: null });
        continue;
      }
      keptNodes.add(command.name.text);
      if (command.value && now.value !== null) {
        const written = original.slice(command.value.start, command.value.end);
        const read = readValue(written);
        if (written !== now.value && (!read.ok || literal(read.value) !== now.value))
          edits.push({ start: command.value.start, end: command.value.end, text: now.value });
      }
    } else if (command.command === 'link') {
      if (!command.source.port || !command.sink.port) return null;
      const key = `${command.source.node.text}.${command.source.port.text}->${command.sink.node.text}.${command.sink.port.text}`;
      if (!nowLinks.has(key) || keptLinks.has(key))
        edits.push({ start: command.start, end: command.end, text: null });
      else keptLinks.add(key);
    } else if (command.command === 'unlink' || command.command === 'remove' || command.command === 'clear') {
      return null; // order-dependent scripts are not rewritten line by line
    }
    // set, start, stop, eval, export: kept as written
  }
  let text = original;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    text =
      edit.text === null
        ? cut(text, edit.start, edit.end)
        : text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  }
  const added: string[] = [];
  for (const command of parse(exportedNow)) {
    const line = `${exportedNow.slice(command.start, command.end)};`;
    if (command.command === 'new' && command.name && !keptNodes.has(command.name.text)) added.push(line);
    else if (command.command === 'set' && !keptNodes.has(command.name.text)) added.push(line);
    else if (command.command === 'link' && command.source.port && command.sink.port) {
      const key = `${command.source.node.text}.${command.source.port.text}->${command.sink.node.text}.${command.sink.port.text}`;
      if (!keptLinks.has(key)) added.push(line);
    }
  }
  if (added.length) text = `${text.replace(/\s*$/, '')}\n${added.join('\n')}\n`;
  const got = graphLines(text, registry);
  if (!got || got.join('\n') !== want.join('\n')) return null;
  return text;
}

/** The text to save, in `format`: the opened file brought up to date, or the plain export. */
export async function saveText(format: 'syn' | 'sui'): Promise<{ text: string; kept: boolean }> {
  const exported = await api.exportScript();
  const source = opened ? parseSui(opened.text) : null;
  let script = exported;
  let kept = false;
  if (opened && source) {
    const merged = opened.exported === exported ? source.script : mergeScript(source.script, exported);
    if (merged !== null) {
      script = merged;
      kept = true;
    }
  }
  if (format === 'syn') {
    // A .syn has no header: drop the one a .sui brought.
    return {
      text: kept ? script.replace(/^\uFEFF?\s*\/\*\*\*[\s\S]*?\*\*\*\/[ \t]*\r?\n?/, '') : script,
      kept,
    };
  }
  const positions = currentPositions();
  const extras = headerExtras();
  // An unchanged header is kept as written too (its spacing and key order are the author's).
  const unchangedHeader =
    source?.positions &&
    JSON.stringify(roundAll(source.positions)) === JSON.stringify(positions) &&
    JSON.stringify(source.extras) === JSON.stringify(extras);
  if (kept && unchangedHeader) return { text: script, kept };
  return { text: withSuiHeader(script, suiHeader(positions, extras)), kept };
}

function roundAll(positions: Record<string, { x: number; y: number }>) {
  const out: Record<string, { x: number; y: number }> = {};
  for (const [name, p] of Object.entries(positions)) out[name] = { x: Math.round(p.x), y: Math.round(p.y) };
  return out;
}

/** Saves (downloads) the patch under the opened file's name, or `name`. */
export async function savePatch(name?: string) {
  const fileName = name ?? opened?.name ?? 'patch.sui';
  const format = /\.syn$/i.test(fileName) ? 'syn' : 'sui';
  const { text, kept } = await saveText(format);
  download(fileName, text);
  const exported = await api.exportScript().catch(() => '');
  baseline = exported;
  opened = { name: fileName, text, exported };
  store.setFileName(fileName);
  return { fileName, kept };
}
