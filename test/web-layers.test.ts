// The web editor speaks the language through src/lang and the API shapes through the shared module
// (shared/DESIGN.md, "Layers"): no second lexer, value reader or completion, and no reaching into the
// server, the CLI or the Node-only parts.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const WEB = join(import.meta.dirname, '..', 'web', 'src');
const files = (readdirSync(WEB, { recursive: true }) as string[])
  .filter((f) => /\.(ts|tsx)$/.test(f))
  .map((f) => join(WEB, f));
const imports = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)]
    .map((m) => m[1])
    .filter((p) => p.includes('/src/'));

describe('web editor layers', () => {
  it("imports only the language, the engine's plain types, the API shapes and the browser client", () => {
    const allowed = /\/src\/(lang|engine|client|api|browser)\//;
    const stray = files.flatMap((file) =>
      imports(file)
        .filter((path) => !allowed.test(path) || /\/src\/engine\/(renderer|synchrotron|wasm)/.test(path))
        .map((path) => `${relative(WEB, file)}: ${path}`),
    );
    expect(stray).toEqual([]);
  });

  it('keeps no copy of the language: no lexer, value reader or completion of its own', () => {
    const copies = files.filter((file) => {
      const text = readFileSync(file, 'utf8');
      return /function (parseLiteral|tokenize|lex|complete)\b/.test(text) || /VARIABLES\s*=\s*\[/.test(text);
    });
    expect(copies.map((f) => relative(WEB, f))).toEqual([]);
    expect(files.map((f) => relative(WEB, f))).not.toContain('values.ts');
    expect(files.map((f) => relative(WEB, f))).not.toContain('complete.ts');
  });

  it('talks to an engine through one interface: the server in api.ts and server-backend.ts, the page in local-backend.ts', () => {
    const direct = files.filter((file) => {
      if (/[\\/](api|server-backend)\.ts$/.test(file)) return false;
      return /\bfetch\(|new WebSocket\(/.test(readFileSync(file, 'utf8'));
    });
    expect(direct.map((f) => relative(WEB, f))).toEqual([]);
    // The engine itself (not just its types) is loaded by the local backend alone, so a page served by a
    // server never downloads it.
    const engine = files.filter((file) =>
      /^import (?!type )[^;]*from '[./]+\/src\/browser\//m.test(readFileSync(file, 'utf8')),
    );
    expect(engine.map((f) => relative(WEB, f))).toEqual(['local-backend.ts']);
    // Everything else reaches an engine through backend.ts: no component holds a backend of its own.
    const backends = files.filter(
      (file) =>
        !/[\\/](main\.tsx|backend\.ts)$/.test(file) &&
        /\bnew (Server|Local)Backend\(/.test(readFileSync(file, 'utf8')),
    );
    expect(backends.map((f) => relative(WEB, f))).toEqual([]);
  });
});
