// OscReceiveNode and OscSendNode: offline through the real Node host (values delivered as the render
// worker does; messages sent over real UDP to a socket of the test), and OscSendNode in a server.

import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { RenderEvent } from '../../src/engine/renderer.js';
import { createNodeHost } from '../../src/io/node-host.js';
import { decodeOscPacket, type OscMessage } from '../../src/io/osc-codec.js';
import { Synchrotron } from '../../src/synchrotron.js';
import { EventClient, request, startServer } from '../server/helpers.js';
import { until } from './osc-client.js';

// Real servers on a machine that may be busy: generous limits; every wait is for a condition.
vi.setConfig({ testTimeout: 90_000 });

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function engine(options: { sampleRate?: number; send?: boolean; widened?: boolean } = {}) {
  const host = createNodeHost({
    midi: { hardware: false },
    osc: options.send
      ? { destination: (name) => (options.widened || name === '127.0.0.1' ? null : `\`${name}\` is refused`) }
      : {},
  });
  const s = new Synchrotron({ sampleRate: options.sampleRate ?? 48000, blockSize: 128, host });
  const events: RenderEvent[] = [];
  s.onEvent((event) => events.push(event));
  cleanup.push(() => {
    s.dispose();
    host.closeOsc();
  });
  return { s, host, events };
}

/** A UDP socket on loopback that records the OSC messages it receives. */
async function receiver(): Promise<{ port: number; messages: OscMessage[]; socket: Socket }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const messages: OscMessage[] = [];
  socket.on('message', (data) => {
    const packet = decodeOscPacket(new Uint8Array(data), { maxBytes: 65536, maxDepth: 4, maxMessages: 64 });
    if (packet.kind === 'message') messages.push(packet);
  });
  cleanup.push(() => {
    socket.close();
  });
  return { port: socket.address().port, messages, socket };
}

function record(s: Synchrotron, port: string, blocks: number): Float32Array {
  const [node, name] = port.split('.');
  const out = new Float32Array(blocks * s.blockSize);
  for (let b = 0; b < blocks; b++) {
    s.renderBlock();
    out.set(s.renderer.streamOutput({ node, port: name })!, b * s.blockSize);
  }
  return out;
}

describe('OscReceiveNode', () => {
  it('takes the first value at once, glides 5 ms to the next from its frame, and holds the arguments', () => {
    const { s, host } = engine({ sampleRate: 48000 });
    s.add('OscReceiveNode', 'fader');
    expect(Array.from(record(s, 'fader.out', 2)).every((x) => x === 0)).toBe(true); // nothing yet: 0
    host.oscIn.deliver('/1/fader1', 0.5, 0.5); // untimed: the next block's first frame
    host.oscIn.deliver('/elsewhere', 9, 9); // another address: not ours
    const first = record(s, 'fader.out', 1);
    expect(first[0]).toBe(0.5);
    expect(s.renderer.dataOutput({ node: 'fader', port: 'value' })).toBe(0.5);
    // A timed value (a bundle) at engine frame 384 + 100: glides over 240 frames (5 ms at 48 kHz) from there.
    host.oscIn.deliver('/1/fader1', [1, 'x'], 1, 384 + 100);
    const glide = record(s, 'fader.out', 4);
    expect(glide[99]).toBe(0.5);
    expect(glide[100]).toBeCloseTo(0.5 + 0.5 / 240, 6);
    expect(glide[100 + 239]).toBe(1);
    expect(glide[100 + 240]).toBe(1);
    expect(s.renderer.dataOutput({ node: 'fader', port: 'value' })).toEqual([1, 'x']);
  });

  it('follows a change of address and says what is wrong with a bad one', () => {
    const { s, host, events } = engine();
    s.addValue('/2/knob', 'where');
    s.add('OscReceiveNode', 'knob');
    s.link('where.out', 'knob.address');
    s.renderBlock();
    host.oscIn.deliver('/1/fader1', 0.7, 0.7);
    host.oscIn.deliver('/2/knob', 0.3, 0.3);
    expect(record(s, 'knob.out', 1)[0]).toBeCloseTo(0.3, 6);
    s.setValue('where', 'no spaces please');
    s.renderBlock();
    expect(events.some((e) => e.kind === 'warning' && /is not an OSC address/.test(e.message))).toBe(true);
    expect(s.graph.node('knob').exports.Address).toBeNull();
  });
});

describe('OscSendNode', () => {
  it('sends on change only, at most 100 messages a second of audio, the last value always arriving', async () => {
    const { s, host } = engine({ sampleRate: 44100, send: true });
    const { port, messages } = await receiver();
    s.execute(
      `new 2 freq\nnew SineNode lfo\nnew ${port} port\nnew OscSendNode send\n` +
        'link freq.out -> lfo.frequency\nlink lfo.out -> send.input\nlink port.out -> send.port',
    );
    const blocks = Math.ceil(44100 / 128); // one second: the sine changes every block
    for (let b = 0; b < blocks; b++) {
      s.renderBlock();
      host.flushOsc();
    }
    const stats = await until(() => {
      const now = host.oscOutputStats();
      return now.sent + now.failed === now.queued ? now : undefined;
    });
    expect(stats).toMatchObject({ failed: 0, dropped: 0 });
    const received = await until(() => (messages.length === stats.sent ? messages : undefined));
    // 345 blocks of 128 frames = 44160 frames: one message per 441 frames, the first at once.
    const count = received.length;
    expect(count).toBe(101);
    expect(received.every((m) => m.address === '/synchrotron' && m.args[0].type === 'float')).toBe(true);
    // A constant input sends nothing more, except its last change.
    s.execute('unlink lfo.out -> send.input\nnew 0.25 still\nlink still.out -> send.input');
    for (let b = 0; b < 100; b++) {
      s.renderBlock();
      host.flushOsc();
    }
    expect(host.oscOutputStats().queued).toBe(count + 1); // one message for the change, none after
    await until(() => (messages.length === count + 1 ? true : undefined));
    expect(messages.at(-1)!.args[0]).toMatchObject({ value: 0.25 });
  });

  it('sends strings and arrays as arguments, and refuses a destination beyond loopback', async () => {
    const { s, host, events } = engine({ send: true });
    const { port, messages } = await receiver();
    s.execute(`new ["hello", 3, true] words\nnew ${port} port\nnew "/1/label" at\nnew OscSendNode send`);
    s.execute('link words.out -> send.input\nlink port.out -> send.port\nlink at.out -> send.address');
    s.renderBlock();
    host.flushOsc();
    const [message] = await until(() => (messages.length > 0 ? messages : undefined));
    expect(message.address).toBe('/1/label');
    expect(message.args).toEqual([
      { type: 'string', value: 'hello' },
      { type: 'float', value: 3 },
      { type: 'true', value: true },
    ]);
    s.execute('new "192.0.2.7" far\nlink far.out -> send.host');
    s.renderBlock();
    host.flushOsc();
    expect(events.some((e) => e.kind === 'warning' && /`192\.0\.2\.7` is refused/.test(e.message))).toBe(
      true,
    );
  });

  it('in a server, sends to loopback, and refuses other hosts unless the server was opened with --host', async () => {
    const server = await startServer();
    const events = await EventClient.open(`${server.url}/ws`);
    cleanup.push(
      () => server.close(),
      () => events.close(),
    );
    const { port, messages } = await receiver();
    await request(
      server,
      'POST',
      '/execute',
      `new 440 value\nnew ${port} port\nnew OscSendNode send\nlink value.out -> send.input\nlink port.out -> send.port`,
    );
    const [first] = await until(() => (messages.length > 0 ? messages : undefined));
    expect(first.args[0]).toMatchObject({ type: 'float', value: 440 });
    await request(server, 'PUT', '/nodes/value/value', 220);
    await until(() =>
      messages.some((m) => m.args[0].type === 'float' && m.args[0].value === 220) ? true : undefined,
    );
    await request(server, 'POST', '/execute', 'new "192.0.2.7" far\nlink far.out -> send.host');
    const node = await until(async () => {
      const body = (await request(server, 'GET', '/nodes/send')).body as {
        exports: { Destination?: string };
      };
      return body.exports.Destination?.startsWith('192.0.2.7') ? body : undefined;
    });
    expect(node.exports.Destination).toBe(`192.0.2.7:${port}/synchrotron`);
    const warning = await events.next('warning', (m) => m.node === 'send', 20_000);
    expect(warning.message).toMatch(
      /OSC goes to this machine only .* unless the server is opened with --host; `192\.0\.2\.7` is refused/,
    );
  });
});
