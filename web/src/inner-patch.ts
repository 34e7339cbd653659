// The seam for sub-patches (see node-hooks.ts): what "Open inner patch" does today.

import { api } from './backend';
import { store } from './store';

/**
 * "Open inner patch": asks the engine for the patch (`GET /nodes/{name}/patch`, answered once the
 * instruments issue adds the route) and says what came back. Drawing it in a view of its own is the part
 * that lands with that issue; until then a server without the route is reported plainly.
 */
export async function openInnerPatch(name: string, path: string): Promise<void> {
  try {
    const inner = await api.innerPatch(name);
    store.showToast(
      `${name} is made of ${inner.path}; viewing inner patches comes with sub-patch support.`,
      'info',
    );
  } catch (error) {
    store.showToast(`Cannot open ${path} inside ${name} yet: ${(error as Error).message}`, 'info');
  }
}
