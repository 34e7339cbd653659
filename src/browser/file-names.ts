// Names of files in the browser's file store. A patch names files as on the server (`kick.wav`,
// `songs/tune.mid`); in the page those are keys in the store (IndexedDB), not paths on a disk, so the
// rules are about meaning, not confinement: no absolute paths, no `..`, no empty or control characters.
// No DOM APIs: the worklet checks WavFileNode paths with the same rules.

import { SynchrotronError } from '../engine/errors.js';

/** Longest file name the store takes, in characters. */
export const MAX_FILE_NAME_LENGTH = 255;

/**
 * The canonical form of a file name (`./a//b.wav` → `a/b.wav`); throws a SynchrotronError saying what is
 * wrong with a name the store cannot hold.
 */
export function normalizeFileName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new SynchrotronError('invalid', 'a file name must be a non-empty string');
  }
  if (name.length > MAX_FILE_NAME_LENGTH) {
    throw new SynchrotronError(
      'invalid',
      `file name \`${name.slice(0, 40)}…\` is longer than ${MAX_FILE_NAME_LENGTH} characters`,
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new SynchrotronError('invalid', `file name \`${printable(name)}\` contains control characters`);
  }
  const slashed = name.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:\//.test(slashed)) {
    throw new SynchrotronError(
      'invalid',
      `file name \`${name}\` is absolute: in the browser, files are names in its file store (e.g. \`kick.wav\`)`,
    );
  }
  const parts = slashed.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.some((part) => part === '..')) {
    throw new SynchrotronError(
      'invalid',
      `file name \`${name}\` uses \`..\`: in the browser, files are names in its file store (e.g. \`songs/tune.mid\`)`,
    );
  }
  if (parts.length === 0) throw new SynchrotronError('invalid', `file name \`${name}\` names no file`);
  return parts.join('/');
}

function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: shown escaped in the message
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
