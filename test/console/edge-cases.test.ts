import { describe, expect, it } from 'vitest';
import { formatType } from '../../src/console/format.js';
import { parseNote, parseSteps } from '../../src/console/notes.js';
import { consoleCommandLine } from '../../src/console/pipe.js';
import { createStyle } from '../../src/console/style.js';
import { consoleTestServer, runPiped, TmuxConsole } from './harness.js';

const context = consoleTestServer('synchrotron-console-edge-');
const { historyFile } = context;
const execute = (script: string) => context.execute(script);

describe(':play notes', () => {
  it('refuses an empty chord and names out-of-range octaves as out of range', () => {
    expect(() => parseSteps(['+'])).toThrow('`+` has an empty note: join a chord');
    expect(() => parseSteps(['C4', 'C4++E4'])).toThrow('`C4++E4` has an empty note');
    expect(() => parseNote('C10')).toThrow('`C10` is outside the MIDI notes 0…127');
    expect(parseSteps(['C-1', 'G9', 'C4+E4'])).toEqual([[0], [127], [60, 64]]);
  });
});

describe('console commands in a pipe', () => {
  it('are refused with their line before anything runs, not as an “unexpected character”', async () => {
    await execute('clear');
    const piped = await runPiped(['--url', context.server.url], 'new SineNode piped\n:nodes\n');
    expect(piped.code).toBe(1);
    expect(piped.stderr).toContain('line 2: `:nodes` is a console command');
    expect(piped.stderr).toContain('nothing was run');
    const nodes = (await (await fetch(`${context.server.url}/nodes`)).json()) as unknown[];
    expect(nodes).toEqual([]);
    // Inside a block comment a colon line is just comment.
    expect(consoleCommandLine('/*\n:nodes\n*/\nnew 1 x')).toBeNull();
    expect(consoleCommandLine('new 1 x\n  :play C4')).toEqual({ line: 2, text: ':play C4' });
  });
});

describe(':types on a narrow terminal', () => {
  it('wraps descriptions at words under the name instead of a 23-column indent', () => {
    const text = formatType(
      {
        type: 'MidiFileNode',
        description: 'Plays a Standard MIDI File (format 0/1, tempo changes) in time from when it is loaded.',
        inputs: [{ name: 'path', kind: 'data' }],
        outputs: [{ name: 'out', kind: 'midi' }],
      },
      createStyle(false),
      40,
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('MidiFileNode path(d) → out(m)');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(40);
    expect(lines.slice(1).every((line) => line.startsWith('  ') && !line.startsWith('   '))).toBe(true);
  });
});

describe('console in a terminal: odd moments', () => {
  it('Ctrl-C stops a :play and releases its notes; an old Ctrl-C does not make the next one leave', async () => {
    await execute('clear');
    await execute(
      'new MidiInputNode keys\nnew MonophonicRenderNode mono\nnew DebugNode dbg\nlink keys.out -> mono.midi\nlink mono.frequency -> dbg.input',
    );
    const term = new TmuxConsole('edge-play');
    try {
      term.start(['--url', context.server.url], { SYNCHROTRON_HISTORY: historyFile });
      await term.waitForText('syn> ');
      term.type(':play A4 C5 --ms 8000', 'Enter');
      await term.waitFor((s) => /\[debug\] dbg: \[\d+ samples, 440\.000…440\.000\]/.test(s), 'A4 sounding');
      term.keys('C-c');
      await term.waitForText('stopped playing A4 C5 (the notes sounding were released)');
      await term.waitFor((s) => /\[debug\] dbg: \[\d+ samples, 0\.000…0\.000\]/.test(s), 'A4 released');
      expect(term.screen()).not.toContain('523.2'); // C5 never started

      // Ctrl-C on an empty line warns; after a command, the next Ctrl-C warns again rather than quitting.
      term.keys('C-c');
      await term.waitForText('(To leave, press Ctrl-C again');
      term.type('new 5 five', 'Enter');
      await term.waitForText('created: five DataNode = 5');
      term.keys('C-c');
      await term.waitForText('(To leave, press Ctrl-C again', 2);
      expect(term.screen()).not.toContain('[exit');
    } finally {
      term.stop();
    }
  });

  it('a pasted patch prints its results without a prompt before each one', async () => {
    await execute('clear');
    const term = new TmuxConsole('edge-paste');
    try {
      term.start(['--url', context.server.url], { SYNCHROTRON_HISTORY: historyFile });
      await term.waitForText('syn> ');
      term.type('new 1 one\nnew 2 two\nnew 3 three\nlink one.out -> nowhere.x\nnew 4 four\n');
      await term.waitForText('created: four DataNode = 4');
      const screen = term.screen();
      expect(screen).not.toMatch(/syn> created:/);
      expect(screen).toContain('unknown node `nowhere`');
      expect(term.lastLine()).toBe('syn>');
    } finally {
      term.stop();
    }
  });
});
