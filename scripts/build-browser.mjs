// Bundles the browser engine (src/browser) into dist/browser/, three self-contained ES modules side by side:
//   synchrotron-browser.js         the library entry (`synchrotron/browser`): control side, Synchrolang, files
//   synchrotron-worklet.js         the AudioWorklet module: the render loop, nodes and WebAssembly kernels
//   synchrotron-offline-worker.js  the offline render worker
// Each is built on its own (no shared chunks), so `audioWorklet.addModule` and `new Worker` load one file;
// the entry finds the other two relative to its own URL. The entry carries no renderer and no kernels: a
// render on the page's own thread imports the offline worker's file as a module (src/browser/offline.ts). Prints the sizes (raw and gzip) and records them in
// dist/browser/sizes.json. Run by `npm run build` after tsc (whose .d.ts files give the entry its types).

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { nodeSide } from './node-sides.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'browser');

export const BUNDLES = [
  // The entry never renders: its nodes keep their declarations, not their render code (node-sides.mjs).
  { entry: 'src/browser/index.ts', file: 'synchrotron-browser.js', side: 'control' },
  // The worklet renders from prepared values the page made: no prepare, ports or descriptions (node-sides.mjs).
  { entry: 'src/browser/worklet.ts', file: 'synchrotron-worklet.js', side: 'render' },
  { entry: 'src/browser/offline-worker.ts', file: 'synchrotron-offline-worker.js' },
];

for (const bundle of BUNDLES) {
  await build({
    configFile: false,
    root,
    publicDir: false,
    logLevel: 'warn',
    plugins: bundle.side ? [nodeSide(bundle.side)] : [],
    build: {
      outDir,
      emptyOutDir: false,
      copyPublicDir: false,
      target: 'es2022',
      minify: true,
      sourcemap: false,
      reportCompressedSize: false,
      // Library mode leaves ES output's whitespace for consumers' bundlers; these files are also loaded as
      // they are (addModule, new Worker, a plain static host), so minify them whole.
      rolldownOptions: { output: { minify: true } },
      lib: {
        entry: join(root, bundle.entry),
        formats: ['es'],
        fileName: () => bundle.file,
      },
    },
  });
}

// Each file must stand alone (addModule and new Worker load one file; the page has no Node): an import left
// in a bundle means something did not bundle — e.g. a Node built-in reachable from the engine.
for (const bundle of BUNDLES) {
  const code = readFileSync(join(outDir, bundle.file), 'utf8');
  const left = /\bimport\s*[\w*{}\s,$]*from\s*["'`][^"'`]+["'`]|\bimport\(\s*["'`]|\brequire\(/.exec(code);
  if (left) throw new Error(`dist/browser/${bundle.file} is not self-contained: it has \`${left[0]}\``);
}

const sizes = {};
for (const bundle of BUNDLES) {
  const bytes = readFileSync(join(outDir, bundle.file));
  sizes[bundle.file] = { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}
writeFileSync(join(outDir, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
const kB = (n) => `${(n / 1024).toFixed(1)} kB`;
for (const [file, size] of Object.entries(sizes)) {
  process.stdout.write(`dist/browser/${file}  ${kB(size.bytes)}  gzip ${kB(size.gzip)}\n`);
}
