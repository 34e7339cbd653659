// Synchrolang parser: tokens → commands (a syntax tree with source offsets). Hand-written recursive
// descent over the shared lexer in tokens.ts (see docs/decisions.md for why not chevrotain). It knows
// nothing about the graph: whether a type, node or port exists is checked when the command runs.

import { suggest } from '../engine/errors.js';
import type { DataValue } from '../engine/types.js';
import { SynchrolangError } from './contract.js';
import { KEYWORDS, keyword, Lexer, type RawToken, wordValue } from './tokens.js';

/** Arrays nest at most this deep (deeper data is refused by the graph, and recursion must stay bounded). */
export const MAX_ARRAY_DEPTH = 64;

export interface Span {
  /** UTF-16 offsets into the script, end exclusive. */
  start: number;
  end: number;
}

export interface Ident extends Span {
  text: string;
}

export type ValueAst =
  | ({ kind: 'literal'; value: DataValue } & Span)
  | ({ kind: 'variable'; name: string } & Span)
  | ({ kind: 'array'; items: ValueAst[] } & Span);

/** `node.port`; `port` is null when only a node was written where a port belongs (reported at run time,
 * when the node's ports can be listed). */
export interface PortAst extends Span {
  node: Ident;
  port: Ident | null;
}

export type ExprAst =
  | ({ kind: 'value'; value: ValueAst } & Span)
  | ({ kind: 'type'; type: Ident } & Span)
  | ({ kind: 'node'; name: Ident } & Span)
  | ({ kind: 'port'; port: PortAst } & Span)
  | ({ kind: 'connection'; source: PortAst; sink: PortAst; arrow: Span } & Span);

/** A literal input value in `new Type(value, port: value) name`: `port` null for a positional one. */
export interface ArgAst extends Span {
  port: Ident | null;
  value: ValueAst;
}

interface CommandBase extends Span {
  /** The keyword as written (null for a bare expression). */
  keyword: Ident | null;
}

export type CommandAst = CommandBase &
  (
    | {
        command: 'new';
        type: Ident | null;
        value: ValueAst | null;
        name: Ident | null;
        /** Literal input values: `new DelayNode(maxTime: 5)`; `new patch "v.syn"` is PatchNode with `path`. */
        args?: ArgAst[];
        /** Written in the short form `new patch "file.syn"`. */
        patch?: boolean;
      }
    | { command: 'link'; source: PortAst; sink: PortAst; arrow: Span }
    | { command: 'unlink'; target: ExprAst }
    | { command: 'remove'; name: Ident }
    | { command: 'set'; name: Ident; value: ValueAst }
    /** `tempo 128` sets the engine tempo; `tempo` alone reads it. */
    | { command: 'tempo'; value: ValueAst | null }
    | { command: 'start' | 'stop' | 'clear' | 'export' | 'reload' }
    | { command: 'eval'; expr: ExprAst }
  );

/** Maps offsets to 1-based line and column (columns count UTF-16 code units). */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(src: string) {
    for (let i = 0; i < src.length; i++) {
      const c = src[i];
      if (c === '\n' || (c === '\r' && src[i + 1] !== '\n')) this.starts.push(i + 1);
    }
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }
}

/** Builds a SynchrolangError for the text at `span`. */
export function errorAt(
  lines: LineIndex,
  src: string,
  span: Span,
  message: string,
  details: Record<string, unknown> = {},
): SynchrolangError {
  const { line, column } = lines.position(span.start);
  const length = Math.max(1, span.end - span.start);
  return new SynchrolangError(message, line, column, length, {
    found: src.slice(span.start, span.end),
    ...details,
  });
}

const COMMAND_LIST = 'new, link, unlink, remove, set, start, stop, clear, export, eval, tempo, reload';

function show(token: RawToken | undefined): string {
  if (!token) return 'the end of the script';
  if (token.type === 'newline') return 'the end of the line';
  const text = token.text.length > 40 ? `${token.text.slice(0, 37)}…` : token.text;
  return `\`${text}\``;
}

class Parser {
  /** Tokens pulled from the lexer and not yet consumed: the current one first, then look-ahead (at most
   * three), in a ring of four slots from `head` (an array shifted per token moved or trimmed it each time).
   * Consumed tokens are dropped, so they die young instead of living until parsing ends. */
  private readonly ahead: Array<RawToken | undefined> = [undefined, undefined, undefined, undefined];
  private head = 0;
  private count = 0;
  private readonly lexer: Lexer;
  /** Where the last consumed token ended. */
  private consumedEnd = 0;
  /** Made on the first error: only errors need lines and columns (the evaluator makes its own). */
  private lineIndex: LineIndex | undefined;

  constructor(private readonly src: string) {
    this.lexer = new Lexer(src, false);
  }

  /** One literal value and nothing else (a value field's text). */
  literal(): DataValue {
    while (this.at('newline')) this.advance();
    const ast = this.value(0);
    while (this.at('newline') || this.at('semicolon')) this.advance();
    const after = this.peek();
    if (after !== undefined) {
      throw this.fail(after, `expected the end of the value, found ${show(after)}`, ['end of the value']);
    }
    const toValue = (v: ValueAst): DataValue => {
      if (v.kind === 'literal') return v.value;
      if (v.kind === 'array') return v.items.map(toValue);
      throw errorAt(
        this.lines,
        this.src,
        v,
        `\`$${v.name}\` is a variable, read when a script runs; here write the value itself`,
      );
    };
    return toValue(ast);
  }

  parse(): CommandAst[] {
    const commands: CommandAst[] = [];
    for (let command = this.next(); command !== undefined; command = this.next()) commands.push(command);
    return commands;
  }

  /** The next command, or undefined at the end of the script; throws at a mistake before it ends. */
  next(): CommandAst | undefined {
    while (this.at('newline') || this.at('semicolon')) this.advance();
    if (this.peek() === undefined) return undefined;
    const command = this.command();
    const after = this.peek();
    if (after !== undefined && after.type !== 'newline' && after.type !== 'semicolon') {
      throw this.fail(after, `expected \`;\` or a line break after the command, found ${show(after)}`, [
        '`;`',
        'line break',
      ]);
    }
    return command;
  }

  // ----------------------------------------------------------------------------------- tokens

  /** The current token; an unreadable one is reported here, in script order. */
  private peek(offset = 0): RawToken | undefined {
    const token = this.lookAhead(offset);
    if (token?.type === 'error' && offset === 0) {
      const at = token.errorAt ?? token.start;
      throw errorAt(
        this.lines,
        this.src,
        { start: at, end: token.errorAt !== undefined ? at + 2 : token.end },
        token.message ?? 'unreadable text',
      );
    }
    return token;
  }

  private get lines(): LineIndex {
    this.lineIndex ??= new LineIndex(this.src);
    return this.lineIndex;
  }

  /** The token `offset` places after the current one, unchecked. */
  private lookAhead(offset: number): RawToken | undefined {
    while (this.count <= offset) {
      const token = this.lexer.next();
      if (token === undefined) return undefined;
      this.ahead[(this.head + this.count) & 3] = token;
      this.count++;
    }
    return this.ahead[(this.head + offset) & 3];
  }

  /** Consumes the current token. */
  private advance(): void {
    const token = this.lookAhead(0);
    if (token === undefined) return;
    this.consumedEnd = token.end;
    this.ahead[this.head] = undefined;
    this.head = (this.head + 1) & 3;
    this.count--;
  }

  private at(type: RawToken['type']): boolean {
    return this.peek()?.type === type;
  }

  private fail(
    token: RawToken | undefined,
    message: string,
    expected: string[],
    details: Record<string, unknown> = {},
  ) {
    const span = token ?? { start: this.src.length, end: this.src.length };
    return errorAt(this.lines, this.src, span, message, { expected, ...details });
  }

  private ident(token: RawToken): Ident {
    this.advance();
    return { text: token.text, start: token.start, end: token.end };
  }

  // ----------------------------------------------------------------------------------- commands

  private command(): CommandAst {
    const first = this.peek()!;
    const canonical = first.type === 'word' ? keyword(first.text) : undefined;
    if (canonical === undefined || this.peek(1)?.type === 'dot') {
      const expr = this.expression('a command');
      const after = this.peek();
      if (
        after &&
        after.type !== 'newline' &&
        after.type !== 'semicolon' &&
        (expr.kind === 'node' || expr.kind === 'type')
      ) {
        const word = expr.kind === 'node' ? expr.name.text : expr.type.text;
        const suggestion = suggest(word, Object.keys(KEYWORDS));
        throw errorAt(
          this.lines,
          this.src,
          expr,
          `unknown command \`${word}\`${suggestion ? ` — did you mean \`${suggestion}\`?` : ''} (commands: ${COMMAND_LIST})`,
          { expected: COMMAND_LIST.split(', '), ...(suggestion ? { suggestion } : {}) },
        );
      }
      return { command: 'eval', keyword: null, expr, start: expr.start, end: expr.end };
    }
    const kw = this.ident(first);
    const start = first.start;
    switch (canonical) {
      case 'new': {
        const t = this.peek();
        let type: Ident | null = null;
        let value: ValueAst | null = null;
        let args: ArgAst[] | undefined;
        let patch = false;
        if (
          t?.type === 'word' &&
          t.text.length === 5 &&
          t.text.toLowerCase() === 'patch' &&
          this.peek(1)?.type === 'string'
        ) {
          // `new patch "voice.syn" v`: a node made from a patch file (a PatchNode with that `path`).
          const word = this.ident(t);
          const file = this.value(0);
          type = { text: 'PatchNode', start: word.start, end: file.end };
          args = [{ port: null, value: file, start: file.start, end: file.end }];
          patch = true;
        } else if (t?.type === 'word' && wordValue(t.text) === undefined) {
          type = this.ident(t);
          if (this.at('lparen')) args = this.args(type.text);
        } else if (t && this.startsValue(t)) value = this.value(0);
        else {
          throw this.fail(
            t,
            `expected a node type (e.g. \`SineNode\`) or a value (e.g. \`440\`) after \`${kw.text}\`, found ${show(t)}`,
            ['node type', 'value'],
          );
        }
        let name: Ident | null = null;
        const n = this.peek();
        if (n?.type === 'word') name = this.ident(n);
        else if (n && n.type !== 'newline' && n.type !== 'semicolon') {
          throw this.fail(
            n,
            `expected a node name (e.g. \`osc\`) or the end of the command, found ${show(n)}`,
            ['node name', '`;`', 'line break'],
          );
        }
        // Built directly (not through `done`): `new` and `link` are most of a large patch's lines, and the
        // spread made a second object per command.
        const made: CommandAst = {
          keyword: kw,
          start,
          end: this.consumedEnd,
          command: 'new',
          type,
          value,
          name,
        };
        if (args) made.args = args;
        if (patch) made.patch = patch;
        return made;
      }
      case 'link': {
        const source = this.port('an output', kw.text);
        const arrow = this.peek();
        if (arrow?.type !== 'arrow') {
          throw this.fail(arrow, `expected \`->\` between the output and the input, found ${show(arrow)}`, [
            '`->`',
          ]);
        }
        this.advance();
        const sink = this.port('an input', '->');
        return {
          keyword: kw,
          start,
          end: this.consumedEnd,
          command: 'link',
          source,
          sink,
          arrow: { start: arrow.start, end: arrow.end },
        };
      }
      case 'unlink': {
        const t = this.peek();
        if (t?.type !== 'word') {
          throw this.fail(
            t,
            `expected a node, \`node.port\` or \`a.out -> b.in\` after \`${kw.text}\`, found ${show(t)}`,
            ['node name', 'node.port', 'connection'],
          );
        }
        const target = this.peek(1)?.type === 'dot' ? this.portOrConnection() : this.nodeExpr(t);
        return this.done(kw, start, { command: 'unlink' as const, target });
      }
      case 'remove':
        return this.done(kw, start, { command: 'remove' as const, name: this.name(kw.text) });
      case 'set': {
        const name = this.name(kw.text);
        const t = this.peek();
        if (!t || !this.startsValue(t)) {
          throw this.fail(
            t,
            `expected the new value of \`${name.text}\` (e.g. \`set ${name.text} 440\`), found ${show(t)}`,
            ['value'],
          );
        }
        return this.done(kw, start, { command: 'set' as const, name, value: this.value(0) });
      }
      case 'eval':
        return this.done(kw, start, { command: 'eval' as const, expr: this.expression(`\`${kw.text}\``) });
      case 'tempo': {
        const t = this.peek();
        if (!t || t.type === 'newline' || t.type === 'semicolon')
          return this.done(kw, start, { command: 'tempo' as const, value: null });
        if (!this.startsValue(t)) {
          throw this.fail(
            t,
            `expected a tempo in beats per minute (e.g. \`${kw.text} 128\`), found ${show(t)}`,
            ['value'],
          );
        }
        return this.done(kw, start, { command: 'tempo' as const, value: this.value(0) });
      }
      default:
        return this.done(kw, start, {
          command: canonical as 'start' | 'stop' | 'clear' | 'export' | 'reload',
        });
    }
  }

  /** A command from its keyword, its start and the rest of its fields (it ends where the last token did). */
  private done<T extends object>(keyword: Ident, start: number, rest: T) {
    return { keyword, start, end: this.consumedEnd, ...rest };
  }

  /** `(value, port: value, …)` after a type: literal input values, positional ones first. */
  private args(type: string): ArgAst[] {
    const open = this.peek()!;
    this.advance();
    const args: ArgAst[] = [];
    let named = false;
    for (;;) {
      while (this.at('newline')) this.advance();
      const t = this.peek();
      if (t === undefined) {
        throw errorAt(
          this.lines,
          this.src,
          open,
          `unclosed \`(\`: expected \`)\` to end the values of ${type}`,
          {
            expected: ['`)`'],
          },
        );
      }
      if (t.type === 'rparen') {
        this.advance();
        return args;
      }
      let port: Ident | null = null;
      if (t.type === 'word' && this.peek(1)?.type === 'colon') {
        port = this.ident(t);
        this.advance();
        named = true;
      } else if (named) {
        throw this.fail(
          t,
          `expected \`input: value\` (values given by position come first), found ${show(t)}`,
          ['input: value'],
        );
      }
      const v = this.peek();
      if (!v || !this.startsValue(v)) {
        throw this.fail(
          v,
          `expected ${port ? `the value of \`${port.text}\`` : `a value or \`input: value\``} in the values of ${type}, found ${show(v)}`,
          ['value'],
        );
      }
      const value = this.value(0);
      args.push({ port, value, start: port?.start ?? value.start, end: value.end });
      while (this.at('newline')) this.advance();
      if (this.at('comma')) this.advance();
      else if (!this.at('rparen') && this.peek() !== undefined) {
        const bad = this.peek();
        throw this.fail(bad, `expected \`,\` or \`)\` after a value of ${type}, found ${show(bad)}`, [
          '`,`',
          '`)`',
        ]);
      }
    }
  }

  private name(after: string): Ident {
    const t = this.peek();
    if (t?.type !== 'word') {
      throw this.fail(t, `expected a node name after \`${after}\`, found ${show(t)}`, ['node name']);
    }
    if (this.peek(1)?.type === 'dot') {
      throw this.fail(
        t,
        `expected a node name after \`${after}\`, found a port \`${t.text}.${this.lookAhead(2)?.text ?? ''}\``,
        ['node name'],
      );
    }
    return this.ident(t);
  }

  private nodeExpr(t: RawToken): ExprAst {
    const name = this.ident(t);
    return { kind: 'node', name, start: name.start, end: name.end };
  }

  /** `node.port`, or `node` alone (reported when run, listing the node's ports). */
  private port(what: string, after: string): PortAst {
    const t = this.peek();
    if (t?.type !== 'word') {
      throw this.fail(t, `expected ${what} as \`node.port\` after \`${after}\`, found ${show(t)}`, [
        'node.port',
      ]);
    }
    const node = this.ident(t);
    if (!this.at('dot')) return { node, port: null, start: node.start, end: node.end };
    this.advance();
    const p = this.peek();
    if (p?.type !== 'word') {
      throw this.fail(p, `expected a port name after \`${node.text}.\`, found ${show(p)}`, ['port name']);
    }
    const port = this.ident(p);
    return { node, port, start: node.start, end: port.end };
  }

  private portOrConnection(): ExprAst {
    const source = this.port('a port', 'the command');
    if (!this.at('arrow')) return { kind: 'port', port: source, start: source.start, end: source.end };
    const arrow = this.peek()!;
    this.advance();
    const sink = this.port('an input', '->');
    return {
      kind: 'connection',
      source,
      sink,
      arrow: { start: arrow.start, end: arrow.end },
      start: source.start,
      end: sink.end,
    };
  }

  private expression(context: string): ExprAst {
    const t = this.peek()!;
    if (t?.type === 'word' && wordValue(t.text) === undefined) {
      if (this.peek(1)?.type === 'dot') return this.portOrConnection();
      if (/^[A-Z]/.test(t.text)) {
        const type = this.ident(t);
        return { kind: 'type', type, start: type.start, end: type.end };
      }
      return this.nodeExpr(t);
    }
    if (t && this.startsValue(t)) {
      const value = this.value(0);
      return { kind: 'value', value, start: value.start, end: value.end };
    }
    throw this.fail(
      t,
      `expected ${context === 'a command' ? `a command (${COMMAND_LIST}) or a value` : `a value, node, type or port after ${context}`}, found ${show(t)}`,
      [
        ...(context === 'a command' ? COMMAND_LIST.split(', ') : []),
        'value',
        'node name',
        'node type',
        'node.port',
      ],
    );
  }

  // ----------------------------------------------------------------------------------- values

  private startsValue(t: RawToken): boolean {
    return (
      t.type === 'number' ||
      t.type === 'string' ||
      t.type === 'variable' ||
      t.type === 'lbracket' ||
      (t.type === 'word' && wordValue(t.text) !== undefined)
    );
  }

  private value(depth: number): ValueAst {
    const t = this.peek();
    if (!t || !this.startsValue(t)) {
      throw this.fail(
        t,
        `expected a value (number, "string", true, false, null, [array] or $variable), found ${show(t)}`,
        ['value'],
      );
    }
    this.advance();
    const span = { start: t.start, end: t.end };
    switch (t.type) {
      case 'number':
      case 'string':
        return { kind: 'literal', value: t.value as DataValue, ...span };
      case 'variable':
        return { kind: 'variable', name: t.text.slice(1), ...span };
      case 'word':
        return { kind: 'literal', value: wordValue(t.text) as DataValue, ...span };
      default:
        break;
    }
    if (depth >= MAX_ARRAY_DEPTH) {
      throw errorAt(this.lines, this.src, span, `arrays nest at most ${MAX_ARRAY_DEPTH} deep`);
    }
    const items: ValueAst[] = [];
    for (;;) {
      while (this.at('newline')) this.advance();
      const next = this.peek();
      if (next === undefined) {
        throw errorAt(this.lines, this.src, span, 'unclosed `[`: expected `]` to end the array', {
          expected: ['`]`'],
        });
      }
      if (next.type === 'rbracket') {
        this.advance();
        return { kind: 'array', items, start: span.start, end: next.end };
      }
      if (!this.startsValue(next)) {
        throw this.fail(next, `expected a value or \`]\` in the array, found ${show(next)}`, [
          'value',
          '`]`',
        ]);
      }
      items.push(this.value(depth + 1));
      while (this.at('newline')) this.advance();
      if (this.at('comma')) this.advance();
    }
  }
}

/** Parses a whole script; throws a SynchrolangError at the first mistake. */
export function parse(script: string): CommandAst[] {
  return new Parser(script).parse();
}

/** A script's commands one at a time (`next()`: the next, or undefined at the end), parsed as they are
 * asked for: each command's syntax tree can die young instead of the whole script's living until it has
 * run. Throws a SynchrolangError at a mistake when it reaches it. */
export interface CommandReader {
  next(): CommandAst | undefined;
}

export function readCommands(script: string): CommandReader {
  return new Parser(script);
}

/**
 * One literal value as a value field holds it — `440`, `-1.5e3`, `"text"`, `true`, `null`, `[1, 2]` —
 * read exactly as a script reads it (same escapes, same words). Throws a SynchrolangError at the first
 * mistake; `$variables` are refused (they stand for a value only while a script runs).
 */
export function parseValue(text: string): DataValue {
  return new Parser(text).literal();
}
