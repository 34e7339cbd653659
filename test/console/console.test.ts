import { readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServer, type SynchrotronServer } from '../../src/server/index.js';
import { consoleTestServer, ROOT, runPiped, TmuxConsole } from './harness.js';

const context = consoleTestServer('synchrotron-console-');
const { historyFile } = context;
const execute = (script: string) => context.execute(script);

async function nodeNames(): Promise<string[]> {
  const nodes = (await (await fetch(`${context.server.url}/nodes`)).json()) as Array<{ name: string }>;
  return nodes.map((node) => node.name);
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('console in pipe mode', () => {
  it('runs a script from stdin, prints readable results, exits 0', async () => {
    await execute('clear');
    const { code, stdout, stderr } = await runPiped(
      ['--url', context.server.url],
      '// a patch\nnew 440 freq\nnew SineNode sine\nlink freq.out -> sine.frequency\nsine\n',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('created: freq DataNode = 440  out: =out');
    expect(stdout).toContain('linked freq.out -> sine.frequency');
    expect(stdout).toContain('sine SineNode  in: ~frequency←freq.out  out: ~out');
    expect(await nodeNames()).toEqual(['freq', 'sine']);
  });

  it('exits 1 on an error, shows it under a caret, and leaves the graph as it was', async () => {
    await execute('clear');
    const { code, stdout, stderr } = await runPiped(
      ['--url', context.server.url],
      'new 1 a\nnew SineNod b\nnew 2 c\n',
    );
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      [
        '2 | new SineNod b',
        '  |     ^^^^^^^',
        'error (line 2, column 5): unknown node type `SineNod` — did you mean `SineNode`?',
        '',
      ].join('\n'),
    );
    expect(await nodeNames()).toEqual([]);
  });

  it('runs an original patch unchanged (midi_in.syn: no hardware port 1 is reported, not fatal)', async () => {
    await execute('clear');
    const patch = readFileSync(join(ROOT, 'examples/midi_in.syn'), 'utf8');
    const { code } = await runPiped(['--url', context.server.url], patch);
    expect(code).toBe(0);
    // The render side publishes the ports once the node has rendered: wait for them.
    let node: { exports: Record<string, unknown> } | undefined;
    const deadline = Date.now() + 60_000;
    while (!node?.exports['Available Ports'] && Date.now() < deadline) {
      node = (await (await fetch(`${context.server.url}/nodes/_gffia`)).json()) as typeof node;
      if (!node?.exports['Available Ports']) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(node?.exports['Available Ports']).toContain('Synchrotron virtual');
    expect(node?.exports['Selected Port']).toBe(null);
  });

  it('says clearly when no server is running, and exits 1', async () => {
    const port = await closedPort();
    const { code, stderr } = await runPiped(['--url', `http://127.0.0.1:${port}`], 'new 1 x\n');
    expect(code).toBe(1);
    expect(stderr).toContain(
      `cannot reach the Synchrotron server at http://127.0.0.1:${port} (ECONNREFUSED)`,
    );
    expect(stderr).toContain('synchrotron serve');
  });

  it('refuses a bad option with usage', async () => {
    const { code, stderr } = await runPiped(['--nope'], '');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown option `--nope`');
  });
});

describe('console in a terminal (tmux)', () => {
  it('edits, completes, continues lines, shows errors with a caret and pushed events, keeps history', async () => {
    await execute('clear');
    const term = new TmuxConsole('main');
    try {
      term.start(['--url', context.server.url], { SYNCHROTRON_HISTORY: historyFile });
      await term.waitForText('syn> ');

      term.type('new SineNode osc', 'Enter');
      await term.waitForText('created: osc SineNode');

      // Tab completion: types, then ports of the right direction from the server's graph.
      term.type('new Deb', 'Tab');
      await term.waitFor(() => term.lastLine() === 'syn> new DebugNode', 'type completion');
      term.type(' dbg', 'Enter');
      await term.waitForText('created: dbg DebugNode');
      term.type('link osc.o', 'Tab');
      await term.waitFor(() => term.lastLine() === 'syn> link osc.out', 'port completion');

      // A line ending after `->` continues on the next.
      term.type(' ->', 'Enter');
      await term.waitFor(() => term.lastLine() === '...>', 'continuation prompt');
      term.type('dbg.inp', 'Tab');
      await term.waitFor(() => term.lastLine() === '...> dbg.input', 'completion on a continuation line');
      term.keys('Enter');
      await term.waitForText('linked osc.out -> dbg.input');

      // Brackets continue too.
      term.type('new [1,', 'Enter');
      term.type('2, 3] arr', 'Enter');
      await term.waitForText('created: arr DataNode = [1,2,3]');
      // …and comes back from history as one command.
      term.keys('Up');
      await term.waitFor(() => term.lastLine() === 'syn> new [1, 2, 3] arr', 'the whole command recalled');
      term.keys('C-c');
      await term.waitFor(() => term.lastLine() === 'syn>', 'a cleared line');

      // Errors: the line, a caret under the position, the message.
      term.type('new SineNod x', 'Enter');
      const screen = await term.waitForText('did you mean `SineNode`?');
      expect(screen).toContain('1 | new SineNod x\n  |     ^^^^^^^\nerror (line 1, column 5)');

      // Another client's edit arrives while a line is being typed: printed above, the line kept.
      term.type('new Sil');
      await term.waitFor(() => term.lastLine() === 'syn> new Sil', 'typed text');
      await execute('new 5 pushed');
      await term.waitForText('[added] pushed DataNode = 5');
      await term.waitFor(() => term.lastLine() === 'syn> new Sil', 'the typed line redrawn');
      term.type('enceNode quiet', 'Enter');
      await term.waitForText('created: quiet SilenceNode');

      // DebugNode values are pushed (osc.out is a block of samples: summarised).
      await term.waitFor((s) => /\[debug\] dbg: \[\d+ samples, /.test(s), 'a debug value');

      // Console commands.
      term.type(':nodes', 'Enter');
      await term.waitForText('dbg DebugNode  in: =input←osc.out');
      expect(term.screen()).toMatch(/\| Value \| \[0,0,0,.*…/); // long exports are clipped
      term.type(':types', 'Enter');
      await term.waitForText('MonophonicRenderNode   midi(m) → frequency(s) gate(s) velocity(s)');
      term.type(':help', 'Enter');
      await term.waitForText(':play NOTES');
      // Ctrl-C clears the line being typed; Ctrl-D on an empty line leaves.
      term.type('new 1 never');
      term.keys('C-c');
      await term.waitFor(() => term.lastLine() === 'syn>', 'a cleared line');
      term.type(':quit', 'Enter');
      await term.waitForText('[exit 0]');
    } finally {
      term.stop();
    }
    const history = readFileSync(historyFile, 'utf8');
    expect(history).toContain('new SineNode osc\n');
    expect(history).toContain('link osc.out -> dbg.input\n'); // one entry for a command over two lines
    expect(history).not.toContain('link osc.out ->\n');

    // History persists: a new console recalls the last line with Up.
    const again = new TmuxConsole('history');
    try {
      again.start(['--url', context.server.url], { SYNCHROTRON_HISTORY: historyFile });
      await again.waitForText('syn> ');
      again.keys('Up');
      await again.waitFor(() => again.lastLine() === 'syn> :quit', 'the last history line');
      again.keys('Up');
      await again.waitFor(() => again.lastLine() === 'syn> :help', 'the line before');
    } finally {
      again.stop();
    }
  });

  it('plays notes into the virtual MIDI port with :play', async () => {
    await execute('clear');
    await execute(
      'new MidiInputNode keys\nnew MonophonicRenderNode mono\nnew DebugNode dbg\nlink keys.out -> mono.midi\nlink mono.frequency -> dbg.input',
    );
    const term = new TmuxConsole('play');
    try {
      term.start(['--url', context.server.url], { SYNCHROTRON_HISTORY: historyFile, NO_COLOR: '' });
      await term.waitForText('syn> ');
      // Highlighting as you type: keyword magenta, type cyan, name yellow.
      term.type('new SineNode s');
      await term.waitFor(
        () => term.screen(true).includes('\x1b[35mnew\x1b[39m \x1b[36mSineNode\x1b[39m \x1b[33ms'),
        'a highlighted line',
      );
      term.keys('C-u');
      term.type(':play A4 --ms 600', 'Enter');
      await term.waitFor((s) => /\[debug\] dbg: \[\d+ samples, 440\.000…440\.000\]/.test(s), 'A4 at 440 Hz');
      await term.waitForText('played A4 into the virtual MIDI port');
      term.type(':play H9', 'Enter');
      await term.waitForText('error: `H9` is not a note');
    } finally {
      term.stop();
    }
  });

  it('says when the engine is not running and why: on connecting, and when it happens', async () => {
    await execute('clear');
    const engine = context.server.engine;
    engine.setReason('restored stopped: the last server did not exit cleanly (a test). Press Start to play.');
    const term = new TmuxConsole('reason');
    try {
      term.start(['--url', context.server.url], { SYNCHROTRON_HISTORY: historyFile });
      await term.waitForText('syn> ');
      await term.waitForText('[engine] restored stopped: the last server did not exit cleanly (a test)');
      engine.setReason('rendering stopped: the render worker failed (a test).');
      await term.waitForText('[engine] rendering stopped: the render worker failed (a test).');
    } finally {
      term.stop();
      engine.setReason(undefined);
    }
  });

  it('waits for a server that is not running yet, then connects', async () => {
    const port = await closedPort();
    const term = new TmuxConsole('wait');
    let late: SynchrotronServer | undefined;
    try {
      term.start(['--url', `http://127.0.0.1:${port}`], { SYNCHROTRON_HISTORY: historyFile });
      await term.waitForText('(ECONNREFUSED)');
      await term.waitForText('Retrying every 2 s');
      late = await createServer({ port, audio: 'none', log: () => {} });
      await term.waitForText(`connected to http://127.0.0.1:${port}`, 1, 15_000);
      term.type('new 7 seven', 'Enter');
      await term.waitForText('created: seven DataNode = 7');
    } finally {
      term.stop();
      await late?.close();
    }
  });
});
