// Transport, connection/render state, CPU load, listening (switch, volume, level), files, undo/redo, theme.

import { useState } from 'react';
import { api } from '../api';
import { listening } from '../audio';
import { pickFile } from '../files';
import { history, useHistoryVersion } from '../history';
import { autoLayout, loadPatch, savePatch } from '../patch';
import { store, useStore } from '../store';
import { Meter } from './Looking';

export function TopBar({ theme, onTheme }: { theme: string; onTheme: () => void }) {
  const link = useStore((s) => s.link);
  const status = useStore((s) => s.status);
  const [listen, setListen] = useState(false);
  const [volume, setVolume] = useState(0.8);
  useHistoryVersion();

  const running = !!status?.running;
  const transport = async (start: boolean) => {
    try {
      await (start ? api.start() : api.stop());
      store.setRunning(start);
    } catch (error) {
      store.showToast((error as Error).message);
    }
  };

  const toggleListen = async () => {
    if (listening.on) {
      await listening.stop();
      setListen(false);
      return;
    }
    setListen(true);
    try {
      await listening.start();
      listening.setVolume(volume);
    } catch (error) {
      setListen(false);
      store.showToast(`Listen: ${(error as Error).message}`);
    }
  };

  const open = async () => {
    const file = await pickFile('.syn,.sui,.txt');
    if (!file) return;
    try {
      const { note } = await loadPatch(file.text);
      if (note) store.showToast(`Loaded ${file.name}, but ${note}.`, 'info');
      else store.showToast(`Loaded ${file.name}`, 'info');
    } catch (error) {
      store.showToast(`${file.name}: ${(error as Error).message}`);
    }
  };

  const cpu = status ? status.cpuLoad * 100 : null;
  return (
    <header className="topbar">
      <div className="brand" title="Synchrotron">
        <svg viewBox="0 0 16 16" aria-hidden="true">
          <circle cx="8" cy="8" r="6" />
          <circle cx="8" cy="8" r="2" className="core" />
        </svg>
        Synchrotron
      </div>

      <div className="group transport">
        <button
          type="button"
          className={`play${running ? ' active' : ''}`}
          onClick={() => transport(true)}
          disabled={link !== 'open' || running}
          data-testid="start"
          title="Start rendering"
        >
          ▶ Start
        </button>
        <button
          type="button"
          className="stop"
          onClick={() => transport(false)}
          disabled={link !== 'open' || !running}
          data-testid="stop"
          title="Stop rendering"
        >
          ■ Stop
        </button>
      </div>

      <div className="group status" data-testid="status">
        <span className={`pill link-${link}`} data-testid="link-state" title="Connection to the server">
          <span className="dot" />
          {link === 'open' ? 'connected' : link === 'connecting' ? 'connecting…' : 'offline — retrying'}
        </span>
        <span className={`pill ${running ? 'running' : 'stopped'}`} data-testid="render-state">
          {running ? 'rendering' : 'stopped'}
        </span>
        {status && (
          <span
            className={`pill cpu${cpu !== null && cpu > 80 ? ' hot' : ''}`}
            data-testid="cpu"
            title={`Render time ÷ block time. ${status.sampleRate} Hz, block ${status.blockSize}, ${status.underruns} underruns, audio: ${status.audio}`}
          >
            CPU {cpu === null ? '' : cpu < 10 ? cpu.toFixed(1) : Math.round(cpu)}%
          </span>
        )}
      </div>

      <div className="group listen">
        <label className="switch" title="Play the server's output in this browser">
          <input type="checkbox" checked={listen} onChange={toggleListen} data-testid="listen" />
          <span className="slider" />
          Listen
        </label>
        <input
          type="range"
          className="volume"
          min={0}
          max={1}
          step={0.01}
          value={volume}
          aria-label="volume"
          title={`Volume ${Math.round(volume * 100)}% (limited to 0 dBFS)`}
          onChange={(e) => {
            const v = Number(e.target.value);
            setVolume(v);
            listening.setVolume(v);
          }}
        />
        <div className="listen-meter">
          <Meter signal={() => listening.level()} testId="listen-meter" />
        </div>
      </div>

      <div className="group files">
        <button
          type="button"
          onClick={() => history.undo()}
          disabled={!history.canUndo()}
          title={`Undo ${history.undoLabel() ?? ''} (Ctrl+Z)`}
          data-testid="undo"
        >
          ↶
        </button>
        <button
          type="button"
          onClick={() => history.redo()}
          disabled={!history.canRedo()}
          title={`Redo ${history.redoLabel() ?? ''} (Ctrl+Shift+Z)`}
          data-testid="redo"
        >
          ↷
        </button>
        <button type="button" onClick={open} title="Open a .syn or .sui patch" data-testid="open">
          Open
        </button>
        <button
          type="button"
          onClick={() => savePatch('sui')}
          title="Save with positions (.sui)"
          data-testid="save-sui"
        >
          Save .sui
        </button>
        <button
          type="button"
          onClick={() => savePatch('syn')}
          title="Save the script (.syn)"
          data-testid="save-syn"
        >
          .syn
        </button>
        <button
          type="button"
          onClick={autoLayout}
          title="Arrange the nodes by render order"
          data-testid="layout"
        >
          Arrange
        </button>
        <button
          type="button"
          onClick={onTheme}
          title="Light / dark theme"
          data-testid="theme"
          aria-label="toggle theme"
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </div>
    </header>
  );
}
