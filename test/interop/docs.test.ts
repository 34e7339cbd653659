// docs/interop.md: every Synchrolang recipe (its unlabelled code blocks) runs as written.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Synchrotron } from '../../src/engine/synchrotron.js';
import { createNodeHost } from '../../src/io/node-host.js';

const doc = readFileSync(new URL('../../docs/interop.md', import.meta.url), 'utf8');
/** The bodies of fenced blocks without a language (those with one are sh, json, python …). */
function unlabelledBlocks(text: string): string[] {
  const blocks: string[] = [];
  let open: { language: string; lines: string[] } | null = null;
  for (const line of text.split('\n')) {
    const fence = /^```(\S*)\s*$/.exec(line);
    if (fence && !open) open = { language: fence[1], lines: [] };
    else if (fence && open) {
      if (open.language === '') blocks.push(open.lines.join('\n'));
      open = null;
    } else open?.lines.push(line);
  }
  return blocks;
}

const recipes = unlabelledBlocks(doc);

describe('docs/interop.md', () => {
  it('has Synchrolang recipes, and each builds its patch and renders', () => {
    expect(recipes.length).toBeGreaterThanOrEqual(5);
    for (const recipe of recipes) {
      const engine = new Synchrotron({ host: createNodeHost({ midi: { hardware: false } }) });
      const faults: string[] = [];
      engine.onEvent((event) => event.kind === 'fault' && faults.push(event.message));
      expect(() => engine.execute(recipe), recipe).not.toThrow();
      expect(engine.graph.size).toBeGreaterThan(0);
      engine.renderFrames(4096);
      expect(faults).toEqual([]);
      engine.dispose();
    }
  });
});
