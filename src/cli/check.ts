// `synchrotron check PATCH…`: parse a .syn/.sui patch and build its graph on a fresh engine, without
// audio and without rendering. Errors print as file:line:column with the offending line (exit 1);
// success prints one line with the node and connection counts (exit 0).

import { dirname, resolve } from 'node:path';
import { SynchrotronError } from '../engine/errors.js';
import { createNodeHost } from '../io/node-host.js';
import { formatError, loadPatch, SynchrolangError } from '../lang/index.js';
import { Synchrotron } from '../synchrotron.js';
import { readPatchFile } from './patch-file.js';

const USAGE = `usage: synchrotron check PATCH [PATCH…] [--root DIR]

  Parses and builds each patch without audio, with every patch file it includes (PatchNode, VoicesNode).
  --root   folder the paths a patch names are relative to and confined to (default: each patch's own folder)
`;

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

const SUI_HEADER = /^\uFEFF?\s*\/\*\*\*[\s\S]*?\*\*\*\//;

/** Checks one file; returns the line to print and whether it passed. */
export async function checkFile(
  file: string,
  root?: string,
): Promise<{ ok: boolean; text: string; warning?: string }> {
  const read = await readPatchFile(file);
  if ('error' in read) return { ok: false, text: `${file}: cannot read: ${read.error}` };
  const { text } = read;
  // Included patch files are read as `render` would: relative to the patch's folder unless --root says.
  const host = createNodeHost({ root: root ?? dirname(resolve(file)), midi: { hardware: false } });
  const engine = new Synchrotron({ host });
  let positions: unknown = null;
  try {
    // A ScriptHost over the engine's graph with no transport: `start` in a patch must not start audio.
    ({ positions } = loadPatch(
      {
        graph: engine.graph,
        sampleRate: engine.sampleRate,
        blockSize: engine.blockSize,
        clock: () => engine.frames,
        start: () => {},
        stop: () => {},
      },
      text,
    ));
  } catch (error) {
    if (error instanceof SynchrolangError) {
      return {
        ok: false,
        text: [
          formatError(error, text, file),
          ...(await includedAt(error, root ?? dirname(resolve(file)))),
        ].join('\n'),
      };
    }
    if (error instanceof SynchrotronError) return { ok: false, text: `${file}: ${error.message}` };
    throw error;
  } finally {
    engine.dispose();
  }
  const nodes = engine.graph.size;
  const expanded = engine.graph.expandedSize;
  const connections = engine.graph.connections().length;
  // A .sui header that is not JSON still loads (it is a comment) but the editor loses the layout: say so.
  const warning =
    positions === null && SUI_HEADER.test(text)
      ? `${file}: warning: the \`/*** … ***/\` header is not valid JSON of node positions; they are ignored`
      : undefined;
  return {
    ok: true,
    text:
      `${file}: ok — ${plural(nodes, 'node')}, ${plural(connections, 'connection')}` +
      (expanded > nodes ? ` (${expanded} nodes with those inside patches and voices)` : ''),
    ...(warning ? { warning } : {}),
  };
}

/** For a mistake inside an included patch: that file's line with a caret under the place. */
async function includedAt(error: SynchrolangError, root: string): Promise<string[]> {
  const { file, fileLine, fileColumn } = error.details as {
    file?: string;
    fileLine?: number;
    fileColumn?: number;
  };
  if (typeof file !== 'string' || typeof fileLine !== 'number' || typeof fileColumn !== 'number') return [];
  const read = await readPatchFile(resolve(root, file));
  if ('error' in read) return [];
  const line = read.text.split(/\r\n|\n|\r/)[fileLine - 1];
  if (line === undefined) return [];
  return [
    `${file}:${fileLine}:${fileColumn}: (in the included patch)`,
    `  ${line}`,
    `  ${' '.repeat(fileColumn - 1)}^`,
  ];
}

export async function checkCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let root: string | undefined;
  const args = [...argv];
  const at = args.findIndex((a) => a === '--root' || a.startsWith('--root='));
  if (at >= 0) {
    const [flag] = args.splice(at, 1);
    root = flag.startsWith('--root=') ? flag.slice(7) : args.splice(at, 1)[0];
    if (!root) {
      process.stderr.write(`synchrotron check: --root needs a folder\n${USAGE}`);
      return 2;
    }
  }
  const files = args.filter((a) => !a.startsWith('-'));
  if (files.length === 0 || files.length !== args.length) {
    process.stderr.write(
      files.length === 0
        ? `synchrotron check: no patch given\n${USAGE}`
        : `synchrotron check: unknown option \`${args.find((a) => a.startsWith('-'))}\`\n${USAGE}`,
    );
    return 2;
  }
  let failed = false;
  for (const file of files) {
    const { ok, text, warning } = await checkFile(file, root);
    if (warning) process.stderr.write(`${warning}\n`);
    (ok ? process.stdout : process.stderr).write(`${text}\n`);
    failed ||= !ok;
  }
  return failed ? 1 : 0;
}
