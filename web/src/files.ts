// Files in and out of the browser: downloads, the file chooser, and positions read from storage.

import type { Position } from './store';

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

export function download(filename: string, data: string | Blob) {
  const blob = typeof data === 'string' ? new Blob([data], { type: 'text/plain' }) : data;
  const url = URL.createObjectURL(blob);
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
      // ignoreBOM keeps a byte-order mark in the text, so the file saves back as it came.
      const text = file ? new TextDecoder('utf-8', { ignoreBOM: true }).decode(await file.arrayBuffer()) : '';
      resolve(file ? { name: file.name, text } : null);
    };
    input.oncancel = () => {
      input.remove();
      resolve(null);
    };
    document.body.append(input);
    input.click();
  });
}
