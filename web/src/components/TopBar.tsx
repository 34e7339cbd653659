// Transport, connection/render state, CPU load, listening (switch, volume, level), recording, files
// (Open, Save, Save as, Share), undo/redo, arrange, theme. One row down to 1024 px wide: on narrow
// screens labels give way to icons (their names stay in tooltips and for screen readers).

import { useState, useSyncExternalStore } from 'react';
import { listening } from '../audio';
import { api, backend, modeUrl } from '../backend';
import { askText } from '../dialog';
import { pickFile } from '../files';
import { history, useHistoryVersion } from '../history';
import { autoLayout, confirmReplace, loadPatch, savePatch } from '../patch';
import { formatElapsed, startRecording, stopRecording, useRecording } from '../recorder';
import { shareUrl } from '../share';
import { store, useStore } from '../store';
import { Meter } from './Looking';

/** A file name a download can use: no folders, a .sui or .syn extension. */
function checkFileName(name: string): string | null {
  if (!name.trim()) return 'a file name is needed';
  if (/[\\/:*?"<>|]/.test(name)) return 'a file name cannot contain \\ / : * ? " < > |';
  return null;
}

export function TopBar({ theme, onTheme }: { theme: string; onTheme: () => void }) {
  const link = useStore((s) => s.link);
  const status = useStore((s) => s.status);
  const fileName = useStore((s) => s.fileName);
  const listen = useSyncExternalStore(listening.subscribe, () => listening.on);
  const [volume, setVolume] = useState(0.8);
  const recording = useRecording();
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
    listening.chosen = true;
    if (listening.on) {
      await listening.stop();
      return;
    }
    try {
      await listening.start();
      listening.setVolume(volume);
    } catch (error) {
      store.showToast(`Listen: ${(error as Error).message}`);
    }
  };

  const open = async () => {
    if (!(await confirmReplace('Opening a file'))) return;
    const file = await pickFile('.syn,.sui,.txt');
    if (!file) return;
    try {
      const { note } = await loadPatch(file.text, file.name);
      if (note) store.showToast(`Loaded ${file.name}, but ${note}.`, 'info');
      else store.showToast(`Loaded ${file.name}`, 'info');
    } catch (error) {
      store.showToast(`${file.name}: ${(error as Error).message}`);
    }
  };

  const save = async (name?: string) => {
    try {
      const { fileName: saved, kept } = await savePatch(name);
      store.showToast(
        kept
          ? `Saved ${saved}`
          : `Saved ${saved}${fileName ? ' (rewritten: its comments could not be kept)' : ''}`,
        'info',
      );
    } catch (error) {
      store.showToast(`Save: ${(error as Error).message}`);
    }
  };

  const saveAs = async () => {
    const current = fileName ?? 'patch.sui';
    const stem = current.replace(/\.(sui|syn)$/i, '');
    const answer = await askText(
      'Save as',
      '.sui keeps node positions, MIDI mappings and snapshots in its first comment; .syn is the script alone.',
      stem,
      {
        confirm: 'Save',
        check: checkFileName,
        choices: ['.sui', '.syn'],
        choice: /\.syn$/i.test(current) ? '.syn' : '.sui',
      },
    );
    if (!answer) return;
    const base = answer.text.trim().replace(/\.(sui|syn)$/i, '');
    await save(`${base}${answer.choice ?? '.sui'}`);
  };

  const share = async () => {
    try {
      const url = await shareUrl();
      await navigator.clipboard?.writeText(url).catch(() => undefined);
      await askText('Share', 'A link that opens this patch (copied to the clipboard):', url, {
        confirm: 'Done',
      });
    } catch (error) {
      store.showToast(`Share: ${(error as Error).message}`);
    }
  };

  /** Local ↔ a server: the editor reopens in the other mode (a fresh page, a fresh graph view). */
  const switchMode = async () => {
    const current = backend();
    const answer = await askText(
      'Engine',
      current.mode === 'local'
        ? 'The engine runs in this page. To use a Synchrotron server instead (its sound card, MIDI hardware, other clients), give its address.'
        : `The engine is the server at ${current.where}. Give another server's address, or "local" to run the engine in this page.`,
      current.mode === 'local' ? 'http://127.0.0.1:2031' : 'local',
      {
        confirm: 'Switch',
        check: (text) =>
          text.trim() === 'local' || /^https?:\/\/[^\s/]+/.test(text.trim())
            ? null
            : 'an address such as http://127.0.0.1:2031, or local',
      },
    );
    if (!answer) return;
    const text = answer.text.trim();
    // The page's own graph is left behind when it stops being the engine (a server keeps its graph).
    if (current.mode === 'local' && !(await confirmReplace('Switching to a server'))) return;
    location.assign(modeUrl(text === 'local' ? { mode: 'local' } : { mode: 'server', url: text }));
  };

  const cpu = status ? status.cpuLoad * 100 : null;
  const mode = backend().mode;
  return (
    <header className="topbar">
      <div className="brand" title={`Synchrotron${fileName ? ` — ${fileName}` : ''}`}>
        <svg viewBox="0 0 16 16" aria-hidden="true">
          <circle cx="8" cy="8" r="6" />
          <circle cx="8" cy="8" r="2" className="core" />
        </svg>
        <span className="brand-text">Synchrotron</span>
      </div>

      <div className="group transport">
        <button
          type="button"
          className={`play${running ? ' active' : ''}`}
          onClick={() => transport(true)}
          disabled={link !== 'open' || running}
          data-testid="start"
          title="Start rendering (Space)"
          aria-label="start"
        >
          ▶<span className="label"> Start</span>
        </button>
        <button
          type="button"
          className="stop"
          onClick={() => transport(false)}
          disabled={link !== 'open' || !running}
          data-testid="stop"
          title="Stop rendering (Space)"
          aria-label="stop"
        >
          ■<span className="label"> Stop</span>
        </button>
      </div>

      <div className="group status" data-testid="status">
        {/* Which engine, and its state; a click switches local ↔ a server. */}
        <button
          type="button"
          className={`pill mode link-${link}`}
          data-testid="link-state"
          data-mode={mode}
          title={
            mode === 'local'
              ? 'Local mode: the engine runs in this page, no server. Click to connect to a server.'
              : `Server mode: the engine is the server at ${backend().where}. Click to switch.`
          }
          onClick={switchMode}
        >
          <span className="dot" />
          <span className="pill-text">
            {mode === 'local'
              ? link === 'open'
                ? 'local'
                : link === 'connecting'
                  ? 'starting…'
                  : 'local: failed'
              : link === 'open'
                ? 'connected'
                : link === 'connecting'
                  ? 'connecting…'
                  : 'offline — retrying'}
          </span>
        </button>
        <span className={`pill ${running ? 'running' : 'stopped'}`} data-testid="render-state">
          {running ? 'rendering' : 'stopped'}
        </span>
        {/* The page's engine cannot measure its render time (an AudioWorklet has no clock to spare). */}
        {status && mode === 'server' && (
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
        <label
          className="switch"
          title={mode === 'local' ? 'Hear the engine' : "Play the server's output in this browser"}
        >
          <input type="checkbox" checked={listen} onChange={toggleListen} data-testid="listen" />
          <span className="slider" />
          <span className="label">Listen</span>
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
        <button
          type="button"
          className={`record${recording.recording ? ' on' : ''}`}
          data-testid="record"
          aria-pressed={recording.recording}
          title={
            recording.recording
              ? 'Stop and download the recording (WAV)'
              : 'Record the master output to a WAV file'
          }
          onClick={() => (recording.recording ? void stopRecording() : startRecording())}
        >
          <span className="rec-dot" aria-hidden="true" />
          <span data-testid="record-time">
            {recording.recording ? formatElapsed(recording.seconds) : 'Rec'}
          </span>
        </button>
      </div>

      <div className="group files">
        <button
          type="button"
          onClick={() => history.undo()}
          disabled={!history.canUndo()}
          title={`Undo ${history.undoLabel() ?? ''} (Ctrl+Z)`}
          aria-label="undo"
          data-testid="undo"
        >
          ↶
        </button>
        <button
          type="button"
          onClick={() => history.redo()}
          disabled={!history.canRedo()}
          title={`Redo ${history.redoLabel() ?? ''} (Ctrl+Shift+Z)`}
          aria-label="redo"
          data-testid="redo"
        >
          ↷
        </button>
        <button type="button" onClick={open} title="Open a .syn or .sui patch" data-testid="open">
          Open
        </button>
        <button
          type="button"
          onClick={() => save()}
          title={`Save ${fileName ?? 'patch.sui'} (keeps its name and comments)`}
          data-testid="save"
        >
          Save
        </button>
        <button
          type="button"
          onClick={saveAs}
          title="Save under another name or as .syn"
          data-testid="save-as"
        >
          Save as…
        </button>
        <button type="button" onClick={share} title="A link that opens this patch" data-testid="share">
          Share
        </button>
        <button
          type="button"
          onClick={autoLayout}
          title="Arrange the nodes by render order"
          aria-label="arrange"
          data-testid="layout"
        >
          <svg viewBox="0 0 16 16" aria-hidden="true" className="icon">
            <path d="M2 3h4v3H2zM10 3h4v3h-4zM6 10h4v3H6zM4 6v2h8V6M8 8v2" />
          </svg>
          <span className="label"> Arrange</span>
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
