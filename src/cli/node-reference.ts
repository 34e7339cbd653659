// The node reference, derived from the node definitions: plain text for `synchrotron nodes`, Markdown
// for docs/nodes.md. One source of truth, so the docs cannot drift from the code (a test checks).

import type { NodeRegistry, NodeTypeInfo } from '../engine/registry.js';

type PortInfo = NodeTypeInfo['inputs'][number];

const KIND_LABEL = { stream: 'stream', data: 'data', midi: 'MIDI' } as const;

/** Headings for categories whose capitalised id would read wrong ("Midi", "Io"). */
const CATEGORY_TITLE: Record<string, string> = { midi: 'MIDI', osc: 'OSC', io: 'Input and output' };

/** `data, structural` for structural inputs (they take a value, prepared off the render thread). */
function kindLabel(port: PortInfo): string {
  return port.structural ? `${KIND_LABEL[port.kind]}, structural` : KIND_LABEL[port.kind];
}

/** The unit with the declared range, e.g. `Hz, 10…20000`. */
function unitAndRange(port: PortInfo): string {
  const range =
    port.min !== undefined || port.max !== undefined ? `${port.min ?? '−∞'}…${port.max ?? '∞'}` : '';
  // A unit that is itself the range ('0…1', '-1…1') is said once.
  if (port.unit && port.unit.replace('-', '−') === range.replace('-', '−')) return port.unit;
  return [port.unit, range].filter(Boolean).join(', ');
}

function formatDefault(port: PortInfo): string {
  return port.default === undefined ? '' : JSON.stringify(port.default);
}

function sortedTypes(registry: NodeRegistry): NodeTypeInfo[] {
  const categoryOrder = [
    'sources',
    'oscillators',
    'math',
    'filters',
    'delay',
    'space',
    'dynamics',
    'mixing',
    'envelopes',
    'sequencing',
    'midi',
    'osc',
    'io',
    'debug',
  ];
  const rank = (category: string) => {
    const index = categoryOrder.indexOf(category);
    return index === -1 ? categoryOrder.length : index;
  };
  return registry
    .names()
    .map((type) => registry.info(type))
    .sort(
      (a, b) =>
        rank(a.category) - rank(b.category) ||
        a.category.localeCompare(b.category) ||
        a.type.localeCompare(b.type),
    );
}

export function nodeReferenceText(registry: NodeRegistry): string {
  const lines: string[] = [];
  for (const info of sortedTypes(registry)) {
    lines.push(`${info.type}  (${info.category})`);
    lines.push(`  ${info.description}`);
    const port = (direction: string, p: PortInfo) => {
      const facts: string[] = [kindLabel(p)];
      const unit = unitAndRange(p);
      if (unit) facts.push(unit);
      const fallback = formatDefault(p);
      if (fallback) facts.push(`default ${fallback}`);
      return `  ${direction} ${p.name.padEnd(14)} ${facts.join(', ').padEnd(28)} ${p.description}`;
    };
    for (const p of info.inputs) lines.push(port('in ', p));
    for (const p of info.outputs) lines.push(port('out', p));
    lines.push('');
  }
  return lines.join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function nodeReferenceMarkdown(registry: NodeRegistry): string {
  const types = sortedTypes(registry);
  const lines = [
    '# Node reference',
    '',
    '<!-- Generated from the node definitions by `synchrotron docs`. Do not edit by hand. -->',
    '',
    'Port kinds: **stream** — one 32-bit float per frame; **data** — one value per block (number, string,',
    'boolean, null or array); **MIDI** — the messages of the block, each at its frame offset. A data output',
    'linked into a stream input becomes a constant stream; a stream output linked into a data input delivers',
    'the block as an array of numbers. An unconnected input reads its default. A **structural** input sizes',
    'buffers or loads a file: it takes a value (a DataNode, or its default) and is prepared off the render',
    'thread, taking effect at a block boundary. Ranges are typical values; what a node does outside them is',
    'in its description.',
    '',
  ];
  let category = '';
  for (const info of types) {
    if (info.category !== category) {
      category = info.category;
      lines.push(`## ${CATEGORY_TITLE[category] ?? `${category[0].toUpperCase()}${category.slice(1)}`}`, '');
    }
    lines.push(`### ${info.type}`, '', info.description, '');
    if (info.inputs.length + info.outputs.length > 0) {
      lines.push('| port | direction | kind | unit | default | description |', '|---|---|---|---|---|---|');
      const row = (direction: string, p: PortInfo) =>
        `| \`${p.name}\` | ${direction} | ${kindLabel(p)} | ${unitAndRange(p)} | ${escapeCell(formatDefault(p))} | ${escapeCell(p.description)} |`;
      for (const p of info.inputs) lines.push(row('in', p));
      for (const p of info.outputs) lines.push(row('out', p));
      lines.push('');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
