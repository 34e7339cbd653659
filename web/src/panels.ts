// Sizes of the panels around the canvas (palette, side panel, console/keyboard dock), each resizable and
// collapsible, remembered in this browser. First-visit sizes leave the canvas as much room as a small
// laptop screen allows.

import { useSyncExternalStore } from 'react';

export type PanelName = 'palette' | 'side' | 'dock' | 'keys';

export interface Panel {
  /** Width (palette, side, keys) or height (dock) in CSS px. */
  size: number;
  open: boolean;
}

export type Panels = Record<PanelName, Panel>;

const KEY = 'synchrotron.panels';

/** Limits in px: a panel never squeezes the canvas below a usable size. */
export const PANEL_LIMITS: Record<PanelName, { min: number; max: number }> = {
  palette: { min: 120, max: 420 },
  side: { min: 180, max: 640 },
  dock: { min: 90, max: 600 },
  keys: { min: 220, max: 900 },
};

function defaults(): Panels {
  const width = typeof window === 'undefined' ? 1280 : window.innerWidth;
  const height = typeof window === 'undefined' ? 720 : window.innerHeight;
  const small = width < 1500;
  return {
    palette: { size: small ? 150 : Math.round(Math.min(260, width * 0.11)), open: true },
    side: { size: small ? 212 : Math.round(Math.min(360, width * 0.16)), open: true },
    dock: { size: Math.round(Math.min(300, Math.max(130, height * (small ? 0.2 : 0.24)))), open: true },
    keys: { size: Math.round(Math.min(560, Math.max(260, width * 0.3))), open: true },
  };
}

function clampPanel(name: PanelName, panel: Panel): Panel {
  const { min, max } = PANEL_LIMITS[name];
  const size = Number.isFinite(panel.size) ? Math.round(Math.min(max, Math.max(min, panel.size))) : min;
  return { size, open: panel.open !== false };
}

function load(): Panels {
  const initial = defaults();
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<Panels> | null;
    if (!saved || typeof saved !== 'object') return initial;
    for (const name of Object.keys(initial) as PanelName[]) {
      const entry = saved[name];
      if (entry && typeof entry === 'object')
        initial[name] = clampPanel(name, { ...initial[name], ...entry });
    }
  } catch {
    // unreadable: first-visit sizes
  }
  return initial;
}

let panels = load();
/** True once the user has resized or toggled something (then their choice is remembered). */
let remembered = localStorage.getItem(KEY) !== null;
const listeners = new Set<() => void>();

export function getPanels(): Panels {
  return panels;
}

export function setPanel(name: PanelName, patch: Partial<Panel>) {
  panels = { ...panels, [name]: clampPanel(name, { ...panels[name], ...patch }) };
  remembered = true;
  try {
    localStorage.setItem(KEY, JSON.stringify(panels));
  } catch {
    // storage disabled: sizes live for this page
  }
  for (const listener of listeners) listener();
}

export function togglePanel(name: PanelName) {
  setPanel(name, { open: !panels[name].open });
}

export function panelsRemembered() {
  return remembered;
}

export function usePanels(): Panels {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => panels,
  );
}
