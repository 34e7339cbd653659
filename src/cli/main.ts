#!/usr/bin/env node
// The `synchrotron` command: serve, render, check, console, nodes, docs. Each command lives in its own
// module, loaded only when used, so `synchrotron nodes` does not start a web server's worth of imports.
// package.json's bin runs this file bundled as CommonJS (dist/cli/main.cjs, scripts/build-cli.mjs): an ES
// module entry starts Node's ES module loader, ~1.8 MB resident that `render` never needs.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

const USAGE = `usage: synchrotron <command> [options]      (synchrotron <command> --help for details)

commands:
  serve [PATCH] [--host 127.0.0.1] [--port 2031] [--sample-rate 44100] [--block-size 128]
        [--audio auto|device|none] [--token TOKEN] [--root DIR] [--cors ORIGIN,…] [--stopped]
                        the server with its web UI (npm start runs this)
  render PATCH --seconds S --out OUT.wav [--sample-rate 44100] [--block-size 128]
                        offline render of the PlaybackNode mix, as fast as possible
  check PATCH [PATCH…]  parse and build without audio; errors → exit 1
  console [--url http://127.0.0.1:2031] [--token TOKEN]
                        terminal client of a running server (piped: runs the script)
  nodes [--json]        the node types with their ports and descriptions
  docs [--check]        write docs/nodes.md from the node definitions (--check: fail if stale)
`;

type Command = (args: string[]) => Promise<number>;

type RenderModule = typeof import('./render.js');

/** Called once a command has finished: writes the render bundle's code cache when it was missing. */
let afterCommand = () => {};

/** `render` from dist/bundle/ (scripts/build-cli.mjs: one file instead of ~140 modules to load, a tenth of
 * a short render's time) when the build made it — its CommonJS form with a V8 code cache (code-cache.ts),
 * else the ES module bundle; else, as when running from sources, its own module.
 * SYNCHROTRON_CODE_CACHE=0 compiles the bundle afresh, without reading or writing a cache. */
async function renderModule(): Promise<RenderModule> {
  const script = fileURLToPath(new URL('../bundle/render.cjs', import.meta.url));
  if (existsSync(script)) {
    const { loadCachedBundle, loadRenderBuiltins } = await import('./code-cache.js');
    // Before the flags below: they change V8's flag hash, and Node's built-in modules compiled after that
    // miss Node's own code cache and compile from source (~15-20 ms of a render's start-up).
    loadRenderBuiltins();
    setRenderFlags();
    const bundle = loadCachedBundle<RenderModule>(script, {
      useCache: process.env.SYNCHROTRON_CODE_CACHE !== '0',
    });
    afterCommand = () => bundle.save();
    return bundle.exports;
  }
  setRenderFlags();
  const bundled = new URL('../bundle/render.js', import.meta.url);
  if (existsSync(fileURLToPath(bundled))) return (await import(bundled.href)) as RenderModule;
  return import('./render.js');
}

/** V8 flags for a render, set before its code compiles (so the bundle's code cache is made and read under
 * the same flags). */
function setRenderFlags(): void {
  // V8 optimises a function once it has run 66 kB of bytecode (its interrupt budget). A render's build runs
  // the lexer, parser and evaluator hot for a fraction of a second and never again, so much of that
  // optimising (on the other core) is wasted: four times the budget cut sines-1000's whole render by ~12 %
  // of CPU, the render loop still optimised within its first blocks (docs/performance.md).
  setFlagsFromString('--interrupt-budget=270336');
  // The young generation doubles whenever many objects survive a scavenge, as the graph being built does,
  // up to 2 × 16 MB that stay resident for the whole render. Kept at its first size, the long-lived graph
  // moves to the old generation sooner and the scavenges stay small: peak RSS 84 → 67 MB for sines-1000
  // and no more CPU; the render loop allocates next to nothing, so its scavenges stay rare. (V8 reads this
  // flag at each growth, so setting it now takes effect; the semi-space sizes are fixed at start-up.)
  setFlagsFromString('--semi-space-growth-factor=1');
}

const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve.js')).serveCommand,
  render: async () => (await renderModule()).renderCommand,
  check: async () => (await import('./check.js')).checkCommand,
  console: async () => (await import('./console.js')).consoleCommand,
  nodes: async () => (await import('./nodes.js')).nodesCommand,
  docs: async () => (await import('./nodes.js')).docsCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    process.stderr.write(`synchrotron: unknown command \`${name}\`\n\n${USAGE}`);
    return 2;
  }
  const command = await load();
  const code = await command(args);
  afterCommand();
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`synchrotron: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
