// Every `synchrotron` command answers `--help` and `-h` with its usage on stdout and exit 0 — a newcomer's
// first move — instead of refusing the option as unknown.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

async function cli(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('synchrotron --help', () => {
  const commands = ['serve', 'render', 'check', 'console', 'nodes', 'docs'];

  it.each(commands.flatMap((command) => [[command, '--help'] as const, [command, '-h'] as const]))(
    '%s %s prints its usage and exits 0',
    async (command, flag) => {
      const { code, stdout, stderr } = await cli([command, flag]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^usage: synchrotron ${command}\\b`));
    },
  );

  it('the overview lists every command and every option the commands accept', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const command of commands) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    for (const option of ['--cors', '--stopped', '--token', '--root', '--url', '--json', '--check'])
      expect(stdout).toContain(option);
    expect(stdout).toContain('check PATCH [PATCH…]');
  });
});
