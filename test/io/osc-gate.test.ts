// The OSC rules of the security module (src/io/security.ts): who an OSC listener hears, the token in
// every message (and wrong ones sharing HTTP's guessing budget), message and reply budgets per sender and
// in total, and where OscSendNode may send. A frozen clock makes the budgets exact.

import { describe, expect, it } from 'vitest';
import { Access, OSC_LIMITS, OSC_RATES, OscGate, oscDestinationProblem } from '../../src/io/security.js';

/** A clock that only moves when told (seconds). */
function frozenClock() {
  const clock = { t: 1000, now: () => clock.t };
  return clock;
}

describe('OscGate: who is heard', () => {
  it('without a token hears this machine only; with one, anyone (who must then carry it)', () => {
    const open = new OscGate(new Access());
    expect(open.admit('127.0.0.1')).toBeNull();
    expect(open.admit('127.0.0.2')).toBeNull();
    expect(open.admit('::1')).toBeNull();
    expect(open.admit('::ffff:127.0.0.1')).toBeNull();
    expect(open.admit('192.0.2.2')).toBe('peer');
    expect(open.admit('::ffff:192.0.2.2')).toBe('peer');
    expect(open.tokenRequired).toBe(false);
    expect(open.authenticate('127.0.0.1', [undefined])).toBe(true);

    const widened = new OscGate(new Access({ token: 'sesame' }));
    expect(widened.tokenRequired).toBe(true);
    expect(widened.admit('192.0.2.2')).toBeNull();
    expect(widened.authenticate('192.0.2.2', ['sesame', 'sesame'])).toBe(true);
    // One message without it spoils the whole datagram; so does an empty one.
    expect(widened.authenticate('192.0.2.2', ['sesame', undefined])).toBe(false);
    expect(widened.authenticate('192.0.2.2', ['sesame', 'sesamE'])).toBe(false);
    expect(widened.authenticate('192.0.2.2', [])).toBe(false);
  });

  it('wrong OSC tokens spend the same budget as wrong HTTP tokens: then neither is even asked', () => {
    const clock = frozenClock();
    const access = new Access({ token: 'sesame', now: clock.now });
    const gate = new OscGate(access, { now: clock.now });
    for (let i = 0; i < 20; i++) {
      expect(gate.admit('192.0.2.9')).toBeNull();
      expect(gate.authenticate('192.0.2.9', ['guess'])).toBe(false);
    }
    // Spent: the datagram is dropped before decoding, whatever it carries …
    expect(gate.admit('192.0.2.9')).toBe('unauthenticated');
    // … and HTTP from that address is refused too, even with the right token.
    const http = { method: 'GET', peer: '192.0.2.9', token: 'sesame' };
    expect(access.check(http)).toMatchObject({ ok: false, status: 429 });
    // Another address is not affected; the budget comes back with time.
    expect(gate.admit('192.0.2.10')).toBeNull();
    expect(access.check({ ...http, peer: '192.0.2.10' })).toEqual({ ok: true });
    clock.t += 2;
    expect(gate.admit('192.0.2.9')).toBeNull();
    expect(access.check(http)).toEqual({ ok: true });
  });
});

describe('OscGate: budgets', () => {
  it('messages: a burst per sender, refilled at its rate, and everyone together bounded too', () => {
    const clock = frozenClock();
    const gate = new OscGate(new Access(), {
      now: clock.now,
      rates: { message: { burst: 3, perSecond: 2 }, total: { burst: 5, perSecond: 1 } },
    });
    expect([1, 2, 3, 4].map(() => gate.admit('127.0.0.1'))).toEqual([null, null, null, 'rateLimited']);
    expect(gate.admit('127.0.0.2')).toBeNull();
    // A bundle pays for each of its messages: two more would pass the total of 5.
    expect(gate.takeMessages('127.0.0.2', 2)).toBe(false);
    expect(gate.admit('127.0.0.3')).toBe('rateLimited'); // the total is spent, whoever asks
    clock.t += 1;
    expect(gate.admit('127.0.0.3')).toBeNull();
    expect(gate.admit('127.0.0.3')).toBe('rateLimited');
  });

  it('replies: a burst per sender address (whatever its port) and one for everyone', () => {
    const clock = frozenClock();
    const gate = new OscGate(new Access(), {
      now: clock.now,
      rates: { reply: { burst: 2, perSecond: 1 }, replyTotal: { burst: 3, perSecond: 1 } },
    });
    expect([1, 2, 3].map(() => gate.mayReply('127.0.0.1'))).toEqual([true, true, false]);
    expect(gate.mayReply('127.0.0.2')).toBe(true);
    expect(gate.mayReply('127.0.0.3')).toBe(false); // the total of 3 is spent
    clock.t += 1;
    expect(gate.mayReply('127.0.0.3')).toBe(true);
  });

  it('has defaults a controller stays far below, and bounds on what one datagram may hold', () => {
    expect(OSC_RATES.message.perSecond).toBeGreaterThanOrEqual(1000);
    expect(OSC_RATES.total.perSecond).toBeGreaterThanOrEqual(OSC_RATES.message.perSecond);
    expect(OSC_LIMITS).toMatchObject({ maxBytes: 16384, maxMessages: 128, maxDepth: 4 });
  });
});

describe('oscDestinationProblem: where OscSendNode may send', () => {
  it('this machine only, unless the server was opened beyond loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost'])
      expect(oscDestinationProblem(host, false)).toBeNull();
    for (const host of ['192.0.2.2', 'synth.local', 'localhost.example.com', '0.0.0.0', '::ffff:1.2.3.4'])
      expect(oscDestinationProblem(host, false)).toMatch(/this machine only .* --host; `.*` is refused/);
    expect(oscDestinationProblem('192.0.2.2', true)).toBeNull();
    expect(oscDestinationProblem('synth.local', true)).toBeNull();
    expect(oscDestinationProblem('', true)).toMatch(/must be a name or address/);
    expect(oscDestinationProblem('x'.repeat(300), true)).toMatch(/must be a name or address/);
  });
});
