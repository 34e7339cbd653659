// The filters and the delay render in the server's render worker as they do offline: the delay's line,
// built by `prepare` on the main thread from the structural maxTime, reaches the worker; a stream into
// maxTime is refused at link time.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SynchrotronServer } from '../../src/server/index.js';
import { EventClient, request, startServer } from './helpers.js';

let server: SynchrotronServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

describe('filters and delay in the render worker', () => {
  it('a sine through each filter and a delay sounds at the level the filter gives it', async () => {
    const script = [
      'new 300 f',
      'new SineNode osc',
      'link f.out -> osc.frequency',
      'new BiquadFilterNode biquad',
      'new 3000 highCutoff',
      'link highCutoff.out -> biquad.cutoff',
      'new StateVariableFilterNode svf',
      'new 30 lowCutoff',
      'link lowCutoff.out -> svf.cutoff',
      'new LadderFilterNode ladder',
      'new 1 full',
      'link full.out -> ladder.resonance',
      'new DelayNode echo',
      'new 0.05 time',
      'new 0.1 longest',
      'link time.out -> echo.time',
      'link longest.out -> echo.maxTime',
      'link osc.out -> biquad.input',
      'link osc.out -> svf.input',
      'link osc.out -> echo.input',
    ].join('\n');
    const answer = await request(server, 'POST', '/execute', script);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const client = await EventClient.open(`${server.url}/ws`);
    try {
      const ports = ['biquad.out', 'svf.lowpass', 'ladder.out', 'echo.out'].map((p) => {
        const [node_name, port_name] = p.split('.');
        return { node_name, port_name };
      });
      client.send({ type: 'watch', ports });
      const meter = (node: string, match: (peak: number) => boolean) =>
        client.next(
          'meter',
          (m) => m.port !== 'master' && m.port.node_name === node && match(m.peak),
          10_000,
        );
      await meter('biquad', (peak) => peak > 0.95); // 300 Hz passes a 3 kHz lowpass
      await meter('svf', (peak) => peak > 0 && peak < 0.05); // 300 Hz is 40 dB down through a 30 Hz lowpass
      await meter('ladder', (peak) => peak > 0.4); // self-oscillating without input
      await meter('echo', (peak) => peak > 0.95); // the echo of the sine
    } finally {
      client.close();
    }
  });

  it('refuses a stream into the structural maxTime, saying what to do instead', async () => {
    await request(server, 'POST', '/execute', 'new DelayNode d2\nnew SineNode lfo');
    const answer = await request(server, 'POST', '/execute', 'link lfo.out -> d2.maxTime');
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(answer.body)).toMatch(/structural/);
  });
});
