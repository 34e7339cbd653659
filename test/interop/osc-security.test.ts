// The OSC server's security over real UDP sockets: where it listens, the token in every message when it
// listens wider (and no reply at all without it), message and reply budgets per sender, the bounds on
// what one datagram and all senders together may ask, and where OscSendNode may send. Tests that need an
// address of this machine beyond loopback run when it has one. No timing assertions: every wait is for a
// condition, and the budgets under test refill at one per 1000 s.

import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineStatus, OscStatus } from '../../src/api/protocol.js';
import {
  decodeOscPacket,
  encodeOscMessage,
  type OscMessage,
  unixMsToTimeTag,
} from '../../src/io/osc-codec.js';
import { OSC_LIMITS } from '../../src/io/security.js';
import type { ServerOptions, SynchrotronServer } from '../../src/server/index.js';
import { EventClient, request, startServer } from '../server/helpers.js';
import { answers, OscClient, texts, until } from './osc-client.js';

vi.setConfig({ testTimeout: 90_000 });

/** An IPv4 address of this machine beyond loopback (a LAN interface), if it has one. */
const lan = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

/** A budget that does not refill while a test runs (one per 1000 s). */
const frozen = (burst: number) => ({ burst, perSecond: 0.001 });

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function oscServer(options: ServerOptions = {}) {
  const root = mkdtempSync(join(tmpdir(), 'synchrotron-osc-security-'));
  const server = await startServer({ osc: 0, root, ...options });
  cleanup.push(
    () => rmSync(root, { recursive: true, force: true }),
    () => server.close(),
  );
  return server;
}

async function client(server: SynchrotronServer, address = '127.0.0.1'): Promise<OscClient> {
  const c = await OscClient.open(server.osc!.port, address);
  cleanup.push(() => c.close());
  return c;
}

function auth(server: SynchrotronServer): Record<string, string> {
  return server.token ? { authorization: `Bearer ${server.token}` } : {};
}

async function oscStatus(server: SynchrotronServer): Promise<OscStatus> {
  return ((await request(server, 'GET', '/status', undefined, auth(server))).body as EngineStatus).osc!;
}

async function nodeNames(server: SynchrotronServer): Promise<string[]> {
  const body = (await request(server, 'GET', '/nodes', undefined, auth(server))).body;
  return (body as Array<{ name: string }>).map((n) => n.name);
}

/** A bundle holding other packets (bundles or messages) as its elements. */
function bundleOf(timeTag: [number, number], elements: Uint8Array[]): Uint8Array {
  const size = 16 + elements.reduce((sum, e) => sum + 4 + e.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('#bundle\0'), 0);
  view.setUint32(8, timeTag[0], false);
  view.setUint32(12, timeTag[1], false);
  let at = 16;
  for (const element of elements) {
    view.setInt32(at, element.length, false);
    out.set(element, at + 4);
    at += 4 + element.length;
  }
  return out;
}

const NOW: [number, number] = [0, 1];

describe('where the OSC server listens', () => {
  it('on loopback by default: the socket is bound to 127.0.0.1', async () => {
    const server = await oscServer();
    expect(server.osc!.address).toBe('127.0.0.1');
  });

  it.runIf(lan)(`by default, a datagram to this machine's LAN address (${lan}) never arrives`, async () => {
    const server = await oscServer();
    const stranger = await client(server, lan);
    const friend = await client(server);
    stranger.sendBytes(encodeOscMessage('/execute', ['new SineNode intruder']), lan);
    stranger.sendBytes(encodeOscMessage('/start', []), lan);
    expect((await friend.ask('/execute', ['new 1 alive'])).address).toBe('/done');
    expect(await nodeNames(server)).toEqual(['alive']);
    expect((await oscStatus(server)).packets).toBe(1); // only the loopback one
    expect(stranger.replies).toEqual([]);
  });
});

describe('a server opened beyond loopback (--host 0.0.0.0)', () => {
  it.runIf(lan)(
    'answers nothing at all to an unauthenticated message from the LAN, and carries out none',
    async () => {
      const server = await oscServer({ host: '0.0.0.0' });
      expect(server.token).toBeTruthy(); // generated, as for HTTP
      expect(server.osc!.address).toBe('0.0.0.0');
      const stranger = await client(server, lan);
      const send = (bytes: Uint8Array) => stranger.sendBytes(bytes, lan);
      send(encodeOscMessage('/execute', ['new SineNode intruder'])); // no token
      send(encodeOscMessage('/execute', ['not-the-token', 'new SineNode intruder'])); // a wrong one
      send(encodeOscMessage('/start', [])); // nothing to carry one
      send(encodeOscMessage('/nowhere', [1])); // an error would be a reply: none either
      send(
        bundleOf(NOW, [
          encodeOscMessage('/execute', [server.token!, 'new SineNode half']),
          encodeOscMessage('/execute', ['new SineNode other-half']), // one lacks it: all refused
        ]),
      );
      const status = await until(async () => {
        const now = await oscStatus(server);
        return now.refused.unauthenticated === 5 ? now : undefined;
      });
      expect(status).toMatchObject({ packets: 5, messages: 0, replies: 0 });
      expect(await nodeNames(server)).toEqual([]);
      // The same sender with the token is heard and answered (the token is not part of the command).
      const done = await stranger.ask('/execute', [server.token!, 'new SineNode friend']);
      expect(texts(done)).toEqual(['/execute', 'created friend (SineNode)']);
      expect(stranger.replies).toHaveLength(1);
      expect(await nodeNames(server)).toEqual(['friend']);
    },
  );

  it.runIf(lan)('lets OscSendNode send to the LAN, which a loopback server refuses', async () => {
    const receiver = createSocket('udp4');
    await new Promise<void>((resolve) => receiver.bind(0, lan, () => resolve()));
    const received: OscMessage[] = [];
    receiver.on('message', (data) => {
      const packet = decodeOscPacket(new Uint8Array(data), OSC_LIMITS);
      if (packet.kind === 'message') received.push(packet);
    });
    cleanup.push(() => {
      receiver.close();
    });
    const script = `new 0.5 level\nnew "${lan}" where\nnew ${receiver.address().port} port\nnew OscSendNode send\nlink level.out -> send.input\nlink where.out -> send.host\nlink port.out -> send.port`;

    const wide = await oscServer({ host: '0.0.0.0' });
    await request(wide, 'POST', '/execute', script, auth(wide));
    const [message] = await until(() => (received.length > 0 ? received : undefined));
    expect(message).toMatchObject({ address: '/synchrotron', args: [{ type: 'float', value: 0.5 }] });

    const narrow = await oscServer();
    const events = await EventClient.open(`${narrow.url}/ws`);
    cleanup.push(() => events.close());
    await request(narrow, 'POST', '/execute', script);
    const warning = await events.next('warning', (m) => m.node === 'send', 20_000);
    expect(warning.message).toMatch(
      new RegExp(
        `this machine only .* unless the server is opened with --host; \`${lan!.replaceAll('.', '\\.')}\` is refused`,
      ),
    );
    // The node refuses when its destination is set, before queueing anything: only the wide one sent.
    expect(received).toHaveLength(1);
  });
});

describe('OSC budgets per sender', () => {
  it('rate-limits replies (the command still runs) and messages (refused, counted, unanswered)', async () => {
    const server = await oscServer({
      oscRates: { message: frozen(6), reply: frozen(3) },
    });
    const noisy = await client(server);
    for (let i = 0; i < 3; i++)
      expect((await noisy.ask('/execute', [`new ${i} v${i}`])).address).toBe('/done');
    noisy.send('/execute', ['new 3 v3']); // carried out, but the reply budget is spent
    await until(async () => ((await oscStatus(server)).repliesDropped === 1 ? true : undefined));
    expect(await nodeNames(server)).toEqual(['v0', 'v1', 'v2', 'v3']);
    // Two messages left in the budget: a bundle of three is refused whole.
    noisy.sendBytes(
      bundleOf(NOW, [
        encodeOscMessage('/execute', ['new 4 v4']),
        encodeOscMessage('/execute', ['new 5 v5']),
        encodeOscMessage('/execute', ['new 6 v6']),
      ]),
    );
    await until(async () => ((await oscStatus(server)).refused.rateLimited === 1 ? true : undefined));
    noisy.send('/execute', ['new 7 v7']);
    noisy.send('/execute', ['new 8 v8']);
    const status = await until(async () => {
      const now = await oscStatus(server);
      return now.refused.rateLimited === 3 ? now : undefined;
    });
    expect(status).toMatchObject({ packets: 7, messages: 4, replies: 3, repliesDropped: 1 });
    expect(await nodeNames(server)).toEqual(['v0', 'v1', 'v2', 'v3']);
    expect(noisy.replies).toHaveLength(3);
    // Another sender has its own budgets.
    const calm = await client(server, '127.0.0.3');
    expect((await calm.ask('/execute', ['new 9 v9'])).address).toBe('/done');
  });
});

describe('OSC bounds', () => {
  it('refuses a datagram with more messages than allowed as over a bound, and answers a long result cut', async () => {
    const server = await oscServer();
    const c = await client(server);
    const many = Array.from({ length: OSC_LIMITS.maxMessages + 1 }, (_, i) =>
      encodeOscMessage('/value', ['x', i]),
    );
    c.sendBytes(bundleOf(NOW, many));
    await until(async () => ((await oscStatus(server)).refused.huge === 1 ? true : undefined));
    await c.ask('/execute', [`new "${'a'.repeat(OSC_LIMITS.maxReplyChars + 1000)}" long`]);
    const answer = await c.ask('/execute', ['eval long']);
    const text = texts(answer)[1];
    expect(text.length).toBeLessThan(OSC_LIMITS.maxReplyChars + 100);
    expect(text).toMatch(/… \(cut; GET \/export has it all\)$/);
  });

  it(`keeps at most ${OSC_LIMITS.maxScheduled} bundles waiting for their time; more are answered /error`, async () => {
    const server = await oscServer();
    const c = await client(server);
    // 9 datagrams of 120 bundles, each for its own moment 59 s ahead (nothing runs during the test).
    const start = Date.now() + 59_000;
    let sent = 0;
    for (let d = 0; d < 9; d++) {
      const bundles = Array.from({ length: 120 }, () =>
        bundleOf(unixMsToTimeTag(start + sent++), [encodeOscMessage('/start', [])]),
      );
      c.sendBytes(bundleOf(NOW, bundles));
    }
    const over = sent - OSC_LIMITS.maxScheduled;
    const errors = await until(() => {
      const found = c.replies.filter((m) => answers(m, '/start'));
      return found.length === over ? found : undefined;
    });
    expect(texts(errors[0])[0]).toBe(
      `/start: ${OSC_LIMITS.maxScheduled} bundles are already waiting for their time`,
    );
    expect((await oscStatus(server)).scheduled).toBe(OSC_LIMITS.maxScheduled);
  });
});
