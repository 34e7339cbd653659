// Completion for the console and the web editor: the words that may come next at the cursor, from the
// command being written and the graph as it is (node names, and ports of the right direction).

import { apiPortType } from '../api/shapes.js';
import type { PortSpec } from '../engine/definition.js';
import type { Graph } from '../engine/graph.js';
import type { PortDirection } from '../engine/types.js';
import { VARIABLES } from './evaluate.js';
import { KEYWORDS, keyword, lex, type RawToken } from './tokens.js';
import { formatValue } from './values.js';

export interface Completion {
  /** The text to put in place of script[from, to). */
  label: string;
  kind: 'keyword' | 'type' | 'node' | 'port' | 'variable' | 'operator';
  /** One line shown beside the label: a port's kind and description, a node's type, … */
  detail: string;
  from: number;
  to: number;
}

const KEYWORD_DETAILS: Record<string, string> = {
  new: 'add a node: new TYPE [name] or new VALUE [name]',
  link: 'connect an output to an input: link a.out -> b.in',
  unlink: 'remove connections: unlink NODE | node.port | a.out -> b.in',
  remove: 'disconnect and remove a node: remove NODE',
  set: "change a DataNode's value: set NODE VALUE",
  start: 'start rendering',
  stop: 'stop rendering',
  clear: 'remove every node',
  export: 'the whole graph as a script',
  eval: 'the value of a value, type, node, port or connection',
  tempo: 'the engine tempo in bpm: tempo 128 sets it, tempo alone shows it',
};

const SIGNIFICANT = (t: RawToken) => t.type !== 'whitespace' && t.type !== 'comment';

/** Valid next words at `cursor` (a UTF-16 offset into `script`). */
export function complete(script: string, cursor: number, graph: Graph): Completion[] {
  cursor = Math.max(0, Math.min(cursor, script.length));
  const tokens = lex(script.slice(0, cursor));
  const last = tokens[tokens.length - 1];
  // Inside a comment or an unfinished string: nothing to offer.
  if (last && last.end === cursor && (last.type === 'comment' || last.type === 'string')) return [];
  if (last?.type === 'error' && last.text !== '$') return [];

  // The partial word at the cursor: `wo|`, `node.|`, `node.po|`, `$ra|`.
  let from = cursor;
  let prefix = '';
  let portOf: string | null = null;
  let consumed = 0;
  const at = (back: number) => tokens[tokens.length - 1 - back];
  if (
    last &&
    last.end === cursor &&
    (last.type === 'word' || last.type === 'variable' || last.type === 'error')
  ) {
    if (at(1)?.type === 'dot' && at(2)?.type === 'word') {
      portOf = at(2).text;
      from = at(2).start;
      prefix = `${portOf}.${last.text}`;
      consumed = 3;
    } else {
      from = last.start;
      prefix = last.text;
      consumed = 1;
    }
  } else if (last?.type === 'dot' && last.end === cursor && at(1)?.type === 'word') {
    portOf = at(1).text;
    from = at(1).start;
    prefix = `${portOf}.`;
    consumed = 2;
  }

  // The tokens of the current command before the partial word.
  const before = tokens.slice(0, tokens.length - consumed);
  const command: RawToken[] = [];
  let depth = 0;
  for (let i = before.length - 1; i >= 0; i--) {
    const t = before[i];
    if (t.type === 'rbracket' || t.type === 'rparen') depth++;
    if (t.type === 'lbracket' || t.type === 'lparen') depth--;
    if (
      t.type === 'semicolon' ||
      ((t.type === 'newline' || (t.type === 'comment' && t.breaksLine)) && depth <= 0)
    )
      break;
    if (SIGNIFICANT(t) && t.type !== 'newline') command.unshift(t);
  }

  const out: Completion[] = [];
  const add = (label: string, kind: Completion['kind'], detail: string) =>
    out.push({ label, kind, detail, from, to: cursor });
  const nodes = graph.nodes();
  const addNodes = (filter: (n: (typeof nodes)[number]) => boolean = () => true) => {
    for (const n of nodes) {
      if (filter(n))
        add(n.name, 'node', n.definition.holdsValue ? `${n.type} = ${formatValue(n.value)}` : n.type);
    }
  };
  const addTypes = () => {
    for (const d of graph.registry.definitions()) add(d.type, 'type', d.description);
  };
  const addVariables = () => {
    for (const [name, v] of Object.entries(VARIABLES)) add(`$${name}`, 'variable', v.description);
  };
  const addPorts = (
    directions: PortDirection[],
    sourceHint?: string,
    fits: (spec: PortSpec) => boolean = () => true,
  ) => {
    const list = portOf ? nodes.filter((n) => n.name === portOf) : nodes;
    const hinted: Completion[] = [];
    for (const n of list) {
      for (const direction of directions) {
        const specs = direction === 'input' ? n.inputs : n.outputs;
        for (const [port, spec] of Object.entries(specs)) {
          if (!fits(spec)) continue;
          const unit = spec.unit ? `, ${spec.unit}` : '';
          const completion: Completion = {
            label: `${n.name}.${port}`,
            kind: 'port',
            detail: `${apiPortType(spec.kind, direction)}${unit} — ${spec.description}`,
            from,
            to: cursor,
          };
          // For `unlink a.out -> …`, the inputs a.out actually feeds come first.
          const source = direction === 'input' ? graph.sourceOf({ node: n.name, port }) : undefined;
          if (sourceHint && source && `${source.source.node}.${source.source.port}` === sourceHint)
            hinted.push(completion);
          else out.push(completion);
        }
      }
    }
    out.unshift(...hinted);
  };

  const word = command[0]?.type === 'word' ? command[0] : undefined;
  const canonical = word && command[1]?.type !== 'dot' ? keyword(word.text) : undefined;
  const arrow = command.findIndex((t) => t.type === 'arrow');
  const endsWithPort =
    command.length >= 4 && command.at(-1)!.type === 'word' && command.at(-2)!.type === 'dot';

  if (prefix.startsWith('$')) {
    if (canonical !== 'link' && canonical !== 'unlink' && canonical !== 'remove') addVariables();
  } else if (command.length === 0) {
    if (!portOf) {
      for (const [kw, canon] of Object.entries(KEYWORDS)) {
        add(
          kw,
          'keyword',
          kw === canon ? KEYWORD_DETAILS[canon] : `same as ${canon}: ${KEYWORD_DETAILS[canon]}`,
        );
      }
      addNodes();
      addTypes();
    }
    addPorts(['output', 'input']);
  } else if (canonical === 'new') {
    if (command.length === 1 && !portOf) addTypes();
  } else if (canonical === 'link' || canonical === 'unlink') {
    if (arrow > 0) {
      if (arrow === command.length - 1) {
        const hint = command
          .slice(1, arrow)
          .map((t) => t.text)
          .join('');
        // Only inputs the source can feed: MIDI links only to MIDI, anything else to anything but MIDI.
        const dot = hint.indexOf('.');
        const sourceNode =
          dot > 0 && graph.hasNode(hint.slice(0, dot)) ? graph.node(hint.slice(0, dot)) : undefined;
        const sourcePort = hint.slice(dot + 1);
        const sourceOutputs = sourceNode?.outputs;
        const sourceSpec =
          sourceOutputs && Object.hasOwn(sourceOutputs, sourcePort) ? sourceOutputs[sourcePort] : undefined;
        const fits = sourceSpec
          ? (spec: PortSpec) => (spec.kind === 'midi') === (sourceSpec.kind === 'midi')
          : undefined;
        addPorts(['input'], canonical === 'unlink' ? hint : undefined, fits);
      }
    } else if (command.length === 1) {
      if (canonical === 'unlink' && !portOf) addNodes();
      addPorts(canonical === 'link' ? ['output'] : ['output', 'input']);
    } else if (endsWithPort && command.length === 4 && !prefix) {
      add('->', 'operator', 'to an input: a.out -> b.in');
    }
  } else if (canonical === 'remove' || canonical === 'set') {
    if (command.length === 1 && !portOf)
      addNodes(canonical === 'set' ? (n) => !!n.definition.holdsValue : undefined);
  } else if (canonical === 'eval') {
    if (command.length === 1) {
      if (!portOf) {
        addNodes();
        addTypes();
        addVariables();
      }
      addPorts(['output', 'input']);
    }
  }

  const lower = prefix.toLowerCase();
  return out.filter((c) => c.label.toLowerCase().startsWith(lower));
}
