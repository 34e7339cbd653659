// Who may drive the server (SPEC §4), tried against a real server the way a web page a user visits would:
// a text/plain POST (no preflight), an <img> GET (no Origin), a WebSocket from a foreign origin, a
// DNS-rebinding Host — and the clients that must keep working: our editor, the original client on
// localhost:5173/4173, curl, and a server bound to 0.0.0.0 reached by its IP with the token.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynchrotronServer } from '../../src/server/index.js';
import { request, startServer, upgradeStatus } from './helpers.js';

/** A request with exactly these headers (fetch would not let a test set Host). */
function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname.replace(/^\[|\]$/g, ''), port, method, path, headers, setHost: !('host' in headers) },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const FOREIGN = 'http://evil.example';

describe('a web page the user visits cannot drive the server (no token, loopback)', () => {
  let server: SynchrotronServer;
  let root: string;
  const exported = async () => (await request(server, 'GET', '/export')).body;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'synchrotron-access-'));
    server = await startServer({ root });
    await request(
      server,
      'POST',
      '/execute',
      'new 440 freq\nnew SineNode sine\nlink freq.out -> sine.frequency',
    );
  });
  afterAll(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a text/plain POST from another origin (it needs no preflight) and changes nothing', async () => {
    const before = await exported();
    writeFileSync(join(root, 'victim.syn'), 'my patch');
    const answer = await request(
      server,
      'POST',
      '/execute',
      'new WavFileNode w\nnew "victim.syn" p\nlink p.out -> w.path\nstart',
      { origin: FOREIGN, 'content-type': 'text/plain' },
    );
    expect(answer.status).toBe(403);
    expect((answer.body as { detail: string }).detail).toMatch(
      /origin http:\/\/evil\.example is not allowed/,
    );
    expect(await exported()).toEqual(before);
    expect(readFileSync(join(root, 'victim.syn'), 'utf8')).toBe('my patch');
    // Every method and route, not only /execute.
    for (const [method, path] of [
      ['GET', '/nodes'],
      ['DELETE', '/nodes/sine'],
      ['PUT', '/nodes/freq/value'],
      ['POST', '/midi'],
      ['GET', '/docs'],
    ]) {
      const refused = await request(server, method, path, method === 'GET' ? undefined : '1', {
        origin: FOREIGN,
      });
      expect(refused.status, `${method} ${path}`).toBe(403);
    }
    expect(await exported()).toEqual(before);
  });

  it('refuses a cross-site GET without Origin (an <img src=".../clear">) and changes nothing', async () => {
    const before = await exported();
    for (const site of ['cross-site', 'same-site']) {
      const answer = await request(server, 'GET', '/clear', undefined, {
        'sec-fetch-site': site,
        'sec-fetch-mode': 'no-cors',
        'sec-fetch-dest': 'image',
      });
      expect(answer.status, site).toBe(403);
      expect((answer.body as { detail: string }).detail).toMatch(/another site without an Origin/);
    }
    expect(await exported()).toEqual(before);
    // Typed into the address bar, or from our own page: fine.
    expect((await request(server, 'GET', '/nodes', undefined, { 'sec-fetch-site': 'none' })).status).toBe(
      200,
    );
    expect(
      (await request(server, 'GET', '/nodes', undefined, { 'sec-fetch-site': 'same-origin' })).status,
    ).toBe(200);
  });

  it('refuses WebSocket upgrades from a foreign origin, on /ws and /ws/audio', async () => {
    for (const path of ['/ws', '/ws/audio']) {
      expect(await upgradeStatus(`${server.url}${path}`, { origin: FOREIGN }), path).toBe(403);
      expect(await upgradeStatus(`${server.url}${path}`, { origin: 'null' }), path).toBe(403);
      expect(await upgradeStatus(`${server.url}${path}`, { origin: server.url }), path).toBe(101);
    }
  });

  it('refuses a DNS-rebinding Host, over HTTP and WebSocket', async () => {
    const before = await exported();
    const answer = await raw(server.url, 'POST', '/execute', { host: 'evil.example:2031' }, 'clear');
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).detail).toMatch(/Host `evil\.example:2031` is not allowed.*--allow-host/);
    const upgrade = await raw(server.url, 'GET', '/ws', {
      host: 'evil.example',
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    });
    expect(upgrade.status).toBe(403);
    expect(await exported()).toEqual(before);
    // IP literals and loopback names are fine.
    for (const host of ['127.0.0.1', 'localhost:2031', 'synth.localhost', '[::1]:2031']) {
      expect((await raw(server.url, 'GET', '/nodes', { host })).status, host).toBe(200);
    }
  });

  it('keeps the original client (localhost:5173 and :4173) and our editor working', async () => {
    for (const origin of [
      'http://localhost:5173',
      'http://localhost:4173',
      'http://127.0.0.1:5173',
      server.url,
    ]) {
      const nodes = await request(server, 'GET', '/nodes', undefined, { origin });
      expect(nodes.status, origin).toBe(200);
      expect(nodes.headers.get('access-control-allow-origin'), origin).toBe(origin);
      const preflight = await request(server, 'OPTIONS', '/connections', undefined, {
        origin,
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'content-type',
      });
      expect(preflight.status, origin).toBe(204);
      expect(preflight.headers.get('access-control-allow-methods'), origin).toContain('PATCH');
      expect(await upgradeStatus(`${server.url}/ws`, { origin }), origin).toBe(101);
    }
    // A foreign preflight gets no permission at all.
    const foreign = await request(server, 'OPTIONS', '/connections', undefined, {
      origin: FOREIGN,
      'access-control-request-method': 'PATCH',
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-methods')).toBeNull();
  });
});

describe('--cors and --allow-host open more, and only that', () => {
  it('an origin named with --cors may call; a name given with --allow-host may be used as Host', async () => {
    const server = await startServer({ cors: ['http://studio.example'], allowHosts: ['synth.lan'] });
    try {
      const allowed = await request(server, 'POST', '/execute', 'new 1 x', {
        origin: 'http://studio.example',
      });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://studio.example');
      expect((await request(server, 'POST', '/execute', 'new 1 y', { origin: FOREIGN })).status).toBe(403);
      expect((await raw(server.url, 'GET', '/nodes', { host: 'synth.lan:2031' })).status).toBe(200);
      // The editor served under that name is the server's own page there.
      const own = await raw(server.url, 'GET', '/nodes', {
        host: 'synth.lan:2031',
        origin: 'http://synth.lan:2031',
      });
      expect(own.status).toBe(200);
      expect((await raw(server.url, 'GET', '/nodes', { host: 'other.lan' })).status).toBe(403);
    } finally {
      await server.close();
    }
  });
});

describe('with a token, the token decides', () => {
  it('serve --host 0.0.0.0 reached by IP: the UI with ?token= sets a cookie that its requests and sockets use', async () => {
    const server = await startServer({ host: '0.0.0.0' });
    try {
      const token = server.token!;
      const port = new URL(server.url).port;
      const addresses = ['127.0.0.1'];
      const lan = Object.values(networkInterfaces())
        .flat()
        .find((a) => a && a.family === 'IPv4' && !a.internal);
      if (lan) addresses.push(lan.address);
      for (const address of addresses) {
        const url = `http://${address}:${port}`;
        expect((await request({ url }, 'GET', '/nodes')).status, address).toBe(401);
        const page = await request({ url }, 'GET', `/?token=${token}`, undefined, { accept: 'text/html' });
        expect(page.status, address).toBe(200);
        const cookie = page.headers.get('set-cookie')!.split(';')[0];
        expect(cookie).toBe(`synchrotron_token=${token}`);
        // The page's own requests: same origin (its Host is an IP), the cookie carries the token.
        const own = { origin: url, cookie };
        expect(
          (await request({ url }, 'POST', '/execute', `new 1 n${address.replace(/\./g, '_')}`, own)).status,
        ).toBe(200);
        expect(await upgradeStatus(`${url}/ws`, own), address).toBe(101);
      }
      // With the token, Origin and Host are not asked (a LAN name, a page elsewhere holding the token)…
      const authorization = `Bearer ${token}`;
      expect(
        (
          await raw(server.url.replace('0.0.0.0', '127.0.0.1'), 'GET', '/nodes', {
            host: 'synth.lan',
            authorization,
          })
        ).status,
      ).toBe(200);
      const elsewhere = await request({ url: `http://127.0.0.1:${port}` }, 'GET', '/nodes', undefined, {
        origin: FOREIGN,
        authorization,
      });
      expect(elsewhere.status).toBe(200);
      expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull(); // …but CORS stays ours
      // Without it, even our own origin is refused.
      expect(
        (
          await request({ url: `http://127.0.0.1:${port}` }, 'GET', '/nodes', undefined, {
            origin: `http://127.0.0.1:${port}`,
          })
        ).status,
      ).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('wrong tokens from one address are slowed down (429) after a burst', async () => {
    const server = await startServer({ token: 'sesame' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        statuses.push(
          (await request(server, 'GET', '/nodes', undefined, { authorization: `Bearer guess${i}` })).status,
        );
      }
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses).toContain(429);
      expect(await upgradeStatus(`${server.url}/ws?token=guess`)).toBe(429);
    } finally {
      await server.close();
    }
  });
});
