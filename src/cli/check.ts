// `synchrotron check PATCH…`: parse a .syn/.sui patch and build its graph on a fresh engine, without
// audio and without rendering. Errors print as file:line:column with the offending line (exit 1);
// success prints one line with the node and connection counts (exit 0).

import { SynchrotronError } from '../engine/errors.js';
import { Synchrotron } from '../engine/synchrotron.js';
import { formatError, loadPatch, SynchrolangError } from '../lang/index.js';
import { readPatchFile } from './patch-file.js';

const USAGE = 'usage: synchrotron check PATCH [PATCH…]\n';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

const SUI_HEADER = /^\uFEFF?\s*\/\*\*\*[\s\S]*?\*\*\*\//;

/** Checks one file; returns the line to print and whether it passed. */
export async function checkFile(file: string): Promise<{ ok: boolean; text: string; warning?: string }> {
  const read = await readPatchFile(file);
  if ('error' in read) return { ok: false, text: `${file}: cannot read: ${read.error}` };
  const { text } = read;
  const engine = new Synchrotron();
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
    if (error instanceof SynchrolangError) return { ok: false, text: formatError(error, text, file) };
    if (error instanceof SynchrotronError) return { ok: false, text: `${file}: ${error.message}` };
    throw error;
  } finally {
    engine.dispose();
  }
  const nodes = engine.graph.size;
  const connections = engine.graph.connections().length;
  // A .sui header that is not JSON still loads (it is a comment) but the editor loses the layout: say so.
  const warning =
    positions === null && SUI_HEADER.test(text)
      ? `${file}: warning: the \`/*** … ***/\` header is not valid JSON of node positions; they are ignored`
      : undefined;
  return {
    ok: true,
    text: `${file}: ok — ${plural(nodes, 'node')}, ${plural(connections, 'connection')}`,
    ...(warning ? { warning } : {}),
  };
}

export async function checkCommand(args: string[]): Promise<number> {
  const files = args.filter((a) => !a.startsWith('-'));
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
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
    const { ok, text, warning } = await checkFile(file);
    if (warning) process.stderr.write(`${warning}\n`);
    (ok ? process.stdout : process.stderr).write(`${text}\n`);
    failed ||= !ok;
  }
  return failed ? 1 : 0;
}
