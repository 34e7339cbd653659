// The terminal client of a running server (`synchrotron console`): interactive on a terminal, a script
// runner when its input is a pipe or a file.

import { ServerClient } from './client.js';
import { historyPath } from './history.js';
import { runPipe } from './pipe.js';
import { runRepl } from './repl.js';
import { colourWanted, createStyle } from './style.js';

export const DEFAULT_URL = 'http://127.0.0.1:2031';

export interface ConsoleOptions {
  url?: string;
  token?: string;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  errors?: NodeJS.WriteStream;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export async function runConsole(options: ConsoleOptions = {}): Promise<number> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const errors = options.errors ?? process.stderr;
  const client = new ServerClient({ url: options.url ?? DEFAULT_URL, token: options.token });
  if (!input.isTTY) {
    const script = await readAll(input);
    return runPipe({ client, script, output, errors, style: createStyle(colourWanted(output)) });
  }
  return runRepl({
    client,
    input,
    output,
    style: createStyle(colourWanted(output)),
    historyFile: historyPath(),
  });
}
