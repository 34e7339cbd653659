// Pipe mode: `synchrotron console < patch.syn` runs the whole input as one script (all-or-nothing, as
// POST /execute does), prints the results, and exits 0, or 1 with the error (and its position) on stderr.

import { type ServerClient, UnreachableError } from './client.js';
import { continuation } from './continuation.js';
import { formatError, formatResult } from './format.js';
import type { Style } from './style.js';

export interface PipeOptions {
  client: ServerClient;
  script: string;
  output: NodeJS.WritableStream;
  errors: NodeJS.WritableStream;
  style: Style;
  /** How long to wait for a server that is starting, ms. */
  waitMs?: number;
}

export async function runPipe(options: PipeOptions): Promise<number> {
  const { client, style } = options;
  const deadline = Date.now() + (options.waitMs ?? 3000);
  for (;;) {
    try {
      await client.health();
      break;
    } catch (error) {
      if (Date.now() >= deadline) {
        const why =
          error instanceof UnreachableError ? error.message : `${client.url}: ${(error as Error).message}`;
        options.errors.write(
          `synchrotron console: ${why}\nIs it running? Start it with \`synchrotron serve\`.\n`,
        );
        return 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  if (options.script.trim() === '') return 0;
  const command = consoleCommandLine(options.script);
  if (command) {
    options.errors.write(
      `synchrotron console: line ${command.line}: \`${command.text}\` is a console command; they work only at the interactive prompt (a pipe takes Synchrolang only; nothing was run)\n`,
    );
    return 1;
  }
  let answer: Awaited<ReturnType<ServerClient['execute']>>;
  try {
    answer = await client.execute(options.script);
  } catch (error) {
    options.errors.write(`synchrotron console: ${(error as Error).message}\n`);
    return 1;
  }
  if (!answer.ok) {
    options.errors.write(`${formatError(answer.error, options.script, style)}\n`);
    return 1;
  }
  for (const result of answer.results) {
    const text = formatResult(result, style);
    if (text !== '') options.output.write(`${text}\n`);
  }
  return 0;
}

/** The first line that is a console command (`:nodes`, `:play …`) rather than Synchrolang, if any. */
export function consoleCommandLine(script: string): { line: number; text: string } | null {
  const lines = script.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].trim();
    if (!text.startsWith(':')) continue;
    // Not when the line is inside a block comment or an unfinished array of the lines before it.
    const before = lines.slice(0, i).join('\n');
    if (continuation(before) === 'comment' || continuation(before) === 'bracket') continue;
    return { line: i + 1, text: text.length > 40 ? `${text.slice(0, 40)}…` : text };
  }
  return null;
}
