// The security module's rules one by one, on real files (links, FIFOs, sparse giants) and on the facts a
// request carries — as an attacker would try them and as a careless user would stumble on them.

import { execFileSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SynchrotronError } from '../../src/engine/errors.js';
import { FileGuard, readFileInside } from '../../src/io/secure-files.js';
import {
  Access,
  isLoopbackAddress,
  RateLimiter,
  type RequestFacts,
  tokenFrom,
} from '../../src/io/security.js';

let root: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'synchrotron-security-'));
  outside = mkdtempSync(join(tmpdir(), 'synchrotron-outside-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

function mkfifo(path: string): boolean {
  try {
    execFileSync('mkfifo', [path]);
    return true;
  } catch {
    return false;
  }
}

const request = (facts: Partial<RequestFacts>): RequestFacts => ({
  method: 'GET',
  host: '127.0.0.1:2031',
  ...facts,
});

describe('Access: who may talk (no token)', () => {
  const access = new Access();

  it('lets the server own pages, loopback origins and plain clients (curl, the console) in', () => {
    for (const origin of [
      'http://127.0.0.1:2031', // our own page
      'http://localhost:5173', // the original client (vite dev)
      'http://localhost:4173', // the original client (vite preview)
      'http://127.0.0.1:5173',
      'http://[::1]:5173',
      'http://app.localhost:8080',
    ]) {
      expect(access.check(request({ origin })), origin).toEqual({ ok: true });
      expect(access.allowOrigin(origin, '127.0.0.1:2031'), origin).toBe(origin);
    }
    expect(access.check(request({}))).toEqual({ ok: true }); // curl: no Origin, no Sec-Fetch-Site
    for (const site of ['none', 'same-origin']) {
      expect(access.check(request({ secFetchSite: site }))).toEqual({ ok: true });
    }
  });

  it('refuses other origins, `null` and look-alikes', () => {
    for (const origin of [
      'http://evil.example',
      'https://localhost.evil.example',
      'http://127.0.0.1.evil.example',
      'null',
      'file://',
      'http://127.0.0.1:2031.evil.example',
      'ftp://localhost',
    ]) {
      const verdict = access.check(request({ origin }));
      expect(verdict, origin).toMatchObject({ ok: false, status: 403 });
      expect(access.allowOrigin(origin, '127.0.0.1:2031'), origin).toBeUndefined();
    }
    const detail = (access.check(request({ origin: 'http://evil.example' })) as { detail: string }).detail;
    expect(detail).toMatch(/origin http:\/\/evil\.example is not allowed.*--cors/);
  });

  it('refuses a request without Origin that a browser says comes from another site (an <img>, a link)', () => {
    for (const site of ['cross-site', 'same-site']) {
      const verdict = access.check(request({ secFetchSite: site }));
      expect(verdict).toMatchObject({ ok: false, status: 403 });
      expect((verdict as { detail: string }).detail).toMatch(/another site without an Origin/);
    }
  });

  it('takes a Host only as an IP literal, a loopback name or an --allow-host name (DNS rebinding)', () => {
    for (const host of [
      '127.0.0.1:2031',
      '192.168.1.20:2031',
      '[::1]:2031',
      '[fe80::1]',
      'localhost:2031',
      'synth.localhost',
    ]) {
      expect(access.check(request({ host })), host).toEqual({ ok: true });
    }
    for (const host of [
      'evil.example:2031',
      'evil.example',
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      '',
    ]) {
      const verdict = access.check(request({ host }));
      expect(verdict, host).toMatchObject({ ok: false, status: 403 });
    }
    expect((access.check(request({ host: 'evil.example' })) as { detail: string }).detail).toMatch(
      /--allow-host/,
    );
    const named = new Access({ allowHosts: ['Synth.Local'] });
    expect(named.check(request({ host: 'synth.local:2031' }))).toEqual({ ok: true });
    // A page served under an allowed name is our own page there.
    expect(named.check(request({ host: 'synth.local:2031', origin: 'http://synth.local:2031' }))).toEqual({
      ok: true,
    });
    expect(named.check(request({ host: 'other.local' }))).toMatchObject({ ok: false });
  });

  it('--cors adds origins; `*` allows every one (the original behaviour, asked for)', () => {
    const some = new Access({ cors: ['http://good.example'] });
    expect(some.check(request({ origin: 'http://good.example' }))).toEqual({ ok: true });
    expect(some.allowOrigin('http://good.example', '127.0.0.1:2031')).toBe('http://good.example');
    expect(some.check(request({ origin: 'http://evil.example' }))).toMatchObject({ ok: false, status: 403 });
    const any = new Access({ cors: '*' });
    expect(any.check(request({ origin: 'http://evil.example' }))).toEqual({ ok: true });
    expect(any.allowOrigin('http://evil.example', '127.0.0.1:2031')).toBe('*');
  });
});

describe('Access: with a token, the token decides', () => {
  it('accepts the right token whatever the Origin and Host, refuses anything else with 401', () => {
    const access = new Access({ token: 'sesame' });
    expect(
      access.check(request({ token: 'sesame', origin: 'http://evil.example', host: 'evil.example' })),
    ).toEqual({
      ok: true,
    });
    expect(access.check(request({ token: 'sesam', peer: 'a' }))).toMatchObject({ ok: false, status: 401 });
    expect(access.check(request({ peer: 'a' }))).toMatchObject({ ok: false, status: 401 });
    // CORS headers still go to allowed origins only.
    expect(access.allowOrigin('http://evil.example', '127.0.0.1:2031')).toBeUndefined();
    expect(access.allowOrigin('http://localhost:5173', '127.0.0.1:2031')).toBe('http://localhost:5173');
    expect(access.check({ method: 'OPTIONS' })).toEqual({ ok: true }); // preflights carry no credentials
  });

  it('rate-limits wrong tokens per peer: guessing stops, other peers are not affected', () => {
    const access = new Access({ token: 'sesame' });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const verdict = access.check(request({ token: `guess${i}`, peer: '10.0.0.9' }));
      statuses.push(verdict.ok ? 200 : verdict.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    // Even the right token waits while the budget is spent (so a guess cannot be confirmed meanwhile)…
    expect(access.check(request({ token: 'sesame', peer: '10.0.0.9' }))).toMatchObject({ status: 429 });
    // …while another address is unaffected.
    expect(access.check(request({ token: 'sesame', peer: '10.0.0.10' }))).toEqual({ ok: true });
  });

  it('finds the token in Authorization, ?token= or the cookie, and checks peers for UDP listeners', () => {
    expect(tokenFrom({ authorization: 'Bearer abc' })).toBe('abc');
    expect(tokenFrom({ authorization: 'bearer abc ' })).toBe('abc');
    expect(tokenFrom({}, 'q')).toBe('q');
    expect(tokenFrom({ cookie: 'a=1; synchrotron_token=c' })).toBe('c');
    expect(tokenFrom({ authorization: 'Basic abc' })).toBeUndefined();
    const open = new Access();
    expect(open.checkPeer('127.0.0.1')).toBe(true);
    expect(open.checkPeer('::1')).toBe(true);
    expect(open.checkPeer('192.168.1.2')).toBe(false);
    expect(new Access({ token: 't' }).checkPeer('192.168.1.2')).toBe(true);
    expect(isLoopbackAddress('127.0.0.2')).toBe(true);
    expect(isLoopbackAddress('0.0.0.0')).toBe(false);
  });
});

describe('RateLimiter', () => {
  it('allows a burst, then one per refill interval, per key', () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 3, perSecond: 2, now: () => now });
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
    expect(limiter.take('b')).toBe(true);
    now = 0.5; // one refilled
    expect(limiter.allows('a')).toBe(true);
    expect([limiter.take('a'), limiter.take('a')]).toEqual([true, false]);
    now = 100;
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]); // never beyond burst
  });
});

describe('readFileInside', () => {
  it('checks the size on the open file before reading a byte (a 1 GiB file is refused at once)', async () => {
    const giant = join(root, 'giant.mid');
    writeFileSync(giant, '');
    truncateSync(giant, 1024 ** 3); // sparse: 1 GiB without using the disk
    const before = process.memoryUsage().rss;
    await expect(readFileInside(root, 'giant.mid', { maxBytes: 4 * 1024 * 1024 })).rejects.toThrow(
      /giant\.mid.*1 GiB, larger than the limit of 4 MiB/,
    );
    // Nothing of it was read: memory did not grow by anything near its size.
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });

  it('never blocks on a FIFO, and refuses devices, directories, links and hard links', async () => {
    if (mkfifo(join(root, 'pipe.mid'))) {
      await expect(readFileInside(root, 'pipe.mid')).rejects.toThrow(/pipe\.mid.*not a regular file/);
    }
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    linkSync(join(outside, 'secret.txt'), join(root, 'hard.mid'));
    await expect(readFileInside(root, 'hard.mid')).rejects.toThrow(/hard\.mid.*2 hard links/);
    symlinkSync(join(outside, 'secret.txt'), join(root, 'soft.mid'));
    await expect(readFileInside(root, 'soft.mid')).rejects.toThrow(/symbolic link/);
    writeFileSync(join(root, 'inside.mid'), 'MThd');
    symlinkSync(join(root, 'inside.mid'), join(root, 'alias.mid'));
    await expect(readFileInside(root, 'alias.mid')).rejects.toThrow(/symbolic link/); // even pointing inside
    mkdirSync(join(root, 'dir.mid'));
    await expect(readFileInside(root, 'dir.mid')).rejects.toThrow(/directory/);
    await expect(readFileInside(root, '../x.mid')).rejects.toThrow(/leaves the allowed directory/);
    await expect(readFileInside(root, 'missing.mid')).rejects.toThrow(/missing\.mid.*no such file/);
    expect(Buffer.from(await readFileInside(root, 'inside.mid')).toString()).toBe('MThd');
  });

  it('reads many files at once without exhausting descriptors (a few at a time)', async () => {
    for (let i = 0; i < 50; i++) writeFileSync(join(root, `f${i}.mid`), `file ${i}`);
    const texts = await Promise.all(
      Array.from({ length: 50 }, async (_, i) =>
        Buffer.from(await readFileInside(root, `f${i}.mid`)).toString(),
      ),
    );
    expect(texts).toEqual(Array.from({ length: 50 }, (_, i) => `file ${i}`));
  });
});

describe('FileGuard: writers', () => {
  it('never overwrites a file it did not write: records to the next free name instead', () => {
    writeFileSync(join(root, 'take.wav'), 'precious');
    writeFileSync(join(root, 'take-1.wav'), 'also precious');
    const guard = new FileGuard({ root });
    const file = guard.openForWriting('take.wav');
    expect(file.path).toBe('take-2.wav');
    expect(file.keptExisting).toBe('take.wav');
    file.close();
    expect(readFileSync(join(root, 'take.wav'), 'utf8')).toBe('precious');
    expect(readFileSync(join(root, 'take-1.wav'), 'utf8')).toBe('also precious');
    expect(existsSync(join(root, 'take-2.wav'))).toBe(true);
    // Its own file it records over again (stop, start: a new take in the same place).
    const again = guard.openForWriting('take.wav');
    expect(again.path).toBe('take-2.wav');
    again.close();
    // A file it wrote and someone replaced since is someone else's now.
    rmSync(join(root, 'take-2.wav'));
    writeFileSync(join(root, 'take-2.wav'), 'replaced');
    const third = guard.openForWriting('take.wav');
    expect(third.path).toBe('take-3.wav');
    third.close();
    expect(readFileSync(join(root, 'take-2.wav'), 'utf8')).toBe('replaced');
    // Names in folders keep their folder.
    mkdirSync(join(root, 'takes'));
    writeFileSync(join(root, 'takes', 'a.wav'), 'x');
    const nested = guard.openForWriting('takes/a.wav');
    expect(nested.path).toBe('takes/a-1.wav');
    nested.close();
  });

  it('refuses a path another writer holds, a reserved path, and more open files than allowed', () => {
    const session = join(root, 'session.syn');
    const guard = new FileGuard({ root, maxOpenFiles: 2, reserved: [session] });
    const one = guard.openForWriting('one.wav');
    expect(() => guard.openForWriting('one.wav')).toThrow(/another node is writing it/);
    expect(() => guard.openForWriting('./sub/../one.wav')).toThrow(/another node is writing it/);
    expect(() => guard.openForWriting('session.syn')).toThrow(/reserved \(the session file\)/);
    const two = guard.openForWriting('two.wav');
    expect(two.keptExisting).toBeUndefined();
    expect(guard.openCount).toBe(2);
    let error: unknown;
    try {
      guard.openForWriting('three.wav');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SynchrotronError);
    expect((error as SynchrotronError).code).toBe('limit');
    expect((error as Error).message).toMatch(/2 files are open already \(--max-open-files\)/);
    one.close();
    one.close(); // twice is harmless
    expect(guard.openForWriting('three.wav').path).toBe('three.wav'); // a place is free again
    two.close();
    // Reserving later works too (the session file arrives with --session).
    guard.reserve(join(root, 'later.syn'));
    expect(() => guard.openForWriting('later.syn')).toThrow(/reserved/);
  });

  it('opens first, then checks the descriptor: hard links, FIFOs and links are never written through', () => {
    writeFileSync(join(outside, 'victim.txt'), 'keep me');
    linkSync(join(outside, 'victim.txt'), join(root, 'hard.wav'));
    symlinkSync(join(outside, 'victim.txt'), join(root, 'soft.wav'));
    const guard = new FileGuard({ root });
    // Not written by us: the victim is left alone (a new name), whatever it links to.
    const hard = guard.openForWriting('hard.wav');
    expect(hard.path).toBe('hard-1.wav');
    hard.close();
    expect(() => guard.openForWriting('soft.wav')).toThrow(/symbolic link/);
    expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('keep me');
    if (mkfifo(join(root, 'pipe.wav'))) {
      // A FIFO that exists is someone else's file: never opened, a new name instead.
      const piped = guard.openForWriting('pipe.wav');
      expect(piped.path).toBe('pipe-1.wav');
      piped.close();
    }
    // A file of ours replaced by a hard link to a victim: the descriptor check refuses it.
    const mine = guard.openForWriting('mine.wav');
    mine.close();
    rmSync(join(root, 'mine.wav'));
    linkSync(join(outside, 'victim.txt'), join(root, 'mine.wav'));
    expect(guard.openForWriting('mine.wav').path).toBe('mine-1.wav');
    expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('keep me');
  });
});
