// Reading a patch file for the CLI commands: one place that turns the ways a path can be wrong (missing,
// a folder, unreadable) into one clear line, and that reads UTF-16 files (as some Windows editors save
// them) instead of reporting their bytes as stray characters.

import { readFile } from 'node:fs/promises';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a folder, not a patch file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is not a folder',
};

/** The file's text, or the reason it cannot be read (`ENOENT (no such file)`). */
export async function readPatchFile(path: string): Promise<{ text: string } | { error: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code ? REASONS[code] : undefined;
    return { error: code ? `${code}${reason ? ` (${reason})` : ''}` : (error as Error).message };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes) };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes) };
  return { text: bytes.toString('utf8') };
}
