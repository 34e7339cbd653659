import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useState } from 'react';
import { api } from './api';
import { Console } from './components/Console';
import { Editor } from './components/Editor';
import { EngineNotice } from './components/EngineNotice';
import { Keyboard } from './components/Keyboard';
import { Looking } from './components/Looking';
import { Palette } from './components/Palette';
import { TopBar } from './components/TopBar';
import { history } from './history';
import { syncPositionsWithServer } from './server-positions';
import { store, useStore } from './store';

const THEME_KEY = 'synchrotron.theme';

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

export function App() {
  const [theme, setTheme] = useState(initialTheme);
  const link = useStore((s) => s.link);

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

  useEffect(() => {
    const keys = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement;
      if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') return;
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

  return (
    <ReactFlowProvider>
      <div className="app">
        <TopBar theme={theme} onTheme={() => setTheme((t) => (t === 'dark' ? 'light' : 'dark'))} />
        <EngineNotice />
        <Palette />
        <main className="main">
          <Editor theme={theme} />
        </main>
        <Looking />
        <div className="dock">
          <Console />
          <Keyboard />
        </div>
        <Toast />
      </div>
    </ReactFlowProvider>
  );
}
