// Syntax highlighting of Synchrolang for the prompt and for echoed scripts, from the language's own
// tokenizer (so it never disagrees with the parser).

import { type Token, tokenize } from '../lang/index.js';
import type { Style } from './style.js';

export function highlight(text: string, style: Style): string {
  if (!style.enabled || text === '') return text;
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch {
    return text;
  }
  let out = '';
  let at = 0;
  for (const token of tokens) {
    if (token.start > at) out += text.slice(at, token.start);
    const piece = text.slice(token.start, token.end);
    out += paint(token, piece, style);
    at = token.end;
  }
  return out + text.slice(at);
}

function paint(token: Token, piece: string, style: Style): string {
  switch (token.kind) {
    case 'keyword':
      return style.keyword(piece);
    case 'type':
      return style.type(piece);
    case 'name':
      return style.name(piece);
    case 'port':
      return style.port(piece);
    case 'number':
    case 'boolean':
    case 'null':
    case 'variable':
      return style.value(piece);
    case 'string':
      return style.string(piece);
    case 'comment':
      return style.comment(piece);
    case 'error':
      return style.error(piece);
    default:
      return piece;
  }
}
