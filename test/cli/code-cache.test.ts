import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { RENDER_BUILTINS } from '../../src/cli/code-cache.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

/** A bundle in the shape scripts/build-cli.mjs writes: its text's SHA-256, then one wrapped function
 * expression. `hash` overrides the hash written. */
function writeBundle(path: string, answer: number, hash?: string): void {
  const text =
    `(function (exports, require, module, __filename, __dirname, __bundleUrl) {"use strict";` +
    `function answer() { return ${answer}; }` +
    `module.exports = { answer, url: __bundleUrl, path: require('node:path').basename(__filename) };\n})`;
  writeFileSync(path, `/*sha256:${hash ?? createHash('sha256').update(text).digest('hex')}*/${text}`);
}

const LOADER = new URL('../../dist/cli/code-cache.js', import.meta.url).href;

/** Loads `bundle` in a new process, as the CLI does (in one process V8's own compilation cache would answer
 * the second load), and saves the cache after unless `save` is false. */
function load(bundle: string, cacheDir: string, save = true) {
  const script = `import { loadCachedBundle } from '${LOADER}';
    const bundle = loadCachedBundle(process.argv[1]);
    console.log(JSON.stringify({ cached: bundle.cached, answer: bundle.exports.answer(), url: bundle.exports.url, path: bundle.exports.path }));
    if (process.argv[2] === 'save') bundle.save();`;
  const result = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', script, bundle, save ? 'save' : 'keep'],
    { encoding: 'utf8', env: { ...process.env, SYNCHROTRON_CACHE_DIR: cacheDir } },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as { cached: boolean; answer: number; url: string; path: string };
}

describe('the render bundle code cache', () => {
  let dir: string;
  let cacheDir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'synchrotron-code-cache-'));
    cacheDir = join(dir, 'cache');
  });

  const cacheFiles = () => readdirSync(cacheDir).filter((name) => name.endsWith('.v8'));

  it('runs the bundle, writes a cache after the work and uses it the next time', () => {
    const bundle = join(dir, 'render.cjs');
    writeBundle(bundle, 42);
    expect(load(bundle, cacheDir)).toEqual({
      cached: false,
      answer: 42,
      url: `file://${bundle}`,
      path: 'render.cjs',
    });
    expect(cacheFiles()).toHaveLength(1);
    expect(load(bundle, cacheDir)).toMatchObject({ cached: true, answer: 42 });
  });

  it('never uses a cache made for the bundle before it changed, even at the same length', async () => {
    const bundle = join(dir, 'render.cjs');
    writeBundle(bundle, 42);
    load(bundle, cacheDir);
    writeBundle(bundle, 43); // rebuilt: another hash
    expect(load(bundle, cacheDir)).toMatchObject({ cached: false, answer: 43 });
    expect(cacheFiles()).toHaveLength(1); // the stale cache is replaced, not kept beside
    // Edited in place without the build: the hash stays, the file's change time moves (past a clock tick).
    const hash = readFileSync(bundle, 'latin1').slice(9, 73);
    await new Promise((resolve) => setTimeout(resolve, 50));
    writeBundle(bundle, 44, hash);
    expect(load(bundle, cacheDir)).toMatchObject({ cached: false, answer: 44 });
    // Without the hash at its head, a bundle is compiled and never cached.
    writeFileSync(bundle, readFileSync(bundle, 'latin1').slice(75));
    expect(load(bundle, cacheDir)).toMatchObject({ cached: false, answer: 44 });
    expect(load(bundle, cacheDir)).toMatchObject({ cached: false, answer: 44 });
  });

  it('ignores a corrupt cache, a cache others may write, and a folder it cannot write', () => {
    const bundle = join(dir, 'render.cjs');
    writeBundle(bundle, 7);
    load(bundle, cacheDir);
    const [name] = cacheFiles();
    const file = join(cacheDir, name);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, 40)); // the key cut short
    expect(load(bundle, cacheDir, false)).toMatchObject({ cached: false, answer: 7 });
    // The right key, then garbage: V8 rejects it and compiles afresh.
    writeFileSync(file, Buffer.concat([bytes.subarray(0, bytes.indexOf(10) + 1), Buffer.alloc(64, 0xff)]));
    expect(load(bundle, cacheDir, false)).toMatchObject({ cached: false, answer: 7 });
    writeFileSync(file, bytes);
    chmodSync(file, 0o666);
    expect(load(bundle, cacheDir, false)).toMatchObject({ cached: false, answer: 7 });
    chmodSync(file, 0o600);
    expect(load(bundle, cacheDir, false)).toMatchObject({ cached: true, answer: 7 });
    // A cache folder that cannot be made (a file stands in its way): the bundle runs, saving is quiet.
    expect(load(bundle, join(bundle, 'not-a-folder'))).toMatchObject({ cached: false, answer: 7 });
  });

  it('renders the same file with and without the cache', async () => {
    const patch = join(dir, 'patch.syn');
    writeFileSync(
      patch,
      'new SineNode s\nnew 330 f\nlink f.out -> s.frequency\nnew PlaybackNode p\nlink s.out -> p.left\n',
    );
    const render = async (out: string, env: Record<string, string>) => {
      await run(process.execPath, [CLI, 'render', patch, '--seconds', '0.5', '--out', join(dir, out)], {
        env: { ...process.env, SYNCHROTRON_CACHE_DIR: cacheDir, ...env },
      });
      return readFileSync(join(dir, out));
    };
    const fresh = await render('fresh.wav', { SYNCHROTRON_CODE_CACHE: '0' });
    expect(readdirSync(dir)).not.toContain('cache');
    const making = await render('making.wav', {});
    expect(cacheFiles()).toHaveLength(1);
    const cached = await render('cached.wav', {});
    expect(making.equals(fresh)).toBe(true);
    expect(cached.equals(fresh)).toBe(true);
  });
});

describe('the built-ins a render loads before setting V8 flags', () => {
  const bundle = new URL('../../dist/bundle/render.cjs', import.meta.url).pathname;

  it.skipIf(!existsSync(bundle))('name every built-in the render bundle requires', () => {
    const required = new Set(
      [...readFileSync(bundle, 'latin1').matchAll(/\brequire\("(node:[\w/]+)"\)/g)].map((match) => match[1]),
    );
    expect(required.size).toBeGreaterThan(0);
    expect([...required].filter((name) => !RENDER_BUILTINS.includes(name))).toEqual([]);
  });

  it('leave no built-in to compile after the flags change (Node code cache rejected)', () => {
    // main.cjs as the bin runs it; the hook counts built-ins loaded after the first V8 flag is set.
    const main = new URL('../../dist/cli/main.cjs', import.meta.url).pathname;
    const dir = mkdtempSync(join(tmpdir(), 'synchrotron-builtins-'));
    const patch = join(dir, 'patch.syn');
    writeFileSync(patch, 'new SineNode s\nnew PlaybackNode p\nlink s.out -> p.left\n');
    const hook = join(dir, 'hook.cjs');
    writeFileSync(
      hook,
      `const v8 = require('node:v8'); const set = v8.setFlagsFromString; let at = -1;
       v8.setFlagsFromString = (flags) => { if (at < 0) at = process.moduleLoadList.length; return set(flags); };
       process.on('exit', () => { require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'late.json'))},
         JSON.stringify(process.moduleLoadList.slice(at).filter((m) => m.startsWith('NativeModule')))); });`,
    );
    const result = spawnSync(
      process.execPath,
      ['-r', hook, main, 'render', patch, '--seconds', '0.01', '--out', join(dir, 'out.wav')],
      { encoding: 'utf8', env: { ...process.env, SYNCHROTRON_CACHE_DIR: join(dir, 'cache') } },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'late.json'), 'utf8'))).toEqual([]);
  });
});
