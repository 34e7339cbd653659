// Synchrolang's lexer, shared by the parser (server, CLI) and the web UI's highlighter (browser).
// No Node or DOM APIs and no imports: the browser bundle pulls in this file alone.
// The lexer never throws: text it cannot read becomes an `error` token carrying a message, which the
// parser reports with its position and the highlighter paints red.

/** Command keywords (lower case; keywords are case-insensitive) → the canonical command. */
export const KEYWORDS: Readonly<Record<string, string>> = {
  new: 'new',
  create: 'new',
  link: 'link',
  connect: 'link',
  attach: 'link',
  unlink: 'unlink',
  disconnect: 'unlink',
  detach: 'unlink',
  remove: 'remove',
  delete: 'remove',
  set: 'set',
  start: 'start',
  stop: 'stop',
  clear: 'clear',
  export: 'export',
  save: 'export',
  eval: 'eval',
  get: 'eval',
  query: 'eval',
  tempo: 'tempo',
  reload: 'reload',
};

/** The canonical command a word stands for (case-insensitive), or undefined. */
export function keyword(word: string): string | undefined {
  // No keyword is longer than ten letters (`disconnect`): spares a lower-cased copy of longer words.
  if (word.length > 10) return undefined;
  const lower = word.toLowerCase();
  return Object.hasOwn(KEYWORDS, lower) ? KEYWORDS[lower] : undefined;
}

/** Words that are values (any case); `_` alone is null too. */
export function wordValue(word: string): boolean | null | undefined {
  // Longer words are never values: spares a lower-cased copy of every type and node name.
  if (word.length > 5) return undefined;
  switch (word.toLowerCase()) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'null':
    case 'none':
    case '_':
      return null;
    default:
      return undefined;
  }
}

export type RawTokenType =
  | 'word'
  | 'number'
  | 'string'
  | 'variable'
  | 'arrow'
  | 'dot'
  | 'comma'
  | 'lbracket'
  | 'rbracket'
  | 'lparen'
  | 'rparen'
  | 'colon'
  | 'semicolon'
  | 'newline'
  | 'whitespace'
  | 'comment'
  | 'error';

export interface RawToken {
  type: RawTokenType;
  /** UTF-16 offsets into the script, end exclusive. */
  start: number;
  end: number;
  text: string;
  /** Decoded value of a number or string token. */
  value?: number | string;
  /** Why an `error` token could not be read. */
  message?: string;
  /** For an `error` token inside a longer text (a bad escape in a string): where exactly. */
  errorAt?: number;
  /** A block comment that spans lines separates commands like a newline does. */
  breaksLine?: boolean;
}

// Character classes by code unit (a regular expression per character was most of the lexer's time).
const isDigit = (code: number) => code >= 48 && code <= 57;
const isWordStart = (code: number) =>
  (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
const isWordChar = (code: number) => isWordStart(code) || isDigit(code);
/** Space, tab, form feed, vertical tab, no-break space, BOM. */
const isBlank = (code: number) =>
  code === 32 || code === 9 || code === 12 || code === 11 || code === 0xa0 || code === 0xfeff;
const NUMBER = /[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
};

/** Reads a string literal starting at the `"` at `start`; a bad escape makes the whole string an error. */
function lexString(src: string, start: number): RawToken {
  let value = '';
  let problem: { at: number; message: string } | undefined;
  let i = start + 1;
  while (i < src.length) {
    const c = src[i];
    if (c === '"') {
      const token: RawToken = { type: 'string', start, end: i + 1, text: src.slice(start, i + 1), value };
      return problem
        ? { ...token, type: 'error', value: undefined, message: problem.message, errorAt: problem.at }
        : token;
    }
    if (c === '\n' || c === '\r') break;
    if (c !== '\\') {
      // Append the whole run of plain characters at once: a megabyte string stays linear and fast.
      let j = i + 1;
      while (j < src.length) {
        const d = src[j];
        if (d === '"' || d === '\\' || d === '\n' || d === '\r') break;
        j++;
      }
      value += src.slice(i, j);
      i = j;
      continue;
    }
    const e = src[i + 1];
    if (e !== undefined && Object.hasOwn(SIMPLE_ESCAPES, e)) {
      value += SIMPLE_ESCAPES[e];
      i += 2;
      continue;
    }
    const hex =
      e === 'u' ? /^u(?:\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{4}))/.exec(src.slice(i + 1, i + 11)) : null;
    const byte = e === 'x' ? /^x([0-9A-Fa-f]{2})/.exec(src.slice(i + 1, i + 4)) : null;
    const code = hex ? Number.parseInt(hex[1] ?? hex[2], 16) : byte ? Number.parseInt(byte[1], 16) : -1;
    if (code >= 0 && code <= 0x10ffff) {
      value += String.fromCodePoint(code);
      i += 1 + (hex ?? byte)![0].length;
      continue;
    }
    if (e === undefined || e === '\n' || e === '\r') break;
    problem ??= {
      at: i,
      message: `invalid escape \`\\${e}\` in a string (use \\n \\t \\r \\" \\\\ \\uXXXX or \\u{X…})`,
    };
    i += 2;
  }
  return {
    type: 'error',
    start,
    end: i,
    text: src.slice(start, i),
    message: 'unterminated string: a string ends with `"` on the same line (write \\n for a line break)',
  };
}

/** Control and invisible characters are named by code point: printed raw they show as nothing. */
function invisible(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0xad ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x2064) ||
    code === 0xfffd
  );
}

function unexpectedCharacter(code: number, char: string): string {
  if (!invisible(code)) return `unexpected character \`${char}\``;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  // NUL or an undecodable byte usually means a binary or UTF-16 file rather than a typo.
  const hint = code === 0 || code === 0xfffd ? ' (is this a UTF-8 text file?)' : '';
  return `unexpected invisible character ${hex}${hint}`;
}

/**
 * Reads a script's tokens one at a time. The parser pulls them as it goes, so each token can die young: a
 * 3,000-node patch is ~60,000 tokens, and holding them all until parsing ended made every scavenge copy them.
 * With `trivia: false` (for the parser) there are no whitespace or comment tokens, and a comment spanning
 * lines becomes a `newline` token (it separates commands like one); half the tokens of a patch are whitespace.
 */
export class Lexer {
  private i = 0;

  constructor(
    private readonly src: string,
    private readonly trivia = true,
  ) {}

  /** The next token, or undefined at the end of the script. */
  next(): RawToken | undefined {
    const src = this.src;
    while (this.i < src.length) {
      const i = this.i;
      const c = src[i];
      const next = src[i + 1];
      if (c === '\n' || c === '\r') {
        return this.token('newline', c === '\r' && next === '\n' ? i + 2 : i + 1);
      }
      if (isBlank(src.charCodeAt(i))) {
        let j = i + 1;
        while (j < src.length && isBlank(src.charCodeAt(j))) j++;
        if (this.trivia) return this.token('whitespace', j);
        this.i = j;
      } else if (c === '/' && next === '/') {
        let j = i + 2;
        while (j < src.length && src[j] !== '\n' && src[j] !== '\r') j++;
        if (this.trivia) return this.token('comment', j);
        this.i = j;
      } else if (c === '/' && next === '*') {
        const close = src.indexOf('*/', i + 2);
        if (close < 0) {
          return this.token('error', src.length, {
            message: 'unterminated comment: `/*` is never closed by `*/`',
          });
        }
        const end = close + 2;
        const breaksLine = /[\n\r]/.test(src.slice(i, end));
        if (this.trivia) return this.token('comment', end, { breaksLine });
        if (breaksLine) return this.token('newline', end);
        this.i = end;
      } else if (c === '"') {
        const token = lexString(src, i);
        this.i = token.end;
        return token;
      } else if (c === '-' && next === '>') {
        return this.token('arrow', i + 2);
      } else if (
        isDigit(src.charCodeAt(i)) ||
        ((c === '.' || c === '-' || c === '+') && (next === '.' || isDigit(src.charCodeAt(i + 1))))
      ) {
        NUMBER.lastIndex = i;
        const match = NUMBER.exec(src);
        if (!match) {
          return c === '.'
            ? this.token('dot', i + 1)
            : this.token('error', i + 1, { message: `unexpected \`${c}\`` });
        }
        let end = i + match[0].length;
        if (end < src.length && isWordChar(src.charCodeAt(end))) {
          while (end < src.length && /[A-Za-z0-9_.]/.test(src[end])) end++;
          return this.token('error', end, { message: `invalid number \`${src.slice(i, end)}\`` });
        }
        const value = Number(match[0]);
        if (!Number.isFinite(value))
          return this.token('error', end, { message: `number out of range: \`${match[0]}\`` });
        // One literal, not token() and an extra merged in (an object and a shape change per number).
        const token: RawToken = { type: 'number', start: i, end, text: match[0], value };
        this.i = end;
        return token;
      } else if (isWordStart(src.charCodeAt(i))) {
        let j = i + 1;
        while (j < src.length && isWordChar(src.charCodeAt(j))) j++;
        return this.token('word', j);
      } else if (c === '$') {
        let j = i + 1;
        while (j < src.length && isWordChar(src.charCodeAt(j))) j++;
        if (j === i + 1)
          return this.token('error', j, { message: 'expected a variable name after `$` (e.g. `$rate`)' });
        return this.token('variable', j);
      } else {
        const single = SINGLE[c];
        if (single !== undefined) return this.token(single, i + 1);
        const code = src.codePointAt(i)!;
        const char = String.fromCodePoint(code);
        return this.token('error', i + char.length, { message: unexpectedCharacter(code, char) });
      }
    }
    return undefined;
  }

  /** A token from the current offset to `end`. Tokens without extras are built in one shape (no spread): the
   * spread of an empty object per token was a third of the lexer's time. */
  private token(type: RawTokenType, end: number, extra?: Partial<RawToken>): RawToken {
    const token: RawToken = { type, start: this.i, end, text: this.src.slice(this.i, end) };
    this.i = end;
    return extra === undefined ? token : Object.assign(token, extra);
  }
}

/** One-character punctuation tokens. */
const SINGLE: Readonly<Record<string, RawTokenType>> = {
  '.': 'dot',
  ',': 'comma',
  '[': 'lbracket',
  ']': 'rbracket',
  '(': 'lparen',
  ')': 'rparen',
  ':': 'colon',
  ';': 'semicolon',
};

/** Splits a script into raw tokens, covering every character exactly once. */
export function lex(src: string): RawToken[];
/** With `trivia: false`: no whitespace or comment tokens (see Lexer). */
export function lex(src: string, options: { trivia: false }): RawToken[];
export function lex(src: string, options?: { trivia: false }): RawToken[] {
  const lexer = new Lexer(src, options?.trivia ?? true);
  const tokens: RawToken[] = [];
  for (let token = lexer.next(); token !== undefined; token = lexer.next()) tokens.push(token);
  return tokens;
}

// ---------------------------------------------------------------------------------------------------
// Highlighting

export type TokenKind =
  | 'keyword'
  | 'type'
  | 'name'
  | 'port'
  | 'number'
  | 'string'
  | 'boolean'
  | 'null'
  | 'variable'
  | 'operator'
  | 'punctuation'
  | 'comment'
  | 'error'
  | 'whitespace';

export interface Token {
  kind: TokenKind;
  /** UTF-16 offsets into the script, end exclusive. */
  start: number;
  end: number;
  text: string;
  /** For `error` tokens: what is wrong. */
  message?: string;
}

const SIMPLE_KINDS: Partial<Record<RawTokenType, TokenKind>> = {
  number: 'number',
  string: 'string',
  variable: 'variable',
  arrow: 'operator',
  dot: 'punctuation',
  comma: 'punctuation',
  lbracket: 'punctuation',
  rbracket: 'punctuation',
  lparen: 'punctuation',
  rparen: 'punctuation',
  colon: 'punctuation',
  semicolon: 'punctuation',
  newline: 'whitespace',
  whitespace: 'whitespace',
  comment: 'comment',
  error: 'error',
};

/** Tokens for syntax highlighting, covering the whole script. Never throws. */
export function tokenize(script: string): Token[] {
  const raw = lex(script);
  const tokens: Token[] = [];
  let commandStart = true;
  let depth = 0;
  const significant = (from: number, step: number): RawToken | undefined => {
    for (let j = from + step; j >= 0 && j < raw.length; j += step) {
      if (raw[j].type !== 'whitespace' && raw[j].type !== 'comment') return raw[j];
    }
    return undefined;
  };
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i];
    let kind = SIMPLE_KINDS[t.type] ?? 'error';
    if (t.type === 'word') {
      const before = significant(i, -1);
      const after = significant(i, 1);
      if (before?.type === 'dot') kind = 'port';
      else if (after?.type === 'dot') kind = 'name';
      else if (commandStart && keyword(t.text)) kind = 'keyword';
      else if (
        t.text.toLowerCase() === 'patch' &&
        after?.type === 'string' &&
        before?.type === 'word' &&
        keyword(before.text) === 'new'
      )
        kind = 'keyword';
      else if (wordValue(t.text) !== undefined) kind = wordValue(t.text) === null ? 'null' : 'boolean';
      else kind = /^[A-Z]/.test(t.text) ? 'type' : 'name';
    }
    if (t.type === 'lbracket' || t.type === 'lparen') depth++;
    if (t.type === 'rbracket' || t.type === 'rparen') depth = Math.max(0, depth - 1);
    const separates =
      t.type === 'semicolon' ||
      ((t.type === 'newline' || (t.type === 'comment' && t.breaksLine)) && depth === 0);
    if (separates) {
      commandStart = true;
      depth = 0;
    } else if (t.type !== 'whitespace' && t.type !== 'comment' && t.type !== 'newline') {
      commandStart = false;
    }
    const token: Token = { kind, start: t.start, end: t.end, text: t.text };
    if (t.message) token.message = t.message;
    tokens.push(token);
  }
  return tokens;
}
