/// <reference lib="dom" />
// The browser's file store: files the user picked or dropped (MIDI files, samples) and recordings, kept
// in IndexedDB so they survive a reload, named as patches name them (`tune.mid`, `songs/tune.mid`; see
// file-names.ts). It is the browser engine's `readFile` for nodes' `prepare` (control side, main thread),
// bounded like the server's: the size is checked before anything is read.
//
// IndexedDB rather than OPFS: it works in every context the engine runs in (pages and workers, secure or
// not) and stores Blobs without copying them into memory. A MemoryFileStore does the same for one session.

import { SynchrotronError } from '../engine/errors.js';
import { normalizeFileName } from './file-names.js';

/** Largest file the store takes (bytes): 256 MiB. Nodes ask for less (MidiFileNode: 4 MiB). */
export const MAX_STORED_FILE_BYTES = 256 * 1024 * 1024;

export interface StoredFileInfo {
  /** The name patches use. */
  name: string;
  /** Bytes. */
  size: number;
  /** MIME type, when known ('' otherwise). */
  type: string;
  /** When it was stored, ms since 1970. */
  modified: number;
}

/** Files a browser engine's nodes can read and its recordings are saved to. All methods are async. */
export interface FileStore {
  /** Stores `data` under `name` (replacing a file of that name); refuses names and sizes it cannot hold. */
  put(name: string, data: Blob | ArrayBuffer | ArrayBufferView, type?: string): Promise<StoredFileInfo>;
  /** The file as a Blob, or null when there is none of that name. */
  get(name: string): Promise<Blob | null>;
  /** Every stored file, sorted by name. */
  list(): Promise<StoredFileInfo[]>;
  /** Removes a file; false when there was none. */
  delete(name: string): Promise<boolean>;
  /**
   * A whole file for a node's `prepare` (RenderHost.readFile): rejects with a SynchrotronError when the
   * name is refused, there is no such file, or it is larger than `maxBytes` (checked before reading).
   */
  readFile(name: string, options?: { maxBytes?: number }): Promise<Uint8Array>;
}

interface StoredFile extends StoredFileInfo {
  blob: Blob;
}

function toBlob(data: Blob | ArrayBuffer | ArrayBufferView, type: string): Blob {
  if (data instanceof Blob) return type && !data.type ? new Blob([data], { type }) : data;
  if (data instanceof ArrayBuffer) return new Blob([data], { type });
  if (ArrayBuffer.isView(data))
    return new Blob([new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength)], {
      type,
    });
  throw new SynchrotronError('invalid', 'a file must be a Blob, a File, an ArrayBuffer or a typed array');
}

function checkSize(name: string, size: number): void {
  if (size > MAX_STORED_FILE_BYTES) {
    throw new SynchrotronError(
      'invalid',
      `\`${name}\` has ${size} bytes; the browser's file store takes files up to ${MAX_STORED_FILE_BYTES} bytes`,
    );
  }
}

async function readStored(
  name: string,
  file: StoredFile | undefined,
  options: { maxBytes?: number },
): Promise<Uint8Array> {
  if (!file) {
    throw new SynchrotronError(
      'io',
      `cannot read \`${name}\`: no such file in the browser's file store (add it first: pick or drop it)`,
    );
  }
  const maxBytes = options.maxBytes ?? MAX_STORED_FILE_BYTES;
  if (file.blob.size > maxBytes) {
    throw new SynchrotronError(
      'io',
      `cannot read \`${name}\`: ${file.blob.size} bytes is larger than the limit of ${maxBytes} bytes`,
    );
  }
  return new Uint8Array(await file.blob.arrayBuffer());
}

/** A store for one session (nothing persists): tests, or pages that must not write to the browser. */
export class MemoryFileStore implements FileStore {
  private readonly files = new Map<string, StoredFile>();

  async put(name: string, data: Blob | ArrayBuffer | ArrayBufferView, type = ''): Promise<StoredFileInfo> {
    const key = normalizeFileName(name);
    const blob = toBlob(data, type);
    checkSize(key, blob.size);
    const file = { name: key, size: blob.size, type: blob.type, modified: Date.now(), blob };
    this.files.set(key, file);
    return info(file);
  }

  async get(name: string): Promise<Blob | null> {
    return this.files.get(normalizeFileName(name))?.blob ?? null;
  }

  async list(): Promise<StoredFileInfo[]> {
    return [...this.files.values()].map(info).sort(byName);
  }

  async delete(name: string): Promise<boolean> {
    return this.files.delete(normalizeFileName(name));
  }

  async readFile(name: string, options: { maxBytes?: number } = {}): Promise<Uint8Array> {
    const key = normalizeFileName(name);
    return readStored(name, this.files.get(key), options);
  }
}

const OBJECT_STORE = 'files';

/** Files in IndexedDB (database `databaseName`, default 'synchrotron-files'), persisting across reloads. */
export class IndexedDbFileStore implements FileStore {
  readonly databaseName: string;
  private database: Promise<IDBDatabase> | undefined;

  constructor(databaseName = 'synchrotron-files') {
    this.databaseName = databaseName;
  }

  async put(name: string, data: Blob | ArrayBuffer | ArrayBufferView, type = ''): Promise<StoredFileInfo> {
    const key = normalizeFileName(name);
    const blob = toBlob(data, type);
    checkSize(key, blob.size);
    const file: StoredFile = { name: key, size: blob.size, type: blob.type, modified: Date.now(), blob };
    await this.request('readwrite', (store) => store.put(file));
    return info(file);
  }

  async get(name: string): Promise<Blob | null> {
    const file = await this.record(normalizeFileName(name));
    return file?.blob ?? null;
  }

  async list(): Promise<StoredFileInfo[]> {
    const files = (await this.request('readonly', (store) => store.getAll())) as StoredFile[];
    return files.map(info).sort(byName);
  }

  async delete(name: string): Promise<boolean> {
    const key = normalizeFileName(name);
    const existing = await this.record(key);
    if (!existing) return false;
    await this.request('readwrite', (store) => store.delete(key));
    return true;
  }

  async readFile(name: string, options: { maxBytes?: number } = {}): Promise<Uint8Array> {
    const key = normalizeFileName(name);
    return readStored(name, await this.record(key), options);
  }

  private async record(key: string): Promise<StoredFile | undefined> {
    return (await this.request('readonly', (store) => store.get(key))) as StoredFile | undefined;
  }

  private open(): Promise<IDBDatabase> {
    this.database ??= new Promise<IDBDatabase>((resolve, reject) => {
      if (typeof indexedDB === 'undefined') {
        reject(new SynchrotronError('io', 'this browser has no IndexedDB: files cannot be stored'));
        return;
      }
      const opening = indexedDB.open(this.databaseName, 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore(OBJECT_STORE, { keyPath: 'name' });
      opening.onsuccess = () => resolve(opening.result);
      opening.onerror = () =>
        reject(new SynchrotronError('io', `cannot open the browser's file store: ${opening.error?.message}`));
      opening.onblocked = () =>
        reject(new SynchrotronError('io', "the browser's file store is blocked by another tab upgrading it"));
    });
    // A failed open is retried on the next call rather than remembered for ever.
    this.database.catch(() => {
      this.database = undefined;
    });
    return this.database;
  }

  private async request(
    mode: IDBTransactionMode,
    make: (store: IDBObjectStore) => IDBRequest,
  ): Promise<unknown> {
    const database = await this.open();
    return new Promise((resolve, reject) => {
      const transaction = database.transaction(OBJECT_STORE, mode);
      const request = make(transaction.objectStore(OBJECT_STORE));
      let result: unknown;
      request.onsuccess = () => {
        result = request.result;
      };
      // Resolved when the transaction commits, so a put is durable when it resolves.
      transaction.oncomplete = () => resolve(result);
      const fail = () =>
        reject(
          new SynchrotronError(
            'io',
            `the browser's file store failed: ${transaction.error?.message ?? request.error?.message ?? 'aborted'}`,
          ),
        );
      transaction.onerror = fail;
      transaction.onabort = fail;
    });
  }
}

function info(file: StoredFile): StoredFileInfo {
  return { name: file.name, size: file.size, type: file.type, modified: file.modified };
}

function byName(a: StoredFileInfo, b: StoredFileInfo): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
