// The evaluator: parsed commands → graph edits, run as one transaction (all or nothing). Errors from the
// graph (unknown type, port, name taken …) are re-raised as SynchrolangErrors at the offending token.

import type { ApiConnection, ApiNode } from '../api/protocol.js';
import { toApiConnection, toApiNewNode, toApiNode, toApiPortInfo } from '../api/shapes.js';
import { SynchrotronError, suggest } from '../engine/errors.js';
import type { Connection, Graph, GraphNode } from '../engine/graph.js';
import { validateNodeName } from '../engine/graph.js';
import { formatBytes, limitError, valueBytes } from '../engine/limits.js';
import { joinPath } from '../engine/patch.js';
import { type DataValue, objectArray, type PortDirection, type PortRef } from '../engine/types.js';
import { type CommandResult, type ExecuteResult, type ScriptHost, SynchrolangError } from './contract.js';
import { exportScript } from './export.js';
import {
  type ArgAst,
  type CommandAst,
  type CommandReader,
  type ExprAst,
  errorAt,
  LineIndex,
  type PortAst,
  readCommands,
  type Span,
  type ValueAst,
} from './parser.js';
import { KEYWORDS } from './tokens.js';
import { formatValue } from './values.js';

/** The `$` globals; names are case-insensitive. */
export const VARIABLES: Readonly<Record<string, { description: string; read(host: ScriptHost): DataValue }>> =
  {
    rate: { description: 'sample rate (Hz)', read: (host) => host.sampleRate },
    buffer: { description: 'block size (frames per block)', read: (host) => host.blockSize },
    blocksize: {
      description: 'block size (frames per block), same as $buffer',
      read: (host) => host.blockSize,
    },
    clock: { description: 'frames rendered so far (the global clock)', read: (host) => host.clock() },
    time: {
      description: 'seconds rendered so far ($clock / $rate)',
      read: (host) => host.clock() / host.sampleRate,
    },
    tempo: { description: 'the engine tempo (beats per minute)', read: (host) => host.graph.tempo },
    nodes: { description: 'names of all nodes', read: (host) => host.graph.nodes().map((n) => n.name) },
    types: { description: 'names of all node types', read: (host) => host.graph.registry.names() },
  };

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** `sine (SineNode)` or `freq (DataNode = 440)`. */
export function describeNode(node: GraphNode): string {
  return node.definition.holdsValue
    ? `${node.name} (${node.type} = ${formatValue(node.value)})`
    : `${node.name} (${node.type})`;
}

function describeConnection(c: { source: PortRef; sink: PortRef }): string {
  return `${c.source.node}.${c.source.port} -> ${c.sink.node}.${c.sink.port}`;
}

/** A node with its links, several lines (what `eval NODE` prints). */
export function describeNodeLinks(graph: Graph, node: GraphNode): string {
  const lines = [describeNode(node)];
  for (const port of Object.keys(node.inputs)) {
    const source = graph.sourceOf({ node: node.name, port });
    lines.push(`  in  ${port}${source ? ` <- ${source.source.node}.${source.source.port}` : ''}`);
  }
  for (const port of Object.keys(node.outputs)) {
    const sinks = graph.sinksOf({ node: node.name, port }).map((c) => `${c.sink.node}.${c.sink.port}`);
    lines.push(`  out ${port}${sinks.length ? ` -> ${sinks.join(', ')}` : ''}`);
  }
  return lines.join('\n');
}

class Evaluator {
  private readonly graph: Graph;
  private readonly transport: Array<{ command: 'start' | 'stop'; span: Span }> = [];
  /** Bytes of values built and texts answered so far, against the host's maxResultBytes. */
  private spent = 0;
  /** What each command answered, made into results when read (Answers). */
  private readonly answers: Answers;

  constructor(
    private readonly host: ScriptHost,
    private readonly src: string,
  ) {
    this.graph = host.graph;
    this.answers = new Answers(src);
  }

  private get lines(): LineIndex {
    return this.answers.lines;
  }

  /** Runs `fn`; a SynchrotronError it throws becomes a SynchrolangError pointing at `span`. */
  private at<T>(span: Span, fn: () => T, extra = ''): T {
    try {
      return fn();
    } catch (error) {
      this.relocate(span, error, extra);
    }
  }

  /**
   * Throws `error`, a SynchrotronError (not already a SynchrolangError) as a SynchrolangError pointing at
   * `span`. The hot commands (`new`, `link`) catch and call this themselves rather than pass `at` a closure:
   * closures per command were garbage a 3,000-line script paid for in GC.
   */
  private relocate(span: Span, error: unknown, extra = ''): never {
    if (error instanceof SynchrotronError && !(error instanceof SynchrolangError)) {
      throw errorAt(this.lines, this.src, span, error.message + extra, {
        code: error.code,
        ...error.details,
      });
    }
    throw error;
  }

  private fail(span: Span, message: string, details: Record<string, unknown> = {}): never {
    throw errorAt(this.lines, this.src, span, message, details);
  }

  /**
   * Counts `bytes` of results against the script's budget; past it the script fails at `span` (and, being
   * one transaction, changes nothing). Called as values are built, so a runaway array stops early.
   */
  private spend(bytes: number, span: Span): void {
    this.spent += bytes;
    const max = this.host.maxResultBytes;
    if (max !== undefined && this.spent > max) {
      const error = limitError(
        'maxResultBytes',
        `results too large: one script may build and answer at most ${formatBytes(max)}`,
      );
      this.fail(span, error.message, { code: error.code, ...error.details });
    }
  }

  /** What is left of the budget (valueBytes stops counting past it). */
  private left(): number {
    return (this.host.maxResultBytes ?? Number.POSITIVE_INFINITY) - this.spent;
  }

  /**
   * Runs the commands as the reader parses them, all in one transaction: a mistake anywhere, in syntax or
   * in what a command asks, leaves the graph as it was, and the first mistake in script order is the one
   * reported. Parsing one command at a time, not the whole script first, lets each syntax tree die young:
   * a 3,000-node script's tree (~2.8 MB) otherwise survived every scavenge of the build.
   */
  runAll(commands: CommandReader): ExecuteResult {
    // Without a budget the texts are not counted, so a result is made only when read (Answers).
    const budget = this.host.maxResultBytes !== undefined;
    const answers = this.answers;
    this.graph.transaction(() => {
      for (let command = commands.next(); command !== undefined; command = commands.next()) {
        const result = this.run(command);
        if (result !== undefined) answers.ready(result);
        if (budget) this.spend(answers.made(answers.length - 1).text.length, command);
      }
    });
    for (const { command, span } of this.transport) {
      this.at(span, () => (command === 'start' ? this.host.start() : this.host.stop()));
    }
    return executeResult(answers);
  }

  private result(
    command: CommandAst,
    kind: CommandResult['kind'],
    value: unknown,
    text: string,
  ): CommandResult {
    const { line, column } = this.lines.position(command.start);
    const name = command.command;
    return { command: name, kind, value, text, line, column };
  }

  /** Runs a command: its result, or undefined when it recorded its answer to be made when read (`new`, `link`). */
  private run(c: CommandAst): CommandResult | undefined {
    switch (c.command) {
      case 'new': {
        let type = 'DataNode';
        let value: DataValue = null;
        if (c.type) {
          type = c.type.text;
          try {
            this.graph.registry.get(type);
          } catch (error) {
            this.relocate(
              c.type,
              error,
              /^[A-Z]/.test(type)
                ? ''
                : ' (types start with an upper-case letter; for a DataNode write a value, e.g. `new 440 freq`)',
            );
          }
        } else value = this.value(c.value!);
        const name = c.name?.text;
        if (c.name && name !== undefined) {
          try {
            validateNodeName(name);
          } catch (error) {
            this.relocate(c.name, error);
          }
          if (this.graph.hasNode(name)) {
            this.fail(c.name, `a node called \`${name}\` already exists (a ${this.graph.node(name).type})`, {
              code: 'conflict',
            });
          }
        }
        const args = c.args ? this.args(type, c.args) : undefined;
        let node: GraphNode;
        try {
          node = this.graph.addNode(type, name, value, args);
        } catch (error) {
          this.relocate(c.args?.[0] ?? c.value ?? c, error);
        }
        this.answers.created(c.start, node);
        return undefined;
      }
      case 'link': {
        const source = this.portRef(c.source, 'output');
        const sink = this.portRef(c.sink, 'input');
        const old = this.graph.sourceOf(sink);
        let connection: Connection;
        try {
          connection = this.graph.link(source, sink);
        } catch (error) {
          this.relocate(c.arrow, error);
        }
        this.answers.linked(c.start, connection, old);
        return undefined;
      }
      case 'unlink': {
        const t = c.target;
        let count = 0;
        if (t.kind === 'node') {
          const name = t.name.text;
          count = this.at(t.name, () => this.graph.unlinkNode(name));
        } else if (t.kind === 'port') {
          const ref = this.anyPort(t.port);
          count = this.graph.unlinkPort(ref);
        } else if (t.kind === 'connection') {
          const source = this.portRef(t.source, 'output');
          const sink = this.portRef(t.sink, 'input');
          count = this.graph.unlink(source, sink) ? 1 : 0;
        }
        return this.result(c, 'count', count, `removed ${plural(count, 'connection')}`);
      }
      case 'remove': {
        const name = c.name.text;
        const node = this.at(c.name, () => this.graph.node(name));
        const shape = toApiNode(this.graph, node);
        this.graph.removeNode(name);
        return this.result(c, 'node', shape, `removed ${describeNode(node)}`);
      }
      case 'set': {
        const name = c.name.text;
        this.at(c.name, () => this.graph.node(name));
        const value = this.value(c.value);
        const node = this.at(c.name, () => this.graph.setValue(name, value));
        return this.result(c, 'node', toApiNode(this.graph, node), `set ${describeNode(node)}`);
      }
      case 'start':
      case 'stop':
        this.transport.push({ command: c.command, span: c });
        return this.result(c, 'none', null, c.command === 'start' ? 'started' : 'stopped');
      case 'clear': {
        const count = this.graph.clear();
        return this.result(c, 'count', count, `cleared: removed ${plural(count, 'node')}`);
      }
      case 'export': {
        const script = exportScript(this.graph);
        return this.result(c, 'text', script, script);
      }
      case 'reload': {
        const report = this.graph.reloadPatches();
        if (report.failed.length > 0) {
          this.fail(
            c,
            `could not reload ${report.failed.map((f) => `\`${f.node}\` (${f.message})`).join('; ')}; nothing was reloaded`,
            { code: 'invalid', failed: report.failed },
          );
        }
        const count = report.reloaded.length;
        return this.result(
          c,
          'count',
          count,
          count > 0
            ? `reloaded ${plural(count, 'node')}: ${report.reloaded.join(', ')}`
            : 'reloaded: no patch file changed',
        );
      }
      case 'eval':
        return this.evaluate(c, c.expr);
      case 'tempo': {
        if (c.value) {
          const ast = c.value;
          const bpm = this.value(ast);
          this.at(ast, () => this.graph.setTempo(bpm as number));
        }
        const bpm = this.graph.tempo;
        return this.result(c, 'value', bpm, `tempo ${formatValue(bpm)} bpm`);
      }
    }
  }

  private evaluate(c: CommandAst, expr: ExprAst): CommandResult {
    switch (expr.kind) {
      case 'value': {
        const value = this.value(expr.value);
        return this.result(c, 'value', value, formatValue(value));
      }
      case 'type': {
        const type = expr.type.text;
        const info = this.at(expr.type, () => this.graph.registry.info(type));
        const ports = (dir: string, list: typeof info.inputs) =>
          list.map((p) => `  ${dir} ${p.name} (${p.kind}${p.unit ? `, ${p.unit}` : ''}): ${p.description}`);
        const text = [
          `${info.type} — ${info.description}`,
          ...ports('in ', info.inputs),
          ...ports('out', info.outputs),
        ];
        return this.result(c, 'value', info, text.join('\n'));
      }
      case 'node': {
        // A lone unknown word may be a misspelt command (`strat`): only here are commands suggested.
        const node = this.node(expr.name, true);
        return this.result(c, 'node', toApiNode(this.graph, node), describeNodeLinks(this.graph, node));
      }
      case 'port': {
        const ref = this.anyPort(expr.port);
        const node = this.graph.node(ref.node);
        const direction: PortDirection = Object.hasOwn(node.inputs, ref.port) ? 'input' : 'output';
        const info = toApiPortInfo(this.graph, ref, direction);
        const links =
          'source' in info
            ? info.source
              ? ` <- ${info.source.node_name}.${info.source.port_name}`
              : ' (unconnected)'
            : info.sinks.length
              ? ` -> ${info.sinks.map((s) => `${s.node_name}.${s.port_name}`).join(', ')}`
              : ' (unconnected)';
        return this.result(
          c,
          'value',
          info,
          `${ref.node}.${ref.port}: ${info.type}${links} — ${info.description}`,
        );
      }
      case 'connection': {
        const source = this.portRef(expr.source, 'output');
        const sink = this.portRef(expr.sink, 'input');
        const existing = this.graph.sourceOf(sink);
        if (existing && existing.source.node === source.node && existing.source.port === source.port) {
          return this.result(c, 'connection', toApiConnection(existing), describeConnection(existing));
        }
        return this.result(c, 'value', null, `not connected: ${describeConnection({ source, sink })}`);
      }
    }
  }

  /**
   * The literal input values of `new Type(…)`: positional ones go to the type's structural inputs in
   * order (`new PatchNode("voice.syn")` → path), named ones to the input named. Each mistake is reported
   * at its own value.
   */
  private args(type: string, list: ArgAst[]): Record<string, DataValue> {
    const definition = this.graph.registry.get(type);
    const structural = Object.keys(definition.inputs).filter((port) => definition.inputs[port].structural);
    const args: Record<string, DataValue> = {};
    list.forEach((arg, index) => {
      let port: string;
      if (arg.port === null) {
        if (index >= structural.length) {
          this.fail(
            arg,
            structural.length === 0
              ? `${type} takes no value by position: name the input (\`input: value\`)`
              : `${type} takes ${plural(structural.length, 'value')} by position (${structural.join(', ')}); name the others (\`input: value\`)`,
          );
        }
        port = structural[index];
      } else {
        port = arg.port.text;
        if (!definition.ports && !Object.hasOwn(definition.inputs, port)) {
          const names = Object.keys(definition.inputs).filter((p) => definition.inputs[p].kind !== 'midi');
          const suggestion = suggest(port, names);
          this.fail(
            arg.port,
            `${type} has no input \`${port}\`${suggestion ? ` — did you mean \`${suggestion}\`?` : ''}` +
              (names.length ? ` (its inputs: ${names.join(', ')})` : ''),
            { code: 'unknown_port', ports: names, ...(suggestion ? { suggestion } : {}) },
          );
        }
      }
      if (Object.hasOwn(args, port)) this.fail(arg, `\`${port}\` is given twice`);
      let value = this.value(arg.value);
      // A file named in a patch file is relative to that file's folder: kept relative to the root.
      const spec = Object.hasOwn(definition.inputs, port) ? definition.inputs[port] : undefined;
      const file = spec?.structural && (spec.unit === '.syn' || port === 'path');
      if (this.host.baseDir && file && typeof value === 'string' && value !== '')
        value = joinPath(this.host.baseDir, value);
      args[port] = value;
    });
    return args;
  }

  private node(name: { text: string } & Span, suggestCommands = false): GraphNode {
    try {
      return this.graph.node(name.text);
    } catch (error) {
      const command = suggestCommands ? suggest(name.text, Object.keys(KEYWORDS)) : undefined;
      if (error instanceof SynchrotronError && !error.details.suggestion && command) {
        this.relocate(
          name,
          new SynchrotronError(error.code, `${error.message} — did you mean the command \`${command}\`?`, {
            ...error.details,
            suggestion: command,
          }),
        );
      }
      this.relocate(name, error);
    }
  }

  /** A port of a known direction, each part checked at its own token. */
  private portRef(ast: PortAst, direction: PortDirection): PortRef {
    const node = this.node(ast.node);
    if (!ast.port) {
      const own = Object.keys(direction === 'input' ? node.inputs : node.outputs);
      const example = own.length ? ` (e.g. \`${node.name}.${own[0]}\`)` : '';
      this.fail(
        ast.node,
        `expected ${direction === 'input' ? 'an input' : 'an output'} of \`${node.name}\` as \`node.port\`${example}; ` +
          (own.length ? `its ${direction}s: ${own.join(', ')}` : `a ${node.type} has no ${direction}s`),
        { ports: own, expected: ['node.port'] },
      );
    }
    const ref = { node: node.name, port: ast.port.text };
    try {
      this.graph.port(ref, direction);
    } catch (error) {
      this.relocate(ast.port, error);
    }
    return ref;
  }

  /** A port of either direction (for `unlink node.port` and `eval node.port`). */
  private anyPort(ast: PortAst): PortRef {
    const node = this.node(ast.node);
    const port = ast.port!;
    const { inputs, outputs } = node;
    if (!Object.hasOwn(inputs, port.text) && !Object.hasOwn(outputs, port.text)) {
      const names = [...Object.keys(inputs), ...Object.keys(outputs)];
      const suggestion = suggest(port.text, names);
      this.fail(
        port,
        `${node.type} \`${node.name}\` has no port \`${port.text}\`${suggestion ? ` — did you mean \`${suggestion}\`?` : ''}` +
          ` (inputs: ${Object.keys(inputs).join(', ') || 'none'}; outputs: ${Object.keys(outputs).join(', ') || 'none'})`,
        { code: 'unknown_port', ports: names, ...(suggestion ? { suggestion } : {}) },
      );
    }
    return { node: node.name, port: port.text };
  }

  private value(ast: ValueAst): DataValue {
    switch (ast.kind) {
      case 'literal':
        this.spend(valueBytes(ast.value, this.left()), ast);
        return ast.value;
      case 'array':
        this.spend(2 + 2 * ast.items.length, ast);
        return ast.items.map((item) => this.value(item));
      case 'variable': {
        const key = ast.name.toLowerCase();
        if (!Object.hasOwn(VARIABLES, key)) {
          const names = Object.keys(VARIABLES);
          const suggestion = suggest(key, names);
          this.fail(
            ast,
            `unknown variable \`$${ast.name}\`${suggestion ? ` — did you mean \`$${suggestion}\`?` : ''} (variables: ${names.map((n) => `$${n}`).join(', ')})`,
            { expected: names.map((n) => `$${n}`), ...(suggestion ? { suggestion: `$${suggestion}` } : {}) },
          );
        }
        const value = VARIABLES[key].read(this.host);
        this.spend(valueBytes(value, this.left()), ast);
        return value;
      }
    }
  }
}

/**
 * What each command of a script answered, kept small until someone reads it. A `new` records its offset
 * and a copy of the node as made, a `link` its offset and connection; the result objects (with their
 * lazily built API shapes and texts) are made when the answer's `results` or `text` is first read. The
 * server reads them at once; `render` and the library, building 3,000 nodes, never do, and a result object
 * with two getters per command, alive until the script ended, was garbage every scavenge of the build copied.
 * Other commands' results are made at once (`ready`). Never holds the syntax tree.
 */
class Answers {
  /** Per command: a result, a node copy (`new`) or a connection (`link`), told apart by `tags`. */
  private readonly items: Array<CommandResult | GraphNode | Connection> = objectArray();
  private readonly tags: number[] = [];
  private readonly starts: number[] = [];
  /** The connections links replaced, by command index (a relink; rare). */
  private olds: Map<number, Connection> | undefined;
  private lineIndex: LineIndex | undefined;
  private results: CommandResult[] | undefined;

  constructor(private readonly src: string) {}

  /** Made on first use: errors and results need lines and columns, a build that reads neither does not. */
  get lines(): LineIndex {
    this.lineIndex ??= new LineIndex(this.src);
    return this.lineIndex;
  }

  get length(): number {
    return this.items.length;
  }

  ready(result: CommandResult): void {
    this.items.push(result);
    this.tags.push(READY);
    this.starts.push(0);
  }

  /** A copy of the node as made, so a later line of the script (a link, a value) does not change its result. */
  created(start: number, node: GraphNode): void {
    this.items.push({ ...node });
    this.tags.push(CREATED);
    this.starts.push(start);
  }

  /** Connections are immutable values (a rename makes new ones), so reading later gives the same. */
  linked(start: number, connection: Connection, old: Connection | undefined): void {
    if (old) (this.olds ??= new Map()).set(this.items.length, old);
    this.items.push(connection);
    this.tags.push(LINKED);
    this.starts.push(start);
  }

  /** The result of command `i`, made now if it was recorded. */
  made(i: number): CommandResult {
    const item = this.items[i];
    const tag = this.tags[i];
    if (tag === READY) return item as CommandResult;
    const result =
      tag === CREATED
        ? createdResult(this.lines.position(this.starts[i]), item as GraphNode)
        : linkedResult(this.lines.position(this.starts[i]), item as Connection, this.olds?.get(i));
    this.items[i] = result;
    this.tags[i] = READY;
    return result;
  }

  all(): CommandResult[] {
    if (this.results === undefined) {
      const results: CommandResult[] = [];
      for (let i = 0; i < this.items.length; i++) results.push(this.made(i));
      this.results = results;
    }
    return this.results;
  }
}

const READY = 0;
const CREATED = 1;
const LINKED = 2;

/**
 * The result of `new`. Its value (the node's API shape, about ten objects) is built when first read: the
 * server answers it, but a 3,000-line script run by `render` or the library never reads it.
 */
function createdResult(at: { line: number; column: number }, made: GraphNode): CommandResult {
  let shape: ApiNode | undefined;
  let text: string | undefined;
  return {
    command: 'new',
    kind: 'node',
    get value() {
      shape ??= toApiNewNode(made);
      return shape;
    },
    get text() {
      text ??= `created ${describeNode(made)}`;
      return text;
    },
    line: at.line,
    column: at.column,
  };
}

/** The result of `link`, its value and text made when read (as for `new`). */
function linkedResult(
  at: { line: number; column: number },
  connection: Connection,
  old: Connection | undefined,
): CommandResult {
  let value: ApiConnection | undefined;
  let text: string | undefined;
  return {
    command: 'link',
    kind: 'connection',
    get value() {
      value ??= toApiConnection(connection);
      return value;
    },
    get text() {
      if (text === undefined) {
        const made = describeConnection(connection);
        const was = old && describeConnection(old);
        text = `linked ${made}${was && was !== made ? ` (replacing ${was})` : ''}`;
      }
      return text;
    },
    line: at.line,
    column: at.column,
  };
}

/** The answer to a script, its results made and text joined when read. Made outside `runAll` so that the
 * getters' closure holds only the answers: one made inside held runAll's scope, the whole syntax tree with it
 * (2.8 MB for a 3,000-node script), for as long as the caller kept the answer. */
function executeResult(answers: Answers): ExecuteResult {
  let text: string | undefined;
  return {
    get results() {
      return answers.all();
    },
    get text() {
      text ??= answers
        .all()
        .map((r) => r.text)
        .join('\n');
      return text;
    },
  };
}

/**
 * Runs a script against a host: every edit in one transaction (if any command fails, the graph is left
 * exactly as before and a SynchrolangError says where and why); `start`/`stop` take effect afterwards.
 */
export function execute(host: ScriptHost, script: string): ExecuteResult {
  return new Evaluator(host, script).runAll(readCommands(script));
}
