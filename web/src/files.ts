// Patch files: .syn is a Synchrolang script; .sui is the same script preceded by
// `/*** {JSON of node positions} ***/` — still a valid script, since that is a block comment.

import type { Position } from './store';

export interface PatchFile {
  script: string;
  positions: Record<string, Position> | null;
}

export function parsePatch(text: string): PatchFile {
  const match = /^\s*\/\*\*\*([\s\S]*?)\*\*\*\//.exec(text);
  if (!match) return { script: text, positions: null };
  let positions: Record<string, Position> | null = null;
  try {
    const raw = JSON.parse(match[1]) as Record<string, unknown>;
    positions = {};
    for (const [name, p] of Object.entries(raw)) {
      if (Array.isArray(p) && p.length >= 2) positions[name] = { x: Number(p[0]), y: Number(p[1]) };
      else if (p && typeof p === 'object' && 'x' in p && 'y' in p)
        positions[name] = { x: Number((p as Position).x), y: Number((p as Position).y) };
    }
  } catch {
    positions = null;
  }
  return { script: text.slice(match[0].length).replace(/^\r?\n/, ''), positions };
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
