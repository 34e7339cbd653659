// `synchrotron nodes` and `synchrotron docs`.

import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRegistry } from '../synchrotron.js';
import { nodeReferenceMarkdown, nodeReferenceText } from './node-reference.js';

/** Refuses options a command does not know: `docs --chek` must not rewrite docs/nodes.md. */
function unknownOption(command: string, args: string[], known: string[]): number | undefined {
  const unknown = args.find((arg) => !known.includes(arg));
  if (unknown === undefined) return undefined;
  process.stderr.write(
    `synchrotron ${command}: unknown ${unknown.startsWith('-') ? 'option' : 'argument'} \`${unknown}\` (options: ${known.join(', ')})\n`,
  );
  return 2;
}

const NODES_USAGE = `usage: synchrotron nodes [--json]
  Lists every node type with its ports and descriptions; --json prints them as GET /types does.
`;

const DOCS_USAGE = `usage: synchrotron docs [--check]
  Writes docs/nodes.md from the node definitions; --check only fails (exit 1) if it is stale.
`;

/** `--help`/`-h` anywhere prints the usage instead of doing the command. */
function help(args: string[], usage: string): boolean {
  if (!args.includes('--help') && !args.includes('-h')) return false;
  process.stdout.write(usage);
  return true;
}

export async function nodesCommand(args: string[]): Promise<number> {
  if (help(args, NODES_USAGE)) return 0;
  const refused = unknownOption('nodes', args, ['--json']);
  if (refused !== undefined) return refused;
  const registry = createRegistry();
  if (args.includes('--json')) {
    process.stdout.write(
      `${JSON.stringify(
        registry.names().map((type) => registry.info(type)),
        null,
        2,
      )}\n`,
    );
  } else {
    process.stdout.write(nodeReferenceText(registry));
  }
  return 0;
}

/** Where docs/nodes.md lives: the package root, two levels above dist/cli/. */
export function nodesDocPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'nodes.md');
}

export async function docsCommand(args: string[]): Promise<number> {
  if (help(args, DOCS_USAGE)) return 0;
  const refused = unknownOption('docs', args, ['--check']);
  if (refused !== undefined) return refused;
  const markdown = nodeReferenceMarkdown(createRegistry());
  const path = nodesDocPath();
  if (args.includes('--check')) {
    const current = await readFile(path, 'utf8').catch(() => '');
    if (current !== markdown) {
      process.stderr.write(`${path} is stale: run \`synchrotron docs\` (npm run docs)\n`);
      return 1;
    }
    process.stdout.write(`${path} is up to date\n`);
    return 0;
  }
  await writeFile(path, markdown);
  process.stdout.write(`wrote ${path}\n`);
  return 0;
}
