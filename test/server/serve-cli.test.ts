// `synchrotron serve` as a user runs it (the built CLI in a child process): bad options and patches get
// a one-line message and an exit code, never a stack trace; SIGINT leaves a recording WAV valid.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readWav } from '../../src/io/wav-writer.js';
import { dominantFrequency, peak } from '../helpers/analysis.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

async function serve(args: string[], cwd = tmpdir()) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'serve', '--audio', 'none', ...args], {
      cwd,
      // A safety net for a process that should exit by itself; starting a server takes a while when the
      // machine is loaded.
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Exit code and stderr of a process once it ends. */
function ended(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

describe('synchrotron serve', () => {
  it('refuses port numbers that are not whole decimal numbers in range, with exit code 2', async () => {
    for (const [port, message] of [
      ['', '--port must be a whole number, got ``'],
      ['0x10', '--port must be a whole number, got `0x10`'],
      ['1e3', '--port must be a whole number, got `1e3`'],
      ['70000', '--port must be 0…65535, got 70000'],
    ]) {
      const { code, stderr } = await serve(['--port', port]);
      expect(code).toBe(2);
      expect(stderr).toContain(message);
    }
  });

  it('refuses a --root that is not a directory', async () => {
    const { code, stderr } = await serve(['--port', '0', '--root', '/nonexistent/synchrotron-root']);
    expect(code).toBe(2);
    expect(stderr).toContain('--root /nonexistent/synchrotron-root is not a directory');
  });

  it('says which port is taken, without a stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { code, stderr } = await serve(['--port', String(port)]);
      expect(code).toBe(1);
      expect(stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('a bad patch file names file, line and column and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synchrotron-serve-'));
    writeFileSync(join(dir, 'bad.syn'), 'new SineNode a\nlink a.out -> b.in\n');
    const { code, stderr } = await serve(['--port', '0', 'bad.syn'], dir);
    expect(code).toBe(1);
    expect(stderr).toContain('bad.syn: line 2, column 15: unknown node `b`');
  });

  it('SIGINT during start-up: the server finishes starting, then closes cleanly (exit 0)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synchrotron-serve-'));
    const child = spawn(process.execPath, [CLI, 'serve', '--audio', 'none', '--port', '0'], { cwd: dir });
    const done = ended(child);
    // The first line comes from inside start-up (the audio output chosen), before the server listens.
    await new Promise<void>((resolve) => child.stderr.once('data', () => resolve()));
    child.kill('SIGINT');
    const { code, signal, stderr } = await done;
    expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });
    expect(stderr).toContain('SIGINT: closing files');
  });

  it('SIGINT while a WavFileNode records leaves a valid WAV of what was rendered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synchrotron-serve-'));
    writeFileSync(
      join(dir, 'record.syn'),
      [
        'new 440 f',
        'new SineNode s',
        'link f.out -> s.frequency',
        'new "take.wav" p',
        'new WavFileNode w',
        'link p.out -> w.path',
        'link s.out -> w.signal',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [CLI, 'serve', '--audio', 'none', '--port', '0', 'record.syn'], {
      cwd: dir,
    });
    const done = ended(child);
    let log = '';
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk) => {
        log += chunk.toString();
        if (log.includes('rendering')) resolve();
      }),
    );
    // Some audio recorded (the file grows as it records: 0.1 s and more), then Ctrl-C.
    const take = join(dir, 'take.wav');
    while (!existsSync(take) || statSync(take).size <= 58 + 4 * 4410) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGINT');
    const { code, signal, stderr } = await done;
    // When it fails, say how the process ended and what it printed.
    expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });
    expect(stderr).toContain('SIGINT: closing files');
    // The header was finished: RIFF size = file size − 8.
    const bytes = readFileSync(join(dir, 'take.wav'));
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    const wav = readWav(join(dir, 'take.wav'));
    expect(wav.sampleRate).toBe(44100);
    const samples = wav.channels[0];
    expect(samples.length).toBeGreaterThan(4410);
    expect(peak(samples)).toBeGreaterThan(0.99);
    expect(Math.abs(dominantFrequency(samples, 44100) - 440)).toBeLessThan(5);
  });
});
