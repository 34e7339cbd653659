// DataNode values as the user types them: Synchrolang literals (SPEC §3) — numbers, "strings",
// true/false, null, and [arrays] with optional commas.

export type Value = number | string | boolean | null | Value[];

export type Parsed = { ok: true; value: Value } | { ok: false; error: string; at: number };

export function parseLiteral(text: string): Parsed {
  let i = 0;
  const fail = (error: string): Parsed => ({ ok: false, error, at: i });
  const skip = () => {
    while (i < text.length && /[\s,]/.test(text[i])) i++;
  };
  const value = (): Value => {
    skip();
    const c = text[i];
    if (c === undefined) throw new Error('a value is missing');
    if (c === '[') {
      i++;
      const items: Value[] = [];
      for (;;) {
        skip();
        if (text[i] === ']') {
          i++;
          return items;
        }
        if (i >= text.length) throw new Error('`]` is missing');
        items.push(value());
      }
    }
    if (c === '"') {
      let out = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') {
          i++;
          const e = text[i];
          out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : (e ?? '');
        } else out += text[i];
        i++;
      }
      if (text[i] !== '"') throw new Error('closing `"` is missing');
      i++;
      return out;
    }
    const number = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(i));
    if (number) {
      i += number[0].length;
      return Number(number[0]);
    }
    const word = /^[A-Za-z_]+/.exec(text.slice(i));
    if (word) {
      const w = word[0].toLowerCase();
      i += word[0].length;
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (w === 'null' || w === 'none' || w === '_') return null;
      i -= word[0].length;
      throw new Error(`\`${word[0]}\` is not a value (strings need "quotes")`);
    }
    throw new Error(`unexpected \`${c}\``);
  };
  try {
    const result = value();
    skip();
    if (i < text.length) return fail(`unexpected \`${text[i]}\` after the value`);
    return { ok: true, value: result };
  } catch (error) {
    return fail((error as Error).message);
  }
}

export function formatLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '0';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(formatLiteral).join(', ')}]`;
  return JSON.stringify(value);
}

/** Adds `delta` to the number under the caret (arrow keys in value fields); null when there is none. */
export function nudgeNumberAt(
  text: string,
  caret: number,
  delta: number,
): { text: string; caret: number } | null {
  const re = /[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    if (caret >= start && caret <= end) {
      const decimals = (m[1].split('.')[1] ?? '').length;
      const step = Math.max(decimals, delta % 1 === 0 ? 0 : (String(delta).split('.')[1]?.length ?? 0));
      const next = (Number(m[0]) + delta).toFixed(step);
      const replaced = text.slice(0, start) + next + text.slice(end);
      return { text: replaced, caret: start + next.length };
    }
  }
  return null;
}
