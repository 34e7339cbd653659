// Undo/redo of every edit made from this browser. Each edit knows how to do and undo itself through the
// public API, so undoing is just another client edit (other browsers see it pushed like any other).

import { useSyncExternalStore } from 'react';
import { store } from './store';

export interface Edit {
  label: string;
  redo(): Promise<void>;
  undo(): Promise<void>;
  /** Edits with the same merge key in a row become one (typing into a value field). */
  mergeKey?: string;
  merge?(next: Edit): void;
}

class History {
  private past: Edit[] = [];
  private future: Edit[] = [];
  private busy: Promise<void> = Promise.resolve();
  /** Edits recorded but still on their way to the server: an undo waits for them. */
  private readonly inflight = new Set<Promise<void>>();
  private listeners = new Set<() => void>();
  private version = 0;

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  getVersion = () => this.version;

  private changed() {
    this.version++;
    for (const listener of this.listeners) listener();
  }

  /** Records an edit that has already been done. */
  record(edit: Edit) {
    const top = this.past[this.past.length - 1];
    if (edit.mergeKey && top?.mergeKey === edit.mergeKey && top.merge) top.merge(edit);
    else this.past.push(edit);
    if (this.past.length > 500) this.past.shift();
    this.future = [];
    this.changed();
  }

  /**
   * Records an edit as it starts, so an undo pressed at once undoes it (waiting for it to land first);
   * if it fails, it is taken back out of the history.
   */
  async perform(edit: Edit, work: Promise<unknown>): Promise<void> {
    this.record(edit);
    const tracked = work.then(() => undefined);
    this.inflight.add(tracked);
    try {
      await tracked;
    } catch (error) {
      const at = this.past.lastIndexOf(edit);
      if (at >= 0) {
        this.past.splice(at, 1);
        this.changed();
      }
      throw error;
    } finally {
      this.inflight.delete(tracked);
    }
  }

  private settled() {
    return Promise.allSettled([...this.inflight]);
  }

  /** Ends merging: the next edit starts a new undo step. */
  seal() {
    const top = this.past[this.past.length - 1];
    if (top) top.mergeKey = undefined;
  }

  canUndo() {
    return this.past.length > 0;
  }
  canRedo() {
    return this.future.length > 0;
  }
  undoLabel() {
    return this.past[this.past.length - 1]?.label;
  }
  redoLabel() {
    return this.future[this.future.length - 1]?.label;
  }

  /** Steps are serialised: a fast double Ctrl+Z undoes two edits in order. */
  undo(): Promise<void> {
    this.busy = this.busy.then(async () => {
      await this.settled();
      const edit = this.past.pop();
      if (!edit) return;
      edit.mergeKey = undefined;
      try {
        await edit.undo();
        this.future.push(edit);
      } catch (error) {
        // The graph changed under it (another client?): the step is dropped, and the user told why.
        store.showToast(`Cannot undo ${edit.label}: ${(error as Error).message}`);
      } finally {
        this.changed();
      }
    });
    return this.busy;
  }

  redo(): Promise<void> {
    this.busy = this.busy.then(async () => {
      await this.settled();
      const edit = this.future.pop();
      if (!edit) return;
      try {
        await edit.redo();
        this.past.push(edit);
      } catch (error) {
        store.showToast(`Cannot redo ${edit.label}: ${(error as Error).message}`);
      } finally {
        this.changed();
      }
    });
    return this.busy;
  }
}

export const history = new History();

export function useHistoryVersion(): number {
  return useSyncExternalStore(history.subscribe, history.getVersion);
}
