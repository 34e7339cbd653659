import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeReferenceMarkdown } from '../src/cli/node-reference.js';
import { createRegistry } from '../src/synchrotron.js';

describe('docs/nodes.md', () => {
  it('matches the node definitions (run `npm run docs` when this fails)', () => {
    const onDisk = readFileSync(new URL('../docs/nodes.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(nodeReferenceMarkdown(createRegistry()));
  });

  it('documents every registered node type and port', () => {
    const registry = createRegistry();
    const markdown = nodeReferenceMarkdown(registry);
    for (const type of registry.names()) {
      expect(markdown).toContain(`### ${type}`);
      for (const port of [...registry.info(type).inputs, ...registry.info(type).outputs]) {
        expect(markdown).toContain(`\`${port.name}\``);
      }
    }
  });
});
