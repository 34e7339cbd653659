// Structural inputs (SPEC §6): values that size buffers or load files are prepared on the control side
// and reach the node through `configure` at a block boundary — never read on the render thread.

import { describe, expect, it } from 'vitest';
import {
  builtinNodes,
  data,
  defineNode,
  NodeRegistry,
  type RenderEvent,
  Synchrotron,
  SynchrotronError,
  stream,
} from '../../src/index.js';

/** Outputs the length of the buffer its `size` asked for (0 until configured). */
const SizedNode = defineNode({
  type: 'SizedNode',
  category: 'test',
  description: 'Outputs the length of its prepared buffer.',
  inputs: {
    size: data('Buffer length.', { default: 4, structural: true }),
    gain: stream('Not structural.', { default: 1 }),
  },
  outputs: { out: stream('The prepared length.') },
  prepare: (values) => {
    const size = values.size;
    if (typeof size !== 'number') throw new Error('size must be a number');
    return { buffer: new Float32Array(size) };
  },
  create(_ctx, io) {
    let length = 0;
    return {
      configure(prepared) {
        length = prepared.buffer.length;
      },
      process(frames) {
        io.outputs.out.buf.fill(length, 0, frames);
      },
    };
  },
});

/** A test-controlled async prepare: each call waits until the test settles it. */
const settlers: Array<{ value: string; settle: (ok: boolean) => void }> = [];
const LoadingNode = defineNode({
  type: 'LoadingNode',
  category: 'test',
  description: 'Outputs the length of the string it loaded asynchronously.',
  inputs: { path: data('What to load.', { default: null, structural: true }) },
  outputs: { out: stream('Length of what was loaded.') },
  prepare: (values) =>
    new Promise<{ length: number }>((resolve, reject) => {
      const value = String(values.path);
      settlers.push({
        value,
        settle: (ok) => (ok ? resolve({ length: value.length }) : reject(new Error(`no ${value}`))),
      });
    }),
  create(_ctx, io) {
    let length = 0;
    return {
      configure(prepared) {
        length = prepared.length;
      },
      process(frames) {
        io.outputs.out.buf.fill(length, 0, frames);
      },
    };
  },
});

function engine() {
  const registry = new NodeRegistry([...builtinNodes, SizedNode, LoadingNode]);
  const s = new Synchrotron({ sampleRate: 44100, blockSize: 64, registry });
  const events: RenderEvent[] = [];
  s.onEvent((event) => events.push(event));
  settlers.length = 0;
  return { s, events };
}

const last = (s: Synchrotron, port: string) => {
  const [node, name] = port.split('.');
  const buf = s.renderer.streamOutput({ node, port: name })!;
  return buf[buf.length - 1];
};

describe('structural inputs', () => {
  it('a synchronous prepare configures the node before its first block', () => {
    const { s } = engine();
    s.add('SizedNode', 'sized');
    s.renderBlock();
    expect(last(s, 'sized.out')).toBe(4); // the default
  });

  it('a linked value is prepared in the same batch, and a change takes effect at the next block', () => {
    const { s } = engine();
    s.transaction(() => {
      s.addValue(100, 'n');
      s.add('SizedNode', 'sized');
      s.link('n.out', 'sized.size');
    });
    s.renderBlock();
    expect(last(s, 'sized.out')).toBe(100);
    s.setValue('n', 7);
    s.renderBlock();
    expect(last(s, 'sized.out')).toBe(7);
    s.unlink('n.out', 'sized.size');
    s.renderBlock();
    expect(last(s, 'sized.out')).toBe(4); // back to the default
  });

  it('refuses a link from anything but a value, saying why, and leaves the graph as it was', () => {
    const { s } = engine();
    s.add('SineNode', 'osc');
    s.add('SizedNode', 'sized');
    const before = s.export();
    expect(() => s.link('osc.out', 'sized.size')).toThrow(SynchrotronError);
    expect(() => s.link('osc.out', 'sized.size')).toThrow(
      /`sized.size` is structural .* not the output of a SineNode — e.g. `new 5 v; link v.out -> sized.size`/,
    );
    expect(s.export()).toBe(before);
    // In Synchrolang too, as one all-or-nothing script.
    expect(() => s.execute('new 3 three\nlink osc.out -> sized.size')).toThrow(/structural/);
    expect(s.export()).toBe(before);
    // Non-structural inputs of the same node still take any stream.
    s.link('osc.out', 'sized.gain');
  });

  it('a failing prepare is a warning; the node renders unconfigured and is not muted', () => {
    const { s, events } = engine();
    s.addValue('big', 'bad');
    s.add('SizedNode', 'sized');
    s.link('bad.out', 'sized.size');
    s.renderBlock();
    expect(events).toContainEqual({
      kind: 'warning',
      node: 'sized',
      message: 'could not prepare: size must be a number',
    });
    expect(s.renderer.isFaulted('sized')).toBe(false);
  });

  it('an async prepare lands at a later block; ready() waits for it', async () => {
    const { s } = engine();
    s.addValue('abc', 'p');
    s.add('LoadingNode', 'loader');
    s.link('p.out', 'loader.path');
    s.renderBlock();
    expect(last(s, 'loader.out')).toBe(0);
    expect(settlers.map((x) => x.value)).toEqual(['null', 'abc']); // added with its default, then linked
    for (const x of settlers) x.settle(true);
    await s.ready();
    s.renderBlock();
    expect(last(s, 'loader.out')).toBe(3);
  });

  it('drops a stale async result: only the newest value is configured, whatever the finishing order', async () => {
    const { s } = engine();
    s.addValue('first', 'p');
    s.add('LoadingNode', 'loader');
    s.link('p.out', 'loader.path');
    s.setValue('p', 'second!');
    const [, first, second] = settlers;
    second.settle(true);
    await Promise.resolve();
    first.settle(true); // older, finishes last
    settlers[0].settle(true);
    await s.ready();
    s.renderBlock();
    expect(last(s, 'loader.out')).toBe('second!'.length);
  });

  it('follows a rename while loading, and forgets a node removed while loading', async () => {
    const { s, events } = engine();
    s.addValue('renamed', 'p');
    s.add('LoadingNode', 'loader');
    s.link('p.out', 'loader.path');
    s.graph.renameNode('loader', 'moved');
    s.add('LoadingNode', 'doomed');
    s.remove('doomed');
    for (const x of settlers) x.settle(true);
    await s.ready();
    s.renderBlock();
    expect(last(s, 'moved.out')).toBe('renamed'.length);
    expect(events.filter((e) => e.kind !== 'exports')).toEqual([]);
  });

  it('an async failure is a warning naming the node', async () => {
    const { s, events } = engine();
    s.add('LoadingNode', 'loader');
    settlers[0].settle(false);
    await s.ready();
    s.renderBlock();
    expect(events).toContainEqual({ kind: 'warning', node: 'loader', message: 'could not prepare: no null' });
    expect(last(s, 'loader.out')).toBe(0);
  });

  it('MidiFileNode.path is structural: a stream cannot feed it', () => {
    const { s } = engine();
    s.add('MidiFileNode', 'player');
    s.add('SineNode', 'osc');
    expect(() => s.link('osc.out', 'player.path')).toThrow(/`player.path` is structural/);
  });
});
