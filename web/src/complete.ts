// Console completion from what this browser knows: keywords, node types (GET /types), the live graph's
// node and port names. Context comes from Synchrolang's own tokenizer (src/lang/tokens.ts).

import { KEYWORDS, tokenize } from '../../src/lang/tokens.js';
import type { ApiNode, NodeTypeInfo } from './api';

export interface Completion {
  /** Text to insert in place of [from, to). */
  text: string;
  label: string;
  detail?: string;
  from: number;
  to: number;
}

const VARIABLES = ['$rate', '$buffer', '$clock', '$nodes'];
const CLIENT_COMMANDS = ['demo', 'help', 'layout'];

export function complete(
  script: string,
  cursor: number,
  nodes: Map<string, ApiNode>,
  types: NodeTypeInfo[],
): Completion[] {
  const before = script.slice(0, cursor);
  const tokens = tokenize(before).filter((t) => t.kind !== 'whitespace' || /[\n]/.test(t.text));
  let last = tokens[tokens.length - 1];
  let prefix = '';
  let from = cursor;
  const touching = last && last.end === cursor && /^[$A-Za-z_][A-Za-z0-9_]*$/.test(last.text);
  if (touching) {
    prefix = last.text;
    from = last.start;
    tokens.pop();
    last = tokens[tokens.length - 1];
  }
  // The significant tokens of the command being typed.
  const command: typeof tokens = [];
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i];
    if (t.text === ';' || t.kind === 'whitespace') break;
    if (t.kind !== 'comment') command.unshift(t);
  }
  const make = (items: Array<{ text: string; detail?: string }>) =>
    items
      .filter((item) => item.text.toLowerCase().startsWith(prefix.toLowerCase()) && item.text !== prefix)
      .map((item) => ({ text: item.text, label: item.text, detail: item.detail, from, to: cursor }));

  if (prefix.startsWith('$')) return make(VARIABLES.map((text) => ({ text })));
  if (command.length === 0) {
    const words = [...new Set([...Object.keys(KEYWORDS), ...CLIENT_COMMANDS])];
    return make(
      words.map((text) => ({
        text,
        detail: KEYWORDS[text] && KEYWORDS[text] !== text ? KEYWORDS[text] : '',
      })),
    );
  }
  const verb = KEYWORDS[command[0].text.toLowerCase()];
  // node.port: complete the port, outputs before `->`, inputs after it.
  if (last?.text === '.' && command.length >= 2) {
    const node = nodes.get(command[command.length - 2].text);
    if (!node) return [];
    const afterArrow = command.some((t) => t.text === '->');
    const wantInputs = verb === 'link' ? afterArrow : null;
    const ports = [
      ...(wantInputs !== false ? node.inputs.map((p) => ({ text: p.port_name, detail: p.type })) : []),
      ...(wantInputs !== true ? node.outputs.map((p) => ({ text: p.port_name, detail: p.type })) : []),
    ];
    return make(ports);
  }
  if (verb === 'new' && command.length === 1) {
    return make(types.map((t) => ({ text: t.type, detail: t.description })));
  }
  if (verb === 'new') return [];
  const names = [...nodes.values()].map((n) => ({ text: n.name, detail: n.type }));
  if (/^[A-Z]/.test(prefix)) return make(types.map((t) => ({ text: t.type, detail: t.description })));
  return make(names);
}
