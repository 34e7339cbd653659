// Errors that reach users. `code` tells the API which HTTP status fits; `message` says what was wrong.

export type ErrorCode =
  | 'unknown_type' // no such node type → 404
  | 'unknown_node' // no such node → 404
  | 'unknown_port' // no such port on a node → 404
  | 'invalid' // a value, name or link that breaks a rule → 422
  | 'conflict' // e.g. a name already taken → 409
  | 'syntax' // a Synchrolang parse error → 400
  | 'limit' // more than a limit allows (nodes, value bytes, open files…) → 413, naming the limit's flag
  | 'io'; // a file or device refused → 500-ish, but reported, never a crash

export class SynchrotronError extends Error {
  readonly code: ErrorCode;
  /** Extra facts for clients, e.g. `{suggestion: 'SineNode'}` or `{ports: [...]}`. */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'SynchrotronError';
    this.code = code;
    this.details = details;
  }
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      const cost = a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1;
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The closest candidate to `name`, if it is close enough to be a plausible typo. */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return best !== undefined && bestDistance <= limit ? best : undefined;
}
