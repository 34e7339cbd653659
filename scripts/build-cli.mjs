// Bundles `synchrotron render` and the render-thread worker into dist/bundle/ (ES modules, shared chunks),
// which dist/cli/main.js loads in place of dist/cli/render.js when it is there. Node 20 loads the ~140
// separate modules of a render in about 0.14 s of CPU (resolving, reading and compiling each file; it has
// no module compile cache), the bundle in about 0.05 s: a tenth of the whole render of sines-1000
// (docs/performance.md, "Against scsynth"). Both entries sit in one folder, so the worker URL that
// render-threads.ts builds from its own location (`./render-thread-worker.js`) is the bundled worker, and
// `createRequire(import.meta.url)` (wavefile, the MIDI addon) still finds node_modules above dist/.
// Lazily imported modules (the audio decoders) stay in chunks of their own, loaded on first use.
// Run by `npm run build` after tsc: it bundles tsc's output, so the code is the same as dist/cli/render.js.

import { rmSync } from 'node:fs';
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
