// Share: the patch (as .sui text: script, positions, mappings, snapshots) compressed into the address's
// fragment, `#patch=…`. A fragment never reaches a server, so the link carries the patch to whoever opens
// it in their own editor, which asks before replacing what they have.

import { ask } from './dialog';
import { loadPatch, saveText } from './patch';
import { store } from './store';

const PREFIX = '#patch=';
/** Longest fragment written or read: browsers cope with more, but chat apps and mail do not. */
export const MAX_SHARE_CHARS = 256 * 1024;

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function through(
  stream: CompressionStream | DecompressionStream,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

/** The fragment for a patch text. */
export async function encodePatch(text: string): Promise<string> {
  const packed = await through(new CompressionStream('deflate-raw'), new TextEncoder().encode(text));
  return `${PREFIX}${toBase64Url(packed)}`;
}

/** The patch text in a fragment; throws a readable error when it is damaged. */
export async function decodePatch(fragment: string): Promise<string> {
  if (!fragment.startsWith(PREFIX)) throw new Error('the link has no patch in it');
  const data = fragment.slice(PREFIX.length);
  if (data.length > MAX_SHARE_CHARS)
    throw new Error(`the shared patch is larger than ${MAX_SHARE_CHARS} characters`);
  try {
    const bytes = await through(
      new DecompressionStream('deflate-raw'),
      fromBase64Url(decodeURIComponent(data)),
    );
    // At most 4 MiB once unpacked (as for a script sent to the server).
    if (bytes.length > 4 * 1024 * 1024) throw new Error('too large');
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error('the shared patch in the link is damaged (was it cut off when copied?)');
  }
}

/** A link to this editor that opens the current patch. */
export async function shareUrl(): Promise<string> {
  const { text } = await saveText('sui');
  const fragment = await encodePatch(text);
  if (fragment.length > MAX_SHARE_CHARS)
    throw new Error('the patch is too large to share as a link; save it as a file');
  return `${location.origin}${location.pathname}${location.search}${fragment}`;
}

function clearFragment() {
  window.history.replaceState(null, '', `${location.pathname}${location.search}`);
}

/** Opens the patch in the address's fragment, if any, after asking. */
export async function openSharedPatch() {
  if (!location.hash.startsWith(PREFIX)) return;
  const fragment = location.hash;
  let text: string;
  try {
    text = await decodePatch(fragment);
  } catch (error) {
    clearFragment();
    store.showToast(`Shared link: ${(error as Error).message}`);
    return;
  }
  const count = (text.match(/^\s*(new|create)\b/gim) ?? []).length;
  const replacing = store.state.nodes.size
    ? ` It replaces the current graph (${store.state.nodes.size} nodes).`
    : '';
  const ok = await ask(
    'Open the shared patch?',
    `This link carries a patch of ${count} node${count === 1 ? '' : 's'}.${replacing}`,
    'Open it',
    'Not now',
  );
  clearFragment();
  if (!ok) return;
  try {
    await loadPatch(text, 'shared.sui');
    store.showToast('Opened the shared patch', 'info');
  } catch (error) {
    store.showToast(`Shared patch: ${(error as Error).message}`);
  }
}
