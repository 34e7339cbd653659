// Patch files: .syn is a Synchrolang script; .sui is the same script preceded by
// `/*** {JSON of node positions} ***/` — still a valid script, since that is a block comment.

import type { Position } from './store';

export interface PatchFile {
  script: string;
  positions: Record<string, Position> | null;
  /** Why the positions header's positions could not be used (the script still loads). */
  positionsProblem?: string;
}

/** A position from a file or storage: `[x, y]` or `{x, y}` of finite numbers, else null. */
export function toPosition(raw: unknown): Position | null {
  const [x, y] = Array.isArray(raw)
    ? raw
    : raw && typeof raw === 'object'
      ? [(raw as Record<string, unknown>).x, (raw as Record<string, unknown>).y]
      : [];
  return typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y)
    ? { x, y }
    : null;
}

export function parsePatch(text: string): PatchFile {
  const match = /^\s*\/\*\*\*([\s\S]*?)\*\*\*\//.exec(text);
  if (!match) return { script: text, positions: null };
  const script = text.slice(match[0].length).replace(/^\r?\n/, '');
  let raw: unknown;
  try {
    raw = JSON.parse(match[1]);
  } catch (error) {
    return {
      script,
      positions: null,
      positionsProblem: `its positions header is not JSON (${(error as Error).message})`,
    };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    return {
      script,
      positions: null,
      positionsProblem: 'its positions header is not a {name: [x, y]} object',
    };
  const positions: Record<string, Position> = {};
  const bad: string[] = [];
  for (const [name, p] of Object.entries(raw)) {
    const position = toPosition(p);
    if (position) positions[name] = position;
    else bad.push(name);
  }
  return {
    script,
    positions,
    positionsProblem: bad.length
      ? `it has no usable position (two finite numbers) for ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? '…' : ''}`
      : undefined,
  };
}

export function formatSui(script: string, positions: Record<string, Position>, names: string[]): string {
  const used: Record<string, Position> = {};
  for (const name of names) {
    const p = positions[name];
    if (p) used[name] = { x: Math.round(p.x), y: Math.round(p.y) };
  }
  return `/*** ${JSON.stringify(used)} ***/\n${script}`;
}

export function download(filename: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function pickFile(accept: string): Promise<{ name: string; text: string } | null> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = accept;
    input.dataset.testid = 'file-input';
    input.style.display = 'none';
    input.onchange = async () => {
      const file = input.files?.[0];
      input.remove();
      resolve(file ? { name: file.name, text: await file.text() } : null);
    };
    input.oncancel = () => {
      input.remove();
      resolve(null);
    };
    document.body.append(input);
    input.click();
  });
}
