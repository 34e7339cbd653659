// The README as a newcomer follows it: every `synchrotron` command line it shows uses options that
// command really takes, and the library example runs against the package's exports and plays 440 Hz.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = new URL('../', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/cli/main.js');
const DOCS = ['README.md', 'examples/README.md', 'docs/synchrolang.md', 'docs/interop.md'];

/** `npx synchrotron COMMAND …` lines of the docs, without their trailing `# comment`. */
function commandLines(): { doc: string; command: string; options: string[] }[] {
  const found = [];
  for (const doc of DOCS) {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    for (const match of text.matchAll(/synchrotron ([a-z]+)\b([^\n`#]*)/g)) {
      const options = [...match[2].matchAll(/(?<![\w-])--?[a-z][a-z-]*/g)].map((m) => m[0]);
      found.push({ doc, command: match[1], options });
    }
  }
  return found;
}

describe('README and guides', () => {
  it('use only commands and options that `synchrotron <command> --help` lists', async () => {
    const lines = commandLines().filter(({ command }) =>
      ['serve', 'render', 'check', 'console', 'nodes', 'docs'].includes(command),
    );
    expect(lines.length).toBeGreaterThan(10);
    const usage = new Map<string, string>();
    for (const { doc, command, options } of lines) {
      if (!usage.has(command))
        usage.set(command, (await run(process.execPath, [CLI, command, '--help'])).stdout);
      for (const option of options)
        expect(usage.get(command), `${doc}: ${command} ${option}`).toContain(option);
    }
  });

  it('the library example runs against the package exports and renders a 440 Hz sine', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = /## Using it as a library[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'synchrotron-readme-'));
    const script = join(dir, 'example.mts');
    const source = (example as string).replace("from 'synchrotron'", `from '${join(ROOT, 'src/index.ts')}'`);
    writeFileSync(
      script,
      `${source}\nlet up = 0;\nfor (let i = 1; i < left.length; i++) if (left[i - 1] < 0 && left[i] >= 0) up++;\n` +
        'console.log(JSON.stringify({ frames: left.length, up, script: engine.export() }));\n',
    );
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { cwd: ROOT });
    const result = JSON.parse(stdout);
    expect(result.frames).toBe(44100);
    expect(Math.abs(result.up - 440)).toBeLessThanOrEqual(1);
    expect(result.script).toContain('new 220 freq;');
  });
});
