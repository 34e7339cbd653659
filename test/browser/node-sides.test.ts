// The plugin that keeps one side of the node definitions in a browser bundle (scripts/node-sides.mjs): the
// control side drops `create`, the render side `prepare`, `ports`, `initialExports` and descriptions — and
// nothing else, in every node file.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a build script in plain JavaScript, without types
import { keepSide } from '../../scripts/node-sides.mjs';
import { ROOT } from './harness.js';

type Side = 'control' | 'render';
const keep = keepSide as (source: string, fileName: string, side: Side) => { code: string; stubbed: number };

const EXAMPLE = [
  "import { data, defineNode, stream } from '../../engine/definition.js';",
  "const PATH = data('The file to read.', { default: null });",
  "export const X = defineNode({ type: 'X', description: 'Says x.',",
  "  inputs: { path: PATH, gain: stream('Gain.', { default: 1 }) }, outputs: {},",
  '  prepare: (values, ctx) => loadFile(values.path, ctx),',
  '  ports(values) { return portsOf(values); },',
  "  create(ctx, io) { const k = kernelsFor(io); const d = data('not a port'); return { process() { k.run(); } }; },",
  '});',
].join('\n');

describe('node definitions split by side', () => {
  it('the control side: the body of create goes, every other member stays', () => {
    const { code, stubbed } = keep(EXAMPLE, 'x-node.ts', 'control');
    expect(stubbed).toBe(1);
    expect(code).toContain('prepare: (values, ctx) => loadFile(values.path, ctx)');
    expect(code).toContain('ports(values) { return portsOf(values); }');
    expect(code).toContain("description: 'Says x.'");
    expect(code).toContain("stream('Gain.'");
    expect(code).toContain('create(ctx, io) {throw new Error(');
    expect(code).not.toContain('kernelsFor');
  });

  it('the render side: prepare, ports and descriptions go, create stays', () => {
    const { code, stubbed } = keep(EXAMPLE, 'x-node.ts', 'render');
    expect(stubbed).toBe(2);
    expect(code).not.toMatch(/loadFile|portsOf|Says x|The file to read|Gain\./);
    expect(code).toContain("description: ''");
    expect(code).toContain("stream('', { default: 1 })");
    expect(code).toContain("data('', { default: null })");
    // create is whole, its description-like strings with it (the outer edit wins over nested ones).
    expect(code).toContain("create(ctx, io) { const k = kernelsFor(io); const d = data(''); return");
  });

  it('leaves a local function that merely shares a declarer name alone', () => {
    const source = "const data = (s) => s; export const y = data('kept');";
    expect(keep(source, 'y.ts', 'render').code).toBe(source);
  });

  it('refuses a member it cannot strip rather than keep its code silently', () => {
    expect(() => keep("defineNode({ type: 'X', create });", 'x-node.ts', 'control')).toThrow(/method/);
  });

  for (const side of ['control', 'render'] as const) {
    it(`${side} side: every node file still parses, one create per definition stubbed on the control side`, () => {
      const dir = join(ROOT, 'src', 'nodes');
      const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
      let total = 0;
      for (const file of files) {
        const source = readFileSync(join(dir, file), 'utf8');
        const definitions = source.match(/\bdefineNode\(/g)?.length ?? 0;
        const { code, stubbed } = keep(source, file, side);
        if (side === 'control') expect(stubbed, file).toBe(definitions);
        // Still parses: the replaced spans were exactly bodies and string literals.
        const { diagnostics } = ts.transpileModule(code, { fileName: file, reportDiagnostics: true });
        expect(
          diagnostics?.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
          file,
        ).toEqual([]);
        total += stubbed;
      }
      expect(total).toBeGreaterThanOrEqual(side === 'control' ? 50 : 20);
    });
  }
});
