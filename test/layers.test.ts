// The layers of DESIGN.md, enforced by reading the imports of every source file: an import only ever
// points down. Known violations that other work will remove are listed, so that any NEW one fails.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Where a file sits: `src/<layer>/…`, `src/synchrotron.ts` (the library facade: registry + engine +
 * language), `src/index.ts` (the package entry) or `web`.
 */
function layerOf(file: string): string {
  const parts = relative(repo, file).split('/');
  if (parts[0] === 'web') return 'web';
  if (parts.length === 2) return parts[1] === 'synchrotron.ts' ? 'facade' : 'entry';
  return parts[1];
}

/** Which layers each layer may import (its own always). */
const MAY_IMPORT: Record<string, string[]> = {
  dsp: [],
  engine: ['dsp'],
  nodes: ['engine', 'dsp'],
  api: ['engine'], // and those only as types: checked below
  lang: ['engine', 'dsp', 'api'],
  io: ['engine', 'dsp', 'nodes', 'api'],
  client: ['api'], // the browser player
  facade: ['engine', 'dsp', 'nodes', 'api', 'lang'],
  server: ['engine', 'dsp', 'nodes', 'api', 'lang', 'io', 'facade'],
  browser: ['engine', 'dsp', 'nodes', 'api', 'lang', 'io', 'facade'], // the engine in a page (synchrotron/browser)
  console: ['engine', 'api', 'lang', 'facade'],
  cli: ['engine', 'dsp', 'nodes', 'api', 'lang', 'io', 'facade', 'server', 'console'],
  entry: ['engine', 'dsp', 'nodes', 'api', 'lang', 'io', 'facade'],
  web: ['engine', 'api', 'lang', 'client', 'browser'],
};

/** Layers that run in the render worker, the browser or an AudioWorklet: no Node built-ins. */
const PORTABLE = new Set(['dsp', 'engine', 'nodes', 'api', 'lang', 'facade', 'client', 'browser', 'web']);

/**
 * Known violations, to be removed by the work named; a new one fails the test. Keys are
 * `importer -> imported`, both relative to the repository.
 */
const KNOWN: Record<string, string> = {};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

interface Import {
  from: string;
  specifier: string;
  typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  // Static imports and re-exports (over several lines), and dynamic import('…') of literals.
  const statement = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(statement)) {
    found.push({ from: file, specifier: m[3], typeOnly: m[2] !== undefined });
  }
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push({ from: file, specifier: m[1], typeOnly: false });
  }
  return found;
}

const files = [...sources(join(repo, 'src')), ...sources(join(repo, 'web', 'src'))];
const imports = files.flatMap(importsOf);

describe('layers (DESIGN.md): imports point down only', () => {
  it('reads the imports it is meant to check', () => {
    expect(files.length).toBeGreaterThan(50);
    // The facade imports the language and the node types: if this stops finding them, the reader broke.
    const facade = imports.filter((i) => i.from.endsWith('src/synchrotron.ts'));
    expect(facade.map((i) => i.specifier)).toContain('./lang/index.js');
    expect(facade.map((i) => i.specifier)).toContain('./nodes/index.js');
    expect(layerOf(join(repo, 'src/synchrotron.ts'))).toBe('facade');
  });

  it('the engine imports neither node types nor the language (DESIGN.md "Layers")', () => {
    const upward = imports
      .filter((i) => layerOf(i.from) === 'engine' && i.specifier.startsWith('.'))
      .map((i) => ({ from: i.from, to: layerOf(resolve(dirname(i.from), i.specifier)) }))
      .filter(({ to }) => to !== 'engine' && to !== 'dsp')
      .map(({ from, to }) => `${relative(repo, from)} imports ${to}/`);
    expect(upward).toEqual([]);
    // The engine's files are read (renderer, graph, plan…): an empty set would prove nothing.
    expect(imports.filter((i) => layerOf(i.from) === 'engine').length).toBeGreaterThan(20);
  });

  it('no layer imports one above it', () => {
    const violations: string[] = [];
    const seenKnown = new Set<string>();
    for (const { from, specifier, typeOnly } of imports) {
      const fromLayer = layerOf(from);
      const allowed = MAY_IMPORT[fromLayer];
      expect(allowed, `unknown layer of ${relative(repo, from)}`).toBeDefined();
      if (!specifier.startsWith('.')) {
        const builtin = specifier.startsWith('node:');
        if (builtin && PORTABLE.has(fromLayer)) {
          violations.push(`${relative(repo, from)} imports ${specifier} (no Node APIs in ${fromLayer}/)`);
        }
        continue;
      }
      const target = resolve(dirname(from), specifier).replace(/\.js$/, '.ts');
      const toLayer = layerOf(target);
      if (toLayer === fromLayer) continue;
      const key = `${relative(repo, from)} -> ${relative(repo, target)}`;
      if (Object.hasOwn(KNOWN, key)) {
        seenKnown.add(key);
        continue;
      }
      if (!allowed.includes(toLayer))
        violations.push(`${key} (${fromLayer} may import ${allowed.join(', ')})`);
      else if (fromLayer === 'api' && !typeOnly) violations.push(`${key} (api imports engine types only)`);
    }
    expect(violations).toEqual([]);
    // A known violation that is gone should leave the list too, so the list stays the truth.
    expect([...seenKnown].sort()).toEqual(Object.keys(KNOWN).sort());
  });
});
