// `synchrotron serve --osc PORT` as a user runs it: the built CLI in a child process, answered over UDP.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { OscClient, texts, until } from './osc-client.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

let children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children) child.kill('SIGTERM');
  children = [];
});

/** A UDP port free right now (bound and released). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('synchrotron serve --osc', () => {
  it('refuses a port that is not a whole number in range, with exit code 2', async () => {
    const cases = [
      ['x', '--osc must be a whole number, got `x`'],
      ['0', '--osc must be a UDP port 1…65535, got 0'],
      ['70000', '--osc must be a UDP port 1…65535, got 70000'],
    ];
    // In parallel: each is a fresh Node process, slow to start on a busy machine.
    await Promise.all(
      cases.map(async ([value, message]) => {
        const failed = await run(
          process.execPath,
          [CLI, 'serve', '--audio', 'none', '--port', '0', '--osc', value],
          {
            cwd: tmpdir(),
            timeout: 60_000,
          },
        ).then(
          () => ({ code: 0, stderr: '' }),
          (error: { code: number; stderr: string }) => error,
        );
        expect(failed.code).toBe(2);
        expect(failed.stderr).toContain(message);
      }),
    );
  });

  it('listens for OSC beside HTTP, says where, and answers /execute', async () => {
    const port = await freeUdpPort();
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--audio', 'none', '--port', '0', '--osc', String(port)],
      {
        cwd: tmpdir(),
      },
    );
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk.toString();
    });
    await until(() => (stderr.includes('listening on') ? true : undefined), 60_000);
    expect(stderr).toContain(`OSC on udp://127.0.0.1:${port}`);
    const client = await OscClient.open(port);
    try {
      const done = await client.ask('/execute', ['new SineNode osc\ntempo 90']);
      expect(texts(done)).toEqual(['/execute', 'created osc (SineNode)\ntempo 90 bpm']);
    } finally {
      client.close();
    }
  });
});
