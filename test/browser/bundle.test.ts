// The browser build (dist/browser, made by `npm run build`): three self-contained modules — no static
// imports, so no Node built-in (or anything else) can have been pulled in; the page's entry loads its two
// siblings by URL only — within the size target, and the package's `exports` pointing at them.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { builtinNodes } from '../../src/nodes/index.js';
import { BROWSER_DIST, BUNDLES, missingBrowserPrerequisite, ROOT } from './harness.js';

/** Import specifiers in a bundle: static imports, re-exports, dynamic import() and require(). */
function specifiers(code: string): string[] {
  const found: string[] = [];
  for (const m of code.matchAll(/\bimport\s*(?:[\w*{}\s,$]+from\s*)?["'`]([^"'`]+)["'`]/g)) found.push(m[1]);
  for (const m of code.matchAll(/\bexport\s*[\w*{}\s,$]*from\s*["'`]([^"'`]+)["'`]/g)) found.push(m[1]);
  for (const m of code.matchAll(/\bimport\(\s*["'`]([^"'`]+)["'`]\s*\)/g)) found.push(m[1]);
  for (const m of code.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)) found.push(m[1]);
  return found;
}

describe.skipIf(!!missingBrowserPrerequisite())('the browser build', () => {
  const read = (file: string) => readFileSync(join(BROWSER_DIST, file), 'utf8');

  it('reads imports the way it means to (the checker itself)', () => {
    expect(
      specifiers('import{a as b}from"node:fs";export{x}from"./y.js";await import("z");require("w")'),
    ).toEqual(['node:fs', './y.js', 'z', 'w']);
  });

  for (const file of BUNDLES) {
    it(`${file} is self-contained: it imports nothing, so no Node built-in`, () => {
      const code = read(file);
      expect(specifiers(code)).toEqual([]);
      // What a bundler leaves where a Node module was stubbed out for the browser.
      expect(code).not.toMatch(
        /__vite-browser-external|node:(fs|path|url|worker_threads|module|perf_hooks)\b/,
      );
      expect(code).not.toMatch(/\bprocess\.(env|cwd|platform|stderr)\b/);
    });
  }

  it('the engine and kernels (the worklet bundle) are within 150 kB gzip; sizes are recorded', () => {
    const sizes = JSON.parse(read('sizes.json')) as Record<string, { bytes: number; gzip: number }>;
    const lines: string[] = [];
    for (const file of BUNDLES) {
      const bytes = readFileSync(join(BROWSER_DIST, file));
      expect(sizes[file]).toEqual({ bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
      lines.push(
        `${file}: ${(sizes[file].bytes / 1024).toFixed(1)} kB, gzip ${(sizes[file].gzip / 1024).toFixed(1)} kB`,
      );
    }
    process.stdout.write(`browser bundles\n  ${lines.join('\n  ')}\n`);
    expect(sizes['synchrotron-worklet.js'].gzip).toBeLessThanOrEqual(150 * 1024);
    // The kernels are in it: the WebAssembly module is embedded as hex (its magic number, \0asm). Not in the page's entry, whose control
    // side never renders (a render on the page's thread loads the offline worker's file as a module).
    expect(read('synchrotron-worklet.js')).toMatch(/["'`]0061736d01000000/);
    expect(read('synchrotron-offline-worker.js')).toMatch(/["'`]0061736d01000000/);
    expect(read('synchrotron-browser.js')).not.toMatch(/["'`]0061736d01000000/);
    // Nor the nodes' render code (scripts/control-side-nodes.mjs): every definition is there with its `create`
    // stubbed, and nothing that binds a node's state in the kernels' memory is left.
    const entry = read('synchrotron-browser.js');
    expect(entry.split('this bundle holds the control side of the nodes only').length - 1).toBe(
      builtinNodes.length,
    );
    expect(entry).not.toMatch(/releaseState/);
    expect(read('synchrotron-worklet.js')).toMatch(/releaseState/);
    // The worklet renders from what the page prepared: no node descriptions, no file decoding (prepare). The
    // offline worker holds both sides.
    const description = 'Band-limited square/pulse wave';
    expect(entry).toContain(description);
    expect(read('synchrotron-worklet.js')).not.toContain(description);
    expect(read('synchrotron-worklet.js')).toContain('this bundle holds the render side of the nodes only');
    expect(read('synchrotron-offline-worker.js')).toContain(description);
    expect(read('synchrotron-offline-worker.js')).not.toContain('this bundle holds');
    // Everything a page loads to play, together.
    const total = BUNDLES.slice(0, 2).reduce((sum, file) => sum + sizes[file].gzip, 0);
    expect(total).toBeLessThanOrEqual(150 * 1024);
  });

  it('the package exports the entry and its types as synchrotron/browser', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    expect(pkg.exports['./browser']).toEqual({
      types: './dist/browser/index.d.ts',
      default: './dist/browser/synchrotron-browser.js',
    });
    expect(pkg.exports['./browser/worklet']).toBe('./dist/browser/synchrotron-worklet.js');
    expect(pkg.exports['./browser/offline-worker']).toBe('./dist/browser/synchrotron-offline-worker.js');
    const types = readFileSync(join(ROOT, 'dist', 'browser', 'index.d.ts'), 'utf8');
    expect(types).toMatch(/createBrowserEngine/);
    // The entry finds the worklet and the offline worker next to itself.
    const entry = read('synchrotron-browser.js');
    expect(entry).toMatch(/synchrotron-worklet\.js/);
    expect(entry).toMatch(/synchrotron-offline-worker\.js/);
    expect(entry).toMatch(/import\.meta\.url/);
  });
});
