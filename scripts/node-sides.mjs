// A Vite/Rolldown plugin that keeps one side of the node definitions in a browser bundle, so the bundler can
// tree-shake the other side's code out of a file that never runs it. A node type stays declared in one file
// (shared/DESIGN.md); the split is made here, at bundling.
//   'control'  the page's entry and the editor's local backend (Graph, Synchrolang, Preparer): every
//              definition's `create` body goes — its DSP, kernel bindings, helper classes. Only the Renderer
//              calls `create`, and the page never renders on its own thread (the offline worker's file does).
//   'render'   the AudioWorklet: it runs a Renderer fed with op batches, whose prepared values the page made.
//              It never calls `prepare`, `ports` or `initialExports`, and shows no description; those bodies
//              (file decoding, patch loading) go, and the descriptions become ''.
// Only src/nodes files are touched. Never used for the offline worker, which holds both sides.

import ts from 'typescript';

const NODE_FILE = /[\\/]src[\\/]nodes[\\/].+\.ts$/;
const STUB_BODY = (side) => `{throw new Error('this bundle holds the ${side} side of the nodes only');}`;
/** Members each side drops: their code runs only on the other side. */
const DROPPED = { control: ['create'], render: ['prepare', 'ports', 'initialExports'] };
/** The port declarers (engine/definition.ts) whose first argument is a description. */
const DECLARERS = new Set(['stream', 'data', 'midi']);

const nameOf = (property, file) => property.name?.getText(file);
const isText = (node) => ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node);

/**
 * The source with one side of each `defineNode({ … })` kept: replaced spans (bodies, descriptions) and how
 * many members were stubbed.
 */
export function keepSide(source, fileName, side) {
  const dropped = DROPPED[side];
  if (!dropped) throw new Error(`unknown side ${side}`);
  // Most helper files declare no node: no parse.
  if (!source.includes('defineNode(') && !source.includes('engine/definition.js'))
    return { code: source, stubbed: 0 };
  // No parent pointers: every position below is asked of `file` itself.
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  /** [start, end, replacement] */
  const edits = [];
  let stubbed = 0;
  // Port declarers this file imports from the engine (a local `data` variable is not one).
  const declarers = new Set();
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) || !/engine\/definition\.js$/.test(statement.moduleSpecifier.text))
      continue;
    const named = statement.importClause?.namedBindings;
    if (named && ts.isNamedImports(named)) {
      for (const element of named.elements) {
        const imported = (element.propertyName ?? element.name).text;
        if (DECLARERS.has(imported) && !element.isTypeOnly) declarers.add(element.name.text);
      }
    }
  }
  const visit = (node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'defineNode' &&
      node.arguments.length > 0 &&
      ts.isObjectLiteralExpression(node.arguments[0])
    ) {
      for (const property of node.arguments[0].properties) {
        const name = nameOf(property, file);
        if (dropped.includes(name)) {
          if (ts.isMethodDeclaration(property) && property.body) {
            edits.push([property.body.getStart(file), property.body.getEnd(), STUB_BODY(side)]);
          } else if (ts.isPropertyAssignment(property)) {
            edits.push([
              property.initializer.getStart(file),
              property.initializer.getEnd(),
              `()=>${STUB_BODY(side)}`,
            ]);
          } else {
            // A shorthand `create,` would keep its code; say so rather than leave the bundle silently larger.
            throw new Error(`${fileName}: write ${name} as a method or a property of defineNode's literal`);
          }
          stubbed++;
        } else if (side === 'render' && name === 'description' && ts.isPropertyAssignment(property)) {
          if (isText(property.initializer))
            edits.push([property.initializer.getStart(file), property.initializer.getEnd(), "''"]);
        }
      }
    }
    if (
      side === 'render' &&
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      declarers.has(node.expression.text) &&
      node.arguments.length > 0 &&
      isText(node.arguments[0])
    ) {
      edits.push([node.arguments[0].getStart(file), node.arguments[0].getEnd(), "''"]);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  // Outermost spans only (a description inside a dropped body goes with the body), applied from the end so
  // earlier offsets stay valid.
  const outer = [];
  for (const edit of edits.sort((a, b) => a[0] - b[0])) {
    if (outer.length === 0 || edit[0] >= outer[outer.length - 1][1]) outer.push(edit);
  }
  let code = source;
  for (const [start, end, replacement] of outer.reverse())
    code = code.slice(0, start) + replacement + code.slice(end);
  return { code, stubbed };
}

/**
 * The plugin. `entry`: only in bundles whose input matches (Vite's worker bundles share one `worker.plugins`;
 * the offline worker holds both sides and must stay whole).
 */
export function nodeSide(side, { entry } = {}) {
  let active = !entry;
  return {
    name: `synchrotron-${side}-side-nodes`,
    // Before the TypeScript transform, which would otherwise hand us JavaScript.
    enforce: 'pre',
    // Builds only: Vite's dev server sends workers' modules through the page's plugins too, and the worklet
    // would lose its `create`s (size does not matter there).
    apply: 'build',
    buildStart(options) {
      if (!entry) return;
      const input = options.input ?? [];
      const inputs =
        typeof input === 'string' ? [input] : Array.isArray(input) ? input : Object.values(input);
      active = inputs.some((file) => entry.test(file));
    },
    transform(code, id) {
      const path = id.split('?')[0];
      if (!active || !NODE_FILE.test(path)) return null;
      const kept = keepSide(code, path, side);
      return kept.code === code ? null : { code: kept.code, map: null };
    },
  };
}
