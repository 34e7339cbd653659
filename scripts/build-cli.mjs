// Bundles `synchrotron render` and the render-thread worker into dist/bundle/ (ES modules, shared chunks),
// which dist/cli/main.js loads in place of dist/cli/render.js when it is there. Node 20 loads the ~140
// separate modules of a render in about 0.14 s of CPU (resolving, reading and compiling each file; it has
// no module compile cache), the bundle in about 0.05 s: a tenth of the whole render of sines-1000
// (docs/performance.md, "Against scsynth"). Both entries sit in one folder, so the worker URL that
// render-threads.ts builds from its own location (`./render-thread-worker.js`) is the bundled worker, and
// `createRequire(import.meta.url)` (wavefile, the MIDI addon) still finds node_modules above dist/.
// Lazily imported modules (the audio decoders) stay in chunks of their own, loaded on first use.
// Run by `npm run build` after tsc: it bundles tsc's output, so the code is the same as dist/cli/render.js.
//
// It also writes render.cjs: the same `render` as one CommonJS file (no chunks, the decoders inline), which
// dist/cli/main.js compiles with vm.Script and a V8 code cache (src/cli/code-cache.ts): Node 20 can cache
// the compiled code of a script, not of an ES module. `import.meta.url` there is the URL of render.cjs
// beside render.js, given by the loader, so the worker URL and createRequire resolve as they do from render.js.

import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: {
    render: join(root, 'dist', 'cli', 'render.js'),
    'render-thread-worker': join(root, 'dist', 'io', 'render-thread-worker.js'),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Optional native addons and the device back-end are found at run time, never bundled.
  external: ['@julusian/midi', 'node-web-audio-api'],
  logLevel: 'warning',
});
// The CommonJS form: one file, already wrapped in the function the loader calls (code-cache.ts, PARAMETERS),
// so the loader compiles the file's text as read instead of a concatenated copy. Whitespace and comments
// are dropped (the text is half as long, and ASCII: a one-byte string, where one `…` in a comment would
// make the whole string two-byte). No `import()` may remain: a script compiled from a code cache has no
// dynamic-import callback in Node 20 (it throws). The audio decoders (ES modules only, each embedding its
// WebAssembly as ~200 kB of text that is not ASCII) stay in node_modules and are imported through
// `__bundleImport`, which the loader passes in; `import()` of the optional packages left outside becomes
// `require()`.
const DECODERS = ['@wasm-audio-decoders/flac', '@wasm-audio-decoders/ogg-vorbis', 'mpg123-decoder'];
const decodersImportedByLoader = {
  name: 'decoders-imported-by-loader',
  setup(build) {
    build.onLoad({ filter: /[\\/]dsp[\\/]audio-decoders\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const replaced = text.replaceAll(/\bimport\((['"])([^'"]+)\1\)/g, (whole, quote, name) => {
        if (!DECODERS.includes(name)) throw new Error(`${args.path}: unexpected ${whole}`);
        return `__bundleImport(${quote}${name}${quote})`;
      });
      return { contents: replaced, loader: 'js' };
    });
  },
};
const wrapped = await build({
  entryPoints: [join(root, 'dist', 'cli', 'render.js')],
  bundle: true,
  write: false,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  charset: 'ascii',
  minifyWhitespace: true,
  supported: { 'dynamic-import': false },
  external: ['@julusian/midi', 'node-web-audio-api', ...DECODERS],
  plugins: [decodersImportedByLoader],
  define: { 'import.meta.url': '__bundleUrl' },
  logLevel: 'warning',
});
// Led by the SHA-256 of what follows, which the loader puts in the code cache's key: a rebuilt bundle never
// meets a cache made for the one before, and the loader need not hash 400 kB itself on every start.
const wrappedText = `(function (exports, require, module, __filename, __dirname, __bundleUrl, __bundleImport) {${wrapped.outputFiles[0].text}\n})`;
writeFileSync(
  join(outdir, 'render.cjs'),
  `/*sha256:${createHash('sha256').update(wrappedText).digest('hex')}*/${wrappedText}`,
);

// dist/cli/main.cjs: the `synchrotron` command as one CommonJS file, which package.json's bin runs. An ES
// module entry (dist/cli/main.js) starts Node's ES module loader, ~1.8 MB resident that a render never uses
// again (`node empty.mjs` 42.0 MB against `node empty.cjs` 40.1 MB); from a CommonJS entry `render` loads
// render.cjs through the code cache without it (docs/performance.md, "Where the peak RSS goes"). Only
// main.js and code-cache.js go in: the other commands stay ES modules beside it, imported when used, so
// their relative paths still hold from dist/cli/.
const keepCommandsAsModules = {
  name: 'keep-commands-as-modules',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.kind === 'entry-point' || args.path === './code-cache.js'
        ? undefined
        : { path: args.path, external: true },
    );
  },
};
await build({
  entryPoints: [join(root, 'dist', 'cli', 'main.js')],
  outfile: join(root, 'dist', 'cli', 'main.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  plugins: [keepCommandsAsModules],
  define: { 'import.meta.url': '__entryUrl' },
  banner: { js: '"use strict";const __entryUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
});
