// Drives the real `synchrotron console` (from the sources, through tsx) in a pseudo-terminal by tmux,
// or through pipes, against a real server on loopback.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { createServer, type SynchrotronServer } from '../../src/server/index.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = ['--import', 'tsx', 'src/cli/main.ts', 'console'];

/**
 * A real server on loopback for one test file (started before its tests, closed after), a history file in
 * a fresh folder, and `execute` to edit the graph as another client would.
 */
export function consoleTestServer(prefix: string): {
  readonly server: SynchrotronServer;
  historyFile: string;
  execute(script: string): Promise<unknown>;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let server: SynchrotronServer | undefined;
  beforeAll(async () => {
    server = await createServer({ port: 0, audio: 'none', log: () => {} });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get server() {
      if (!server) throw new Error('the console test server is not started yet');
      return server;
    },
    historyFile: join(dir, 'history'),
    async execute(script) {
      const response = await fetch(`${this.server.url}/execute`, { method: 'POST', body: script });
      return response.json();
    },
  };
}

/** Runs the console with `input` on stdin (pipe mode). */
export function runPiped(
  args: string[],
  input: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** One console in a tmux session on a private tmux server. */
export class TmuxConsole {
  private readonly socket: string;
  private readonly session = 'console';

  constructor(name: string) {
    this.socket = `synchrotron-test-${process.pid}-${name}`;
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  start(args: string[], env: Record<string, string>): void {
    const assignments = Object.entries({ NO_COLOR: '1', ...env }).map(([k, v]) => `${k}=${shellQuote(v)}`);
    const command = `cd ${shellQuote(ROOT)} && env ${assignments.join(' ')} ${shellQuote(process.execPath)} ${CLI.join(' ')} ${args
      .map(shellQuote)
      .join(' ')}; echo "[exit $?]"; sleep 60`;
    this.tmux('new-session', '-d', '-s', this.session, '-x', '200', '-y', '50', command);
  }

  /** Types text literally (no key names), then optionally presses keys such as Enter or Tab. */
  type(text: string, ...keys: string[]): void {
    if (text) this.tmux('send-keys', '-t', this.session, '-l', text);
    if (keys.length > 0) this.tmux('send-keys', '-t', this.session, ...keys);
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.session, ...keys);
  }

  /** The screen's text (with `escapes`, its colours as ANSI escapes too). */
  screen(escapes = false): string {
    return this.tmux(
      'capture-pane',
      '-p',
      '-J',
      ...(escapes ? ['-e'] : []),
      '-t',
      this.session,
      '-S',
      '-200',
    );
  }

  /** The last non-empty line of the screen (where the prompt is). */
  lastLine(): string {
    const lines = this.screen()
      .split('\n')
      .filter((line) => line.trim() !== '');
    return (lines[lines.length - 1] ?? '').trimEnd();
  }

  /** Waits for the screen to show something (long: a loaded machine may be slow; it returns at once when it does). */
  async waitFor(test: (screen: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Waits until `text` appears `count` times on the screen. */
  waitForText(text: string, count = 1, timeoutMs?: number): Promise<string> {
    return this.waitFor((screen) => screen.split(text).length - 1 >= count, `“${text}”×${count}`, timeoutMs);
  }

  stop(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
