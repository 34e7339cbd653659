// The interactive console: line editing and history (node:readline), multi-line commands, highlighting
// as you type, Tab completion from the language module over a copy of the server's graph, readable
// results, and events pushed by the server printed above the prompt without disturbing what is typed.

import { createInterface, emitKeypressEvents, type Interface } from 'node:readline';
import type { ServerMessage } from '../api/protocol.js';
import { complete } from '../lang/index.js';
import { type ServerClient, UnreachableError } from './client.js';
import { joinContinuation, needsMoreInput } from './continuation.js';
import { formatError, formatEvent, formatReason, formatResult, formatType, nodeBlock } from './format.js';
import { highlight } from './highlight.js';
import { HISTORY_SIZE, loadHistory, saveHistoryLine } from './history.js';
import { parseSteps } from './notes.js';
import { RemoteGraph } from './remote-graph.js';
import type { Style } from './style.js';
import { visibleLength } from './style.js';

const PROMPT = 'syn> ';
const CONTINUE = '...> ';
const DEBUG_INTERVAL_MS = 500;
/** Longest wait for the events socket before the prompt appears (ms). */
const EVENTS_WAIT_MS = 15_000;

export const HELP = `Type Synchrolang; a command runs when its line ends (a line that ends inside [ ], inside
/* */ or after -> continues on the next). Tab completes types, nodes, ports and keywords.
  new SineNode sine          add a node          new 440 freq        add a DataNode
  link freq.out -> sine.frequency                unlink sine          remove sine
  sine / sine.out / $rate    show a node, port or value               export    the graph as a script
  start / stop / clear       transport, remove every node
Console commands:
  :nodes                     every node with its ports and exports
  :types                     the node types with their ports
  :play NOTES [--ms 400]     play notes into the virtual MIDI port (MidiInputNode port 0):
                             :play C4 E4 G4  (a melody)   :play C4+E4+G4  (a chord)   :play 60 62 64
  :help                      this text
  :quit                      leave (also Ctrl-D)`;

export interface ReplOptions {
  client: ServerClient;
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): void };
  output: NodeJS.WriteStream;
  style: Style;
  historyFile: string;
  /** Between connection attempts when the server is not running, ms. */
  retryMs?: number;
}

export async function runRepl(options: ReplOptions): Promise<number> {
  const { client, output, style } = options;
  const write = (text: string) => output.write(`${text}\n`);

  // 1. Wait for the server, saying clearly what is wrong meanwhile.
  let said = false;
  for (;;) {
    try {
      await client.health();
      break;
    } catch (error) {
      if (!said) {
        const why =
          error instanceof UnreachableError ? error.message : `${client.url}: ${(error as Error).message}`;
        write(
          `${style.warn(why)}\nIs it running? Start it with \`synchrotron serve\`. Retrying every ${
            (options.retryMs ?? 2000) / 1000
          } s (Ctrl-C to give up)…`,
        );
        said = true;
      }
      await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 2000));
    }
  }
  write(`connected to ${style.bold(client.url)} — :help for help, :quit to leave`);

  const remote = new RemoteGraph();
  try {
    remote.reset(await client.nodes());
  } catch {
    // the WebSocket's hello brings the graph too
  }

  let rl: Interface | null = null;
  let busy = false;
  let closing = false;
  let pending = ''; // lines of a command not finished yet
  let pendingLines: string[] = []; // the same, as typed (to turn into one history entry)

  /** Repaints the line being typed with highlighting (single-row lines only; wrapped ones stay plain). */
  const repaint = () => {
    if (!rl || busy || !style.enabled || !output.isTTY) return;
    const prompt = rl.getPrompt();
    const line = rl.line;
    const columns = output.columns || 80;
    if (line === '' || visibleLength(prompt) + line.length >= columns) return;
    output.write(`\r${prompt}${highlight(line, style)}\x1b[K\r\x1b[${visibleLength(prompt) + rl.cursor}C`);
    if (visibleLength(prompt) + rl.cursor === 0) output.write('\r');
  };

  /** Prints above the prompt: the typed line is cleared, the text written, the prompt and line redrawn. */
  const printAbove = (text: string) => {
    if (closing) return;
    if (!rl || busy) {
      write(text);
      return;
    }
    output.write('\r\x1b[K');
    write(text);
    rl.prompt(true);
    repaint();
  };

  // Debug values can arrive 20 times a second per node: show a node's value when it changes, at most
  // every DEBUG_INTERVAL_MS, so the prompt stays usable.
  const lastDebug = new Map<
    string,
    { at: number; text: string; timer: NodeJS.Timeout | null; latest: string }
  >();
  const showDebug = (node: string, text: string) => {
    const now = Date.now();
    const last = lastDebug.get(node);
    if (!last) {
      lastDebug.set(node, { at: now, text, timer: null, latest: text });
      printAbove(text);
      return;
    }
    last.latest = text;
    if (last.timer) return; // the trailing print will show the latest
    const wait = last.at + DEBUG_INTERVAL_MS - now;
    const flush = () => {
      last.timer = null;
      if (last.latest === last.text) return;
      last.at = Date.now();
      last.text = last.latest;
      printAbove(last.text);
    };
    if (wait <= 0) flush();
    else {
      last.timer = setTimeout(flush, wait);
      last.timer.unref();
    }
  };
  // Why the engine is not running (a failed render worker, a session restored stopped): shown once when it
  // appears — on connecting too — unless the same words just came as a warning.
  let shownReason: string | undefined;
  let lastWarning: string | undefined;
  client.onMessage((message: ServerMessage) => {
    const own = client.ownEditsInFlight > 0;
    remote.apply(message);
    if (message.type === 'warning') lastWarning = message.message;
    if (message.type === 'hello' || message.type === 'status') {
      const reason = message.status.reason;
      if (reason !== shownReason) {
        shownReason = reason;
        if (reason !== undefined && reason !== lastWarning) printAbove(formatReason(reason, style));
      }
    }
    const text = formatEvent(message, style, own);
    if (text === null) return;
    if (message.type === 'debug') showDebug(message.node, text);
    else printAbove(text);
  });
  let everConnected = false;
  client.onConnection((connected) => {
    if (connected && !everConnected) {
      everConnected = true; // the first connection needs no news
      return;
    }
    printAbove(
      connected
        ? style.dim(`[connection] back: events from ${client.url}/ws`)
        : style.warn(`[connection] lost ${client.url}/ws — reconnecting…`),
    );
  });
  client.connectEvents();
  // Events before the prompt: a command typed before the socket opened would miss what it causes (its
  // debug values, warnings). A slow machine may take seconds; a server refusing the socket, at most this.
  if (!client.connected) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, EVENTS_WAIT_MS);
      const off = client.onConnection((connected) => {
        if (connected) done();
      });
      function done() {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }

  // 2. The line editor.
  const history = loadHistory(options.historyFile);
  if (options.input.isTTY) emitKeypressEvents(options.input);
  rl = createInterface({
    input: options.input,
    output,
    terminal: options.input.isTTY === true && output.isTTY === true,
    history,
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    prompt: PROMPT,
    tabSize: 2,
    completer: (line: string, callback: (error: null, result: [string[], string]) => void) => {
      try {
        const script = pending === '' ? line : joinContinuation(pending, line);
        const lineStart = script.length - line.length;
        const completions = complete(script, script.length, remote.graph());
        if (completions.length === 0) return callback(null, [[], line]);
        const from = Math.max(completions[0].from - lineStart, 0);
        const partial = line.slice(from);
        const labels = [...new Set(completions.map((c) => c.label))].filter((label) =>
          label.startsWith(partial),
        );
        callback(null, [labels, partial]);
      } catch {
        callback(null, [[], line]);
      }
    },
  });
  options.input.on('keypress', (_char: string, key: { name?: string } | undefined) => {
    if (key?.name === 'return' || key?.name === 'enter') return;
    repaint();
  });

  const run = async (script: string) => {
    const answer = await client.execute(script).catch((error: Error) => ({
      ok: false as const,
      error: { detail: error.message },
    }));
    if (answer.ok) {
      for (const result of answer.results) {
        const text = formatResult(result, style);
        if (text !== '') write(text);
      }
    } else {
      write(formatError(answer.error, script, style));
    }
  };

  const consoleCommand = async (line: string): Promise<boolean> => {
    const [name, ...args] = line.trim().slice(1).split(/\s+/);
    switch (name) {
      case 'q':
      case 'quit':
      case 'exit':
        return false;
      case 'h':
      case 'help':
        write(HELP);
        break;
      case 'nodes': {
        const nodes = await client.nodes();
        remote.reset(nodes);
        if (nodes.length === 0) write(style.dim('(no nodes)'));
        for (const node of nodes) write(nodeBlock(node, style));
        break;
      }
      case 'types':
        for (const info of await client.types()) write(formatType(info, style, output.columns || 80));
        break;
      case 'play':
        await play(args);
        break;
      default:
        write(`${style.error('error')}: unknown console command \`:${name}\` (try :help)`);
    }
    return true;
  };

  // Ctrl-C during a :play stops it (its sounding notes still get their note-offs).
  let stopPlaying: (() => void) | null = null;

  const play = async (args: string[]) => {
    let ms = 400;
    const words: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--ms') ms = Number(args[++i]);
      else words.push(args[i]);
    }
    if (!Number.isFinite(ms) || ms <= 0 || ms > 10_000)
      throw new Error('--ms must be a duration in ms, 1…10000');
    const steps = parseSteps(words);
    if (steps.length === 0)
      throw new Error('nothing to play: give notes, e.g. :play C4 E4 G4 or :play C4+E4+G4');
    let stopped = false;
    let wake = () => {};
    stopPlaying = () => {
      stopped = true;
      wake();
    };
    try {
      for (const chord of steps) {
        if (stopped) break;
        // Timed: the server keeps the notes' spacing to the frame even when a message arrives late (a
        // loaded machine), so a note is never cut short or lost.
        await client.midi(
          chord.flatMap((note) => [0x90, note, 100]),
          performance.now(),
        );
        try {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, ms);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        } finally {
          // Even when stopped or failing, the notes struck are released: none is left hanging.
          await client.midi(
            chord.flatMap((note) => [0x80, note, 0]),
            performance.now(),
          );
        }
      }
    } finally {
      stopPlaying = null;
    }
    write(
      style.dim(
        stopped
          ? `stopped playing ${words.join(' ')} (the notes sounding were released)`
          : `played ${words.join(' ')} into the virtual MIDI port`,
      ),
    );
  };

  // Lines are handled one after another, even when pasted faster than scripts answer.
  let queue = Promise.resolve(true);
  let queued = 0; // lines received and not handled yet (a paste brings many at once)
  /**
   * A command typed over several lines becomes one history entry (Up recalls it whole), unless it holds
   * a `//` comment, which joined on one line would swallow the rest.
   */
  const remember = (lines: string[], script: string) => {
    const oneLine = script.replace(/\s*\n\s*/g, ' ');
    if (lines.length < 2 || script.includes('//')) {
      for (const line of lines) saveHistoryLine(options.historyFile, line);
      return;
    }
    saveHistoryLine(options.historyFile, oneLine);
    // readline has already put each line in its history (newest first, empty lines skipped).
    const history = (rl as unknown as { history?: string[] } | undefined)?.history;
    const typed = lines.filter((line) => line.trim() !== '').reverse();
    if (history && typed.every((line, i) => history[i] === line)) history.splice(0, typed.length, oneLine);
  };

  const handleLine = async (line: string): Promise<boolean> => {
    if (pending === '' && line.trim().startsWith(':')) {
      saveHistoryLine(options.historyFile, line);
      try {
        return await consoleCommand(line);
      } catch (error) {
        write(`${style.error('error')}: ${(error as Error).message}`);
        return true;
      }
    }
    const script = pending === '' ? line : joinContinuation(pending, line);
    pendingLines.push(line);
    if (needsMoreInput(script)) {
      pending = script;
      return true;
    }
    remember(pendingLines, script);
    pending = '';
    pendingLines = [];
    if (script.trim() !== '') await run(script);
    return true;
  };

  return new Promise<number>((resolve) => {
    const finish = () => {
      if (closing) return;
      closing = true;
      client.close();
      rl?.close();
      resolve(0);
    };
    let interrupted = false;
    rl!.on('line', (line) => {
      interrupted = false; // a Ctrl-C long ago does not make the next one leave
      queued++;
      queue = queue.then(async (keepGoing) => {
        queued--;
        if (!keepGoing || closing) return false;
        busy = true;
        const more = await handleLine(line);
        busy = false;
        if (!more) {
          finish();
          return false;
        }
        if (closing) return false;
        rl!.setPrompt(pending === '' ? PROMPT : CONTINUE);
        // Pasted lines still waiting print their results first; one prompt after the last of them.
        if (queued === 0) rl!.prompt();
        return true;
      });
    });
    rl!.on('SIGINT', () => {
      if (stopPlaying) {
        stopPlaying();
        return;
      }
      if (pending !== '' || rl!.line !== '') {
        pending = '';
        pendingLines = [];
        interrupted = false;
        output.write('^C\n');
        rl!.write('', { ctrl: true, name: 'u' }); // clear the typed line
        rl!.setPrompt(PROMPT);
        rl!.prompt();
        return;
      }
      if (interrupted) return finish();
      interrupted = true;
      output.write('\n(To leave, press Ctrl-C again, Ctrl-D, or type :quit)\n');
      rl!.prompt();
    });
    rl!.on('close', () => {
      if (!closing) output.write('\n');
      queue.then(finish, finish);
    });
    rl!.prompt();
  });
}
