// The OSC server with real UDP sockets on loopback: commands and replies, bundles at their frame (read
// back from WAV files the server records), the token rule (no reply at all without it), bad datagrams
// refused and counted. No timing assertions: every wait is for a condition.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineStatus } from '../../src/api/protocol.js';
import { encodeOscBundle, encodeOscMessage, unixMsToTimeTag } from '../../src/io/osc-codec.js';
import { readWav } from '../../src/io/wav-writer.js';
import type { SynchrotronServer } from '../../src/server/index.js';
import { EventClient, request, startServer } from '../server/helpers.js';
import { answers, OscClient, texts, until } from './osc-client.js';

// Real servers on a machine that may be busy: generous limits; every wait is for a condition.
vi.setConfig({ testTimeout: 90_000 });

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function oscServer(options: Parameters<typeof startServer>[0] = {}) {
  const root = mkdtempSync(join(tmpdir(), 'synchrotron-osc-'));
  const server = await startServer({ osc: 0, root, ...options });
  const client = await OscClient.open(server.osc!.port);
  cleanup.push(
    () => rmSync(root, { recursive: true, force: true }),
    () => server.close(),
    () => client.close(),
  );
  return { server, client, root };
}

async function status(server: SynchrotronServer): Promise<EngineStatus> {
  return (await request(server, 'GET', '/status')).body as EngineStatus;
}

/** Waits until the engine has rendered `frames` more frames (new nodes have opened their ports). */
async function rendered(server: SynchrotronServer, frames: number): Promise<void> {
  const from = (await status(server)).clock;
  await until(async () => ((await status(server)).clock > from + frames ? true : undefined));
}

describe('OSC commands', () => {
  it('/execute runs Synchrolang and answers /done with the text, or /error with line and column', async () => {
    const { server, client } = await oscServer();
    const done = await client.ask('/execute', [
      'new 440 freq\nnew SineNode osc\nlink freq.out -> osc.frequency',
    ]);
    expect(done.address).toBe('/done');
    expect(texts(done)).toEqual([
      '/execute',
      'created freq (DataNode = 440)\ncreated osc (SineNode)\nlinked freq.out -> osc.frequency',
    ]);
    expect((await request(server, 'GET', '/connections')).body).toHaveLength(1);
    const failed = await client.ask('/execute', ['new SineNod x']);
    expect(failed.address).toBe('/error');
    expect(texts(failed)[0]).toMatch(
      /^\/execute: line 1, column 5: unknown node type `SineNod` — did you mean `SineNode`\?/,
    );
    const wrongArgs = await client.ask('/execute', [1]);
    expect(texts(wrongArgs)[0]).toBe('/execute: /execute takes one string: the script (got ,f)');
  });

  it('/value, /tempo, /start and /stop change the engine; clients see it', async () => {
    const { server, client } = await oscServer();
    const events = await EventClient.open(`${server.url}/ws`);
    cleanup.push(() => events.close());
    await client.ask('/execute', ['new 440 freq\nnew "a" label']);
    expect((await client.ask('/value', ['freq', 220])).address).toBe('/done');
    expect((await client.ask('/value', ['label', 'b', 'c'])).address).toBe('/done'); // several → an array
    const nodes = (await request(server, 'GET', '/nodes')).body as Array<{
      name: string;
      exports: { Value: unknown };
    }>;
    expect(nodes.map((n) => [n.name, n.exports.Value])).toEqual([
      ['freq', 220],
      ['label', ['b', 'c']],
    ]);
    expect(texts(await client.ask('/value', ['nope', 1]))).toEqual(['/value: unknown node `nope`']);
    const tempo = await client.ask('/tempo', [140]);
    expect(tempo.args[1]).toMatchObject({ value: 140 });
    expect((await request(server, 'GET', '/tempo')).body).toEqual({ bpm: 140 });
    await events.next('tempo', (m) => m.bpm === 140, 20_000);
    expect(texts(await client.ask('/tempo', [5000]))[0]).toMatch(
      /^\/tempo: tempo 5000 bpm is out of range: 20…999 bpm/,
    );
    await client.ask('/stop');
    expect((await status(server)).running).toBe(false);
    await client.ask('/start');
    expect((await status(server)).running).toBe(true);
    expect((await status(server)).osc).toMatchObject({ port: server.osc!.port, messages: 8 });
  });

  it('/midi reaches the virtual MIDI port (blob, integers or OSC MIDI), and what a patch sends out is readable', async () => {
    const { server, client } = await oscServer();
    await client.ask('/execute', [
      'new MidiInputNode keys\nnew MidiOutputNode out\nlink keys.out -> out.midi',
    ]);
    await rendered(server, 10_000); // the ports are open
    await client.ask('/midi', [{ int: 0x90 }, { int: 60 }, { int: 100 }]);
    client.sendBytes(encodeOscMessage('/midi', [])); // nothing: refused
    const refused = await client.next((m) => m.address === '/error');
    expect(texts(refused)[0]).toMatch(/^\/midi: \/midi takes a blob/);
    expect(texts(await client.ask('/midi', [{ int: 60 }, { int: 100 }]))[0]).toMatch(
      /status byte was expected/,
    );
    const out = await until(async () => {
      const body = (await request(server, 'GET', '/midi/out?since=0')).body as {
        messages: Array<{ seq: number; data: number[] }>;
        next: number;
      };
      return body.messages.length > 0 ? body : undefined;
    });
    expect(out.messages.map((m) => m.data)).toEqual([[0x90, 60, 100]]);
    expect(
      ((await request(server, 'GET', `/midi/out?since=${out.next}`)).body as { messages: unknown[] })
        .messages,
    ).toEqual([]);
    expect((await request(server, 'GET', '/midi/out?since=x')).status).toBe(422);
  });

  it('messages to other addresses drive OscReceiveNodes (no reply: a fader sends many)', async () => {
    const { server, client } = await oscServer();
    const events = await EventClient.open(`${server.url}/ws`);
    cleanup.push(() => events.close());
    await client.ask('/execute', [
      'new OscReceiveNode fader\nnew DebugNode shown\nnew DebugNode level\nlink fader.value -> shown.input\nlink fader.out -> level.input',
    ]);
    await rendered(server, 10_000);
    client.send('/1/fader1', [0.25]);
    await events.next('debug', (m) => m.node === 'shown' && m.value === 0.25, 20_000);
    // The stream reaches the value (after its 5 ms glide) and stays there.
    await events.next(
      'debug',
      (m) => m.node === 'level' && Array.isArray(m.value) && (m.value as number[]).every((x) => x === 0.25),
      20_000,
    );
    client.send('/1/fader1', ['hello', 3]);
    await events.next(
      'debug',
      (m) => m.node === 'shown' && JSON.stringify(m.value) === '["hello",3]',
      20_000,
    );
    await client.ask('/start'); // a reply proves the datagrams before it were handled
    expect(client.replies.map((m) => texts(m)[0])).toEqual(['/execute', '/start']);
  });
});

describe('OSC bundles with time tags', () => {
  it('land at their frame: MIDI to the frame 100 ms apart exactly, edits at the block holding theirs', async () => {
    // Exactness holds while the engine keeps up with real time; on a machine too busy for that, the engine
    // itself says so (a late bundle, an underrun) and the round is tried again, up to five times.
    const rounds: string[] = [];
    for (let round = 0; round < 5; round++) {
      const result = await bundleRound();
      if ('disturbed' in result) {
        rounds.push(result.disturbed);
        continue;
      }
      const { hits, level } = result;
      expect(hits[1] - hits[0]).toBe(4410); // 100 ms at 44.1 kHz, to the frame
      // Both files started recording on the same block, a whole number of blocks into the engine's clock,
      // so block boundaries are at multiples of 128 in them: the value glides over the block holding the note.
      const rise = level.findIndex((x) => x > 0);
      expect(rise).toBe(Math.floor(hits[0] / 128) * 128);
      expect(level[rise + 127]).toBe(1);
      return;
    }
    expect.fail(`the engine could not keep up in any round: ${rounds.join('; ')}`);
  });

  it('a bundle whose time has passed runs at once and is reported late; far-future ones are refused', async () => {
    const { server, client } = await oscServer();
    const events = await EventClient.open(`${server.url}/ws`);
    cleanup.push(() => events.close());
    await client.ask('/execute', ['new 0 v']);
    client.sendBytes(
      encodeOscBundle(unixMsToTimeTag(Date.now() - 2000), [{ address: '/value', args: ['v', 5] }]),
    );
    await client.next((m) => answers(m, '/value'));
    const warning = await events.next(
      'warning',
      (m) => /scheduled OSC message arrived after its frame/.test(m.message),
      20_000,
    );
    expect(warning.message).toMatch(/up to \d+(\.\d)? ms late\): applied at once/);
    expect((await status(server)).osc?.late).toBe(1);
    client.sendBytes(
      encodeOscBundle(unixMsToTimeTag(Date.now() + 3_600_000), [{ address: '/value', args: ['v', 6] }]),
    );
    const refused = await client.next((m) => m.address === '/error');
    expect(texts(refused)[0]).toMatch(/^\/value: the bundle's time tag is 3600 s ahead; at most 60 s/);
    const nodes = (await request(server, 'GET', '/nodes/v')).body as { exports: { Value: number } };
    expect(nodes.exports.Value).toBe(5);
  });
});

describe('OSC security', () => {
  it('with a token in force, a message without it (or with a wrong one) gets no reply and does nothing', async () => {
    const { server, client } = await oscServer({ token: 'sesame' });
    client.send('/execute', ['new SineNode intruder']);
    client.send('/execute', ['wrong', 'new SineNode intruder']);
    client.sendBytes(
      encodeOscBundle(
        [0, 1],
        [
          { address: '/execute', args: ['sesame', 'new SineNode x'] },
          { address: '/start', args: [] },
        ],
      ),
    );
    // The token first, then the command's own arguments.
    const done = await client.ask('/execute', ['sesame', 'new SineNode friend']);
    expect(texts(done)).toEqual(['/execute', 'created friend (SineNode)']);
    expect(client.replies).toHaveLength(1); // nothing came back for the three refused datagrams
    const body = (await request(server, 'GET', '/nodes', undefined, { authorization: 'Bearer sesame' })).body;
    expect((body as Array<{ name: string }>).map((n) => n.name)).toEqual(['friend']);
    const refused = (await request(server, 'GET', '/status', undefined, { authorization: 'Bearer sesame' }))
      .body as EngineStatus;
    expect(refused.osc?.refused.unauthenticated).toBe(3);
  });

  it('a server opened beyond loopback answers no message that lacks the token (sender on 127.0.0.2)', async () => {
    // Bound to every address (what --host 0.0.0.0 does): a token is generated and required.
    const { server } = await oscServer({ host: '0.0.0.0' });
    expect(server.token).toBeTruthy();
    const stranger = await OscClient.open(server.osc!.port, '127.0.0.2');
    cleanup.push(() => stranger.close());
    stranger.send('/execute', ['new SineNode intruder']);
    stranger.send('/tempo', [90]);
    const done = await stranger.ask('/tempo', [server.token!, 91]);
    expect(done.address).toBe('/done');
    expect(stranger.replies).toHaveLength(1);
    const tempo = await request(server, 'GET', '/tempo', undefined, {
      authorization: `Bearer ${server.token}`,
    });
    expect(tempo.body).toEqual({ bpm: 91 });
  });

  it('refuses and counts bad datagrams — truncated, wrong tags, huge, not OSC — and keeps serving', async () => {
    const { server, client } = await oscServer();
    const good = encodeOscMessage('/value', ['x', 1]);
    client.sendBytes(good.subarray(0, good.length - 4)); // truncated
    client.sendBytes(Uint8Array.from([...good, 0, 0, 0, 0])); // tags describe fewer bytes than sent
    client.sendBytes(Uint8Array.from(Buffer.from('/a\0\0,x\0\0'))); // unknown type tag
    client.sendBytes(Uint8Array.from(Buffer.from('GET / HTTP/1.1\r\n\r\n'))); // not OSC
    const bundle = encodeOscBundle([0, 1], [{ address: '/start', args: [] }]);
    client.sendBytes(bundle.subarray(0, bundle.length - 4)); // a bundle element cut short
    client.sendBytes(new Uint8Array(20_000)); // huge
    let deep = encodeOscMessage('/start', []);
    for (let i = 0; i < 10; i++) deep = nest(deep); // bundles nested 10 deep
    client.sendBytes(deep);
    const answer = await client.ask('/execute', ['new 1 alive']);
    expect(answer.address).toBe('/done');
    const counts = (await status(server)).osc!;
    // Over a bound (20,000 bytes; bundles 10 deep) is `huge`; the other five are not OSC.
    expect(counts.refused).toMatchObject({ malformed: 5, huge: 2 });
    expect(counts.packets).toBe(8);
    expect(client.replies).toHaveLength(1);
  });
});

type WavChannel = ReturnType<typeof readWav>['channels'][number];

/** One round of the bundle test: a server, two timed bundles, the recorded WAV files read back. */
async function bundleRound(): Promise<{ disturbed: string } | { hits: number[]; level: WavChannel }> {
  // A long render-ahead, so that a loaded machine does not stall the output clock mid-test.
  const root = mkdtempSync(join(tmpdir(), 'synchrotron-osc-'));
  const server = await startServer({ osc: 0, root, latency: 0.3 });
  const client = await OscClient.open(server.osc!.port);
  try {
    await client.ask('/execute', [
      [
        'new MidiInputNode keys',
        'new MidiTriggerNode hits',
        'new 0 level',
        'new "hits.wav" hitsPath',
        'new "level.wav" levelPath',
        'new WavFileNode hitsFile',
        'new WavFileNode levelFile',
        'link keys.out -> hits.midi',
        'link hits.trigger -> hitsFile.signal',
        'link level.out -> levelFile.signal',
        'link hitsPath.out -> hitsFile.path',
        'link levelPath.out -> levelFile.path',
      ].join('\n'),
    ]);
    await rendered(server, 20_000); // recording
    const before = await status(server);
    const t = Date.now() + 600;
    // One datagram: a bundle at t (a note and a value), another at t + 100 ms (a note), nested in one.
    const first = encodeOscBundle(unixMsToTimeTag(t), [
      { address: '/midi', args: [{ int: 0x90 }, { int: 60 }, { int: 100 }] },
      { address: '/value', args: ['level', 1] },
    ]);
    const second = encodeOscBundle(unixMsToTimeTag(t + 100), [
      { address: '/midi', args: [{ int: 0x90 }, { int: 62 }, { int: 100 }] },
    ]);
    const outer = new Uint8Array(16 + 8 + first.length + second.length);
    outer.set(encodeOscBundle([0, 1], []), 0); // "#bundle", immediately
    const view = new DataView(outer.buffer);
    view.setInt32(16, first.length, false);
    outer.set(first, 20);
    view.setInt32(20 + first.length, second.length, false);
    outer.set(second, 24 + first.length);
    client.sendBytes(outer);
    await client.next((m) => answers(m, '/value'));
    const replies = await until(() => (client.replies.length >= 4 ? client.replies : undefined));
    expect(replies.map((m) => m.address)).toEqual(['/done', '/done', '/done', '/done']);
    await until(async () => (Date.now() > t + 500 ? true : undefined));
    const after = await status(server);
    await request(server, 'GET', '/stop'); // closes the WAV files
    await until(async () => ((await status(server)).running ? undefined : true));
    if (after.osc!.late > 0) return { disturbed: `${after.osc!.late} bundle(s) late` };
    if (after.underruns > before.underruns)
      return { disturbed: `${after.underruns - before.underruns} underrun(s)` };
    const hits = await until(() => {
      try {
        const samples = readWav(join(root, 'hits.wav')).channels[0];
        const frames: number[] = [];
        for (let i = 0; i < samples.length; i++) if (samples[i] > 0) frames.push(i);
        return frames.length === 2 ? frames : undefined;
      } catch {
        return undefined; // still being closed
      }
    });
    return { hits, level: readWav(join(root, 'level.wav')).channels[0] };
  } finally {
    client.close();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** A bundle holding one element. */
function nest(element: Uint8Array): Uint8Array {
  const header = encodeOscBundle([0, 1], []);
  const out = new Uint8Array(header.length + 4 + element.length);
  out.set(header, 0);
  new DataView(out.buffer).setInt32(header.length, element.length, false);
  out.set(element, header.length + 4);
  return out;
}
