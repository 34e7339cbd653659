// Captures what in-process CLI commands write to stdout and stderr, per test.

import { afterEach, beforeEach, vi } from 'vitest';

/** Call inside a describe block; the arrays are emptied before each test and filled as it writes. */
export function captureOutput(): { out: string[]; err: string[] } {
  const captured = { out: [] as string[], err: [] as string[] };
  beforeEach(() => {
    captured.out.length = 0;
    captured.err.length = 0;
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      captured.out.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      captured.err.push(String(chunk));
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());
  return captured;
}
