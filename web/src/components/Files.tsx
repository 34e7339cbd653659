// The side panel's Files section (local mode: the engine runs in this page, so the files its nodes read
// live in this browser). Pick or drop audio and MIDI files to keep them in IndexedDB under their names —
// the names patches use (MidiFileNode's `path`, WavFileNode's recording path); download or delete them;
// render the patch offline, faster than real time, into a WAV with progress.

import { useCallback, useEffect, useRef, useState } from 'react';
import type { StoredFileInfo } from '../../../src/browser/index.js';
import { backend } from '../backend';
import { askText } from '../dialog';
import { download } from '../files';
import { store } from '../store';

const listeners = new Set<() => void>();
/** Tells every Files section to re-read the store (after a drop elsewhere, a finished recording). */
export function filesChanged() {
  for (const listener of listeners) listener();
}

/** Stores files the user picked or dropped; answers their names. Patches are not kept here. */
export async function keepFiles(files: Iterable<File>): Promise<string[]> {
  const store_ = backend().files;
  if (!store_) return [];
  const kept: string[] = [];
  for (const file of files) {
    try {
      await store_.put(file.name, file, file.type);
      kept.push(file.name);
    } catch (error) {
      store.showToast(`${file.name}: ${(error as Error).message}`);
    }
  }
  if (kept.length) {
    filesChanged();
    store.showToast(
      `Kept ${kept.join(', ')} in this browser: use ${kept.length === 1 ? 'its name' : 'their names'} as a path (e.g. MidiFileNode's path).`,
      'info',
    );
  }
  return kept;
}

function formatBytes(bytes: number) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function Files() {
  const files = backend().files;
  const [list, setList] = useState<StoredFileInfo[]>([]);
  const [progress, setProgress] = useState<number | null>(null);
  const abort = useRef<AbortController | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const refresh = useCallback(() => {
    files
      ?.list()
      .then(setList)
      .catch((error: Error) => store.showToast(`Files: ${error.message}`));
  }, [files]);

  useEffect(() => {
    refresh();
    listeners.add(refresh);
    return () => {
      listeners.delete(refresh);
    };
  }, [refresh]);

  if (!files) return null;

  const render = async () => {
    const renderOffline = backend().renderOffline;
    if (!renderOffline) return;
    const answer = await askText(
      'Render to WAV',
      'Seconds of the patch to render, faster than real time:',
      '10',
      {
        confirm: 'Render',
        check: (text) => {
          const seconds = Number(text);
          return Number.isFinite(seconds) && seconds > 0 && seconds <= 3600
            ? null
            : 'a number of seconds, up to 3600';
        },
      },
    );
    if (!answer) return;
    const seconds = Number(answer.text);
    const controller = new AbortController();
    abort.current = controller;
    setProgress(0);
    try {
      const { wav, elapsedMs } = await renderOffline.call(
        backend(),
        seconds,
        (p) => setProgress(p.fraction),
        controller.signal,
      );
      download(`${(store.state.fileName ?? 'patch').replace(/\.(sui|syn)$/i, '')}-${seconds}s.wav`, wav);
      const done = `Rendered ${seconds} s in ${(elapsedMs / 1000).toFixed(1)} s (${(seconds / (elapsedMs / 1000)).toFixed(0)}× real time).`;
      store.addLog('info', done);
      store.showToast(done, 'info');
    } catch (error) {
      if (!controller.signal.aborted) store.showToast(`Render: ${(error as Error).message}`);
    } finally {
      abort.current = null;
      setProgress(null);
    }
  };

  const remove = async (name: string) => {
    await files.delete(name).catch((error: Error) => store.showToast(error.message));
    refresh();
  };

  const save = async (name: string) => {
    const blob = await files.get(name);
    if (blob) download(name.split('/').pop() ?? name, blob);
  };

  return (
    <section
      className="looking-section files-section"
      aria-label="Files"
      data-testid="files"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) e.preventDefault();
      }}
      onDrop={(e) => {
        if (!e.dataTransfer.files.length) return;
        e.preventDefault();
        e.stopPropagation();
        void keepFiles(e.dataTransfer.files);
      }}
    >
      <div className="section-head">
        <span className="section-title">Files</span>
        <button
          type="button"
          className="small"
          title="Keep audio or MIDI files in this browser, for nodes to read by name"
          data-testid="files-add"
          onClick={() => input.current?.click()}
        >
          Add…
        </button>
      </div>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        accept="audio/*,.wav,.mid,.midi"
        data-testid="files-input"
        onChange={(e) => {
          const picked = [...(e.target.files ?? [])];
          e.target.value = '';
          void keepFiles(picked);
        }}
      />
      {list.length === 0 ? (
        <p className="hint">Drop audio or MIDI files here (or Add…): nodes read them by name.</p>
      ) : (
        <ul className="file-list">
          {list.map((file) => (
            <li key={file.name} data-testid={`file-${file.name}`}>
              <span className="file-name" title={`${file.name} — ${formatBytes(file.size)}`}>
                {file.name}
              </span>
              <span className="file-size">{formatBytes(file.size)}</span>
              <button
                type="button"
                className="icon-button"
                title={`Download ${file.name}`}
                aria-label={`download ${file.name}`}
                onClick={() => void save(file.name)}
              >
                ↓
              </button>
              <button
                type="button"
                className="icon-button"
                title={`Delete ${file.name} from this browser`}
                aria-label={`delete ${file.name}`}
                onClick={() => void remove(file.name)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {progress === null ? (
        <button
          type="button"
          className="small render-button"
          data-testid="render-offline"
          title="Render the patch to a WAV file, faster than real time"
          onClick={() => void render()}
        >
          Render to WAV…
        </button>
      ) : (
        <div className="render-progress">
          <progress max={1} value={progress} data-testid="render-progress" aria-label="offline render" />
          <span>{Math.round(progress * 100)}%</span>
          <button
            type="button"
            className="icon-button"
            aria-label="cancel the render"
            onClick={() => abort.current?.abort()}
          >
            ×
          </button>
        </div>
      )}
    </section>
  );
}
