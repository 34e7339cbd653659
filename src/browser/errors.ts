// SynchrotronErrors across a thread boundary (structured clone keeps neither the class nor its fields).

import { type ErrorCode, SynchrotronError } from '../engine/errors.js';
import { SynchrolangError } from '../lang/index.js';
import type { SerializedError } from './messages.js';

export function serializeError(error: unknown): SerializedError {
  if (error instanceof SynchrotronError)
    return { code: error.code, message: error.message, details: { ...error.details } };
  return { code: 'io', message: error instanceof Error ? error.message : String(error), details: {} };
}

/** The error again: a SynchrolangError (line, column) for a script error, else a SynchrotronError. */
export function deserializeError(error: SerializedError): SynchrotronError {
  const { line, column, length } = error.details as { line?: unknown; column?: unknown; length?: unknown };
  if (error.code === 'syntax' && typeof line === 'number' && typeof column === 'number') {
    const rebuilt = new SynchrolangError(
      '',
      line,
      column,
      typeof length === 'number' ? length : 1,
      error.details,
    );
    rebuilt.message = error.message;
    return rebuilt;
  }
  return new SynchrotronError(error.code as ErrorCode, error.message, error.details);
}
