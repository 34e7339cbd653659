// Readable text for what the server answers: results, nodes, exports, types, errors, pushed events.

import type { ApiConnection, ApiNode, ApiPort, ServerMessage } from '../api/protocol.js';
import type { CommandResult } from '../lang/index.js';
import type { ErrorBody, TypeInfo } from './client.js';
import { highlight } from './highlight.js';
import type { Style } from './style.js';

const port = (p: ApiPort) => `${p.node_name}.${p.port_name}`;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function short(value: unknown, max = 60): string {
  let text: string;
  if (value instanceof Object && !Array.isArray(value)) text = JSON.stringify(value);
  else text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const KIND_MARK: Record<string, string> = {
  StreamInput: '~',
  StreamOutput: '~',
  DataInput: '=',
  DataOutput: '=',
  MidiInput: '♪',
  MidiOutput: '♪',
};

/** `sine SineNode  in: ~frequency←f.out  out: ~out→out.left  {Value: 440}` on one line. */
export function nodeLine(node: ApiNode, style: Style): string {
  const inputs = node.inputs.map(
    (input) =>
      `${KIND_MARK[input.type] ?? ''}${style.port(input.port_name)}${input.source ? style.dim(`←${port(input.source)}`) : ''}`,
  );
  const outputs = node.outputs.map(
    (output) =>
      `${KIND_MARK[output.type] ?? ''}${style.port(output.port_name)}${
        output.sinks.length > 0 ? style.dim(`→${output.sinks.map(port).join(',')}`) : ''
      }`,
  );
  const parts = [`${style.name(node.name)} ${style.type(node.type)}`];
  if (node.type === 'DataNode' && 'Value' in node.exports)
    parts[0] += ` = ${style.value(short(node.exports.Value))}`;
  if (inputs.length > 0) parts.push(`in: ${inputs.join(' ')}`);
  if (outputs.length > 0) parts.push(`out: ${outputs.join(' ')}`);
  return parts.join('  ');
}

/** Exports as a two-column table (DataNode's Value is already on the node line). */
export function exportsTable(exports: Record<string, unknown>, style: Style, indent = '  '): string[] {
  const entries = Object.entries(exports).map(([key, value]): [string, string] => [
    key,
    clip(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)), 100),
  ]);
  if (entries.length === 0) return [];
  const keyWidth = Math.max(...entries.map(([key]) => key.length));
  const valueWidth = Math.max(...entries.map(([, value]) => value.length));
  const border = `${indent}${style.dim(`+${'-'.repeat(keyWidth + 2)}+${'-'.repeat(valueWidth + 2)}+`)}`;
  const bar = style.dim('|');
  const rows = entries.map(
    ([key, value]) =>
      `${indent}${bar} ${key.padEnd(keyWidth)} ${bar} ${style.value(value.padEnd(valueWidth))} ${bar}`,
  );
  return [border, ...rows, border];
}

export function nodeBlock(node: ApiNode, style: Style): string {
  const exports = { ...node.exports };
  if (node.type === 'DataNode') delete exports.Value;
  return [nodeLine(node, style), ...exportsTable(exports, style)].join('\n');
}

function connectionText(connection: ApiConnection): string {
  return `${port(connection.source)} -> ${port(connection.sink)}`;
}

function isApiNode(value: unknown): value is ApiNode {
  const node = value as ApiNode;
  return !!node && typeof node === 'object' && typeof node.name === 'string' && Array.isArray(node.inputs);
}

/** One command's result, readably. */
export function formatResult(result: CommandResult, style: Style): string {
  switch (result.kind) {
    case 'node':
      if (!isApiNode(result.value)) return result.text;
      return result.command === 'eval'
        ? nodeBlock(result.value, style)
        : `${style.dim(`${result.command === 'remove' ? 'removed' : 'created'}:`)} ${nodeBlock(result.value, style)}`;
    case 'connection':
      return result.command === 'eval' ? connectionText(result.value as ApiConnection) : result.text;
    case 'text':
      return highlight(String(result.value ?? result.text).replace(/\n$/, ''), style);
    case 'none':
      return result.text ? style.dim(result.text) : '';
    default:
      return result.text;
  }
}

/**
 * An error with its source line and a caret under the position:
 *   2 | new SineNod x
 *     |     ^^^^^^^
 *   error: unknown node type `SineNod` — did you mean `SineNode`?
 */
export function formatError(error: ErrorBody, script: string, style: Style): string {
  const detail = String(error.detail ?? 'failed').replace(/^line \d+, column \d+: /, '');
  const lines: string[] = [];
  if (typeof error.line === 'number' && typeof error.column === 'number') {
    const source = script.split('\n')[error.line - 1];
    if (source !== undefined) {
      const number = String(error.line);
      const gutter = ' '.repeat(number.length);
      const length = Math.max(
        1,
        Math.min(typeof error.length === 'number' ? error.length : 1, source.length - error.column + 1),
      );
      lines.push(`${style.dim(`${number} |`)} ${highlight(source, style)}`);
      lines.push(
        `${style.dim(`${gutter} |`)} ${' '.repeat(Math.max(0, error.column - 1))}${style.error('^'.repeat(length))}`,
      );
    }
    lines.push(`${style.error('error')} (line ${error.line}, column ${error.column}): ${detail}`);
  } else {
    lines.push(`${style.error('error')}: ${detail}`);
  }
  return lines.join('\n');
}

export function formatType(info: TypeInfo, style: Style, columns = 80): string {
  const ports = (list: TypeInfo['inputs']) =>
    list.map((p) => `${style.port(p.name)}${style.dim(`(${p.kind[0]})`)}`).join(' ') || '—';
  // Narrow terminals: the description under the name, indented by 2 and wrapped at word boundaries,
  // rather than a 23-column indent that the terminal breaks mid-word.
  const indent = columns < 80 ? 2 : 23;
  const description = info.description
    ? wrapWords(info.description, Math.max(20, columns - indent - 1))
        .map((line) => `\n${' '.repeat(indent)}${style.dim(line)}`)
        .join('')
    : '';
  const name = columns < 80 ? info.type : info.type.padEnd(22);
  return `${style.type(name)} ${ports(info.inputs)} → ${ports(info.outputs)}${description}`;
}

/** Text broken into lines of at most `width` characters at spaces (a longer word gets its own line). */
function wrapWords(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * A pushed event as one line, or null for those not worth a line (status, scopes, meters, spectra,
 * and — when `own` — the graph edits of our own script, already shown as its result).
 */
export function formatEvent(message: ServerMessage, style: Style, own: boolean): string | null {
  const tag = (text: string) => style.dim(`[${text}]`);
  switch (message.type) {
    case 'nodeAdded':
      return own ? null : `${tag('added')} ${nodeLine(message.node, style)}`;
    case 'nodeRemoved':
      return own ? null : `${tag('removed')} ${style.name(message.name)}`;
    case 'nodeRenamed':
      return own ? null : `${tag('renamed')} ${style.name(message.from)} → ${style.name(message.to)}`;
    case 'nodeChanged':
      return own ? null : `${tag('changed')} ${nodeLine(message.node, style)}`;
    case 'linked':
      return own ? null : `${tag('linked')} ${connectionText(message.connection)}`;
    case 'unlinked':
      return own ? null : `${tag('unlinked')} ${connectionText(message.connection)}`;
    case 'transport':
      return own ? null : `${tag('transport')} ${message.running ? 'started' : 'stopped'}`;
    case 'debug':
      return `${tag('debug')} ${style.name(message.node)}: ${style.value(debugValue(message.value))}`;
    case 'fault':
      return `${style.error('[fault]')} ${message.node ? `${style.name(message.node)}: ` : ''}${message.message}`;
    case 'warning':
      return `${style.warn('[warning]')} ${message.node ? `${style.name(message.node)}: ` : ''}${message.message}`;
    default:
      return null;
  }
}

/** Why the engine is not running although nobody stopped it (EngineStatus.reason), as one line. */
export function formatReason(reason: string, style: Style): string {
  return `${style.warn('[engine]')} ${reason}`;
}

function debugValue(value: unknown): string {
  if (Array.isArray(value) && value.length > 8 && value.every((v) => typeof v === 'number')) {
    const numbers = value as number[];
    const min = Math.min(...numbers);
    const max = Math.max(...numbers);
    return `[${numbers.length} samples, ${min.toFixed(3)}…${max.toFixed(3)}]`;
  }
  return short(value, 120);
}
