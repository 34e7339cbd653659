// The plugin that keeps only the control side of node definitions in the page's bundles
// (scripts/control-side-nodes.mjs): it strips `create` and nothing else, in every node file.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a build script in plain JavaScript, without types
import { stripCreate } from '../../scripts/control-side-nodes.mjs';
import { ROOT } from './harness.js';

const strip = stripCreate as (source: string, fileName: string) => { code: string; stripped: number };

describe('control-side node definitions', () => {
  it('replaces the body of create, keeps every other member', () => {
    const source = [
      "export const X = defineNode({ type: 'X', inputs: {},",
      '  prepare(ctx) { return load(ctx); },',
      '  create(ctx, io) { const k = kernelsFor(io); return { process() { k.run(); } }; },',
      '});',
    ].join('\n');
    const { code, stripped } = strip(source, 'x-node.ts');
    expect(stripped).toBe(1);
    expect(code).toContain('prepare(ctx) { return load(ctx); }');
    expect(code).toContain('create(ctx, io) {throw new Error(');
    expect(code).not.toContain('kernelsFor');
  });

  it('refuses a create it cannot strip rather than keep its code silently', () => {
    expect(() => strip("defineNode({ type: 'X', create: make });", 'x-node.ts')).toThrow(/method/);
  });

  it('strips one create per definition in every node file, leaving valid TypeScript', () => {
    const dir = join(ROOT, 'src', 'nodes');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    let total = 0;
    for (const file of files) {
      const source = readFileSync(join(dir, file), 'utf8');
      const definitions = source.match(/\bdefineNode\(/g)?.length ?? 0;
      const { code, stripped } = strip(source, file);
      expect(stripped, file).toBe(definitions);
      // Still parses: the replaced spans were exactly the bodies.
      const { diagnostics } = ts.transpileModule(code, { fileName: file, reportDiagnostics: true });
      expect(
        diagnostics?.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
        file,
      ).toEqual([]);
      total += stripped;
    }
    expect(total).toBeGreaterThanOrEqual(50);
  });
});
