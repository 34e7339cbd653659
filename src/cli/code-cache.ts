// Loads a CommonJS bundle (dist/bundle/render.cjs) through vm.Script with a V8 code cache, so a second
// `synchrotron render` neither parses nor compiles the bundle's functions again. Node 20 has no module
// compile cache (module.enableCompileCache came in 22), and V8 caches code for scripts, not ES modules.
//
// The cache is code V8 runs, so it is only ever used for the exact bundle it was made from (V8's own check
// compares the source's length, not its text). Its key, written at the cache's start and compared in full,
// names the Node, V8 and CPU, the SHA-256 of the bundle's text that the build wrote at its head, and the
// bundle file's identity as read (device, inode, size, modification and change times in nanoseconds): a
// rebuild changes the hash, and any other write to the file moves its change time, which no unprivileged
// process can set. Hashing the text here instead would cost more than the cache saves (node:crypto alone
// is ~9 ms of CPU and ~3 MB resident; docs/decisions.md). A bundle without the hash is compiled uncached.
// The cache must be a plain file owned by this user and writable by nobody else. Anything unreadable,
// corrupt or stale is ignored and rewritten after the run; a cache folder that cannot be written costs
// nothing but the cache.

import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

/* The bundle is one function expression (scripts/build-cli.mjs wraps it), called with what a CommonJS
 * module sees, its own URL, which the build substitutes for `import.meta.url`, and an `import()` for the
 * modules it imports (the audio decoders, resolved from node_modules as from the bundle's folder):
 * (exports, require, module, __filename, __dirname, __bundleUrl, __bundleImport). */

export interface CachedBundle<T> {
  exports: T;
  /** Whether V8 took code from the cache (false: compiled afresh). */
  cached: boolean;
  /** Writes the code cache when there was none or V8 rejected it; call after the work, so the cache also
   * holds the functions compiled while doing it. Never throws. */
  save(): void;
}

/** The per-user cache folder: $SYNCHROTRON_CACHE_DIR, else $XDG_CACHE_HOME/synchrotron, else
 * ~/.cache/synchrotron. */
export function codeCacheFolder(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SYNCHROTRON_CACHE_DIR) return env.SYNCHROTRON_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'synchrotron');
}

/** A short name for a key (the key itself is checked in full inside the file). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** The cache's bytes when `file` is ours and was made for `key`; else undefined. */
function readCache(file: string, key: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    // O_NOFOLLOW: a link planted in the folder is not followed to someone else's file.
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    const stat = fstatSync(fd);
    const uid = process.getuid?.();
    if (!stat.isFile() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o022) !== 0)
      return undefined;
    const bytes = readFileSync(fd);
    const header = Buffer.byteLength(key, 'latin1') + 1;
    if (bytes.length <= header || bytes.toString('latin1', 0, header) !== `${key}\n`) return undefined;
    return bytes.subarray(header);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes the cache atomically (a reader sees the old file or the whole new one) and drops caches of
 * other builds of the same bundle. */
function writeCache(folder: string, file: string, prefix: string, key: string, data: Buffer): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, Buffer.concat([Buffer.from(`${key}\n`, 'latin1'), data]), {
      mode: 0o600,
      flag: 'wx',
    });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  for (const name of readdirSync(folder)) {
    if (name.startsWith(prefix) && name.endsWith('.v8') && join(folder, name) !== file)
      rmSync(join(folder, name), { force: true });
  }
}

/**
 * Node built-in modules a render loads (the render bundle's `require("node:…")`s, the util.parseArgs it
 * calls, the stderr stream it writes to). Node compiles its built-ins from a code cache that V8 rejects
 * once a V8 flag has changed (the cache is keyed by a hash of the flags), and `render` sets flags
 * (main.ts): loaded first, they come from the cache, ~15-20 ms less of a short render (docs/performance.md).
 * A test checks the list against the bundle; one missing costs only its compile.
 */
export const RENDER_BUILTINS = [
  'node:dgram',
  'node:fs',
  'node:fs/promises',
  'node:module',
  'node:net',
  'node:os',
  'node:path',
  'node:perf_hooks',
  'node:url',
  'node:util',
  'node:worker_threads',
];

/** Loads RENDER_BUILTINS and what the render touches lazily; call before setting V8 flags. */
export function loadRenderBuiltins(): void {
  const require = createRequire(import.meta.url);
  for (const name of RENDER_BUILTINS) require(name);
  void (require('node:util') as typeof import('node:util')).parseArgs; // a lazy getter: loads parse_args
  void process.stderr; // made on first use: tty, or a sync write stream for a file or pipe
}

/** Runs the CommonJS bundle at `path` and returns its exports. `useCache: false` compiles it without
 * reading or writing a cache. */
export function loadCachedBundle<T>(path: string, options: { useCache?: boolean } = {}): CachedBundle<T> {
  const useCache = options.useCache ?? true;
  // The text and the identity come from one open file, so the key describes the text compiled.
  const fd = openSync(path, 'r');
  let source: string;
  let key: string | undefined;
  try {
    const stat = fstatSync(fd, { bigint: true });
    // ASCII (the build asks esbuild for it), so latin1 reads it straight into a one-byte string.
    source = readFileSync(fd, 'latin1');
    const hash = /^\/\*sha256:([0-9a-f]{64})\*\//.exec(source.slice(0, 80))?.[1];
    key =
      hash &&
      [
        'synchrotron-code-cache-1',
        process.version,
        process.versions.v8,
        process.arch,
        stat.dev,
        stat.ino,
        stat.size,
        stat.mtimeNs,
        stat.ctimeNs,
        hash,
      ].join(' ');
  } finally {
    closeSync(fd);
  }
  const name = path.replace(/^.*[\\/]/, '');
  const prefix = `${name}-`;
  const folder = codeCacheFolder();
  const file = key && join(folder, `${prefix}${fnv1a(key)}.v8`);
  const cachedData = useCache && file && key ? readCache(file, key) : undefined;
  // No importModuleDynamically: a script made from a cache loses it in Node 20, so the bundle has no import().
  const script = new vm.Script(source, { filename: path, cachedData });
  const module = { exports: {} as T };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(
    module.exports,
    module.exports,
    createRequire(path),
    module,
    path,
    dirname(path),
    pathToFileURL(path).href,
    (specifier: string) => import(specifier),
  );
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  return {
    exports: module.exports,
    cached: !stale,
    save() {
      if (!useCache || !stale || !file || !key) return;
      try {
        writeCache(folder, file, prefix, key, script.createCachedData());
      } catch {
        // No cache this time: the next run compiles as this one did.
      }
    },
  };
}
