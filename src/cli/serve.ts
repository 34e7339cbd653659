// `synchrotron serve [PATCH]`: the live engine behind the HTTP/WebSocket API, with the web UI.

import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { limitFlag } from '../engine/limits.js';
import { threadsOption } from '../io/render-threads.js';
import { DEFAULT_LIMITS, LIMIT_HELP, type ServerLimits } from '../io/security.js';
import { createServer, DEFAULT_PORT } from '../server/index.js';
import type { AudioMode } from '../server/worker-messages.js';

const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as Array<keyof ServerLimits>;

/** `--max-nodes N  nodes in the graph (default 10000)`, one line per limit, from the security module. */
const LIMIT_LINES = LIMIT_NAMES.map(
  (name) => `  ${`${limitFlag(name)} N`.padEnd(22)}${LIMIT_HELP[name]} (default ${DEFAULT_LIMITS[name]})`,
).join('\n');

const HELP = `usage: synchrotron serve [PATCH] [--host 127.0.0.1] [--port 2031] [--sample-rate 44100]
                         [--block-size 128] [--audio auto|device|none] [--token TOKEN] [--root DIR]
                         [--cors ORIGIN,ORIGIN…] [--allow-host NAME,NAME…] [--osc PORT] [--max-… N]
                         [--stopped] [--session FILE [--fresh]] [--threads auto|N] [--split-voices]

  PATCH           a .syn or .sui script run at start (rendering starts)
  --session FILE  keep the graph, values, node positions and Start/Stop in FILE (a .sui patch): restored
                  from it at start when it exists, saved to it within a second of every change. After an
                  unclean exit (crash, kill -9) the graph comes back stopped, and the editor says why.
                  A PATCH given too wins: the server starts from PATCH, and the session it replaces is
                  kept as FILE's .previous.sui (npm start uses .synchrotron/session.sui)
  --fresh         with --session: start with an empty graph (the session is kept the same way)
  --host          address to bind (default 127.0.0.1; any other needs a token)
  --port          port (default ${DEFAULT_PORT})
  --audio         auto: the sound card if there is one, else none; device: the sound card or fail;
                  none: real-time rendering without a device (listen in the browser)
  --token         token clients must send (generated and printed when binding beyond loopback);
                  with a token, the token alone decides who may call
  --root          folder WavFileNode, MidiFileNode and SamplerNode paths are confined to (default:
                  the current one)
  --cors          more origins (web pages) allowed to call, comma-separated; by default only this
                  server's own pages and loopback origins (http://localhost:*, 127.0.0.1, [::1]);
                  '*' allows every page on the web (unsafe)
  --allow-host    more host names the server may be reached by, comma-separated (default: IP
                  addresses and localhost only, which stops DNS rebinding)
  --osc           also listen for OSC over UDP on this port (e.g. 57130), on the same address as
                  --host: /execute, /value, /start, /stop, /tempo, /midi and OscReceiveNode addresses;
                  with a token in force (--token, or --host beyond loopback) every message carries it
                  as its first argument, and one without it gets no reply (docs/interop.md)
  --stopped       start with rendering stopped
  --threads       threads to render on (default auto: the cores, at most 4). Chains that meet only at
                  PlaybackNodes, added large enough to gain, render in parallel; the sound is the same.
                  1 renders on the render thread only
  --split-voices  also render the voices of a large VoicesNode on those threads; the sound is the
                  same. Off by default: paced in real time (as here) it measured slower than one
                  thread on a 2-core machine at every size, even with both cores idle, and with heavy
                  voices it missed as many deadlines as one thread or more

  Limits (a request past one is refused with a 4xx that names its flag):
${LIMIT_LINES}
`;

/** A whole decimal number: `Number()` alone would take '' as 0 and '0x10' as 16. */
function integer(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.trim())) throw new Error(`--${name} must be a whole number, got \`${text}\``);
  return Number(text);
}

/** The folder of `patchPath` relative to `root`, when it is inside; else undefined. */
function patchDirIn(root: string, patchPath: string | undefined): string | undefined {
  if (!patchPath) return undefined;
  const dir = relative(root, dirname(resolve(patchPath)));
  if (dir === '' || dir.startsWith('..') || isAbsolute(dir)) return undefined;
  return dir.split(sep).join('/');
}

export async function serveCommand(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    process.stderr.write(`synchrotron serve: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 1) {
    process.stderr.write(`synchrotron serve: one PATCH at most, got ${positionals.length}\n\n${HELP}`);
    return 2;
  }
  const audio = (values.audio ?? 'auto') as AudioMode;
  if (!['auto', 'device', 'none'].includes(audio)) {
    process.stderr.write(`synchrotron serve: --audio must be auto, device or none, got \`${audio}\`\n`);
    return 2;
  }
  let port: number;
  let sampleRate: number;
  let blockSize: number;
  let threads: number;
  let osc: number | undefined;
  const limits: Partial<ServerLimits> = {};
  try {
    port = integer('port', values.port, DEFAULT_PORT);
    if (values.osc !== undefined) {
      osc = integer('osc', values.osc, 0);
      if (osc < 1 || osc > 65535) throw new Error(`--osc must be a UDP port 1…65535, got ${values.osc}`);
    }
    sampleRate = integer('sample-rate', values['sample-rate'], 44100);
    blockSize = integer('block-size', values['block-size'], 128);
    threads = threadsOption(values.threads);
    if (port > 65535) throw new Error(`--port must be 0…65535, got ${port}`);
    for (const name of LIMIT_NAMES) {
      const flag = limitFlag(name).slice(2);
      limits[name] = integer(
        flag,
        values[flag as keyof typeof values] as string | undefined,
        DEFAULT_LIMITS[name],
      );
      if (limits[name] < 1) throw new Error(`--${flag} must be at least 1`);
    }
  } catch (error) {
    process.stderr.write(`synchrotron serve: ${(error as Error).message}\n`);
    return 2;
  }
  const root = resolve(values.root ?? '.');
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    process.stderr.write(`synchrotron serve: --root ${root} is not a directory\n`);
    return 2;
  }
  let patch: string | undefined;
  if (positionals[0]) {
    try {
      patch = await readFile(positionals[0], 'utf8');
    } catch (error) {
      process.stderr.write(`synchrotron serve: cannot read ${positionals[0]}: ${(error as Error).message}\n`);
      return 1;
    }
  }
  if (values.fresh && values.session === undefined) {
    process.stderr.write('synchrotron serve: --fresh goes with --session FILE\n');
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // Signals are caught from before start-up: one that arrives while the server starts (or just as it says
  // it is rendering) closes it cleanly once it is up, instead of killing the process with files half-written.
  let stop: ((signal: string) => void) | undefined;
  let stopRequested: string | undefined;
  const onSignal = (signal: string) => () => (stop ? stop(signal) : (stopRequested ??= signal));
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => {
    // SIGHUP: the terminal closed, so save the session cleanly.
    const handler = onSignal(signal);
    process.once(signal, handler);
    return () => process.off(signal, handler);
  });
  let server: Awaited<ReturnType<typeof createServer>>;
  try {
    server = await createServer({
      host: values.host,
      port,
      sampleRate,
      blockSize,
      threads,
      splitVoices: values['split-voices'] === true,
      audio,
      token: values.token,
      root,
      cors: values.cors?.trim() === '*' ? '*' : list(values.cors),
      allowHosts: list(values['allow-host']),
      limits,
      patch,
      // Patch paths in the file are relative to its folder (inside the root; outside it, to the root).
      patchDir: patchDirIn(root, positionals[0]),
      start: !values.stopped,
      session: values.session,
      fresh: values.fresh,
      osc,
      log,
    });
  } catch (error) {
    const where =
      positionals[0] && (error as { line?: number }).line !== undefined ? `${positionals[0]}: ` : '';
    process.stderr.write(`synchrotron serve: ${where}${(error as Error).message}\n`);
    for (const remove of handlers) remove();
    return 1;
  }
  const tokenQuery = server.token ? `?token=${encodeURIComponent(server.token)}` : '';
  log(
    `Synchrotron listening on ${server.url} — web UI: ${server.url}/${tokenQuery}  API docs: ${server.url}/docs`,
  );
  if (patch !== undefined) {
    const state = values.stopped ? 'stopped (GET /start or the play button starts it)' : 'rendering';
    log(`loaded ${positionals[0]} (${server.engine.graph.size} nodes), ${state}`);
  }

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: closing files and the audio device…`);
      server.close().then(
        () => resolveExit(0),
        (error: unknown) => {
          log(`shutdown error: ${(error as Error).message}`);
          resolveExit(1);
        },
      );
    };
    stop = shutdown;
    if (stopRequested) shutdown(stopRequested);
  });
}

/** A comma-separated option as its non-empty parts. */
function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'sample-rate': { type: 'string' },
      'block-size': { type: 'string' },
      threads: { type: 'string' },
      'split-voices': { type: 'boolean' },
      audio: { type: 'string' },
      token: { type: 'string' },
      root: { type: 'string' },
      cors: { type: 'string' },
      osc: { type: 'string' },
      'allow-host': { type: 'string' },
      'max-nodes': { type: 'string' },
      'max-value-bytes': { type: 'string' },
      'max-result-bytes': { type: 'string' },
      'max-open-files': { type: 'string' },
      'max-record-bytes': { type: 'string' },
      'max-sample-bytes': { type: 'string' },
      'max-clients': { type: 'string' },
      stopped: { type: 'boolean' },
      session: { type: 'string' },
      fresh: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
