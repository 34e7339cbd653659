// ANSI styling, switched off when the output is not a terminal or NO_COLOR is set.

export interface Style {
  enabled: boolean;
  keyword(text: string): string;
  type(text: string): string;
  name(text: string): string;
  port(text: string): string;
  value(text: string): string;
  string(text: string): string;
  comment(text: string): string;
  error(text: string): string;
  warn(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;

export function createStyle(enabled: boolean): Style {
  if (!enabled) {
    const plain = (text: string) => text;
    return {
      enabled,
      keyword: plain,
      type: plain,
      name: plain,
      port: plain,
      value: plain,
      string: plain,
      comment: plain,
      error: plain,
      warn: plain,
      dim: plain,
      bold: plain,
    };
  }
  return {
    enabled,
    keyword: wrap(35, 39), // magenta
    type: wrap(36, 39), // cyan
    name: wrap(33, 39), // yellow
    port: wrap(34, 39), // blue
    value: wrap(32, 39), // green
    string: wrap(32, 39),
    comment: wrap(90, 39), // grey
    error: wrap(31, 39), // red
    warn: wrap(33, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

/** Colour when writing to a terminal, unless NO_COLOR is set (FORCE_COLOR forces it). */
export function colourWanted(stream: { isTTY?: boolean }): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

/** Visible width of text that may contain ANSI escapes. */
export function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what we strip
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}
