import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useState } from 'react';
import { api } from './backend';
import { CanvasRail } from './components/CanvasRail';
import { Console } from './components/Console';
import { Dialogs } from './components/Dialogs';
import { Editor } from './components/Editor';
import { EngineNotice } from './components/EngineNotice';
import { InnerView } from './components/InnerView';
import { Keyboard } from './components/Keyboard';
import { Looking } from './components/Looking';
import { Palette } from './components/Palette';
import { Splitter } from './components/Splitter';
import { TopBar } from './components/TopBar';
import { history } from './history';
import { insidePatch } from './inner-patch';
import { type PanelName, togglePanel, usePanels } from './panels';
import { markSaved } from './patch';
import { syncPositionsWithServer } from './server-positions';
import { openSharedPatch } from './share';
import { store, useStore } from './store';

const THEME_KEY = 'synchrotron.theme';
/** Width or height of a collapsed panel's strip, px. */
const STRIP = 26;

function initialTheme(): 'light' | 'dark' {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

function Toast() {
  const toast = useStore((s) => s.toast);
  if (!toast) return null;
  return (
    <div key={toast.id} className={`toast ${toast.kind}`} role="alert" data-testid="toast">
      {toast.text}
    </div>
  );
}

/** A collapsed panel: a strip with one button that opens it again. */
function Strip({ panel, label, area }: { panel: PanelName; label: string; area: string }) {
  return (
    <div className={`panel-strip strip-${panel}`} style={{ gridArea: area }}>
      <button
        type="button"
        onClick={() => togglePanel(panel)}
        title={`Show ${label}`}
        aria-label={`show ${label}`}
        data-testid={`show-${panel}`}
      >
        <span>{label}</span>
      </button>
    </div>
  );
}

export function App() {
  const [theme, setTheme] = useState(initialTheme);
  const link = useStore((s) => s.link);
  const panels = usePanels();

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);

  useEffect(() => {
    store.connect();
  }, []);
  useEffect(() => syncPositionsWithServer(), []);

  // Types and status over HTTP when (re)connected; the graph comes with the socket's hello.
  useEffect(() => {
    if (link !== 'open') return;
    api.types().then(
      (types) => store.setTypes(types),
      (e) => store.showToast(`types: ${e.message}`),
    );
    api.status().then(
      (status) => store.setStatus(status),
      () => undefined,
    );
  }, [link]);

  // The graph as this page first finds it counts as saved (a patch the server was started with is not
  // unsaved work); later edits make it unsaved until Save or Open.
  const [baselined, setBaselined] = useState(false);
  useEffect(() => {
    if (link !== 'open' || baselined) return;
    setBaselined(true);
    void markSaved();
  }, [link, baselined]);

  // A shared patch in the address (#patch=…) opens once connected, after asking.
  useEffect(() => {
    if (link !== 'open') return;
    void openSharedPatch();
    const onHash = () => void openSharedPatch();
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [link]);

  useEffect(() => {
    const keys = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement;
      if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') return;
      // Inside a patch (read-only) an undo would change the main graph out of sight.
      if (insidePatch()) return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === 'z') {
        e.preventDefault();
        void (e.shiftKey ? history.redo() : history.undo());
      } else if (mod && e.key.toLowerCase() === 'y') {
        e.preventDefault();
        void history.redo();
      }
    };
    window.addEventListener('keydown', keys);
    return () => window.removeEventListener('keydown', keys);
  }, []);

  const { palette, side, dock, keys } = panels;
  const columns = `${palette.open ? palette.size : STRIP}px auto minmax(0, 1fr) auto ${side.open ? side.size : STRIP}px`;
  const rows = `auto minmax(0, 1fr) auto ${dock.open ? dock.size : STRIP}px`;

  return (
    <ReactFlowProvider>
      <div className="app" style={{ gridTemplateColumns: columns, gridTemplateRows: rows }}>
        <TopBar theme={theme} onTheme={() => setTheme((t) => (t === 'dark' ? 'light' : 'dark'))} />
        {palette.open ? <Palette /> : <Strip panel="palette" label="Nodes" area="palette" />}
        <div className="split-area" style={{ gridArea: 'psplit' }}>
          {palette.open && <Splitter panel="palette" grows={1} label="Palette size" />}
        </div>
        <EngineNotice />
        <main className="main">
          <CanvasRail />
          <Editor theme={theme} />
          <InnerView theme={theme} />
        </main>
        <div className="split-area" style={{ gridArea: 'ssplit' }}>
          {side.open && <Splitter panel="side" grows={-1} label="Side panel size" />}
        </div>
        {side.open ? <Looking /> : <Strip panel="side" label="Scopes" area="side" />}
        <div className="split-area" style={{ gridArea: 'dsplit' }}>
          {dock.open && <Splitter panel="dock" grows={-1} label="Console and keyboard size" />}
        </div>
        {dock.open ? (
          <div
            className="dock"
            style={{
              gridTemplateColumns: keys.open
                ? `minmax(0, 1fr) auto ${keys.size}px`
                : `minmax(0, 1fr) ${STRIP}px`,
            }}
          >
            <Console />
            {keys.open && <Splitter panel="keys" grows={-1} label="Keyboard size" />}
            {keys.open ? <Keyboard /> : <Strip panel="keys" label="Keys" area="auto" />}
          </div>
        ) : (
          <Strip panel="dock" label="Console and keys" area="dock" />
        )}
        <Toast />
        <Dialogs />
      </div>
    </ReactFlowProvider>
  );
}
