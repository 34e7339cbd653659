// What is in each browser bundle, module by module: `node scripts/bundle-contents.mjs [worklet|browser|offline]`.
// An approximation made with esbuild's metafile (the real build uses Vite/Rolldown, whose gzip comes out up
// to ~10 % smaller), with the same node-side plugin as scripts/build-browser.mjs. Prints the largest modules'
// minified bytes and the bundle's total, raw and gzip. For looking, not for tests.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { keepSide } from './node-sides.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLES = {
  browser: { entry: 'src/browser/index.ts', side: 'control' },
  worklet: { entry: 'src/browser/worklet.ts', side: 'render' },
  offline: { entry: 'src/browser/offline-worker.ts' },
};

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(BUNDLES);
for (const name of names) {
  const bundle = BUNDLES[name];
  if (!bundle) throw new Error(`unknown bundle ${name}: one of ${Object.keys(BUNDLES).join(', ')}`);
  const side = {
    name: 'node-side',
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]nodes[\\/].+\.ts$/ }, (args) => ({
        contents: keepSide(readFileSync(args.path, 'utf8'), args.path, bundle.side).code,
        loader: 'ts',
      }));
    },
  };
  const result = await build({
    entryPoints: [join(root, bundle.entry)],
    bundle: true,
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    target: 'es2022',
    platform: 'browser',
    outfile: join(root, 'dist', 'bundle-contents.js'),
    plugins: bundle.side ? [side] : [],
  });
  const code = result.outputFiles[0].contents;
  const inputs = Object.values(result.metafile.outputs)[0].inputs;
  const rows = Object.entries(inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput);
  process.stdout.write(
    `${name} (${bundle.entry}${bundle.side ? `, ${bundle.side} side of the nodes` : ''}): ${code.length} B, gzip ${gzipSync(code, { level: 9 }).length} B\n`,
  );
  for (const [file, input] of rows.slice(0, 25)) {
    process.stdout.write(`  ${String(input.bytesInOutput).padStart(7)}  ${file}\n`);
  }
}
